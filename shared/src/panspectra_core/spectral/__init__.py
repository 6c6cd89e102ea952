"""Spectral family: Fourier token mixing, global filters, Haar wavelets, DCT, FFT long
convolution, STFT and a log-mel front end.

Each fast op keeps a readable reference beside it (``*_ref``), compared in ``tests/core``.
"""

from panspectra_core.spectral.dct import dct, dct_matrix, dct_ref, idct
from panspectra_core.spectral.fftconv import fft_conv, fft_conv_ref
from panspectra_core.spectral.fnet import FNetMixing, fnet_mixing, fnet_mixing_ref
from panspectra_core.spectral.global_filter import GlobalFilter1d, GlobalFilter2d, circular_conv_ref
from panspectra_core.spectral.mel import TORCHAUDIO_HINT, MelFrontEnd
from panspectra_core.spectral.stft import ISTFT, STFT, make_window
from panspectra_core.spectral.wavelet import (
    haar_dwt,
    haar_dwt2d,
    haar_dwt2d_ref,
    haar_dwt_ref,
    haar_idwt,
    haar_idwt2d,
    haar_matrix,
)

__all__ = [
    "ISTFT",
    "STFT",
    "TORCHAUDIO_HINT",
    "FNetMixing",
    "GlobalFilter1d",
    "GlobalFilter2d",
    "MelFrontEnd",
    "circular_conv_ref",
    "dct",
    "dct_matrix",
    "dct_ref",
    "fft_conv",
    "fft_conv_ref",
    "fnet_mixing",
    "fnet_mixing_ref",
    "haar_dwt",
    "haar_dwt2d",
    "haar_dwt2d_ref",
    "haar_dwt_ref",
    "haar_idwt",
    "haar_idwt2d",
    "haar_matrix",
    "idct",
    "make_window",
]
