"""``audio-classify`` as library functions: data preparation, training, evaluation, prediction.

Protocols (``--protocol``): ``official`` (FSDD: take index 0-4 test, 5-49 train; a user's
data: a stratified ``--test-fraction`` split drawn with the seed), ``speaker`` (FSDD only:
leave-one-speaker-out, 6 folds; the pooled accuracy over all 3000 recordings is reported).
No validation set is carved out of the test data: training runs for the recipe's epochs and
the last weights are kept (the test set never chooses anything).
"""

from __future__ import annotations

import csv
import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader

from panspectra_core.checkpoint import save_checkpoint
from panspectra_core.errors import UserError
from panspectra_core.io import atomic_write
from panspectra_core.kit import Predictor, RunConfig, trainer_config
from panspectra_core.metrics import classification_metrics, plot_confusion_matrix
from panspectra_core.registry import create_model

from ..audio_io import is_audio_file, read_audio
from ..data.clips import ClipDataset, fit_length
from ..data.named import fsdd_items, fsdd_official_split, fsdd_speakers
from ..data.user import labelled_files

log = logging.getLogger("panspectra")

#: decoded training/test clips stay in memory only when the files total less than this
CACHE_BYTES = 512 * 2**20


@dataclass
class Split:
    """Train and test files of one fold, with class indices into ``classes``."""

    name: str
    train: list[Path]
    train_y: list[int]
    test: list[Path]
    test_y: list[int]
    classes: list[str]


def load_splits(cfg: RunConfig) -> tuple[list[Split], int]:
    """The folds of the run's protocol and the data's sample rate."""
    if cfg.dataset is not None and cfg.data is not None:
        raise UserError("give --dataset or --data, not both")
    if cfg.dataset is None and cfg.data is None:
        raise UserError("no data: pass --dataset fsdd or --data FOLDER_OR_CSV")
    if cfg.dataset is not None:
        if cfg.dataset.lower() != "fsdd":
            raise UserError(f"--dataset {cfg.dataset!r}: audio-classify knows fsdd")
        return _fsdd_splits(cfg.protocol), 8000
    if cfg.protocol != "official":
        raise UserError("--protocol speaker needs --dataset fsdd (speaker names in file names)")
    paths, labels = labelled_files(cfg.data)
    classes = sorted(set(labels))
    targets = np.array([classes.index(label) for label in labels])
    rng = np.random.default_rng(cfg.seed)
    test_mask = np.zeros(len(paths), dtype=bool)
    for k in range(len(classes)):
        members = np.flatnonzero(targets == k)
        n_test = round(cfg.test_fraction * len(members))
        if len(members) < 2:
            raise UserError(f"class {classes[k]!r}: {len(members)} file(s); need 2+ per class")
        if n_test == 0 or n_test == len(members):
            raise UserError(
                f"class {classes[k]!r}: --test-fraction {cfg.test_fraction} of its "
                f"{len(members)} files leaves {'no test' if n_test == 0 else 'no training'} "
                "file; expected a fraction that holds out at least one file and keeps one"
            )
        test_mask[rng.permutation(members)[:n_test]] = True
    _, rate = read_audio(paths[0], mono=cfg.mono)
    split = Split(
        "data",
        [p for p, t in zip(paths, test_mask) if not t],
        targets[~test_mask].tolist(),
        [p for p, t in zip(paths, test_mask) if t],
        targets[test_mask].tolist(),
        classes,
    )
    return [split], cfg.sample_rate or rate


def _fsdd_splits(protocol: str) -> list[Split]:
    items = fsdd_items()
    classes = [str(d) for d in range(10)]
    if protocol == "official":
        train, test = fsdd_official_split(items)
        folds = [("official", train, test)]
    else:
        folds = [
            (
                f"speaker_{s}",
                [i for i in items if i.speaker != s],
                [i for i in items if i.speaker == s],
            )
            for s in fsdd_speakers(items)
        ]
    return [
        Split(
            name,
            [i.path for i in train],
            [i.digit for i in train],
            [i.path for i in test],
            [i.digit for i in test],
            classes,
        )
        for name, train, test in folds
    ]


def _task(model: torch.nn.Module, cfg: RunConfig, num_classes: int, lr: float):
    from ..tasks import MixupClassificationTask

    return MixupClassificationTask(
        model,
        num_classes=num_classes,
        mixup_alpha=cfg.mixup,
        label_smoothing=cfg.label_smoothing,
        lr=lr,
        weight_decay=cfg.weight_decay,
        scheduler=cfg.scheduler,
    )


def _model_kwargs(cfg: RunConfig, num_classes: int, num_samples: int, rate: int) -> dict:
    return {
        "num_classes": num_classes,
        "num_samples": num_samples,
        "sample_rate": rate,
        **(cfg.model_kwargs or {}),
    }


