"""PanSpectra vision: image classification with attention, spectral-mixing, Mamba and
convolutional backbones (``vision-classify``)."""

__version__ = "0.1.0"
