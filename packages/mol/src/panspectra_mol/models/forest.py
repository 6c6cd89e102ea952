"""Random-forest baseline (scikit-learn) on Morgan count fingerprints + RDKit 2D descriptors.

One forest per target, fitted on the molecules where that target is present. Outputs match
the graph models: regression values on the training-standardized scale, classification logits
(``log p / (1 − p)`` of the forest's vote share), so the same pipeline scores every model.

Storage without pickle: each fitted forest is a skops byte string held in a uint8 tensor of
the model's ``state_dict``, so it travels in the core's safetensors checkpoint. On load only
skops' default-trusted types plus sklearn's ``Tree`` are accepted, and every tree's node
arrays are bounds-checked before the forest may predict.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np
import torch
from torch import Tensor

from panspectra_core.errors import UserError

TREE_TYPE = "sklearn.tree._tree.Tree"


class _LoadResult(NamedTuple):
    missing_keys: list[str]
    unexpected_keys: list[str]


def _valid_tree(tree: Any) -> bool:
    """Node arrays of one fitted sklearn tree point inside the tree and the feature range."""
    n, left, right = tree.node_count, tree.children_left, tree.children_right
    inner = left != -1
    children = np.concatenate([left[inner], right[inner]])
    return bool(
        left.shape == right.shape == tree.feature.shape == (n,)
        and np.array_equal(inner, right != -1)
        and ((children > 0) & (children < n)).all()
        and ((tree.feature[inner] >= 0) & (tree.feature[inner] < tree.n_features)).all()
        and tree.value.shape[0] == n
    )


def forest_from_bytes(data: bytes) -> Any:
    """A fitted forest from skops bytes, refused (UserError) if anything is untrusted."""
    import skops.io

    try:
        untrusted = set(skops.io.get_untrusted_types(data=data))
        if untrusted - {TREE_TYPE}:
            raise ValueError(f"untrusted types {sorted(untrusted - {TREE_TYPE})}")
        forest = skops.io.loads(data, trusted=sorted(untrusted) or None)
        if not all(_valid_tree(est.tree_) for est in forest.estimators_):
            raise ValueError("a tree's node arrays point outside the tree")
    except Exception as exc:
        raise UserError(f"random forest in the checkpoint refused: {exc}") from None
    return forest


class MolForest:
    """Per-target random forests with the ``state_dict`` / ``to`` / ``eval`` interface the core's
    checkpoint expects of a model (not an ``nn.Module``: it has no parameters).

    Args:
        task_kinds: ``regression`` / ``classification`` per target.
        n_estimators, max_features, min_samples_leaf: scikit-learn settings.
        seed: the forests' random_state.

    Shapes: ``model(x)`` with x (B, F) features → (B, T).
    """

    is_sklearn = True

    def __init__(
        self,
        task_kinds: list[str],
        n_estimators: int = 300,
        max_features: float | str = 0.2,
        min_samples_leaf: int = 1,
        seed: int = 0,
    ) -> None:
        self.task_kinds = list(task_kinds)
        self.params = {
            "n_estimators": n_estimators,
            "max_features": max_features,
            "min_samples_leaf": min_samples_leaf,
            "random_state": seed,
            "n_jobs": 1,
        }
        self.forests: list[Any] = [None] * len(task_kinds)

    def fit(self, features: np.ndarray, targets: np.ndarray) -> MolForest:
        from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor

        for j, kind in enumerate(self.task_kinds):
            keep = np.isfinite(targets[:, j])
            cls = RandomForestClassifier if kind == "classification" else RandomForestRegressor
            extra = {"class_weight": "balanced"} if kind == "classification" else {}
            forest = cls(**self.params, **extra)
            y = targets[keep, j]
            forest.fit(features[keep], y.astype(int) if kind == "classification" else y)
            self.forests[j] = forest
        return self

    def __call__(self, x: Tensor) -> Tensor:
        features = x.detach().cpu().numpy()
        columns = []
        for kind, forest in zip(self.task_kinds, self.forests):
            if forest is None:
                raise RuntimeError("MolForest.forward before fit")
            if kind == "classification":
                p = forest.predict_proba(features)[:, -1].clip(1e-4, 1 - 1e-4)
                columns.append(np.log(p / (1 - p)))
            else:
                columns.append(forest.predict(features))
        return torch.as_tensor(np.stack(columns, axis=1), dtype=torch.float32)

    def state_dict(self, *args: Any, **kwargs: Any) -> dict[str, Tensor]:
        """``{"forest.<j>": uint8 tensor of skops bytes}`` per target."""
        import skops.io

        return {
            f"forest.{j}": torch.frombuffer(bytearray(skops.io.dumps(f)), dtype=torch.uint8)
            for j, f in enumerate(self.forests)
        }

    def load_state_dict(self, state: dict[str, Tensor], strict: bool = True, assign=False):
        wanted = {f"forest.{j}" for j in range(len(self.task_kinds))}
        missing, unexpected = sorted(wanted - set(state)), sorted(set(state) - wanted)
        for j in range(len(self.task_kinds)):
            key = f"forest.{j}"
            if key in state:
                self.forests[j] = forest_from_bytes(state[key].cpu().numpy().tobytes())
        return _LoadResult(missing, unexpected)

    def to(self, *args: Any, **kwargs: Any) -> MolForest:
        """No-op (scikit-learn runs on the CPU); lets checkpoint code treat models alike."""
        return self

    def eval(self) -> MolForest:
        """No-op; see :meth:`to`."""
        return self
