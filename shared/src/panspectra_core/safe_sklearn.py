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

import io
import json
import math
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

#: limits on what a skops payload may declare (a forest of 300 deep trees is ~100 MB)
MAX_UNCOMPRESSED_BYTES = 4 << 30
MAX_NODES = 10**8
MAX_CLASSES = 100_000
MAX_FEATURES = 10**6

_LOADERS = frozenset(
    {"DictNode", "ListNode", "TupleNode", "JsonNode", "TypeNode", "NdArrayNode", "ObjectNode"}
    | {"TreeNode", "CachedNode"}
)
_DATA_TYPES = frozenset(
    {f"builtins.{t}" for t in ("dict", "list", "tuple", "str", "int", "float", "bool")}
    | {f"numpy.{t}" for t in ("ndarray", "float64", "float32", "int64", "int32", "bool_")}
)
TREE_TYPE = "sklearn.tree._tree.Tree"
_NPY_HEADERS = {
    (1, 0): np.lib.format.read_array_header_1_0,
    (2, 0): np.lib.format.read_array_header_2_0,
}
_TREE_LEAF, _TREE_UNDEFINED = -1, -2


def _type_name(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


# -- stage 1: the raw payload ----------------------------------------------------------------
def _walk(node: Any) -> Iterator[dict]:
    """Every skops node dict (one with ``__class__``) in ``schema.json``, depth first."""
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if "__class__" in item:
                yield item
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def _check_members(archive: zipfile.ZipFile) -> None:
    """Bound declared sizes; each ``.npy`` header must describe exactly its member's bytes."""
    infos = archive.infolist()
    if sum(i.file_size for i in infos) > MAX_UNCOMPRESSED_BYTES:
        raise ValueError("skops payload declares more than 4 GiB uncompressed")
    for info in infos:
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise ValueError(f"skops member {info.filename}: unsupported compression")
        if not info.filename.endswith(".npy"):
            continue
        with archive.open(info) as fh:
            version = np.lib.format.read_magic(fh)
            if version not in _NPY_HEADERS:
                raise ValueError(f"skops member {info.filename}: .npy version {version}")
            shape, _, dtype = _NPY_HEADERS[version](fh)
            offset = fh.tell()
        if dtype.hasobject:
            raise ValueError(f"skops member {info.filename}: object array")
        if offset + math.prod(shape) * dtype.itemsize != info.file_size:
            raise ValueError(f"skops member {info.filename}: header disagrees with its size")


def _json_value(node: dict) -> Any:
    if node.get("__loader__") != "JsonNode":
        raise ValueError(f"expected a plain value, got {node.get('__loader__')}")
    content = node.get("content")
    return json.loads(content) if node.get("is_json") else content


def _array(archive: zipfile.ZipFile, node: dict) -> np.ndarray:
    if node.get("__loader__") != "NdArrayNode" or node.get("type") != "numpy":
        raise ValueError(f"expected a numpy array, got {node.get('__loader__')}")
    with archive.open(str(node["file"])) as fh:
        return np.load(io.BytesIO(fh.read()), allow_pickle=False)


def inspect_skops(data: bytes) -> tuple[set[str], list[tuple[tuple, dict]]]:
    """The type names in a skops payload and each ``Tree``'s (args, state), read as plain
    numpy/JSON values without constructing anything.

    Returns:
        ``(types, trees)``; ``trees[i] = ((n_features, n_classes, n_outputs), {"node_count",
        "max_depth", "nodes", "values"})``.

    Raises:
        ValueError: not a zip, bounds exceeded, or a loader outside the plain-data set.
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        _check_members(archive)
        schema = json.loads(archive.read("schema.json"))
    except (zipfile.BadZipFile, KeyError, OSError, EOFError, json.JSONDecodeError) as exc:
        raise ValueError(f"not a skops file ({type(exc).__name__}: {exc})") from None
    types, trees = set(), []
    for node in _walk(schema):
        loader = node.get("__loader__")
        if loader not in _LOADERS:
            raise ValueError(f"skops loader {loader!r} is not accepted")
        types.add(f"{node.get('__module__')}.{node.get('__class__')}")
        if loader == "TreeNode":
            args = node["__reduce__"]["args"]["content"]
            state = node["content"]["content"]
            if len(args) != 3:
                raise ValueError("a decision tree has malformed constructor arguments")
            trees.append(
                (
                    (_json_value(args[0]), _array(archive, args[1]), _json_value(args[2])),
                    {
                        "node_count": _json_value(state["node_count"]),
                        "max_depth": _json_value(state["max_depth"]),
                        "nodes": _array(archive, state["nodes"]),
                        "values": _array(archive, state["values"]),
                    },
                )
            )
    return types, trees


def _is_int(value: Any, low: int, high: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def check_tree_arrays(args: tuple, state: dict) -> None:
    """Refuse a ``Tree`` whose arrays compiled code would read out of bounds or loop on.

    Args:
        args: ``(n_features, n_classes, n_outputs)``; ``n_classes`` a ``(n_outputs,)`` int array.
        state: ``node_count``, ``max_depth``, ``nodes`` (``NODE_DTYPE``, ``(node_count,)``),
            ``values`` (float64, ``(node_count, n_outputs, max(n_classes))``).
    """
    from sklearn.tree._tree import NODE_DTYPE

    n_features, n_classes, n_outputs = args
    nodes, values, count = state["nodes"], state["values"], state["node_count"]
    if not (_is_int(n_features, 1, MAX_FEATURES) and _is_int(n_outputs, 1, 1024)):
        raise ValueError("a decision tree declares out-of-range n_features/n_outputs")
    if (
        n_classes.dtype.kind not in "iu"
        or n_classes.shape != (n_outputs,)
        or not np.all((n_classes >= 1) & (n_classes <= MAX_CLASSES))
    ):
        raise ValueError("a decision tree's n_classes does not match n_outputs")
    if nodes.dtype != NODE_DTYPE or nodes.ndim != 1 or not _is_int(count, 1, MAX_NODES):
        raise ValueError("a decision tree's node array has the wrong type")
    if len(nodes) != count or not _is_int(state["max_depth"], 0, count):
        raise ValueError("a decision tree's node_count/max_depth disagree with its nodes")
    if values.dtype != np.float64 or values.shape != (count, n_outputs, int(n_classes.max())):
        raise ValueError("a decision tree's value array has the wrong shape")
    if not np.isfinite(values).all():
        raise ValueError("a decision tree's value array is not finite")
    check_node_arrays(
        nodes["left_child"], nodes["right_child"], nodes["feature"], nodes["threshold"], n_features
    )


def check_node_arrays(
    left: np.ndarray, right: np.ndarray, feature: np.ndarray, threshold: np.ndarray, n_features: int
) -> None:
    """Children in ``(node, node_count)`` — strictly increasing, so every path ends —, leaves
    with both children ``-1`` and an undefined feature, split features in ``[0, n_features)``,
    finite thresholds."""
    count = len(left)
    index = np.arange(count)
    leaf = left == _TREE_LEAF
    if not np.array_equal(leaf, right == _TREE_LEAF) or not np.all(
        feature[leaf] == _TREE_UNDEFINED
    ):
        raise ValueError("a decision tree marks its leaves inconsistently")
    inner = ~leaf
    for child in (left[inner], right[inner]):
        if not np.all((child > index[inner]) & (child < count)):
            raise ValueError("a decision tree has node indices out of range (or a cycle)")
    if not np.all((feature[inner] >= 0) & (feature[inner] < n_features)):
        raise ValueError("a decision tree splits on a feature index out of range")
    if not np.isfinite(threshold[inner]).all():
        raise ValueError("a decision tree has a non-finite threshold")


# -- stage 2/3: types, construction and the fitted attributes --------------------------------
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
