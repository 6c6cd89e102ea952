"""STFT-domain enhancer: a bounded magnitude gain (noisy phase) or a complex ratio mask per
time-frequency bin.

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
masks (batch, 1, freq, frames), real gains or complex.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .masknets import SequenceMaskNet
from .tasnet import FramedMasker


class SpectralGainNet(SequenceMaskNet):
    """Gain net on STFT spectra: a bounded real gain or a complex ratio mask per bin.

    Per frame: ``log10(|X|² + 1e-9)`` of the ``freq`` bins (a fixed affine brings it near
    zero mean, unit range; no per-frame normalisation, so the level that separates speech from
    a noise floor is kept), and for the complex mask also the power-law compressed spectrum
    ``|X|^0.3 · e^{jφ}`` (real and imaginary parts, the phase-aware input of complex
    maskers) → Linear → GELU → the sequence layers → LayerNorm → Linear → the mask.

    - ``mask="gain"``: ``floor + (1 − floor)·sigmoid`` per bin, the noisy phase kept. The
      output bias starts at +3 (gains ≈ 0.95: the model starts close to the identity).
    - ``mask="complex"``: a complex ratio mask (Williamson, Wang & Wang 2016, "Complex Ratio
      Masking for Monaural Speech Separation", IEEE/ACM TASLP 24(3)) in the bounded polar
      form of DCCRN-E (Hu et al. 2020, Interspeech): for the output pair (a, b),
      ``tanh(|a + jb|) · e^{j·angle(a + jb)}``, so the model corrects the phase as well as
      the magnitude. The real part's bias starts at +2 (mask ≈ 0.96 and phase 0 on
      average; a fresh model passes its input at about 14 dB SI-SNR).

    Args:
        kind: ``"gru"`` (a ``depth``-layer GRU with a residual path, the recurrent layer of
            RNNoise and CRN; cheapest to train on a CPU) or ``"mamba"`` (``depth`` residual
            causal Mamba layers, core ``MambaBlock``).
        bidirectional: GRU only; a bidirectional GRU (``dim / 2`` units each way) sees the
            whole utterance, so the model is no longer causal and cannot stream.

    Shapes: spectra (batch, freq, K) complex → masks (batch, 1, freq, K), real in
    [floor, 1] or complex with modulus below 1.
    """

    def __init__(
        self,
        freq: int,
        dim: int = 128,
        depth: int = 2,
        kind: str = "gru",
        d_state: int = 16,
        floor_db: float = -25.0,
        mask: str = "gain",
        bidirectional: bool = False,
    ) -> None:
        if kind not in ("gru", "mamba"):
            raise ValueError(f"kind {kind!r}: expected gru or mamba")
        if mask not in ("gain", "complex"):
            raise ValueError(f"mask {mask!r}: expected gain or complex")
        if bidirectional and kind != "gru":
            raise ValueError("bidirectional: expected kind gru")
        mamba_depth = depth if kind == "mamba" else 0
        super().__init__(freq, 1, dim=dim, depth=mamba_depth, kind="mamba", d_state=d_state)
        self.causal = not bidirectional
        self.gru = None
        if kind == "gru":
            hidden = dim // 2 if bidirectional else dim
            self.gru = nn.GRU(
                dim, hidden, num_layers=depth, batch_first=True, bidirectional=bidirectional
            )
        self.complex_mask = mask == "complex"
        self.floor = 10 ** (floor_db / 20)
        self.norm = nn.Identity()
        features = 3 * freq if self.complex_mask else freq
        self.embed = nn.Sequential(nn.Linear(features, dim), nn.GELU())
        outputs = 2 * freq if self.complex_mask else freq
        self.out = nn.Sequential(nn.LayerNorm(dim), nn.Linear(dim, outputs))
        with torch.no_grad():
            self.out[1].bias.zero_()
            self.out[1].bias[:freq].fill_(2.0 if self.complex_mask else 3.0)

    def tokens(self, codes: Tensor) -> Tensor:
        power = codes.real.square() + codes.imag.square()  # (batch, freq, K)
        features = (torch.log10(power + 1e-9) + 4.0) / 4.0
        if self.complex_mask:
            compressed = codes * (power + 1e-12) ** -0.35  # |X|^0.3 e^{jφ}
            features = torch.cat([features, compressed.real, compressed.imag], dim=1)
        return self.embed(features.transpose(1, 2))

    def masks(self, x: Tensor) -> Tensor:
        out = self.out(x).transpose(1, 2)  # (batch, freq or 2·freq, K)
        if self.complex_mask:
            z = torch.complex(*out.chunk(2, dim=1))
            modulus = z.abs()
            mask = torch.tanh(modulus) * z / (modulus + 1e-8)
            return mask.unsqueeze(1)
        return (self.floor + (1 - self.floor) * torch.sigmoid(out)).unsqueeze(1)

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
