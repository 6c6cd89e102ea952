"""Registry entries of the enhancement and separation models (TasNet family) with recipes.

Builders take ``sample_rate`` (recorded, not used by the time-domain layers) and
``**overrides`` for the mask net; enhancement models return (batch, time), separation models
(batch, sources, time).
"""

from __future__ import annotations

from torch import nn

from panspectra_core.registry import register_model

from .masknets import TCN, DualPathMaskNet, SequenceMaskNet
from .stft_masker import SpectralGainNet, STFTMasker
from .tasnet import TasNet

#: enhancement: 1 s segments (NOIZEUS sentences are 2-3 s; the maskers need no longer context)
_ENHANCE = {
    "lr": 1e-3,
    "batch_size": 8,
    "weight_decay": 0.0,
    "scheduler": "cosine",
    "segment_seconds": 1.0,
}
#: separation: 0.5 s segments (FSDD recordings last 0.42 s at the median, so longer segments
#: are mostly zero padding), 150 epochs of 800 fresh mixtures (about 45 CPU-minutes, inside the
#: separation benchmark's 60 CPU-minute budget; the loss still fell when a 10-minute run stopped)
_SEPARATE = {
    "lr": 1e-3,
    "batch_size": 8,
    "weight_decay": 0.0,
    "scheduler": "cosine",
    "segment_seconds": 0.5,
    "epochs": 150,
}


def _tasnet(mask_net_cls, sources: int, filters: int, window: int, stride: int, **kw) -> TasNet:
    net = mask_net_cls(filters, sources=sources, **kw)
    return TasNet(net, sources=sources, filters=filters, window=window, stride=stride)


#: the default enhancer: 75 epochs of 800 one-second segments, about 30 CPU-minutes on one thread
#: of the benchmark CPU (the enhancement benchmark's budget); SI-SNR plus the compressed spectral
#: loss, which weighs every time-frequency bin on a compressed scale
@register_model(
    domain="audio",
    tags=("enhance", "cnn"),
    recipe={**_ENHANCE, "epochs": 75, "loss": "si_snr+spectral"},
)
def convtasnet_enhance(
    sample_rate: int = 8000, filters: int = 128, window: int = 32, stride: int = 16, **kw
) -> nn.Module:
    """Conv-TasNet masker (TCN, gLN), non-causal (Luo & Mesgarani 2019)"""
    kw = {"bottleneck": 64, "hidden": 128, "blocks": 6, "repeats": 2, **kw}
    return _tasnet(TCN, 1, filters, window, stride, **kw)


@register_model(
    domain="audio", tags=("enhance", "mamba", "causal"), recipe={**_ENHANCE, "epochs": 40}
)
def mamba_causal_enhance(
    sample_rate: int = 8000, filters: int = 256, window: int = 128, stride: int = 64, **kw
) -> nn.Module:
    """causal Mamba masker on a learned 16 ms/8 ms filterbank; streams (core MambaBlock.step)"""
    return _tasnet(
        SequenceMaskNet,
        1,
        filters,
        window,
        stride,
        **{"kind": "mamba", "depth": 2, "dim": 96, **kw},
    )


#: STFT maskers: the compressed spectral loss next to SI-SNR, 2 s segments (most of a NOIZEUS
#: sentence, so the recurrent state sees the leading silence and whole words)
_STFT = {**_ENHANCE, "epochs": 28, "loss": "si_snr+spectral", "segment_seconds": 2.0}


def _stft_masker(window: int, stride: int, **kw) -> nn.Module:
    return STFTMasker(SpectralGainNet(window // 2 + 1, **kw), window=window, stride=stride)


@register_model(domain="audio", tags=("enhance", "mamba", "causal"), recipe=_STFT)
def mamba_stft_enhance(
    sample_rate: int = 8000, window: int = 256, stride: int = 64, **kw
) -> nn.Module:
    """causal Mamba gain mask on a 32 ms/8 ms STFT (gain floor −25 dB); streams"""
    return _stft_masker(window, stride, **{"kind": "mamba", "depth": 3, **kw})


@register_model(domain="audio", tags=("enhance", "rnn", "causal"), recipe={**_STFT, "epochs": 60})
def gru_stft_enhance(
    sample_rate: int = 8000, window: int = 256, stride: int = 64, **kw
) -> nn.Module:
    """causal GRU gain mask on a 32 ms/8 ms STFT (RNNoise/CRN spirit, gain floor −25 dB); streams"""
    return _stft_masker(window, stride, **{"kind": "gru", "depth": 2, **kw})


#: 45 epochs, about 15 CPU-minutes on one thread of the benchmark CPU
@register_model(domain="audio", tags=("enhance", "rnn", "causal"), recipe={**_STFT, "epochs": 45})
def crm_stft_enhance(
    sample_rate: int = 8000, window: int = 256, stride: int = 64, **kw
) -> nn.Module:
    """causal GRU complex ratio mask on a 32 ms/8 ms STFT (DCCRN-E, phase corrected); streams

    ``--model-kwargs '{"bidirectional": true}'`` gives an offline (non-causal) variant.
    """
    kw = {"kind": "gru", "depth": 2, "mask": "complex", **kw}
    return _stft_masker(window, stride, **kw)


@register_model(domain="audio", tags=("enhance", "mamba"), recipe={**_ENHANCE, "epochs": 40})
def mamba_enhance(
    sample_rate: int = 8000, filters: int = 128, window: int = 32, stride: int = 16, **kw
) -> nn.Module:
    """bidirectional Mamba masker (SEMamba in spirit), non-causal"""
    return _tasnet(SequenceMaskNet, 1, filters, window, stride, **{"kind": "bimamba", **kw})


@register_model(domain="audio", tags=("enhance", "transformer"), recipe={**_ENHANCE, "epochs": 40})
def mossformer_enhance(
    sample_rate: int = 8000, filters: int = 128, window: int = 32, stride: int = 16, **kw
) -> nn.Module:
    """MossFormer2-style masker: attention + gated FSMN memory (core GatedFSMN)"""
    return _tasnet(SequenceMaskNet, 1, filters, window, stride, **{"kind": "mossformer", **kw})


@register_model(domain="audio", tags=("separate", "cnn"), recipe=_SEPARATE)
def convtasnet_separate(
    sample_rate: int = 8000, filters: int = 128, window: int = 32, stride: int = 16, **kw
) -> nn.Module:
    """Conv-TasNet, 2 sources, 4 ms / 2 ms filterbank (TCN, gLN; Luo & Mesgarani 2019)"""
    kw = {"bottleneck": 64, "hidden": 128, "blocks": 7, "repeats": 2, **kw}
    sources = kw.pop("sources", 2)
    return _tasnet(TCN, sources, filters, window, stride, **kw)


@register_model(domain="audio", tags=("separate", "mamba"), recipe={**_SEPARATE, "epochs": 40})
def dpmamba_separate(
    sample_rate: int = 8000, filters: int = 128, window: int = 16, stride: int = 8, **kw
) -> nn.Module:
    """dual-path bidirectional Mamba separator (SPMamba / DPMamba style)"""
    sources = kw.pop("sources", 2)
    return _tasnet(DualPathMaskNet, sources, filters, window, stride, **kw)
