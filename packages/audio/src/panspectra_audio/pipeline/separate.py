"""``audio-separate`` as library functions.

``fsdd-2mix``: training mixtures are drawn afresh from FSDD training takes (index 5-49) of two
different speakers; the test list is fixed — ``--test-mixtures`` mixtures (default 300) of test
takes (index 0-4) drawn with ``--test-seed`` (default 2026), written to ``test_list.csv`` — so
every model is scored on the same mixtures. Scores: SI-SNRi and SDRi (BSS-eval SDR) of the
permutation-matched estimates, per mixture in ``per_mixture.csv``.

``--data MIXTURES.csv`` (``mixture,source1,source2``): training takes random segments of the
mixtures and their sources, after a seeded ``--test-fraction`` of the rows is held out as the
test set.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np
import torch

from panspectra_core.errors import UserError
from panspectra_core.io import OutputDir
from panspectra_core.kit import RunConfig

from ..audio_io import read_audio
from ..data.mixtures import (
    Pair,
    PairSegmentSet,
    TwoTalkerTrainSet,
    holdout_pairs,
    read_pair,
    two_talker_list,
    two_talker_mix,
)
from ..data.named import fsdd_items, fsdd_official_split
from ..data.user import paired_files
from ..losses import pit_loss, pit_si_snr, reorder
from ..scores import sdr_db, si_snr_db
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


def fsdd_test_list(count: int, seed: int) -> list[Pair]:
    """The fixed two-talker test mixtures (test takes only), read and mixed."""
    _, test = fsdd_official_split(fsdd_items())
    listed = two_talker_list([(i.path, i.speaker) for i in test], count, seed)
    pairs = []
    for k, entry in enumerate(listed):
        pair = two_talker_mix(
            read_audio(entry.first)[0], read_audio(entry.second)[0], entry.level_db
        )
        pair.name = f"mix{k:04d}"
        pair.info.update(first=entry.first.name, second=entry.second.name)
        pairs.append(pair)
    return pairs


def load_data(cfg: RunConfig, *, need_train: bool = True):
    """(training dataset or None, test pairs, rate)."""
    if (cfg.dataset is None) == (cfg.get("data") is None):
        raise UserError("pass exactly one of --dataset fsdd-2mix or --data MIXTURES.csv")
    if cfg.dataset is not None:
        if cfg.dataset.lower() != "fsdd-2mix":
            raise UserError(f"--dataset {cfg.dataset!r}: audio-separate knows fsdd-2mix")
        test = fsdd_test_list(cfg.test_mixtures, cfg.test_seed)
        if not need_train:
            return None, test, 8000
        train, _ = fsdd_official_split(fsdd_items())
        clips = [(read_audio(i.path)[0], i.speaker) for i in train]
        segment = round(cfg.segment_seconds * 8000)
        return TwoTalkerTrainSet(clips, segment, cfg.epoch_items), test, 8000
    pairs = [
        read_pair(m, s, sample_rate=cfg.get("sample_rate"), mono=cfg.mono)
        for m, s in paired_files(cfg.data, 2)
    ]
    if not need_train:
        return None, pairs, pairs[0].info["rate"]
    train, test, rate = holdout_pairs(pairs, cfg.test_fraction, cfg.seed, cfg.data)
    log.info("%d training mixtures, %d test mixtures", len(train), len(test))
    segment = round(cfg.segment_seconds * rate)
    return PairSegmentSet(train, segment, cfg.epoch_items), test, rate


def train(cfg: RunConfig, out: Path) -> dict[str, Any]:
    """``audio-separate train``: PIT SI-SNR training, then the fixed test list."""
    dataset, test, rate = load_data(cfg)
    model, kwargs, timing = train_signal_model(cfg, dataset, pit_loss, rate, out)
    metrics = score(model, test, rate, out)
    metrics.update(
        timing,
        model=cfg.model,
        dataset=cfg.dataset or str(cfg.data),
    )
    if cfg.dataset:
        metrics["test_list"] = {"count": cfg.test_mixtures, "seed": cfg.test_seed}
        metrics["protocol"] = "FSDD take 5-49 mixed afresh for training; fixed test list"
    else:
        metrics["protocol"] = f"seeded {cfg.test_fraction:.0%} holdout of your mixtures"
    save_signal_checkpoint(
        out / "model.safetensors",
        model,
        cfg,
        kwargs,
        rate,
        "separate",
        {k: metrics[k] for k in ("si_snri", "sdri")},
    )
    return metrics


def score(model, pairs: list[Pair], rate: int, out: Path) -> dict[str, Any]:
    """SI-SNRi / SDRi per mixture (estimates matched to references by PIT SI-SNR)."""
    rows = []
    for k, pair in enumerate(pairs):
        estimate = torch.from_numpy(np.atleast_2d(apply_model(model, pair.mixture)))
        refs = torch.from_numpy(np.stack(pair.sources))
        if estimate.shape[0] != refs.shape[0]:
            raise UserError(
                f"{pair.name}: the model gives {estimate.shape[0]} sources, the data "
                f"{refs.shape[0]}"
            )
        _, perm = pit_si_snr(estimate[None], refs[None])
        matched = reorder(estimate[None], perm)[0].numpy()
        mix = pair.mixture
        si = [si_snr_db(r, e) - si_snr_db(r, mix) for r, e in zip(pair.sources, matched)]
        sd = [sdr_db(r, e) - sdr_db(r, mix) for r, e in zip(pair.sources, matched)]
        rows.append(
            [
                pair.name,
                pair.info.get("first", ""),
                pair.info.get("second", ""),
                pair.info.get("level_db", ""),
                float(np.mean(si)),
                float(np.mean(sd)),
            ]
        )
        if k == 0:
            plot_spectrograms(
                {
                    "mixture": mix,
                    "estimate 1": matched[0],
                    "source 1": pair.sources[0],
                    "estimate 2": matched[1],
                    "source 2": pair.sources[1],
                },
                rate,
                out / "spectrogram.png",
                pair.name,
            )
    header = ["mixture", "first", "second", "level_db", "si_snri", "sdri"]
    write_rows(out / "per_mixture.csv", header, rows)
    table = np.array([r[4:] for r in rows], dtype=np.float64)
    return {
        "si_snri": float(table[:, 0].mean()),
        "sdri": float(table[:, 1].mean()),
        "si_snri_median": float(np.median(table[:, 0])),
        "n_test": len(rows),
        "sdr_tool": "torchmetrics signal_distortion_ratio (BSS-eval SDR, 512-tap filter)",
    }


class SeparatePredictor(SignalPredictor):
    task = "separate"


def evaluate(cfg: RunConfig, out: Path) -> dict[str, Any]:
    """``audio-separate evaluate``: a checkpoint on a ``mixture,source1,source2`` CSV or the
    fixed ``fsdd-2mix`` test list."""
    predictor = SeparatePredictor.load(cfg.checkpoint)
    _, pairs, rate = load_data(cfg, need_train=False)
    if rate != predictor.rate:
        raise UserError(f"--data: {rate} Hz mixtures; the model runs at {predictor.rate} Hz")
    return {**score(predictor.model, pairs, rate, out), "model": predictor.meta.model_name}


def separate(cfg: RunConfig, _out: None) -> dict[str, Any]:
    """``audio-separate separate``: each input → ``<name>_s1.wav``, ``<name>_s2.wav`` in the
    output folder."""
    predictor = SeparatePredictor.load(cfg.checkpoint)
    files = input_files(cfg.input)
    root = Path(cfg.input) if Path(cfg.input).is_dir() else Path(cfg.input).parent

    def name(path: Path, k: int) -> Path:
        relative = path.relative_to(root)
        return relative.with_name(f"{relative.stem}_s{k + 1}{relative.suffix}")

    with OutputDir(cfg.output, overwrite=cfg.overwrite) as staging:
        count = write_outputs(predictor, cfg, files, staging, name)
    return {"files": count}
