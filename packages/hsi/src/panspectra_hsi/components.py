"""The named choices of an hsi classification run: split protocols, probability smoothers,
learning-rate schedules and the monitored loss. Their keys are the option values; an unknown
key is refused here, in words naming the option (``protocol='blocked': expected one of …``).

Light on purpose (no torch): the option declarations and ``--help`` read these registries.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from panspectra_core.kit import SCHEDULERS, ComponentRegistry, registry_of

if TYPE_CHECKING:
    import numpy as np

    from panspectra_hsi.data.protocols import Split
    from panspectra_hsi.data.scene import Scene

#: ``(scene, cfg, seed, test_labels) → Split``
SplitMaker = Callable[["Scene", Any, int, "np.ndarray | None"], "Split"]
PROTOCOLS: ComponentRegistry[SplitMaker] = ComponentRegistry("protocol")


def _common(scene: Scene) -> dict[str, Any]:
    return {"class_names": scene.class_names, "source": scene.source}


@PROTOCOLS.register("random")
def random_protocol(scene: Scene, cfg: Any, seed: int, test_labels=None) -> Split:
    """stratified random pixels per class (train_fraction or train_count)"""
    from panspectra_hsi.data.protocols import random_split

    return random_split(
        scene.labels,
        train_fraction=cfg.train_fraction,
        train_count=cfg.train_count,
        min_per_class=cfg.min_per_class,
        val_fraction=cfg.val_fraction,
        seed=seed,
        **_common(scene),
    )


@PROTOCOLS.register("disjoint")
def disjoint_protocol(scene: Scene, cfg: Any, seed: int, test_labels=None) -> Split:
    """spatially disjoint training regions with a guard band (Liang et al. 2017)"""
    from panspectra_hsi.data.protocols import disjoint_split

    return disjoint_split(
        scene.labels,
        train_fraction=cfg.train_fraction,
        min_per_class=cfg.min_per_class,
        guard_radius=cfg.guard_radius,
        val_fraction=cfg.val_fraction,
        seed=seed,
        **_common(scene),
    )


@PROTOCOLS.register("fixed")
def fixed_protocol(scene: Scene, cfg: Any, seed: int, test_labels=None) -> Split:
    """your own training and test label maps (train_labels, test_labels)"""
    from panspectra_core.errors import UserError
    from panspectra_hsi.data.protocols import fixed_split

    if test_labels is None:
        raise UserError("protocol='fixed' needs train_labels and test_labels")
    return fixed_split(
        scene.labels, test_labels, val_fraction=cfg.val_fraction, seed=seed, source=scene.source
    )


@dataclass(frozen=True)
class Smoother:
    """How a probability-map smoother is applied (:mod:`panspectra_hsi.pipeline.smoothing`).

    Attributes:
        guided: needs the guidance image (the preprocessor's first principal component).
        graph: diffuses over the whole pixel graph (the random walker): its reach is
            unbounded, and it needs an edge scale from the training scene.
    """

    guided: bool = False
    graph: bool = False


SMOOTHERS: ComponentRegistry[Smoother] = ComponentRegistry("smooth_method")
SMOOTHERS.register("box", Smoother(), help="mean over a (2r+1)² window")
SMOOTHERS.register(
    "guided",
    Smoother(guided=True),
    help="edge-preserving guided filter, guidance: first principal component (Kang et al. 2014)",
)
SMOOTHERS.register(
    "random_walker",
    Smoother(graph=True),
    help="extended random walker over the spectrally weighted 8-neighbour graph, smooth_radius "
    "= its diffusion length (Kang et al. 2015)",
)


def smoother(name: str) -> Smoother:
    """The :class:`Smoother` registered as ``name`` (UserError naming smooth_method)."""
    return SMOOTHERS.get(name, option="smooth_method")


#: the learning-rate schedules hsi training offers (the core's, restricted)
HSI_SCHEDULERS = registry_of(
    {k: text for k, text in SCHEDULERS.describe() if k in ("cosine", "onecycle", "cyclic", "none")},
    "scheduler",
)

MONITORS = registry_of(
    {
        "val_loss": "keep the epoch with the lowest validation loss",
        "train_loss": "keep the epoch with the lowest epoch-mean training loss (with a cosine "
        "schedule: the end of training; the validation pixels stay untouched by any choice)",
    },
    "monitor",
)
