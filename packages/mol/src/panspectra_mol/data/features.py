"""Featurizing many molecules: parallel workers and a content-hash cache.

:func:`featurize` takes canonical SMILES (already standardized) and returns the graphs,
Morgan fingerprints and/or descriptors. Inputs above ``parallel_threshold`` molecules are cut
into chunks featurized by a process pool (``workers``); results are cached on disk under
``<cache>/mol/features/<sha256>.npz``, the hash covering the feature kind, the featurizer
version and every SMILES in order, so a second run on the same file loads in a moment.
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

from panspectra_mol.data.featurize import (
    MolGraph,
    mols_to_graphs,
    morgan_fingerprint,
    rdkit_descriptors,
)

log = logging.getLogger("panspectra")

FEATURIZER_VERSION = "mol-features-1"
KINDS = ("graph", "morgan", "descriptors")


def _mols(smiles: Sequence[str]):
    from rdkit import Chem, RDLogger

    RDLogger.DisableLog("rdApp.*")
    return [Chem.MolFromSmiles(s) for s in smiles]


def _chunk(kind: str, smiles: Sequence[str]) -> list:
    """Features of one chunk (BLAS single-threaded: see :func:`mols_to_graphs`)."""
    from threadpoolctl import threadpool_limits

    mols = _mols(smiles)
    if kind == "graph":
        return mols_to_graphs(mols)
    with threadpool_limits(limits=1, user_api="blas"):
        if kind == "morgan":
            return [morgan_fingerprint(m) for m in mols]
        return [rdkit_descriptors(m) for m in mols]


def cache_root() -> Path:
    from panspectra_core.datasets import cache_dir

    return cache_dir() / "mol" / "features"


def content_hash(kind: str, smiles: Sequence[str]) -> str:
    digest = hashlib.sha256(f"{FEATURIZER_VERSION}\n{kind}\n".encode())
    for s in smiles:
        digest.update(s.encode())
        digest.update(b"\n")
    return digest.hexdigest()


def featurize(
    kind: str,
    smiles: Sequence[str],
    *,
    workers: int = 1,
    parallel_threshold: int = 5000,
    chunk_size: int = 2000,
    cache: bool = True,
) -> list:
    """Features of ``kind`` (``graph``, ``morgan``, ``descriptors``) for every SMILES.

    Returns:
        ``list[MolGraph]`` for graphs, else a list of ``(F,)`` float32 arrays.
    """
    if kind not in KINDS:
        raise ValueError(f"feature kind {kind!r}: expected one of {KINDS}")
    path = cache_root() / f"{content_hash(kind, smiles)}.npz" if cache else None
    if path is not None and path.is_file():
        try:
            return _load(kind, path)
        except (OSError, ValueError, KeyError):
            log.warning("ignoring unreadable feature cache %s", path)
    if workers > 1 and len(smiles) >= parallel_threshold:
        chunks = [smiles[i : i + chunk_size] for i in range(0, len(smiles), chunk_size)]
        with ProcessPoolExecutor(max_workers=workers) as pool:
            parts = pool.map(_chunk, [kind] * len(chunks), chunks)
            result = [item for part in parts for item in part]
    else:
        result = _chunk(kind, smiles)
    if path is not None:
        _save(kind, result, path)
    return result


def _save(kind: str, items: list, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.stem}.{os.getpid()}.partial.npz")
    if kind != "graph":
        np.savez(tmp, values=np.stack(items) if items else np.zeros((0, 0), np.float32))
    else:
        np.savez(
            tmp,
            atoms=np.concatenate([g.atoms for g in items]),
            atom_counts=np.asarray([g.num_atoms for g in items]),
            edge_index=np.concatenate([g.edge_index for g in items], axis=1),
            edge_counts=np.asarray([g.edge_index.shape[1] for g in items]),
            bonds=np.concatenate([g.bonds for g in items]),
            lap_pe=np.concatenate([g.lap_pe for g in items]),
            spd=np.concatenate([g.spd.ravel() for g in items]),
        )
    os.replace(tmp, path)


def _load(kind: str, path: Path) -> list:
    with np.load(path, allow_pickle=False) as data:
        if kind != "graph":
            return list(data["values"])
        atom_off = np.concatenate([[0], np.cumsum(data["atom_counts"])])
        edge_off = np.concatenate([[0], np.cumsum(data["edge_counts"])])
        spd_off = np.concatenate([[0], np.cumsum(data["atom_counts"] ** 2)])
        atoms, edges, bonds = data["atoms"], data["edge_index"], data["bonds"]
        lap, spd = data["lap_pe"], data["spd"]
        graphs = []
        for i in range(len(data["atom_counts"])):
            a, b = atom_off[i], atom_off[i + 1]
            e, f = edge_off[i], edge_off[i + 1]
            n = b - a
            graphs.append(
                MolGraph(
                    atoms[a:b],
                    edges[:, e:f],
                    bonds[e:f],
                    lap[a:b],
                    spd[spd_off[i] : spd_off[i + 1]].reshape(n, n),
                )
            )
        return graphs
