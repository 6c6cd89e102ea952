"""Training an ensemble of different classifiers (``--model audio_ensemble``) on one fold.

The members are trained one after the other on the same clips, each with its own recipe under
the flags the user set and seed ``seed + 1000 * i``; the core
:class:`~panspectra_core.layers.ProbabilityEnsemble` averages their class probabilities
(Lakshminarayanan et al. 2017). A ``--max-train-minutes`` budget is shared in order (core
``share_in_order``), on the ensemble's clock.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from panspectra_core.errors import UserError
from panspectra_core.kit import RunConfig

#: options that shape the clips every member reads (they must agree with the ensemble's)
CLIP_OPTIONS = ("clip_seconds", "speed_perturb", "lowpass", "mono")


def is_ensemble(model_name: str) -> bool:
    from panspectra_core.registry import model_entry

    return "ensemble" in model_entry(model_name).tags


def run_members(cfg: RunConfig) -> list[dict[str, Any]]:
    """The ensemble run's members, ``[{"model": NAME, "kwargs": {...}}]`` (validated)."""
    from ..models.registered import ensemble_members

    return ensemble_members((cfg.model_kwargs or {}).get("members"))


def member_config(
    cfg: RunConfig, members: list[dict[str, Any]], index: int, spent_seconds: float = 0.0
) -> RunConfig:
    """The resolved config of ``members[index]`` (:func:`run_members`) of the ensemble run
    ``cfg``: the member's own recipe under the flags the user set, seed ``seed + 1000 *
    index``. Under a budget the member may spend what the members before it left
    (``spent_seconds`` on the budget's clock), divided by the members still to train.

    Raises:
        UserError: the member's recipe reads other clips than the ensemble (``CLIP_OPTIONS``).
    """
    from panspectra_core.kit import member_seed, share_in_order

    from ..cli_classify import app

    member = members[index]
    values = {**cfg.explicit(exclude=("model", "model_kwargs")), "model": member["model"]}
    values["model_kwargs"] = member["kwargs"]
    values["seed"] = member_seed(cfg.seed, index)
    if cfg.get("max_train_minutes"):
        share = share_in_order(cfg.max_train_minutes * 60, spent_seconds, len(members) - index)
        values["max_train_minutes"] = share / 60
        values["budget_clock"] = cfg.budget_clock  # the ensemble's clock, also from its recipe
    member_cfg = app.resolve(app.verbs["train"], values)
    for key in CLIP_OPTIONS:
        if member_cfg[key] != cfg[key]:
            raise UserError(
                f"ensemble member {member['model']}: its recipe's {key} {member_cfg[key]} "
                f"differs from the ensemble's {cfg[key]} (the members read the same clips)"
            )
    return member_cfg


def fit_ensemble(cfg: RunConfig, train_set, num_classes: int, out: Path):
    """Train every member on ``train_set`` → ``(model, kwargs, members, fits)``: the
    :class:`~panspectra_core.layers.ProbabilityEnsemble`, its checkpoint kwargs (the members'
    names and kwargs), one record per member for ``metrics.json → members`` and the members'
    :func:`~.classify.fit_classifier` results."""
    from panspectra_core.layers import ProbabilityEnsemble

    from .classify import fit_classifier

    configs, fits, spent = [], [], 0.0
    clock = "cpu_seconds" if cfg.budget_clock == "cpu" else "train_seconds"
    members = run_members(cfg)
    for index in range(len(members)):
        configs.append(member_config(cfg, members, index, spent))
        workdir = out / "work" / f"member{index}"
        fits.append(fit_classifier(configs[-1], train_set, num_classes, workdir))
        spent += getattr(fits[-1]["result"], clock)
    shared = ("num_classes", "num_samples", "sample_rate")
    kwargs: dict[str, Any] = {key: fits[0]["kwargs"][key] for key in shared}
    kwargs["members"] = [
        {"model": m.model, "kwargs": {k: v for k, v in f["kwargs"].items() if k not in shared}}
        for m, f in zip(configs, fits)
    ]
    members = [
        {
            "model": m.model,
            "seed": m.seed,
            "epochs": f["result"].epochs,
            "train_cpu_seconds": f["result"].cpu_seconds,
            **({"max_train_minutes": m.max_train_minutes} if m.max_train_minutes else {}),
            **({"adapted_to_data": f["adapted"]} if f["adapted"] else {}),
        }
        for m, f in zip(configs, fits)
    ]
    return ProbabilityEnsemble([f["model"] for f in fits]), kwargs, members, fits
