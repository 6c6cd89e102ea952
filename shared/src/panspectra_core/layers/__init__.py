"""Layers shared by every family: RMSNorm, GLU feed-forwards, DropPath, LoRA, patch embeddings,
positional encodings (RoPE re-exported from :mod:`panspectra_core.attention.rope`) and the
probability-averaging ensemble of classifiers."""

from panspectra_core.attention.rope import RotaryEmbedding, apply_rotary
from panspectra_core.layers.drop_path import DropPath, drop_path
from panspectra_core.layers.ensemble import ProbabilityEnsemble
from panspectra_core.layers.feedforward import GEGLU, GatedFeedForward, SwiGLU, glu_hidden_dim
from panspectra_core.layers.lora import (
    LoRALinear,
    apply_lora,
    count_trainable_parameters,
    lora_state_dict,
    mark_only_lora_trainable,
    merge_lora,
)
from panspectra_core.layers.norms import RMSNorm, rms_norm
from panspectra_core.layers.patch_embed import PatchEmbed1d, PatchEmbed2d, PatchEmbed3d
from panspectra_core.layers.positional import (
    LearnedPositionalEncoding,
    SinusoidalPositionalEncoding,
    sinusoidal_table,
)

__all__ = [
    "GEGLU",
    "DropPath",
    "GatedFeedForward",
    "LearnedPositionalEncoding",
    "LoRALinear",
    "PatchEmbed1d",
    "PatchEmbed2d",
    "PatchEmbed3d",
    "ProbabilityEnsemble",
    "RMSNorm",
    "RotaryEmbedding",
    "SinusoidalPositionalEncoding",
    "SwiGLU",
    "apply_lora",
    "apply_rotary",
    "count_trainable_parameters",
    "drop_path",
    "glu_hidden_dim",
    "lora_state_dict",
    "mark_only_lora_trainable",
    "merge_lora",
    "rms_norm",
    "sinusoidal_table",
]
