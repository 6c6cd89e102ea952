"""The skops archive of a fitted scikit-learn model, checked before anything is built from it
(stage 1 of :mod:`panspectra_core.safe_sklearn`): bounded zip members and ``.npy`` headers, the
loader and type of every node of ``schema.json``, and every ``Tree``'s constructor arguments
and node/value arrays (children in range and strictly increasing, so every path ends; leaves
marked in both children; features below ``n_features``; finite thresholds and values)."""

from __future__ import annotations

import io
import json
import math
import zipfile
from collections.abc import Iterator
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
