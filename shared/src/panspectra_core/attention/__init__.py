"""Attention family: softmax (SDPA) self/cross attention, local 1D and (shifted) 2D window
attention, kernelised linear attention (elu+1, FAVOR+), causal linear attention and the delta
rule (DeltaNet), each fast path with its readable reference beside it."""

from .causal_linear import (
    causal_linear_attention,
    causal_linear_attention_quadratic,
    causal_linear_attention_recurrent,
    causal_linear_attention_recurrent_with_state,
    causal_linear_attention_step,
    causal_linear_attention_with_state,
)
from .delta_rule import (
    delta_rule,
    delta_rule_recurrent,
    delta_rule_recurrent_with_state,
    delta_rule_step,
    delta_rule_with_state,
)
from .deltanet import DeltaNetLayer
from .feature_maps import EluFeatureMap, PositiveRandomFeatures, orthogonal_gaussian_matrix
from .linear_attention import LinearAttention, linear_attention_ref, normalized_linear_attention
from .multihead import CrossAttention, MultiHeadAttention, merge_heads, split_heads
from .qk_norm import HeadRMSNorm
from .rope import RotaryEmbedding, apply_rotary, rotate_half
from .softmax import causal_mask, combine_masks, softmax_attention, softmax_attention_ref
from .triangular import unit_lower_triangular_inverse, unit_lower_triangular_inverse_ref
from .window1d import LocalWindowAttention1d
from .window2d import WindowAttention2d, shifted_window_mask, window_partition, window_reverse

__all__ = [
    "CrossAttention",
    "DeltaNetLayer",
    "EluFeatureMap",
    "HeadRMSNorm",
    "LinearAttention",
    "LocalWindowAttention1d",
    "MultiHeadAttention",
    "PositiveRandomFeatures",
    "RotaryEmbedding",
    "WindowAttention2d",
    "apply_rotary",
    "causal_linear_attention",
    "causal_linear_attention_quadratic",
    "causal_linear_attention_recurrent",
    "causal_linear_attention_recurrent_with_state",
    "causal_linear_attention_step",
    "causal_linear_attention_with_state",
    "causal_mask",
    "combine_masks",
    "delta_rule",
    "delta_rule_recurrent",
    "delta_rule_recurrent_with_state",
    "delta_rule_step",
    "delta_rule_with_state",
    "linear_attention_ref",
    "merge_heads",
    "normalized_linear_attention",
    "orthogonal_gaussian_matrix",
    "rotate_half",
    "shifted_window_mask",
    "softmax_attention",
    "softmax_attention_ref",
    "split_heads",
    "unit_lower_triangular_inverse",
    "unit_lower_triangular_inverse_ref",
    "window_partition",
    "window_reverse",
]
