"""Training graph models with the core's Lightning loop, and batched prediction.

Multi-task targets with missing values are handled by :class:`MaskedLoss`: MSE on
standardized regression columns, binary cross-entropy on logits of classification columns,
both averaged over the present values only.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
from torch import Tensor
from torch.utils.data import DataLoader, Sampler

from panspectra_core.kit.adapt import member_seed, share_in_order
from panspectra_mol.models.graph_batch import collate_graphs


class MaskedLoss:
    """Mean loss over the finite target entries.

    Args:
        classification: per target, whether it is a binary label (BCE on logits) or a
            regression value (MSE, or MAE with ``regression_loss="mae"``).

    Shapes: output and target (B, T) (or (N,) for one target per atom); NaN = missing.
    """

    def __init__(self, classification: Sequence[bool], regression_loss: str = "mse") -> None:
        self.classification = list(classification)
        self.absolute = regression_loss == "mae"

    def __call__(self, output: Tensor, target: Tensor) -> Tensor:
        present = torch.isfinite(target)
        y = torch.where(present, target, torch.zeros_like(target))
        squared = (output - y).abs() if self.absolute else (output - y) ** 2
        if any(self.classification):
            is_cls = torch.as_tensor(self.classification, device=output.device)
            bce = torch.nn.functional.binary_cross_entropy_with_logits(output, y, reduction="none")
            squared = torch.where(is_cls, bce, squared)
        return (squared * present).sum() / present.sum().clamp_min(1)


def masked_task(model: torch.nn.Module, loss: MaskedLoss, **kwargs):
    """A core ``RegressionTask`` with the masked loss and no NaN-unsafe extra metrics."""
    from panspectra_core.training import RegressionTask

    class _MaskedTask(RegressionTask):
        def validation_metrics(self, output: Tensor, target: Tensor) -> dict:
            return {}

    return _MaskedTask(model, loss=loss, **kwargs)


def graph_loader(
    graphs: Sequence,
    descriptors: np.ndarray,
    targets: np.ndarray | None,
    index: np.ndarray,
    *,
    batch_size: int,
    shuffle: bool,
    dense: bool,
    seed: int = 0,
    per_atom: bool = False,
) -> DataLoader:
    """A loader of :func:`collate_graphs` batches over the molecules at ``index``
    (never drops a molecule: see :class:`ShuffledBatches` for the shuffled order).
    ``per_atom``: ``targets`` is a list of per-atom arrays, concatenated like the atoms."""

    def collate(ids: list[int]) -> dict[str, Tensor]:
        if targets is None:
            y = None
        else:
            y = np.concatenate([targets[i] for i in ids]) if per_atom else targets[ids]
        return collate_graphs(
            [graphs[i] for i in ids], descriptors=descriptors[ids], targets=y, dense=dense
        )

    ids = [int(i) for i in index]
    if shuffle:
        # one generator for the loader's per-epoch seed draw and the sampler, as shuffle=True
        generator = torch.Generator().manual_seed(seed)
        batches = ShuffledBatches(len(ids), batch_size, generator)
        return DataLoader(ids, batch_sampler=batches, collate_fn=collate, generator=generator)
    return DataLoader(ids, batch_size=batch_size, shuffle=False, collate_fn=collate)


class ShuffledBatches(Sampler[list[int]]):
    """Each epoch, the positions ``0 … n-1`` in a new random order (``torch.randperm`` on
    ``generator``, as ``DataLoader(shuffle=True)`` draws it), cut into batches of
    ``batch_size``; a last batch of one molecule joins the batch before it. The graph models'
    BatchNorm normalises over the atoms of a batch and cannot train on a batch of a single
    atom, which a one-molecule tail holding methane or water would be."""

    def __init__(self, n: int, batch_size: int, generator: torch.Generator) -> None:
        self.n, self.batch_size, self.generator = n, batch_size, generator

    def __iter__(self):
        order = torch.randperm(self.n, generator=self.generator).tolist()
        # RandomSampler draws one more permutation per epoch (for a remainder, empty here);
        # drawing it too keeps the generator's stream, so later epochs match as well
        torch.randperm(self.n, generator=self.generator)
        batches = [order[i : i + self.batch_size] for i in range(0, self.n, self.batch_size)]
        if len(batches) > 1 and len(batches[-1]) == 1:
            batches[-2].extend(batches.pop())
        yield from batches

    def __len__(self) -> int:
        full, tail = divmod(self.n, self.batch_size)
        return full + (tail > 1 or (tail == 1 and full == 0))


def needs_dense(model: torch.nn.Module) -> bool:
    return "spd" in tuple(getattr(model, "batch_inputs", ()))


def fit_graph_model(
    model: torch.nn.Module,
    loaders: tuple[DataLoader, DataLoader | None],
    loss: MaskedLoss,
    train_config,
    workdir: Path,
    *,
    lr: float,
    weight_decay: float,
    scheduler: str,
):
    """Train ``model`` in place (best validation weights kept) → the core ``FitResult``."""
    from panspectra_core.training import fit

    task = masked_task(
        model, loss, lr=lr, weight_decay=weight_decay, scheduler=scheduler, warmup_epochs=2
    )
    return fit(task, loaders[0], loaders[1], train_config, workdir)


def fit_members(cfg, kwargs: dict, make_loaders, loss: MaskedLoss, workdir: Path):
    """Train ``cfg.ensemble`` models ``cfg.model(**kwargs)`` with seeds ``seed, seed+1000, …``
    → ``(model, info, fit_results)``: the model alone, or a :class:`SeedEnsemble` of them
    (checkpointed as ``mol_ensemble``), the summed times and epochs per member, and each
    member's core ``FitResult``. ``make_loaders(model, seed)`` gives the (train, validation)
    loaders. A ``--max-train-minutes`` budget (on ``--budget-clock``) is shared by the members
    in order (core ``share_in_order``); ``info["budget"]`` records it, where it came from
    (``user``, ``config`` or the default's ``recipe``), each member's share and whether the
    budget stopped it."""
    from panspectra_core.kit import trainer_config
    from panspectra_core.registry import create_model
    from panspectra_core.runtime import seed_everything
    from panspectra_core.training import max_time_from_minutes

    size = int(cfg.get("ensemble") or 1)
    budget = cfg.get("max_train_minutes")
    clock = cfg.get("budget_clock") or "wall"
    members, epochs, results, shares, seconds, cpu = [], [], [], [], 0.0, 0.0
    for m in range(size):
        seed = member_seed(cfg.seed, m)
        seed_everything(seed)
        model = create_model(cfg.model, **kwargs)
        overrides = {"seed": seed, "progress_bar": False}
        if budget:
            spent = cpu if clock == "cpu" else seconds
            shares.append(share_in_order(budget * 60, spent, size - m))
            overrides["max_time"] = max_time_from_minutes(shares[-1] / 60)
        result = fit_graph_model(
            model, make_loaders(model, seed), loss, trainer_config(cfg, **overrides),
            workdir / f"member_{m}", lr=cfg.lr, weight_decay=cfg.weight_decay,
            scheduler=cfg.scheduler,
        )  # fmt: skip
        members.append(model.eval())
        epochs.append(result.epochs)
        results.append(result)
        seconds += result.train_seconds
        cpu += result.cpu_seconds
    torch.set_grad_enabled(True)
    info = {"train_seconds": seconds, "cpu_seconds": cpu, "epochs": epochs, "ensemble": size}
    if budget:
        sources = getattr(cfg, "sources", {})
        info["budget"] = {
            "max_train_minutes": budget, "clock": clock,
            "source": sources.get("max_train_minutes", "user"),
            "member_seconds": [round(s, 1) for s in shares],
            "stopped_by_budget": [bool(r.time_limit_reached) for r in results],
        }  # fmt: skip
    if size == 1:
        return members[0], info, results
    return create_ensemble(members, cfg.model, kwargs), info, results


def create_ensemble(members, name: str, kwargs: dict):
    """A :class:`SeedEnsemble` of ``members`` that checkpoints as ``mol_ensemble``."""
    from panspectra_mol.models.heads import SeedEnsemble

    ensemble = SeedEnsemble(members)
    ensemble.checkpoint_name = "mol_ensemble"
    ensemble.checkpoint_kwargs = {"member": name, "member_kwargs": kwargs, "size": len(members)}
    return ensemble


def member_mean(outputs: np.ndarray) -> np.ndarray:
    """Per-atom outputs ``(N,)``, averaged over the members of a seed ensemble ``(M, N)``."""
    return outputs.mean(axis=0) if outputs.ndim == 2 else outputs


@torch.no_grad()
def predict_graphs(
    model: torch.nn.Module,
    graphs: Sequence,
    descriptors: np.ndarray,
    *,
    batch_size: int = 256,
    index: np.ndarray | None = None,
) -> np.ndarray:
    """Model outputs for the molecules at ``index`` (default all): ``(N, T)``, or
    ``(M, N, T)`` for a seed ensemble of M members."""
    from panspectra_core.training.batch import forward_batch

    index = np.arange(len(graphs)) if index is None else index
    loader = graph_loader(
        graphs, descriptors, None, index, batch_size=batch_size, shuffle=False,
        dense=needs_dense(model),
    )  # fmt: skip
    model.eval()
    device = next(model.parameters()).device
    outputs = [forward_batch(model, batch, device).cpu() for batch in loader]
    axis = 1 if getattr(model, "is_ensemble", False) else 0
    return torch.cat(outputs, dim=axis).numpy() if outputs else np.zeros((0,))
