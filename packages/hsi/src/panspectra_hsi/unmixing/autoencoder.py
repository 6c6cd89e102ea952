"""Learned unmixing with an autoencoder whose decoder *is* the linear mixing model.

Encoder (pixel → abundances) and decoder (abundances → pixel) after Palsson et al. 2018
("Hyperspectral unmixing using a neural network autoencoder", IEEE Access 6) and Ozkan et al.
2019 (EndNet): a small MLP encoder with core :class:`~panspectra_core.layers.RMSNorm` ends in a
softmax, so abundances satisfy ANC (≥ 0) and ASC (Σ = 1) by construction; the decoder is one
bias-free linear layer whose (B, K) weight holds the K endmember spectra, initialised from VCA
and kept non-negative by clamping after every step. Loss: spectral angle (SAD, scale invariant,
robust to illumination) or MSE between input and reconstruction.

Shapes: pixels (N, B) → abundances (N, K), reconstruction (N, B); endmembers (K, B).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from panspectra_core.layers import RMSNorm

from .endmembers import vca


class UnmixingAutoencoder(nn.Module):
    """MLP encoder → softmax abundances → linear (endmember) decoder.

    Args:
        bands: B. num_endmembers: K. hidden: width of the first encoder layer.
        init_endmembers: (K, B) initial decoder spectra (random non-negative if None).
        temperature: softmax temperature (smaller = sparser abundances).
    """

    def __init__(
        self,
        bands: int,
        num_endmembers: int,
        hidden: int = 64,
        init_endmembers: Tensor | np.ndarray | None = None,
        temperature: float = 1.0,
    ) -> None:
        super().__init__()
        self.temperature = temperature
        self.encoder = nn.Sequential(
            nn.Linear(bands, hidden),
            RMSNorm(hidden),
            nn.LeakyReLU(0.1),
            nn.Linear(hidden, hidden // 2),
            RMSNorm(hidden // 2),
            nn.LeakyReLU(0.1),
            nn.Linear(hidden // 2, num_endmembers),
        )
        self.decoder = nn.Linear(num_endmembers, bands, bias=False)
        if init_endmembers is not None:
            init = torch.as_tensor(init_endmembers, dtype=self.decoder.weight.dtype)
            if init.shape != (num_endmembers, bands):
                raise ValueError(f"init_endmembers must be ({num_endmembers}, {bands})")
            with torch.no_grad():
                self.decoder.weight.copy_(init.T)
        else:
            with torch.no_grad():
                self.decoder.weight.uniform_(0.0, 1.0)

    @property
    def endmembers(self) -> Tensor:
        """(K, B) current endmember spectra."""
        return self.decoder.weight.T

    def abundances(self, pixels: Tensor) -> Tensor:
        """(N, B) -> (N, K) on the simplex."""
        return torch.softmax(self.encoder(pixels) / self.temperature, dim=-1)

    def forward(self, pixels: Tensor) -> tuple[Tensor, Tensor]:
        """(N, B) -> reconstruction (N, B), abundances (N, K)."""
        abundances = self.abundances(pixels)
        return self.decoder(abundances), abundances

    @torch.no_grad()
    def clamp_endmembers(self) -> None:
        """Project the decoder onto non-negative spectra (ANC on endmembers)."""
        self.decoder.weight.clamp_(min=0.0)


def spectral_angle_loss(reconstruction: Tensor, target: Tensor, eps: float = 1e-7) -> Tensor:
    """Mean spectral angle (radians) between rows of two (N, B) tensors."""
    cosine = F.cosine_similarity(reconstruction, target, dim=-1, eps=eps)
    return torch.arccos(cosine.clamp(-1 + eps, 1 - eps)).mean()


@dataclass
class AutoencoderResult:
    """endmembers (K, B), abundances (N, K) as numpy; the trained model; loss per epoch."""

    endmembers: np.ndarray
    abundances: np.ndarray
    model: UnmixingAutoencoder
    losses: list[float] = field(default_factory=list)
    endmember_change: float | None = None
    """Relative change ``‖E − E₀‖ / ‖E₀‖`` of the endmembers from their start (None for a
    random start). Near 0 the autoencoder did not move from its VCA start, typically on
    unscaled data (raw counts): the decoder's small learning rate is then negligible."""


def fit_autoencoder(
    pixels: np.ndarray | Tensor,
    num_endmembers: int,
    *,
    loss: str = "sad",
    epochs: int = 30,
    batch_size: int = 256,
    lr: float = 1e-3,
    decoder_lr: float = 1e-4,
    hidden: int = 64,
    init: str | np.ndarray = "vca",
    seed: int = 0,
    device: torch.device | str | None = None,
) -> AutoencoderResult:
    """Train an :class:`UnmixingAutoencoder` on pixels (N, B) and return its unmixing.

    Args:
        loss: "sad" (spectral angle) or "mse". init: "vca" (decoder = VCA endmembers),
            "random", or a (K, B) array of starting endmembers (e.g. the best of several VCA
            restarts).
        epochs, batch_size, lr (encoder), decoder_lr (endmembers): Adam optimisation.
        seed: seeds VCA, the initialisation and the batch order. device: default = CPU.
    """
    if loss not in ("sad", "mse"):
        raise ValueError(f"loss must be 'sad' or 'mse', got {loss!r}")
    if isinstance(init, str) and init not in ("vca", "random"):
        raise ValueError(f"init must be 'vca', 'random' or an array, got {init!r}")
    data = torch.as_tensor(np.asarray(pixels), dtype=torch.float32, device=device)
    generator = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    if isinstance(init, str):
        pixels64 = data.cpu().double().numpy()
        start = vca(pixels64, num_endmembers, seed=seed)[0] if init == "vca" else None
    else:
        start = np.asarray(init, dtype=np.float64)
    model = UnmixingAutoencoder(data.shape[1], num_endmembers, hidden, start).to(data.device)
    optimizer = torch.optim.Adam(
        [
            {"params": model.encoder.parameters(), "lr": lr},
            {"params": model.decoder.parameters(), "lr": decoder_lr},
        ]
    )
    criterion = spectral_angle_loss if loss == "sad" else F.mse_loss
    losses = []
    model.train()
    for _ in range(epochs):
        order = torch.randperm(len(data), generator=generator).to(data.device)
        total = 0.0
        for i in range(0, len(data), batch_size):
            batch = data[order[i : i + batch_size]]
            reconstruction, _ = model(batch)
            value = criterion(reconstruction, batch)
            optimizer.zero_grad()
            value.backward()
            optimizer.step()
            model.clamp_endmembers()
            total += value.item() * len(batch)
        losses.append(total / len(data))
    model.eval()
    with torch.no_grad():
        abundances = model.abundances(data)
    final = model.endmembers.detach().cpu().double().numpy()
    change = None
    if start is not None:
        change = float(np.linalg.norm(final - start) / max(np.linalg.norm(start), 1e-300))
    return AutoencoderResult(
        endmembers=final,
        abundances=abundances.cpu().double().numpy(),
        model=model,
        losses=losses,
        endmember_change=change,
    )
