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


def state_key(target: int) -> str:
    """The state-dict key of target ``target``'s forest: ``skops`` (the key the other domains'
    scikit-learn models use) for the first, ``skops_<j>`` for the others."""
    return "skops" if target == 0 else f"skops_{target}"


def _check_regressor(forest: Any, n_features: int) -> None:
    """The fitted attributes compiled code reads, for a regression forest (the core's
    :func:`~panspectra_core.safe_sklearn.check_fitted` covers the classifier)."""
    from panspectra_core.safe_sklearn import check_node_arrays

    members = forest.estimators_
    if not isinstance(members, list) or len(members) != forest.n_estimators:
        raise ValueError("forest has a different number of trees than n_estimators")
    if forest.n_outputs_ != 1 or forest.n_features_in_ != n_features:
        raise ValueError("forest fitted on other features/outputs than the model")
    for member in members:
        tree = member.tree_
        if type(member) is not type(forest.estimator) or tree.n_features != n_features:
            raise ValueError("a forest member is not a decision tree on the model's features")
        check_node_arrays(tree.children_left, tree.children_right, tree.feature,
                          tree.threshold, n_features)  # fmt: skip


def forest_from_bytes(data: bytes, template: Any, n_features: int) -> Any:
    """A fitted forest from skops bytes, validated with the core's
    :mod:`~panspectra_core.safe_sklearn` before and after construction.

    Raises:
        UserError: one line naming what is wrong.
    """
    import skops.io
    from sklearn.ensemble import RandomForestClassifier

    from panspectra_core import safe_sklearn as safe

    try:
        if isinstance(template, RandomForestClassifier):
            return safe.load_fitted(data, template, n_features)
        types, trees = safe.inspect_skops(data)
        member = type(template.estimator)
        allowed = safe.allowed_types(template) | {safe.TREE_TYPE, safe._type_name(member)}
        foreign = sorted(types - allowed)
        if foreign:
            raise ValueError(f"types this model does not produce: {', '.join(foreign[:3])}")
        for args, state in trees:
            safe.check_tree_arrays(args, state)
        forest = skops.io.loads(data, trusted=sorted(types))
        safe._same_structure(forest, template, "model")
        _check_regressor(forest, n_features)
    except (ValueError, AttributeError, TypeError, KeyError, IndexError, OverflowError) as exc:
        raise UserError(f"random forest in the checkpoint refused: {exc}") from None
    return forest


class MolForest:
    """Random forests (one per target) on Morgan counts + RDKit descriptors (scikit-learn).

    It has the ``state_dict`` / ``to`` / ``eval`` interface the core's checkpoint expects of
    a model, without being an ``nn.Module`` (it has no parameters).

    Args:
        task_kinds: ``regression`` / ``classification`` per target.
        n_estimators, max_features, min_samples_leaf: scikit-learn settings.
        seed: the forests' random_state.
        n_features: the feature width (checked when a checkpoint is loaded).

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
        n_features: int = 0,
    ) -> None:
        self.task_kinds = list(task_kinds)
        self.n_features = n_features
        self.params = {
            "n_estimators": n_estimators,
            "max_features": max_features,
            "min_samples_leaf": min_samples_leaf,
            "random_state": seed,
            "n_jobs": 1,
        }
        self.forests: list[Any] = [None] * len(task_kinds)

    def template(self, target: int) -> Any:
        """The unfitted scikit-learn forest of target ``target``."""
        from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor

        if self.task_kinds[target] == "classification":
            return RandomForestClassifier(**self.params, class_weight="balanced")
        return RandomForestRegressor(**self.params)

    def fit(self, features: np.ndarray, targets: np.ndarray) -> MolForest:
        if features.shape[1] != self.n_features:
            raise ValueError(f"{features.shape[1]} features; the model was built for "
                             f"{self.n_features}")  # fmt: skip
        for j, kind in enumerate(self.task_kinds):
            keep = np.isfinite(targets[:, j])
            forest = self.template(j)
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
        """``{state_key(j): uint8 tensor of skops bytes}`` per target j."""
        import skops.io

        return {
            state_key(j): torch.frombuffer(bytearray(skops.io.dumps(f)), dtype=torch.uint8)
            for j, f in enumerate(self.forests)
        }

    def load_state_dict(self, state: dict[str, Tensor], strict: bool = True, assign=False):
        wanted = {state_key(j) for j in range(len(self.task_kinds))}
        missing, unexpected = sorted(wanted - set(state)), sorted(set(state) - wanted)
        for j in range(len(self.task_kinds)):
            key = state_key(j)
            if key in state:
                data = state[key].cpu().numpy().tobytes()
                self.forests[j] = forest_from_bytes(data, self.template(j), self.n_features)
        return _LoadResult(missing, unexpected)

    def to(self, *args: Any, **kwargs: Any) -> MolForest:
        """No-op (scikit-learn runs on the CPU); lets checkpoint code treat models alike."""
        return self

    def eval(self) -> MolForest:
        """No-op; see :meth:`to`."""
        return self
