"""Shared loop of the hsi exploration probes: one row per seed on Indian Pines.

Each probe (``probe_hsi_*.py``) scores its variants on one seed at a time with a
``probe_seed(scene, seed, ...)`` function; this runs it over the seeds on one torch thread with
Lightning's chatter silenced, printing each row as a JSON line as soon as it is done.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable

import torch


def run_probe_seeds(probe_seed: Callable[..., dict], seeds: str, **kwargs) -> list[dict]:
    """``probe_seed(scene, seed, **kwargs)`` for every seed of ``"0,1,2"``; returns the rows."""
    from panspectra_hsi.data.named import load_indian_pines

    torch.set_num_threads(1)
    logging.disable(logging.WARNING)
    scene = load_indian_pines()
    rows = []
    for seed in (int(s) for s in seeds.split(",")):
        rows.append(probe_seed(scene, seed, **kwargs))
        print(json.dumps(rows[-1]), flush=True)
    return rows
