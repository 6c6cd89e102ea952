"""Registered audio models (domain ``"audio"``); importing this module registers them all.

Tags: ``classify`` (waveform → logits; builders take ``num_classes``, ``num_samples``,
``sample_rate``), ``enhance`` (noisy waveform → enhanced waveform) and ``separate`` (mixture →
``num_sources`` waveforms); ``causal`` marks models with a streaming ``step``.
"""

from . import registered, registered_signal  # noqa: F401  (registration side effects)
from .classify import AST, KWT, AudioCNN, AudioMamba
from .frontend import LogMelFrontEnd, mixup

__all__ = ["AST", "KWT", "AudioCNN", "AudioMamba", "LogMelFrontEnd", "mixup"]
