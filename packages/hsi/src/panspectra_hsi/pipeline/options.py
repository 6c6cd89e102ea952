"""Options of one training run: the model's recipe, overridden by what the user passed."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from typing import Any


@dataclass
class TrainOptions:
    """Everything that defines a training run besides the data and the Lightning trainer.

    ``None`` fields are filled from the model's recipe by :func:`resolve_options`.

    Attributes:
        model: registry name (domain "hsi").
        protocol: "random" | "disjoint" | "fixed" (fixed = user train/test label maps).
        train_fraction / train_count / min_per_class / val_fraction: sampling (see protocols);
            ``val_fraction`` None = :data:`DEFAULT_VAL_FRACTION`.
        guard_radius: disjoint guard band (default: patch radius + smoothing radius — the
            prediction at a training pixel is close to its label, so a test pixel's smoothing
            window must not reach one either; only the patch radius with
            ``smooth_exclude_training``).
        patch_size, pca_components (0 = off), epochs, lr, weight_decay, batch_size, scheduler,
        label_smoothing, warmup_epochs, standardize_bands: training hyper-parameters
        (recipe defaults).
        balanced_loss: weight the cross-entropy of class ``k`` by ``n / (K · n_k)`` (training
            pixel counts), like the SVM's balanced class weights; torch models only.
        monitor: "val_loss" | "train_loss" — the epoch whose weights are kept (lowest value);
        ensemble: independently trained copies of the model whose probabilities are averaged;
        augment: random dihedral flips/rotations of training patches; tta: test-time
        augmentation views (1, 2, 4, 8); smooth_radius, smooth_method: "box" or "guided" filter of
        the predicted probability map (radius 0 = off), or "random_walker" (the radius is its
        diffusion length) — all recipe defaults.
        smooth_exclude_training: when the run classifies its scene, leave out of every smoothing
            window the training and validation pixels and every pixel whose patch reaches one, so
            no prediction fitted to a label is averaged into a test pixel: the filter is then
            leak-free without a guard band, and the test set is every labelled pixel beyond the
            patch radius (a saved model's ``predict`` filters every pixel, as usual).
        nuisance_dims: project this many between-region nuisance axes out of the standardized
            spectra (``SpectralPreprocessor``, estimated from the 4-connected training regions
            of each class); None or 0 = off. Needs several training regions per class.
        members: the models of a ``mixed_ensemble`` (default: its recipe's). Each member is
            trained with its own recipe; the hyper-parameters set here apply to every member,
            while smoothing and the guard band are the ensemble's.
        model_kwargs: extra builder arguments.
        finetune: checkpoint to start from (its preprocessing is reused; the head is reset when
            the classes differ); lora_rank: fine-tune with LoRA adapters of this rank (base
            weights frozen), merged back into the weights before saving.
    """

    model: str
    protocol: str = "random"
    train_fraction: float = 0.1
    train_count: int | None = None
    min_per_class: int = 5
    val_fraction: float | None = None
    guard_radius: int | None = None
    patch_size: int | None = None
    pca_components: int | None = None
    epochs: int | None = None
    lr: float | None = None
    weight_decay: float | None = None
    batch_size: int | None = None
    scheduler: str | None = None
    label_smoothing: float | None = None
    balanced_loss: bool = False
    warmup_epochs: int | None = None
    standardize_bands: bool | None = None
    monitor: str | None = None
    ensemble: int | None = None
    augment: bool | None = None
    tta: int | None = None
    smooth_radius: int | None = None
    smooth_method: str | None = None
    smooth_exclude_training: bool = False
    nuisance_dims: int | None = None
    finetune: str | None = None
    lora_rank: int | None = None
    members: list[str] | None = None
    model_kwargs: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


_FROM_RECIPE = (
    "patch_size",
    "pca_components",
    "epochs",
    "lr",
    "weight_decay",
    "batch_size",
    "scheduler",
    "label_smoothing",
    "warmup_epochs",
    "standardize_bands",
    "monitor",
    "ensemble",
    "augment",
    "tta",
    "smooth_radius",
    "smooth_method",
)


MIXED_ENSEMBLE = "mixed_ensemble"
#: share of the training pixels carved out for validation unless the options say otherwise
DEFAULT_VAL_FRACTION = 0.1


def resolve_options(options: TrainOptions) -> TrainOptions:
    """Fill unset hyper-parameters from ``panspectra_hsi.models.recipes.get_recipe(model)``."""
    from panspectra_hsi.models.recipes import get_recipe

    if options.val_fraction is None:
        options = replace(options, val_fraction=DEFAULT_VAL_FRACTION)
    if options.model == MIXED_ENSEMBLE:
        return _resolve_mixed(options)
    recipe = get_recipe(options.model)
    values = options.to_dict()
    for key in _FROM_RECIPE:
        if values[key] is None:
            values[key] = getattr(recipe, key, None)
    values["model_kwargs"] = {**getattr(recipe, "model_kwargs", {}), **options.model_kwargs}
    if values["patch_size"] is None:
        values["patch_size"] = 1
    reach = _smoothing_reach(values)  # checked also when the guard is given
    if values["guard_radius"] is None:
        values["guard_radius"] = values["patch_size"] // 2 + reach
    return TrainOptions(**values)


def _smoothing_reach(values: dict) -> int:
    """How far the probability filter carries a training pixel's prediction into the guard:
    the smoothing radius, or 0 when training pixels are left out of the filter windows.

    Raises:
        UserError: the random walker under the disjoint protocol with the training pixels in
            the graph's sources: its reach is the whole scene, so no guard band would do.
    """
    from panspectra_core.errors import UserError

    if values["smooth_exclude_training"]:
        return 0
    radius = values["smooth_radius"] or 0
    if values["smooth_method"] == "random_walker" and radius and values["protocol"] == "disjoint":
        raise UserError(
            "--smooth-method random_walker with --protocol disjoint needs "
            "--smooth-exclude-training (the walk reaches the whole scene, past any guard band)"
        )
    return radius


def member_options(options: TrainOptions, name: str) -> TrainOptions:
    """Resolved options of mixed-ensemble member ``name``: its recipe, overridden by the
    hyper-parameters set in ``options``; unsmoothed (the ensemble smooths the average)."""
    fields = {**options.to_dict(), "model": name, "members": None, "model_kwargs": {}}
    fields.update(smooth_radius=0, guard_radius=None, smooth_exclude_training=False)
    return resolve_options(TrainOptions(**fields))


def _resolve_mixed(options: TrainOptions) -> TrainOptions:
    """Resolve a mixed ensemble's own fields (members, smoothing, guard band) only: the members'
    hyper-parameters stay unset here so that each member takes its own recipe."""
    from panspectra_core.errors import UserError
    from panspectra_core.registry import list_models
    from panspectra_hsi.models.recipes import get_recipe

    recipe = get_recipe(MIXED_ENSEMBLE)
    values = options.to_dict()
    values["members"] = list(options.members or recipe.members)
    for key in ("smooth_radius", "smooth_method"):
        if values[key] is None:
            values[key] = getattr(recipe, key)
    for key in ("ensemble", "finetune", "lora_rank"):
        if values[key]:
            raise UserError(f"--{key.replace('_', '-')} cannot be combined with a mixed ensemble")
    known = list_models(domain="hsi")
    for name in values["members"]:
        if name not in known or name in ("ensemble", MIXED_ENSEMBLE):
            raise UserError(f"--members {name}: not an hsi model (see hsi-classify list-models)")
    reach = _smoothing_reach(values)
    if values["guard_radius"] is None:
        widest = max(member_options(options, n).patch_size for n in values["members"])
        values["guard_radius"] = widest // 2 + reach
    return TrainOptions(**values)
