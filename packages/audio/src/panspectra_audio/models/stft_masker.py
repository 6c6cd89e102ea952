"""STFT-domain enhancer: a bounded magnitude gain per time-frequency bin, noisy phase.

The spectral-masking layout of small causal enhancers (RNNoise, Valin 2018, "A Hybrid
DSP/Deep Learning Approach to Real-Time Full-Band Speech Enhancement", MMSP; CRN, Tan & Wang
2018, Interspeech; DeepFilterNet's first stage, Schröter et al. 2022, ICASSP): log-power
features of every frame → a causal sequence model over frames → one gain in ``[floor, 1]``
per frequency bin, applied to the noisy STFT and inverted by overlap-add. The gain floor
(−25 dB by default, the a priori SNR floor of the classic estimators; Ephraim & Malah 1985,
IEEE Trans. ASSP 33(2)) bounds the suppression, which limits musical noise and speech loss.

Framing (exact for streaming, as :class:`~.tasnet.TasNet`): frames of ``window`` samples every
``stride`` samples with a periodic sqrt-Hann analysis window, one-sided real FFT; the synthesis
window is the same sqrt-Hann scaled so that analysis × synthesis overlap-adds to one, so unit
gains reproduce the input exactly. With its causal gain net (GRU or Mamba) the model streams
through :class:`~.tasnet.StreamingEnhancer`; the algorithmic latency is one window.

Shapes: (batch, time) → (batch, time); spectra (batch, freq = window/2 + 1, frames) complex;
gains (batch, 1, freq, frames).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .masknets import SequenceMaskNet
from .tasnet import FramedMasker


class SpectralGainNet(SequenceMaskNet):
    """Causal gain net on log-power spectra (streams with ``step_frames``).

    Per frame: ``log10(|X|² + 1e-9)`` of the ``freq`` bins (a fixed affine brings it near
    zero mean, unit range; no per-frame normalisation, so the level that separates speech from
    a noise floor is kept) → Linear (freq→dim) → GELU → the sequence layers → LayerNorm →
    Linear (dim→freq) → ``floor + (1 − floor)·sigmoid``. The output bias starts at +3 (gains
    ≈ 0.95: the model starts close to the identity).

    Args:
        kind: ``"gru"`` (a ``depth``-layer GRU with a residual path, the recurrent layer of
            RNNoise and CRN; cheapest to train on a CPU) or ``"mamba"`` (``depth`` residual
            causal Mamba layers, core ``MambaBlock``).

    Shapes: spectra (batch, freq, K) complex → gains (batch, 1, freq, K) in [floor, 1].
    """

    def __init__(
        self,
        freq: int,
        dim: int = 128,
        depth: int = 2,
        kind: str = "gru",
        d_state: int = 16,
        floor_db: float = -25.0,
    ) -> None:
        if kind not in ("gru", "mamba"):
            raise ValueError(f"kind {kind!r}: expected gru or mamba")
        mamba_depth = depth if kind == "mamba" else 0
        super().__init__(freq, 1, dim=dim, depth=mamba_depth, kind="mamba", d_state=d_state)
        self.gru = nn.GRU(dim, dim, num_layers=depth, batch_first=True) if kind == "gru" else None
        self.floor = 10 ** (floor_db / 20)
        self.norm = nn.Identity()
        self.embed = nn.Sequential(nn.Linear(freq, dim), nn.GELU())
        self.out = nn.Sequential(nn.LayerNorm(dim), nn.Linear(dim, freq))
        with torch.no_grad():
            self.out[1].bias.fill_(3.0)

    def tokens(self, codes: Tensor) -> Tensor:
        power = codes.real.square() + codes.imag.square()  # (batch, freq, K)
        features = (torch.log10(power + 1e-9) + 4.0) / 4.0
        return self.embed(features.transpose(1, 2))

    def masks(self, x: Tensor) -> Tensor:
        gains = self.floor + (1 - self.floor) * torch.sigmoid(self.out(x))  # (batch, K, freq)
        return gains.transpose(1, 2).unsqueeze(1)

    def forward(self, codes: Tensor) -> Tensor:
        if self.gru is None:
            return super().forward(codes)
        x = self.tokens(codes)
        return self.masks(x + self.gru(x)[0])

    def step_frames(
        self, codes: Tensor, state, per_frame: bool = False
    ) -> tuple[Tensor, Tensor | list]:
        """A chunk of k frames (batch, freq, k) → gains (batch, 1, freq, k) and the new state
        (the GRU's hidden state, or the per-layer Mamba states)."""
        if self.gru is None:
            return super().step_frames(codes, state, per_frame)
        x = self.tokens(codes)
        if per_frame:
            frames = []
            for t in range(x.shape[1]):
                y, state = self.gru(x[:, t : t + 1], state)
                frames.append(y)
            y = torch.cat(frames, dim=1)
        else:
            y, state = self.gru(x, state)
        return self.masks(x + y), state


class STFTMasker(FramedMasker):
    """STFT analysis → gain net → masked spectrum → inverse FFT and overlap-add.

    Args:
        gain_net: spectra (batch, freq, K) complex → gains (batch, 1, freq, K).
        window: frame length in samples (FFT size). stride: hop in samples; ``window`` must be
            a multiple of it, at least 2 (sqrt-Hann frames overlap-add to a constant).
    """

    def __init__(self, gain_net: nn.Module, window: int = 256, stride: int = 64) -> None:
        super().__init__()
        if window % stride or window // stride < 2:
            raise ValueError(f"window {window}: expected a multiple ≥ 2 of stride {stride}")
        self.sources, self.window, self.stride, self.squeeze = 1, window, stride, True
        self.mask_net = gain_net
        hann = torch.hann_window(window, periodic=True, dtype=torch.float64)
        # Σ_k hann(n + k·stride) = window / (2·stride) for a periodic Hann window
        self.register_buffer("analysis", hann.sqrt().float(), persistent=False)
        self.register_buffer(
            "synthesis", (hann.sqrt() * 2 * stride / window).float(), persistent=False
        )

    def encode(self, padded: Tensor) -> Tensor:
        """(batch, samples) → (batch, freq, frames) complex spectra."""
        frames = padded.unfold(-1, self.window, self.stride) * self.analysis  # (batch, K, L)
        return torch.fft.rfft(frames, dim=-1).transpose(1, 2)

    def decode(self, codes: Tensor, masks: Tensor) -> Tensor:
        """spectra (batch, freq, K), gains (batch, 1, freq, K) → (batch, 1, (K−1)·S + L)."""
        batch, _, k = codes.shape
        frames = torch.fft.irfft(codes * masks[:, 0], n=self.window, dim=1)  # (batch, L, K)
        frames = frames * self.synthesis[:, None]
        length = (k - 1) * self.stride + self.window
        out = F.fold(frames, (1, length), kernel_size=(1, self.window), stride=(1, self.stride))
        return out.reshape(batch, 1, length)
