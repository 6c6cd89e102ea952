"""``audio-enhance`` as library functions.

NOIZEUS protocol: train on sentences sp01-sp20 (all noise types and SNRs) plus, by default,
FSDD training recordings (take index 5-49) mixed with noise cut from those training pairs;
test on sp21-sp30, all 6 noise types × 4 SNRs (240 files). Scores (PESQ narrow-band MOS-LQO
with the ``pesq`` package, STOI, SI-SNR) for the noisy input, the log-MMSE baseline and the
model, per noise type and SNR.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np

from panspectra_core.errors import UserError
from panspectra_core.io import OutputDir
from panspectra_core.kit import RunConfig

from ..classic import log_mmse
from ..data.mixtures import EnhancementTrainSet, Pair, holdout_pairs, read_pair
from ..data.named import fsdd_items, fsdd_official_split, noizeus_pairs, noizeus_split
from ..data.user import paired_files
from ..losses import ENHANCE_LOSSES
from ..scores import enhancement_scores
from .classify import input_files
from .signals import (
    SignalPredictor,
    apply_model,
    plot_spectrograms,
    save_signal_checkpoint,
    train_signal_model,
    write_outputs,
    write_rows,
)

log = logging.getLogger("panspectra")
KEYS = ("pesq", "stoi", "si_snr")


def load_data(cfg: RunConfig, *, need_train: bool = True) -> tuple[list[Pair], list[Pair], int]:
    """(train pairs, test pairs, rate) of ``--dataset noizeus`` or ``--data``."""
    if (cfg.dataset is None) == (cfg.get("data") is None):
        raise UserError("pass exactly one of --dataset noizeus or --data FOLDER_OR_CSV")
    if cfg.dataset is not None:
        if cfg.dataset.lower() != "noizeus":
            raise UserError(f"--dataset {cfg.dataset!r}: audio-enhance knows noizeus")
        train, test = noizeus_split(noizeus_pairs())
        read = [
            read_pair(p.noisy, [p.clean], info={"noise": p.noise, "snr_db": p.snr_db})
            for p in (train if need_train else [])
        ]
        tested = [
            read_pair(p.noisy, [p.clean], info={"noise": p.noise, "snr_db": p.snr_db}) for p in test
        ]
        return read, tested, 8000
    pairs = [
        read_pair(m, s, sample_rate=cfg.get("sample_rate"), mono=cfg.mono)
        for m, s in paired_files(cfg.data, 1)
    ]
    if not need_train:
        return [], pairs, pairs[0].info["rate"]
    return holdout_pairs(pairs, cfg.test_fraction, cfg.seed, cfg.data)


def _extra_speech(cfg: RunConfig) -> list[np.ndarray]:
    if cfg.dataset is None or cfg.extra_speech == "none":
        return []
    from ..audio_io import read_audio

    train, _ = fsdd_official_split(fsdd_items())
    return [read_audio(i.path)[0] for i in train]


def train(cfg: RunConfig, out: Path) -> dict[str, Any]:
    """``audio-enhance train``: train, then score on the test pairs (see :func:`score`)."""
    train_pairs, test_pairs, rate = load_data(cfg)
    segment = round(cfg.segment_seconds * rate)
    dataset = EnhancementTrainSet(
        train_pairs,
        segment,
        cfg.epoch_items,
        extra_speech=_extra_speech(cfg),
        remix=cfg.remix,
    )
    log.info("%d training pairs, %d test pairs", len(train_pairs), len(test_pairs))
    loss = ENHANCE_LOSSES[cfg.loss]
    model, kwargs, timing = train_signal_model(cfg, dataset, loss, rate, out)
    metrics = score(model, test_pairs, rate, out, baseline=not cfg.no_baseline)
    metrics.update(timing, model=cfg.model, dataset=cfg.dataset or str(cfg.data))
    metrics["protocol"] = (
        "NOIZEUS sp01-sp20 train (+ FSDD take 5-49 mixed with their noise), sp21-sp30 test"
        if cfg.dataset
        else f"seeded {cfg.test_fraction:.0%} holdout of your pairs"
    )
    save_signal_checkpoint(
        out / "model.safetensors",
        model,
        cfg,
        kwargs,
        rate,
        "enhance",
        {k: metrics[k] for k in KEYS},
    )
    return metrics


def _mean(rows: list[dict], key: str) -> float:
    values = [r[key] for r in rows if np.isfinite(r[key])]
    return float(np.mean(values)) if values else float("nan")


def score(model, pairs: list[Pair], rate: int, out: Path, *, baseline: bool) -> dict[str, Any]:
    """Score noisy input, log-MMSE (``baseline``) and ``model`` on ``pairs``; writes
    ``per_file.csv``, ``per_condition.csv`` and ``spectrogram.png``."""
    systems = ["noisy", "logmmse", "model"] if baseline else ["noisy", "model"]
    rows = []
    for k, pair in enumerate(pairs):
        clean = pair.sources[0]
        outputs = {"noisy": pair.mixture, "model": apply_model(model, pair.mixture)}
        if baseline:
            outputs["logmmse"] = log_mmse(pair.mixture, rate)
        for system in systems:
            rows.append(
                {
                    "file": pair.name,
                    "system": system,
                    "noise": pair.info.get("noise", ""),
                    "snr_db": pair.info.get("snr_db", ""),
                    **enhancement_scores(clean, outputs[system], rate),
                }
            )
        if k == 0:
            plot_spectrograms(
                {"noisy": pair.mixture, "enhanced": outputs["model"], "clean": clean},
                rate,
                out / "spectrogram.png",
                pair.name,
            )
    write_rows(out / "per_file.csv", list(rows[0]), [list(r.values()) for r in rows])
    groups: dict[tuple, list[dict]] = defaultdict(list)
    for r in rows:
        groups[(r["system"], r["noise"], r["snr_db"])].append(r)
    table = [
        {"system": s, "noise": n, "snr_db": d, "n": len(g), **{k: _mean(g, k) for k in KEYS}}
        for (s, n, d), g in sorted(groups.items(), key=lambda kv: str(kv[0]))
    ]
    write_rows(out / "per_condition.csv", list(table[0]), [list(t.values()) for t in table])
    by_system = {s: [r for r in rows if r["system"] == s] for s in systems}
    metrics: dict[str, Any] = {k: _mean(by_system["model"], k) for k in KEYS}
    for s in systems[:-1]:
        metrics[s] = {k: _mean(by_system[s], k) for k in KEYS}
    metrics["si_snr_improvement"] = metrics["si_snr"] - metrics["noisy"]["si_snr"]
    metrics["pesq_improvement"] = metrics["pesq"] - metrics["noisy"]["pesq"]
    metrics["per_condition"] = table
    metrics["pesq_tool"] = "pesq (ludlows/python-pesq, ITU-T P.862) narrow-band MOS-LQO"
    metrics["n_test"] = len(pairs)
    return metrics


class EnhancePredictor(SignalPredictor):
    task = "enhance"


def evaluate(cfg: RunConfig, out: Path) -> dict[str, Any]:
    """``audio-enhance evaluate``: score a checkpoint on ``--data`` pairs (or the NOIZEUS
    test sentences with ``--dataset noizeus``)."""
    predictor = EnhancePredictor.load(cfg.checkpoint)
    _, pairs, rate = load_data(cfg.replace(sample_rate=predictor.rate), need_train=False)
    if rate != predictor.rate:
        raise UserError(f"--data: {rate} Hz pairs; the model runs at {predictor.rate} Hz")
    metrics = score(predictor.model, pairs, rate, out, baseline=not cfg.no_baseline)
    return {**metrics, "model": predictor.meta.model_name, "checkpoint": str(cfg.checkpoint)}


def enhance(cfg: RunConfig, _out: None) -> dict[str, Any]:
    """``audio-enhance enhance``: a file → a file, or a folder → a folder of the same names."""
    predictor = EnhancePredictor.load(cfg.checkpoint)
    files = input_files(cfg.input)
    if Path(cfg.input).is_dir():
        with OutputDir(cfg.output, overwrite=cfg.overwrite) as staging:
            count = write_outputs(
                predictor, cfg, files, staging, lambda p, k: p.relative_to(cfg.input)
            )
        return {"files": count}
    from panspectra_core.io import check_output_file

    target = check_output_file(cfg.output, cfg.overwrite)
    write_outputs(predictor, cfg, files, target.parent, lambda p, k: target.name)
    return {"files": 1}
