"""PanSpectra core: primitives, registry, checkpoints, training glue, datasets and CLI helpers.

Families (each keeps its readable reference beside the fast path):

- :mod:`panspectra_core.attention` — softmax, local-window, cross and linear attention, delta rule
- :mod:`panspectra_core.spectral` — Fourier mixing, global filters, Haar, DCT, FFT conv, STFT
- :mod:`panspectra_core.ssm` — selective scan (Mamba S6), Mamba block, S4D, LMU, FSMN
- :mod:`panspectra_core.layers` — norms, gated FFN, DropPath, LoRA, patch embeddings, positions
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("panspectra-core")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0+unknown"
