"""Checks and derived values of a resolved training run (:class:`~panspectra_core.kit.RunConfig`
of ``hsi-classify train``) that involve several options at once, and the configs of a mixed
ensemble's members. Errors name the options, not the command-line flags."""

from __future__ import annotations

from panspectra_core.errors import UserError
from panspectra_core.kit import RunConfig, resolve
from panspectra_hsi.components import smoother
from panspectra_hsi.options import MIXED_ENSEMBLE

#: options a mixed ensemble decides for the whole (its members are not smoothed themselves)
_ENSEMBLE_OWNED = ("model", "members", "model_kwargs", "smooth_radius", "smooth_exclude_training")


def smoothing_reach(cfg: RunConfig) -> int:
    """How far the probability smoothing carries a training pixel's prediction into the guard
    band: ``smooth_radius``, or 0 when the training pixels are left out of the smoothing.

    Raises:
        UserError: a graph smoother (random walker) under the disjoint protocol with the
            training pixels among its sources: its reach is the whole scene, past any guard.
    """
    if cfg.smooth_exclude_training:
        return 0
    radius = cfg.smooth_radius or 0
    if smoother(cfg.smooth_method).graph and radius and cfg.protocol == "disjoint":
        raise UserError(
            f"smooth_method={cfg.smooth_method!r} with protocol='disjoint' needs "
            "smooth_exclude_training (the walk reaches the whole scene, past any guard band)"
        )
    return radius


def finalize(cfg: RunConfig) -> RunConfig:
    """Check the combinations of options and fill the derived ``guard_radius`` (default: the
    widest patch radius + :func:`smoothing_reach`).

    Raises:
        UserError: a combination no run can honour, naming the options.
    """
    if cfg.finetune is not None:
        cfg = _finetune_patch(cfg)
    if cfg.members and cfg.model != MIXED_ENSEMBLE:
        raise UserError(f"members go with model={MIXED_ENSEMBLE!r}, not model={cfg.model!r}")
    if cfg.model == MIXED_ENSEMBLE:
        _check_mixed(cfg)
    elif cfg.ensemble > 1 and (cfg.finetune or cfg.lora_rank):
        raise UserError("ensemble > 1 cannot be combined with finetune or lora_rank")
    reach = smoothing_reach(cfg)  # checked also when the guard is given
    if cfg.guard_radius is not None:
        return cfg
    if cfg.model == MIXED_ENSEMBLE:
        widest = max(member_config(cfg, name).patch_size for name in cfg.members)
    else:
        widest = cfg.patch_size
    return cfg.replace(guard_radius=widest // 2 + reach)


def _finetune_patch(cfg: RunConfig) -> RunConfig:
    """A fine-tuned run keeps the checkpoint's model and patch size (its preprocessing)."""
    from panspectra_core.checkpoint import read_checkpoint_meta

    meta = read_checkpoint_meta(cfg.finetune)
    if cfg.model != meta.model_name:
        raise UserError(f"finetune={cfg.finetune} holds {meta.model_name!r}, not {cfg.model!r}")
    return cfg.replace(patch_size=int(meta.preprocessing["patch_size"]))


def _check_mixed(cfg: RunConfig) -> None:
    from panspectra_core.registry import list_models

    for key, off in (("ensemble", 1), ("finetune", None), ("lora_rank", None)):
        if cfg[key] != off:
            raise UserError(f"{key}={cfg[key]!r} cannot be combined with a mixed ensemble")
    if not cfg.members:
        raise UserError(f"model={MIXED_ENSEMBLE!r} needs members")
    known = list_models(domain="hsi")
    for name in cfg.members:
        if name not in known or name in ("ensemble", MIXED_ENSEMBLE):
            raise UserError(f"members: {name!r} is not an hsi model (see hsi-classify list-models)")


def member_config(cfg: RunConfig, name: str) -> RunConfig:
    """The resolved config of mixed-ensemble member ``name``: its own recipe, under the values
    the user set explicitly for the ensemble; unsmoothed (the ensemble smooths the average)."""
    from panspectra_core.registry import get_recipe

    explicit = {
        key: value
        for key, value in cfg.items()
        if key not in _ENSEMBLE_OWNED
        and key != "guard_radius"
        and (not cfg.options[key].recipe or cfg.sources.get(key) in ("user", "config"))
    }
    explicit.update(model=name, smooth_radius=0, smooth_exclude_training=False)
    return resolve(cfg.options, explicit, recipe=lambda values: get_recipe(name))