def clip_sets(cfg: RunConfig, split: Split, rate: int) -> tuple[ClipDataset, ClipDataset]:
    """The fold's (training, test) clip datasets with ``cfg``'s clip length and augmentation;
    decoded clips stay in memory when the files are small (FSDD's are)."""
    num_samples = round(cfg.clip_seconds * rate)
    files = [*split.train, *split.test]
    cache = sum(p.stat().st_size for p in files) < CACHE_BYTES  # keep decoded clips if small
    common = {"sample_rate": rate, "num_samples": num_samples, "mono": cfg.mono, "cache": cache}
    train_set = ClipDataset(
        split.train,
        split.train_y,
        train=True,
        speed_perturb=cfg.speed_perturb,
        lowpass=cfg.lowpass,
        **common,
    )
    return train_set, ClipDataset(split.test, split.test_y, **common)


def fit_classifier(
    cfg: RunConfig, train_set: ClipDataset, num_classes: int, workdir: Path
) -> dict[str, Any]:
    """Train ``cfg.model`` with ``cfg``'s settings on ``train_set`` → ``model``, its
    ``kwargs``, the core fit ``result`` and the ``adapted`` settings."""
    from panspectra_core.kit import adapt_to_data
    from panspectra_core.training import fit

    kwargs = _model_kwargs(cfg, num_classes, train_set.num_samples, train_set.sample_rate)
    model = create_model(cfg.model, **kwargs)
    # recipes are sized for FSDD's 2700 training clips: a small folder gets a smaller batch
    # and more epochs (at least 4 steps an epoch, 400 in all); flags the user set are kept
    settings, adapted = adapt_to_data(
        {"batch_size": cfg.batch_size, "lr": cfg.lr, "epochs": cfg.epochs},
        len(train_set),
        fixed=list(cfg.explicit()),
    )
    batch = settings["batch_size"]
    loader = DataLoader(train_set, batch_size=batch, shuffle=True, drop_last=len(train_set) > batch)
    task = _task(model, cfg, num_classes, settings["lr"])
    result = fit(task, loader, None, trainer_config(cfg, max_epochs=settings["epochs"]), workdir)
    return {"model": model, "kwargs": kwargs, "result": result, "adapted": adapted}


def train_fold(cfg: RunConfig, split: Split, rate: int, out: Path) -> dict[str, Any]:
    """Train one fold, write its checkpoint, return its metrics and test predictions.

    An ensemble (``--model audio_ensemble``) trains its members one after the other on the
    same clips (:mod:`.classify_ensemble`)."""
    from .classify_ensemble import fit_ensemble, is_ensemble

    train_set, test_set = clip_sets(cfg, split, rate)
    if is_ensemble(cfg.model):
        model, kwargs, members, fits = fit_ensemble(cfg, train_set, len(split.classes), out)
    else:
        fits = [fit_classifier(cfg, train_set, len(split.classes), out / "work")]
        model, kwargs, members = fits[0]["model"], fits[0]["kwargs"], None
    probs = predict_probabilities(model, test_set, cfg.batch_size)
    metrics = classification_metrics(
        split.test_y, probs.argmax(1), num_classes=len(split.classes), class_names=split.classes
    )
    metrics.update(
        train_seconds=sum(f["result"].train_seconds for f in fits),
        train_cpu_seconds=sum(f["result"].cpu_seconds for f in fits),
        epochs=max(f["result"].epochs for f in fits),
    )
    if members:
        metrics["members"] = members
    elif fits[0]["adapted"]:
        metrics["adapted_to_data"] = fits[0]["adapted"]
    save_checkpoint(
        out / "model.safetensors",
        model,
        model_name=cfg.model,
        model_kwargs=kwargs,
        domain="audio",
        preprocessing={
            "sample_rate": rate,
            "num_samples": kwargs["num_samples"],
            "classes": split.classes,
        },
        config=cfg.recorded(),
        metrics={k: metrics[k] for k in ("accuracy", "macro_f1")},
        input_spec={"kind": "waveform", "sample_rate": rate, "channels": 1},
    )
    return {"metrics": metrics, "probs": probs}


@torch.no_grad()
def predict_probabilities(model: torch.nn.Module, dataset, batch_size: int) -> np.ndarray:
    """Softmax outputs (N, C) of ``model`` over every clip of ``dataset`` (nothing dropped)."""
    model.eval()
    loader = DataLoader(dataset, batch_size=batch_size, shuffle=False)
    return torch.cat([F.softmax(model(b["x"]), -1) for b in loader]).numpy()


