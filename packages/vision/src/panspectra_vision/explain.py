"""``vision-classify explain``: where the model looked, as PNG overlays.

- attention rollout (Abnar & Zuidema 2020, "Quantifying Attention Flow in Transformers") for
  models whose blocks use core :class:`MultiHeadAttention`: per layer the head-averaged
  attention ``A`` (recomputed from the block input and the layer's q/k projections) is mixed
  with the identity, ``0.5·A + 0.5·I``, rows renormalized, and the layers multiplied; the map
  is the class token's row (or the mean row for pooled models) over the patch grid;
- Grad-CAM (Selvaraju et al. 2017) for everything else: the predicted class's gradient
  averaged over positions weights the last feature map (conv maps, or tokens on their grid).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from panspectra_core.attention.multihead import MultiHeadAttention, split_heads
from panspectra_core.errors import UserError
from panspectra_core.io import atomic_write
from panspectra_core.kit import RunConfig

from .models.blocks import TokenNet
from .predict import VisionPredictor, iter_images, raise_nothing_readable, report_skips


def attention_layers(model: nn.Module) -> list[MultiHeadAttention]:
    return [m for m in model.modules() if isinstance(m, MultiHeadAttention)]


@torch.no_grad()
def attention_rollout(model: TokenNet, x: Tensor) -> Tensor:
    """(B, C, H, W) → (B, gh, gw) rollout of the attention over the patch grid."""
    layers = attention_layers(model)
    inputs: list[Tensor] = []
    hooks = [
        layer.register_forward_pre_hook(lambda m, args: inputs.append(args[0])) for layer in layers
    ]
    try:
        model(x)
    finally:
        for hook in hooks:
            hook.remove()
    rollout = None
    for layer, tokens in zip(layers, inputs):
        q, k, _ = (split_heads(t, layer.num_heads) for t in layer.qkv(tokens).chunk(3, dim=-1))
        if layer.q_norm is not None:
            q, k = layer.q_norm(q), layer.k_norm(k)
        attn = ((q @ k.transpose(-2, -1)) / math.sqrt(layer.head_dim)).softmax(-1).mean(1)
        attn = 0.5 * attn + 0.5 * torch.eye(attn.shape[-1])
        attn = attn / attn.sum(-1, keepdim=True)
        rollout = attn if rollout is None else attn @ rollout
    prefix = getattr(model, "prefix", 0)
    row = rollout[:, 0, prefix:] if prefix else rollout.mean(1)
    return row.reshape(len(x), *model.grid)


def grad_cam(model: nn.Module, x: Tensor) -> Tensor:
    """(B, C, H, W) → (B, h, w) Grad-CAM of the predicted class on ``forward_features``."""
    with torch.enable_grad():
        features = model.forward_features(x)
        logits = model.forward_head(features)
        mapped = features[0] if isinstance(features, list) else features  # CrossViT: small branch
        chosen = logits.gather(1, logits.argmax(1, keepdim=True)).sum()
        (grad,) = torch.autograd.grad(chosen, mapped)
    mapped = mapped.detach()
    if mapped.ndim == 3:  # tokens (B, L, D) → grid (B, D, gh, gw)
        mapped, grad = _tokens_to_grid(model, mapped), _tokens_to_grid(model, grad)
    weights = grad.mean(dim=(2, 3), keepdim=True)
    return F.relu((weights * mapped).sum(1))


def _tokens_to_grid(model: nn.Module, tokens: Tensor) -> Tensor:
    prefix = getattr(model, "prefix", 1 if hasattr(model, "branches") else 0)
    tokens = tokens[:, prefix:]
    grid = getattr(model, "grid", None) or model.branches[0].grid
    return tokens.transpose(1, 2).reshape(len(tokens), -1, *grid)


def heatmap(model: nn.Module, x: Tensor, method: str) -> tuple[Tensor, str]:
    """(B, H, W) maps in [0, 1] upsampled to the image, and the method used."""
    if method == "auto":
        method = (
            "rollout"
            if isinstance(model, TokenNet)
            and attention_layers(model)
            and len(attention_layers(model)) == len(model.blocks)
            else "gradcam"
        )
    if method == "rollout":
        if not isinstance(model, TokenNet) or not attention_layers(model):
            raise UserError(
                "--method rollout needs a model whose blocks are all self-attention (vit, cct)"
            )
        maps = attention_rollout(model, x)
    else:
        maps = grad_cam(model, x)
    maps = F.interpolate(maps[:, None], size=x.shape[-2:], mode="bilinear", align_corners=False)[
        :, 0
    ]
    low, high = maps.amin((1, 2), keepdim=True), maps.amax((1, 2), keepdim=True)
    return (maps - low) / (high - low).clamp_min(1e-12), method


def _save_overlay(path: Path, image: Tensor, cam: Tensor, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    shown = image[:3].permute(1, 2, 0).numpy() if image.shape[0] >= 3 else image[0].numpy()
    fig, axes = plt.subplots(1, 2, figsize=(5, 2.7))
    for ax in axes:
        ax.imshow(shown, cmap=None if shown.ndim == 3 else "gray", interpolation="nearest")
        ax.axis("off")
    axes[1].imshow(cam.numpy(), cmap="jet", alpha=0.5, interpolation="bilinear")
    fig.suptitle(title, fontsize=8)
    with atomic_write(path) as tmp:
        fig.savefig(tmp, dpi=110, bbox_inches="tight", format="png")
    plt.close(fig)


def explain(cfg: RunConfig, out: Path) -> dict[str, Any]:
    """Write ``out/<image>.png`` overlays for up to ``--limit`` images."""
    predictor = VisionPredictor.load(cfg.checkpoint)
    model = predictor.model.eval()
    written, method = [], cfg.method
    for name, pixels in iter_images(predictor, cfg.input, 1):
        if len(written) >= cfg.limit:
            break
        unit = predictor.normalizer.to_unit(pixels[None])
        x = predictor.normalizer(unit)
        cam, method = heatmap(model, x, cfg.method)
        with torch.no_grad():
            probs = model(x).softmax(1)[0]
        label = predictor.class_names[int(probs.argmax())]
        stem = name.replace("/", "__").rsplit(".", 1)[0]
        _save_overlay(
            out / f"{stem}.png",
            unit[0].clamp(0, 1),
            cam[0],
            f"{name}: {label} {float(probs.max()):.2f} ({method})",
        )
        written.append(f"{stem}.png")
    if not written:
        raise_nothing_readable(predictor, cfg.input)
    report_skips(predictor)
    return {
        "model": predictor.meta.model_name,
        "method": method,
        "images": len(written),
        "files": written,
    }
