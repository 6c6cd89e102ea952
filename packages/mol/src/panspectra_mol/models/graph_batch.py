"""Batching molecule graphs into one disjoint graph (the PyG convention, without PyG).

:func:`collate_graphs` concatenates the atoms of B molecules; edges are shifted by each
molecule's atom offset, so the reverse-edge rule ``rev(e) = e ^ 1`` still holds. The batch is
a dict of tensors that the core's ``forward_batch`` hands to a model: ``x`` (atoms) plus the
keys the model names in ``batch_inputs``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torch import Tensor

from panspectra_mol.data.featurize import MolGraph

#: distances ≥ this share one bucket in the shortest-path bias (255 = disconnected → own bucket)
MAX_SPD = 10


def collate_graphs(
    graphs: Sequence[MolGraph],
    *,
    descriptors: np.ndarray | None = None,
    targets: np.ndarray | None = None,
    dense: bool = False,
) -> dict[str, Tensor]:
    """B graphs → one batch.

    Returns:
        ``x`` (N, ATOM_DIM), ``edge_index`` (2, E) int64, ``edge_attr`` (E, BOND_DIM),
        ``graph_ptr`` (B+1,) atom offsets, ``graph_index`` (N,) molecule of each atom,
        ``lap_pe`` (N, k), ``descriptors`` (B, D) (D = 0 without), ``y`` (B, T) when given,
        and with ``dense``: ``spd`` (B, L, L) int64 distance buckets (L = largest molecule,
        padding = MAX_SPD + 2).
    """
    counts = np.asarray([g.num_atoms for g in graphs], dtype=np.int64)
    ptr = np.concatenate([[0], np.cumsum(counts)])
    edges = [g.edge_index + ptr[i] for i, g in enumerate(graphs)]
    batch = {
        "x": torch.from_numpy(np.concatenate([g.atoms for g in graphs])),
        "edge_index": torch.from_numpy(np.concatenate(edges, axis=1)),
        "edge_attr": torch.from_numpy(np.concatenate([g.bonds for g in graphs])),
        "graph_ptr": torch.from_numpy(ptr),
        "graph_index": torch.from_numpy(np.repeat(np.arange(len(graphs)), counts)),
        "lap_pe": torch.from_numpy(np.concatenate([g.lap_pe for g in graphs])),
        "descriptors": torch.from_numpy(
            np.zeros((len(graphs), 0), np.float32)
            if descriptors is None
            else np.asarray(descriptors, np.float32)
        ),
    }
    if targets is not None:
        batch["y"] = torch.as_tensor(np.asarray(targets, np.float32))
    if dense:
        batch["spd"] = torch.from_numpy(_dense_spd(graphs, int(counts.max())))
    return batch


def _dense_spd(graphs: Sequence[MolGraph], length: int) -> np.ndarray:
    out = np.full((len(graphs), length, length), MAX_SPD + 2, dtype=np.int64)
    for i, g in enumerate(graphs):
        d = g.spd.astype(np.int64)
        d = np.where(d == 255, MAX_SPD + 1, np.minimum(d, MAX_SPD))
        out[i, : g.num_atoms, : g.num_atoms] = d
    return out


def scatter_sum(values: Tensor, index: Tensor, size: int) -> Tensor:
    """``out[i] = Σ_{j: index[j] = i} values[j]`` → ``(size, *values.shape[1:])``."""
    out = values.new_zeros((size, *values.shape[1:]))
    return out.index_add_(0, index, values)


def scatter_mean(values: Tensor, index: Tensor, size: int) -> Tensor:
    """Mean of ``values`` rows per ``index`` group (empty groups → 0)."""
    total = scatter_sum(values, index, size)
    count = torch.bincount(index, minlength=size).clamp_min(1).to(values.dtype)
    return total / count.view(-1, *([1] * (values.dim() - 1)))


def scatter_softmax(scores: Tensor, index: Tensor, size: int) -> Tensor:
    """Softmax of ``scores`` (E, H) over the entries sharing ``index`` (E,) (per target node)."""
    expanded = index.view(-1, 1).expand_as(scores)
    peak = scores.new_full((size, scores.shape[1]), float("-inf"))
    peak = peak.scatter_reduce(0, expanded, scores, reduce="amax", include_self=True)
    weights = torch.exp(scores - peak[index])
    return weights / scatter_sum(weights, index, size)[index].clamp_min(1e-16)


def to_dense(x: Tensor, ptr: Tensor) -> tuple[Tensor, Tensor]:
    """Node rows (N, F) → padded ``(B, L, F)`` and its mask ``(B, L)`` (True = real atom)."""
    counts = ptr[1:] - ptr[:-1]
    batch, length = counts.numel(), int(counts.max())
    graph = torch.repeat_interleave(torch.arange(batch, device=x.device), counts)
    position = torch.arange(x.shape[0], device=x.device) - ptr[graph]
    dense = x.new_zeros((batch, length, x.shape[1]))
    dense[graph, position] = x
    mask = torch.zeros((batch, length), dtype=torch.bool, device=x.device)
    mask[graph, position] = True
    return dense, mask
