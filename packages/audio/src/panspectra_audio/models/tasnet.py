"""Time-domain masking networks (TasNet family): learned encoder → mask net → learned decoder.

Conv-TasNet layout (Luo & Mesgarani 2019, "Conv-TasNet: Surpassing Ideal Time-Frequency
Magnitude Masking for Speech Separation", IEEE/ACM TASLP 27(8)): a 1-D conv encoder with
``N`` filters of ``L`` samples and stride ``S`` (ReLU), a mask net giving one mask per source,
and a transposed-conv decoder that overlap-adds the masked frames.

Framing (exact for streaming): the input is padded with ``L − S`` zeros on the left and to a
whole number of strides (plus ``L − S``) on the right; the output is the decoder's samples
``[L − S, L − S + T)``. With a causal mask net (``mask_net.causal`` and
``mask_net.step_frames``) the same output is produced chunk by chunk by
:class:`StreamingEnhancer`: the algorithmic latency is the window, ``L`` samples.

Shapes: (batch, time) → (batch, sources, time), or (batch, time) when ``sources == 1`` and
``squeeze``.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn


class FramedMasker(nn.Module):
    """What every frame-masking enhancer shares: the framing of :meth:`forward` (see the
    module docstring) around ``encode`` (padded samples → frame codes), ``mask_net`` and
    ``decode`` (codes, masks → overlap-added samples), and streaming by
    :class:`StreamingEnhancer` when the mask net is causal. Subclasses set ``sources``,
    ``window``, ``stride``, ``squeeze`` and ``mask_net``.
    """

    sources: int
    window: int
    stride: int
    squeeze: bool
    mask_net: nn.Module

    @property
    def causal(self) -> bool:
        return bool(getattr(self.mask_net, "causal", False))

    def encode(self, padded: Tensor) -> Tensor:
        raise NotImplementedError

    def decode(self, codes: Tensor, masks: Tensor) -> Tensor:
        raise NotImplementedError

    def forward(self, mixture: Tensor) -> Tensor:
        length = mixture.shape[-1]
        overlap = self.window - self.stride
        total = math.ceil((length + overlap) / self.stride) * self.stride
        padded = F.pad(mixture, (overlap, total - length))
        codes = self.encode(padded)
        out = self.decode(codes, self.mask_net(codes))[..., overlap : overlap + length]
        return out[:, 0] if self.squeeze and self.sources == 1 else out


class TasNet(FramedMasker):
    """Encoder / mask net / decoder.

    Args:
        mask_net: (batch, N, frames) → (batch, sources, N, frames) masks (non-negative).
        sources: number of output signals. filters: N. window: L samples. stride: S samples.
        squeeze: return (batch, time) when ``sources == 1`` (enhancement).
        fourier_init: start the encoder/decoder as a ± pair of sqrt-Hann windowed real DFT
            bases (see :func:`fourier_filterbank`), so that unit masks reproduce the input;
            an enhancer's masks then start near 1 (output bias +3), a separator's at 1/S.
    """

    def __init__(
        self,
        mask_net: nn.Module,
        sources: int = 1,
        filters: int = 256,
        window: int = 16,
        stride: int | None = None,
        squeeze: bool = True,
        fourier_init: bool = True,
    ) -> None:
        super().__init__()
        self.sources, self.window = sources, window
        self.stride = stride or window // 2
        if window % self.stride:
            raise ValueError(f"window {window} must be a multiple of stride {self.stride}")
        self.encoder = nn.Conv1d(1, filters, window, stride=self.stride, bias=False)
        self.decoder = nn.ConvTranspose1d(filters, 1, window, stride=self.stride, bias=False)
        self.mask_net = mask_net
        self.squeeze = squeeze
        if fourier_init and filters >= 2 * window and self.stride * 2 == window:
            encoder, decoder = fourier_filterbank(filters, window)
            with torch.no_grad():
                self.encoder.weight.copy_(encoder.unsqueeze(1))
                self.decoder.weight.copy_(decoder.unsqueeze(1))
                last = [m for m in mask_net.modules() if isinstance(m, nn.Linear | nn.Conv1d)][-1]
                if sources == 1 and last.bias is not None:
                    last.bias.fill_(3.0)

    def encode(self, padded: Tensor) -> Tensor:
        """(batch, samples) → (batch, N, frames) non-negative frame codes."""
        return F.relu(self.encoder(padded.unsqueeze(1)))

    def decode(self, codes: Tensor, masks: Tensor) -> Tensor:
        """codes (batch, N, K), masks (batch, sources, N, K) → (batch, sources, (K−1)·S + L)."""
        batch, sources, n, k = masks.shape
        masked = (codes.unsqueeze(1) * masks).reshape(batch * sources, n, k)
        return self.decoder(masked).reshape(batch, sources, -1)


def fourier_filterbank(filters: int, window: int) -> tuple[Tensor, Tensor]:
    """(filters, window) encoder and decoder kernels that reconstruct exactly at 50 % overlap.

    Rows 0..L−1 of the encoder are the orthonormal real DFT basis (cosines and sines) times a
    periodic sqrt-Hann window, rows L..2L−1 their negatives, so ReLU codes keep both signs
    (``relu(c) − relu(−c) = c``); the decoder holds the same rows. Unit masks give
    ``Σ_frames hann · frame = x`` (sqrt-Hann² overlap-adds to 1 at hop L/2). Extra rows
    (``filters > 2L``) start as small random encoder rows with zero decoder rows.
    """
    n = torch.arange(window, dtype=torch.float64)
    rows = []
    for k in range(window // 2 + 1):
        rows.append(torch.cos(2 * math.pi * k * n / window))
        if 0 < k < window // 2:
            rows.append(torch.sin(2 * math.pi * k * n / window))
    basis = torch.stack(rows)
    basis = basis / basis.norm(dim=1, keepdim=True)  # orthonormal: basis.T @ basis = I
    sqrt_hann = torch.sqrt(torch.hann_window(window, periodic=True, dtype=torch.float64))
    analysis = basis * sqrt_hann
    encoder = torch.randn(filters, window, dtype=torch.float64) * 0.01
    decoder = torch.zeros(filters, window, dtype=torch.float64)
    encoder[:window], encoder[window : 2 * window] = analysis, -analysis
    decoder[:window], decoder[window : 2 * window] = analysis, -analysis
    return encoder.float(), decoder.float()


class StreamingEnhancer:
    """Chunk-by-chunk inference of a causal :class:`FramedMasker` (a :class:`TasNet`, or the
    STFT masker of :mod:`.stft_masker`) with carried state.

    ``process(chunk)`` takes (batch, k·S) new samples and returns (batch, k·S) output samples,
    delayed by ``L − S`` samples with respect to the input; :meth:`run` feeds a whole signal
    in chunks (plus a flush) and returns exactly ``model(x)``. The mask net advances a whole
    chunk at once (``step_frames``; core ``MambaBlock.step_chunk``); ``per_frame=True`` runs
    its frame-by-frame reference (core ``MambaBlock.step``) instead.
    """

    def __init__(self, model: FramedMasker, batch: int = 1, per_frame: bool = False) -> None:
        if not model.causal:
            raise ValueError(f"{type(model.mask_net).__name__} is not causal; cannot stream")
        self.model = model
        overlap = model.window - model.stride
        weight = next(model.parameters())
        self.input_tail = weight.new_zeros(batch, overlap)
        self.output_tail = weight.new_zeros(batch, model.sources, overlap)
        self.state = None
        self.per_frame = per_frame

    @torch.no_grad()
    def process(self, chunk: Tensor) -> Tensor:
        model = self.model
        if chunk.shape[-1] % model.stride:
            raise ValueError(
                f"chunk of {chunk.shape[-1]} samples: not a multiple of {model.stride}"
            )
        buffer = torch.cat([self.input_tail, chunk], dim=-1)
        self.input_tail = buffer[:, buffer.shape[-1] - self.input_tail.shape[-1] :]
        codes = model.encode(buffer)  # (batch, N, k)
        masks, self.state = model.mask_net.step_frames(codes, self.state, self.per_frame)
        decoded = model.decode(codes, masks)
        overlap = self.output_tail.shape[-1]
        decoded[..., :overlap] += self.output_tail
        emitted = chunk.shape[-1]
        self.output_tail = decoded[..., emitted:]
        return decoded[..., :emitted]

    @torch.no_grad()
    def run(self, signal: Tensor, chunk: int) -> Tensor:
        """Stream ``signal`` (batch, time) in chunks of ``chunk`` samples; = ``model(signal)``."""
        model = self.model
        overlap = model.window - model.stride
        length = signal.shape[-1]
        total = math.ceil((length + 2 * overlap) / chunk) * chunk
        padded = F.pad(signal, (0, total - length))
        out = torch.cat([self.process(c) for c in padded.split(chunk, dim=-1)], dim=-1)
        out = out[..., overlap : overlap + length]
        return out[:, 0] if model.squeeze and model.sources == 1 else out
