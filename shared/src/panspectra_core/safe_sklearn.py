"""Fitted scikit-learn models from untrusted bytes (skops), validated before any Cython sees them.

skops (the pickle-free scikit-learn format) refuses types it does not trust, but it cannot tell
whether a trusted type's *content* is safe: scikit-learn's Cython code indexes a tree's node
arrays and libsvm's support-vector arrays without bounds checks, so a crafted file crashes the
process (out-of-bounds read) or hangs it (a node that points back to itself). Even building a
``Tree`` is unsafe: its ``__setstate__`` copies ``nodes.shape[0]`` nodes but trusts the separate
``node_count``, so reading the node arrays of a tree with ``node_count > len(nodes)`` reads
past the buffer. :func:`load_fitted` therefore works in three stages:

1. **Before construction** (:func:`inspect_skops`): the zip's members are bounded (declared
   sizes, ``.npy`` headers that agree with them, no object arrays), every node's loader and type
   is collected from ``schema.json``, types must be exactly those the registered builder's
   estimator produces once fitted (:func:`allowed_types`), and every ``Tree``'s constructor
   arguments and node/value arrays are checked (:func:`check_tree_arrays`): children in range
   and strictly increasing (so every path ends: acyclic), leaves marked in both children,
   feature indices below ``n_features``, finite thresholds and values of the right shape.
2. **Construction** by ``skops.io.loads`` trusting only the types found (all allowed).
3. **After construction** (:func:`check_fitted`): the loaded estimator has the template's exact
   structure and parameters, and each fitted attribute scikit-learn passes to compiled code is
   consistent (scaler statistics, SVC support vectors/coefficients, forest members and trees).

Checked today: ``StandardScaler``, ``SVC``, random-forest and decision-tree classifiers and
regressors, alone or as ``Pipeline`` steps. An estimator type without a checker in
:func:`fitted_checks` is refused, so a new sklearn baseline must add one. All failures raise
:class:`ValueError` with a one-line message.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

from panspectra_core.skops_archive import (  # noqa: F401 (re-exported)
    _DATA_TYPES,
    MAX_CLASSES,
    MAX_FEATURES,
    MAX_NODES,
    TREE_TYPE,
    _is_int,
    _type_name,
    check_node_arrays,
    check_tree_arrays,
    inspect_skops,
)


def _estimators(obj: Any) -> Iterator[Any]:
    """``obj`` and every estimator among its parameters (pipeline steps, ``estimator=``)."""
    yield obj
    for value in obj.get_params(deep=False).values():
        if hasattr(value, "get_params") and not isinstance(value, type):
            yield from _estimators(value)
        elif isinstance(value, list):  # Pipeline.steps
            for item in value:
                if isinstance(item, tuple) and hasattr(item[-1], "get_params"):
                    yield from _estimators(item[-1])


def allowed_types(template: Any) -> set[str]:
    """Type names a fitted copy of ``template`` may contain: plain data, the template's
    estimator types and what fitting them adds (a forest's trees)."""
    from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor
    from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

    fitted_extra = {
        RandomForestClassifier: {_type_name(DecisionTreeClassifier), TREE_TYPE},
        RandomForestRegressor: {_type_name(DecisionTreeRegressor), TREE_TYPE},
        DecisionTreeClassifier: {TREE_TYPE},
        DecisionTreeRegressor: {TREE_TYPE},
    }
    types = set(_DATA_TYPES)
    for est in _estimators(template):
        types.add(_type_name(type(est)))
        types |= fitted_extra.get(type(est), set())
    return types


def _same_structure(loaded: Any, template: Any, where: str) -> None:
    if type(loaded) is not type(template):
        raise ValueError(
            f"{where}: {_type_name(type(loaded))} where the model builds "
            f"{_type_name(type(template))}"
        )
    mine, theirs = loaded.get_params(deep=False), template.get_params(deep=False)
    if set(mine) != set(theirs):
        raise ValueError(f"{where}: parameters differ from the model's")
    for key, value in theirs.items():
        if key == "steps":
            if [n for n, _ in mine[key]] != [n for n, _ in value]:
                raise ValueError(f"{where}: pipeline steps differ from the model's")
            for (name, a), (_, b) in zip(mine[key], value):
                _same_structure(a, b, f"{where}.{name}")
        elif hasattr(value, "get_params"):
            _same_structure(mine[key], value, f"{where}.{key}")
        elif mine[key] != value and not (_nan(mine[key]) and _nan(value)):
            raise ValueError(f"{where}: parameter {key}={mine[key]!r}, the model sets {value!r}")


def _nan(value: Any) -> bool:
    return isinstance(value, float) and math.isnan(value)


def _array_ok(value: Any, dtype: Any, shape: tuple, *, finite: bool = True) -> bool:
    return (
        isinstance(value, np.ndarray)
        and value.dtype == dtype
        and value.shape == shape
        and value.flags.c_contiguous
        and (not finite or bool(np.isfinite(value).all()))
    )


def _check_scaler(est: Any, n_features: int) -> None:
    if est.n_features_in_ != n_features:
        raise ValueError(f"scaler fitted on {est.n_features_in_} features, expected {n_features}")
    for name in ("mean_", "scale_"):
        value = getattr(est, name, None)
        if value is not None and not _array_ok(value, np.float64, (n_features,)):
            raise ValueError(f"scaler {name} is not {n_features} finite float64 values")
    if est.scale_ is not None and not np.all(est.scale_ > 0):
        raise ValueError("scaler scale_ has a zero or negative entry")


def _check_svc(est: Any, n_features: int) -> None:
    n_class = len(est.classes_)
    n_sv = est.support_vectors_.shape[0] if isinstance(est.support_vectors_, np.ndarray) else -1
    pairs = n_class * (n_class - 1) // 2
    ok = (
        est._impl == "c_svc"
        and not est._sparse
        and est.kernel in ("rbf", "linear", "poly", "sigmoid")
        and est.n_features_in_ == n_features
        and 2 <= n_class <= MAX_CLASSES
        and _array_ok(est.support_vectors_, np.float64, (n_sv, n_features))
        and _array_ok(est.support_, np.int32, (n_sv,))
        and _array_ok(est._n_support, np.int32, (n_class,))
        and bool(np.all(est._n_support >= 0))
        and int(est._n_support.sum()) == n_sv
        and _array_ok(est._dual_coef_, np.float64, (n_class - 1, n_sv))
        and _array_ok(est._intercept_, np.float64, (pairs,))
        and all(_probability_ok(getattr(est, name), pairs) for name in ("_probA", "_probB"))
        and math.isfinite(float(est._gamma))
        and float(est._gamma) > 0
        and math.isfinite(float(est.coef0))
        and _is_int(int(est.degree), 0, 100)
    )
    if not ok:
        raise ValueError("SVC support vectors/coefficients are inconsistent")


def _probability_ok(value: Any, pairs: int) -> bool:
    """Platt-scaling coefficients: empty (no ``probability=True``) or one per class pair."""
    return _array_ok(value, np.float64, (0,)) or _array_ok(value, np.float64, (pairs,))


def _check_decision_tree(est: Any, n_features: int, n_classes: int | None = None) -> None:
    from sklearn.tree._tree import Tree

    tree = est.tree_
    if hasattr(est, "classes_"):  # a forest's trees are fitted on 0..K-1: compare K only
        classes_ok = int(tree.n_classes[0]) == int(est.n_classes_) == len(est.classes_)
        classes_ok = classes_ok and (n_classes is None or int(est.n_classes_) == n_classes)
    else:  # a regressor: one value per output
        classes_ok = int(tree.n_classes[0]) == 1
    ok = (
        type(tree) is Tree
        and est.n_outputs_ == 1
        and est.n_features_in_ == n_features == tree.n_features
        and tree.n_outputs == 1
        and classes_ok
    )
    if not ok:
        raise ValueError("a decision tree does not match its estimator or the model's classes")
    check_node_arrays(
        tree.children_left, tree.children_right, tree.feature, tree.threshold, n_features
    )


def _check_forest(est: Any, n_features: int) -> None:
    members = est.estimators_
    if not isinstance(members, list) or len(members) != est.n_estimators:
        raise ValueError("forest has a different number of trees than n_estimators")
    if est.n_outputs_ != 1 or est.n_features_in_ != n_features:
        raise ValueError("forest fitted on other features/outputs than the model")
    classifier = hasattr(est, "classes_")
    if classifier and int(est.n_classes_) != len(est.classes_):
        raise ValueError("forest n_classes_ disagrees with classes_")
    for member in members:
        if type(member) is not type(est.estimator):
            raise ValueError(f"forest member {_type_name(type(member))} is not a decision tree")
        _check_decision_tree(member, n_features, int(est.n_classes_) if classifier else None)


def fitted_checks() -> dict[type, Callable[[Any, int], None]]:
    from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import SVC
    from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

    return {
        StandardScaler: _check_scaler,
        SVC: _check_svc,
        RandomForestClassifier: _check_forest,
        RandomForestRegressor: _check_forest,
        DecisionTreeClassifier: _check_decision_tree,
        DecisionTreeRegressor: _check_decision_tree,
    }


def check_fitted(model: Any, template: Any, n_features: int) -> None:
    """``model`` has ``template``'s exact types and parameters and consistent fitted arrays."""
    from sklearn.pipeline import Pipeline

    _same_structure(model, template, "model")
    checks = fitted_checks()
    steps = [s for _, s in model.steps] if isinstance(model, Pipeline) else [model]
    for step in steps:
        check = checks.get(type(step))
        if check is None:
            raise ValueError(f"no validator for {_type_name(type(step))}; refusing to load it")
        check(step, n_features)


def load_fitted(data: bytes, template: Any, n_features: int) -> Any:
    """The fitted estimator in skops ``data``, refused unless it is a validated, fitted copy of
    ``template`` (the unfitted estimator the registered builder makes) on ``n_features``.

    Raises:
        ValueError: one line naming what is wrong (see the module docstring).
    """
    import skops.io

    with _malformed("skops payload"):
        types, trees = inspect_skops(data)
        foreign = sorted(types - allowed_types(template))
        if foreign:
            raise ValueError(f"types this model does not produce: {', '.join(foreign[:3])}")
        for args, state in trees:
            check_tree_arrays(args, state)
    model = skops.io.loads(data, trusted=sorted(types))
    with _malformed("fitted model"):
        check_fitted(model, template, n_features)
    return model


@contextmanager
def _malformed(what: str) -> Iterator[None]:
    """Lookups on hostile structures fail in many ways: report them all as ValueError."""
    try:
        yield
    except (AttributeError, TypeError, KeyError, IndexError, OverflowError) as exc:
        raise ValueError(f"malformed {what} ({type(exc).__name__}: {exc})") from None