def train(cfg: RunConfig, out: Path) -> dict[str, Any]:
    """``audio-classify train``: every fold of the protocol; metrics of the pooled test set."""
    splits, rate = load_splits(cfg)
    start = time.perf_counter()
    rows, y_true, y_pred, folds, cpu = [], [], [], {}, 0.0
    for split in splits:
        folder = out if len(splits) == 1 else out / "folds" / split.name
        folder.mkdir(parents=True, exist_ok=True)
        log.info("fold %s: %d train, %d test", split.name, len(split.train), len(split.test))
        fold = train_fold(cfg, split, rate, folder)
        keys = ("accuracy", "macro_f1", "n", "epochs", "members")
        folds[split.name] = {k: fold["metrics"][k] for k in keys if k in fold["metrics"]}
        cpu += fold["metrics"]["train_cpu_seconds"]
        pred = fold["probs"].argmax(1)
        y_true += split.test_y
        y_pred += pred.tolist()
        rows += [
            (str(p), split.classes[t], split.classes[q], float(fold["probs"][i, q]))
            for i, (p, t, q) in enumerate(zip(split.test, split.test_y, pred))
        ]
    classes = splits[0].classes
    metrics = classification_metrics(y_true, y_pred, num_classes=len(classes), class_names=classes)
    metrics.update(
        protocol=cfg.protocol if cfg.dataset else "stratified holdout",
        dataset=cfg.dataset or str(cfg.data),
        model=cfg.model,
        train_seconds=time.perf_counter() - start,
        train_cpu_seconds=cpu,
        epochs=max(f["epochs"] for f in folds.values()),
        folds=folds,
        errors=[r[0] for r in rows if r[1] != r[2]],
    )
    for key in ("adapted_to_data", "members"):
        if len(splits) == 1 and key in fold["metrics"]:
            metrics[key] = fold["metrics"][key]
    _write_predictions(out / "test_predictions.csv", rows)
    plot_confusion_matrix(metrics["confusion_matrix"], classes, out / "confusion_matrix.png")
    return metrics


def _write_predictions(path: Path, rows: list[tuple]) -> None:
    with atomic_write(path) as tmp, open(tmp, "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["path", "label", "predicted", "probability"])
        writer.writerows(rows)


class ClipPredictor(Predictor):
    """A trained classifier applied to files: reads, resamples, crops like the test clips."""

    domain = "audio"

    def __init__(self, model, meta, device: str = "cpu", *, mono=False, resample=True):
        super().__init__(model, meta, device)
        if "classes" not in meta.preprocessing:
            raise UserError(f"model {meta.model_name}: not an audio-classify checkpoint")
        self.mono, self.resample = mono, resample

    def preprocess(self, items):
        pre = self.meta.preprocessing
        clips = [
            fit_length(
                read_audio(
                    p, sample_rate=pre["sample_rate"], mono=self.mono, resample=self.resample
                )[0],
                pre["num_samples"],
            )
            for p in items
        ]
        return torch.from_numpy(np.stack(clips))

    @torch.no_grad()
    def predict_batch(self, batch):
        return F.softmax(self.model(batch.to(self.device)), -1)

    def postprocess(self, outputs, items):
        classes = self.meta.preprocessing["classes"]
        prob, index = outputs.max(-1)
        return [(str(p), classes[int(i)], float(q)) for p, i, q in zip(items, index, prob)]


def input_files(source: Path) -> list[Path]:
    """A file, or every audio file below a folder (sorted)."""
    source = Path(source)
    if source.is_file():
        return [source]
    if source.is_dir():
        files = sorted(p for p in source.rglob("*") if is_audio_file(p))
        if files:
            return files
        raise UserError(f"--input {source}: no audio files in this folder")
    raise UserError(f"--input {source}: no such file or folder")


def predict(cfg: RunConfig, out: Path) -> dict[str, Any]:
    """``audio-classify predict``: ``path,label,probability`` rows for every input file."""
    predictor = ClipPredictor.load(cfg.checkpoint)
    predictor.mono, predictor.resample = cfg.mono, not cfg.no_resample
    files = input_files(cfg.input)
    rows = list(predictor.predict(files, batch_size=64))
    with atomic_write(out) as tmp, open(tmp, "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["path", "label", "probability"])
        writer.writerows(rows)
    log.info("wrote %d predictions to %s", len(rows), out)
    return {"files": len(rows)}


def evaluate(cfg: RunConfig, out: Path) -> dict[str, Any]:
    """``audio-classify evaluate``: score a checkpoint on labelled files (folder or CSV)."""
    predictor = ClipPredictor.load(cfg.checkpoint)
    predictor.mono, predictor.resample = cfg.mono, not cfg.no_resample
    classes = predictor.meta.preprocessing["classes"]
    if cfg.dataset is not None:
        split = load_splits(cfg.replace(protocol="official"))[0][0]
        paths, labels = split.test, [split.classes[t] for t in split.test_y]
    else:
        paths, labels = labelled_files(cfg.data)
    unknown = sorted(set(labels) - set(classes))
    if unknown:
        raise UserError(f"labels {unknown[:5]} are not classes of the checkpoint ({classes})")
    rows = list(predictor.predict(paths, batch_size=64))
    y_true = [classes.index(label) for label in labels]
    y_pred = [classes.index(r[1]) for r in rows]
    metrics = classification_metrics(y_true, y_pred, num_classes=len(classes), class_names=classes)
    _write_predictions(
        out / "predictions.csv", [(r[0], t, r[1], r[2]) for r, t in zip(rows, labels)]
    )
    plot_confusion_matrix(metrics["confusion_matrix"], classes, out / "confusion_matrix.png")
    return metrics
