"""The base of every predictor: a trained model with its stored preprocessing, applied to new
inputs in batches. A domain subclasses it (hsi pixels, ts windows, audio clips, …) and
overrides only the steps that differ."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, ClassVar, Self

import torch

from panspectra_core.checkpoint import Checkpoint, CheckpointError, CheckpointMeta, load_checkpoint


class Predictor:
    """A loaded model and its checkpoint metadata.

    Subclasses set :attr:`domain` (a checkpoint of another domain is refused in one line) and
    override :meth:`preprocess` (raw inputs → model input tensor, using
    ``self.meta.preprocessing``), :meth:`postprocess` (model output → the domain's result)
    and, where the model is not a plain ``forward``, :meth:`predict_batch`.
    """

    domain: ClassVar[str | None] = None

    def __init__(self, model: torch.nn.Module, meta: CheckpointMeta, device: str = "cpu"):
        self.model = model.to(device).eval() if hasattr(model, "to") else model
        self.meta = meta
        self.device = torch.device(device)

    @classmethod
    def load(cls, path: str | os.PathLike[str], *, device: str = "cpu") -> Self:
        """Load a checkpoint written by this domain.

        Raises:
            CheckpointError: unreadable, not a PanSpectra checkpoint, or another domain's
            (refused before any model is built).
        """
        checkpoint = load_checkpoint(path, map_location="cpu", expect_domain=cls.domain)
        cls.check_domain(checkpoint, path)
        return cls.from_checkpoint(checkpoint, device=device)

    @classmethod
    def check_domain(cls, checkpoint: Checkpoint, path: str | os.PathLike[str]) -> None:
        found = checkpoint.meta.domain
        if cls.domain is not None and found != cls.domain:
            raise CheckpointError(
                f"{path}: a {found!r} checkpoint (model {checkpoint.meta.model_name}); "
                f"expected one written by a {cls.domain!r} command"
            )

    @classmethod
    def from_checkpoint(cls, checkpoint: Checkpoint, *, device: str = "cpu") -> Self:
        return cls(checkpoint.model, checkpoint.meta, device=device)

    # -- the steps a domain overrides -----------------------------------------------------

    def preprocess(self, items: Sequence[Any]) -> torch.Tensor:
        """A list of raw inputs → one batch tensor (default: stack tensors/arrays)."""
        return torch.stack([torch.as_tensor(item) for item in items])

    @torch.no_grad()
    def predict_batch(self, batch: torch.Tensor) -> torch.Tensor:
        """Model outputs for one preprocessed batch."""
        return self.model(batch.to(self.device))

    def postprocess(self, outputs: torch.Tensor, items: Sequence[Any]) -> list[Any]:
        """Model outputs → one result per input (default: the rows as CPU tensors)."""
        return list(outputs.detach().cpu())

    # -- the loop ---------------------------------------------------------------------------

    def predict(self, items: Iterable[Any], batch_size: int = 256) -> Iterator[Any]:
        """One result per input item, computed ``batch_size`` items at a time (streaming: the
        whole input is never held in memory)."""
        chunk: list[Any] = []
        for item in items:
            chunk.append(item)
            if len(chunk) == batch_size:
                yield from self._run(chunk)
                chunk = []
        if chunk:
            yield from self._run(chunk)

    def _run(self, chunk: list[Any]) -> list[Any]:
        return self.postprocess(self.predict_batch(self.preprocess(chunk)), chunk)
