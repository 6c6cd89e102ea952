"""Convolutional yardsticks: a torchvision ResNet adapted to 32×32, and a fast small-data
conv net after the CIFAR-10 speed-run recipes.

``resnet18_32``: torchvision's ResNet-18 (He et al. 2016) with the CIFAR stem — a 3×3 stride-1
first convolution and no max-pool — so a 32×32 image keeps 32×32 maps in the first stage.

``fastconv_32`` (and the narrower ``fastconv_small_32``): the airbench94 network (Jordan 2024,
"94% on CIFAR-10 in 3.29 Seconds on a Single GPU", arXiv:2404.00498; after Page's ResNet-9 and
tysam-code's hlb-CIFAR10): a frozen 2×2 *patch-whitening* convolution whose filters are the
eigenvectors of the training patches' covariance scaled by 1/√eigenvalue (± pairs), GELU, then
three groups (conv 3×3 → max-pool 2 → BN → GELU → conv 3×3 → BN → GELU) of widths
64/256/256, a global max-pool and a linear head scaled by 1/9. Convolutions start from a
Dirac (identity) initialisation on their first input channels; BatchNorm scales are frozen at 1
(only the biases learn). The whitening filters are set from data by :meth:`FastConvNet.data_init`
before training. The recipe (SGD-Nesterov with 64× learning rate on BN biases, label smoothing
0.2, linear warm-up and decay, lookahead-EMA with a ramped decay, flip-and-translate TTA,
channels-last, and bf16 autocast where the hardware has bf16 units: :func:`fast_precision`) is
attached to the registered models.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor, nn

from panspectra_core.errors import UserError
from panspectra_core.registry import register_model
from panspectra_core.runtime import cpu_bf16_units

from .transformers import DOMAIN


class _BatchNorm(nn.BatchNorm2d):
    """BatchNorm with its scale frozen at 1 (airbench: only the bias is trained)."""

    def __init__(self, channels: int, momentum: float = 0.4, eps: float = 1e-12) -> None:
        super().__init__(channels, eps=eps, momentum=momentum)
        self.weight.requires_grad_(False)


def _conv(
    cin: int, cout: int, kernel: int = 3, padding: int | str = "same", bias: bool = False
) -> nn.Conv2d:
    conv = nn.Conv2d(cin, cout, kernel, padding=padding, bias=bias)
    with torch.no_grad():
        nn.init.dirac_(conv.weight[: min(cin, cout)])  # implicit residual (airbench)
        if bias:
            conv.bias.zero_()
    return conv


class ConvGroup(nn.Module):
    """conv 3×3 → max-pool 2 → BN → GELU → conv 3×3 → BN → GELU; halves the resolution."""

    def __init__(self, cin: int, cout: int) -> None:
        super().__init__()
        self.conv1, self.pool, self.norm1 = _conv(cin, cout), nn.MaxPool2d(2), _BatchNorm(cout)
        self.conv2, self.norm2, self.act = _conv(cout, cout), _BatchNorm(cout), nn.GELU()

    def forward(self, x: Tensor) -> Tensor:
        x = self.act(self.norm1(self.pool(self.conv1(x))))
        return self.act(self.norm2(self.conv2(x)))


def patch_whitening_filters(images: Tensor, kernel: int, eps: float = 5e-4) -> Tensor:
    """(2·C·k², C, k, k) whitening filters from (N, C, H, W) normalized images: eigenvectors of
    the k×k patch covariance scaled by 1/√(λ + eps), largest λ first, then their negatives."""
    channels = images.shape[1]
    patches = images.unfold(2, kernel, 1).unfold(3, kernel, 1)  # (N, C, H', W', k, k)
    flat = patches.permute(0, 2, 3, 1, 4, 5).reshape(-1, channels * kernel * kernel).double()
    covariance = flat.T @ flat / flat.shape[0]
    eigenvalues, eigenvectors = torch.linalg.eigh(covariance)
    eigenvalues, eigenvectors = eigenvalues.flip(0), eigenvectors.T.flip(0)
    filters = eigenvectors / torch.sqrt(eigenvalues.clamp_min(0) + eps)[:, None]
    filters = filters.reshape(-1, channels, kernel, kernel).float()
    return torch.cat([filters, -filters])


class WhitenedConvStem(nn.Module):
    """The frozen patch-whitening convolution, GELU and one :class:`ConvGroup` per width.

    Shapes: (B, C, H, W) → (B, widths[-1], H', W'), H' = (H − k + 1) halved once per group
    (32 → 31 → 15 → 7 → 3 for k = 2 and three groups). The filters are set from data by
    :meth:`data_init` before training.

    Raises:
        UserError: ``image_size`` leaves no map after the last group's pooling.
    """

    def __init__(
        self, in_channels: int, widths: tuple[int, ...], image_size: int, whiten_kernel: int = 2
    ) -> None:
        super().__init__()
        self.whiten_width = 2 * in_channels * whiten_kernel**2
        self.whiten = nn.Conv2d(in_channels, self.whiten_width, whiten_kernel, padding=0, bias=True)
        self.whiten.weight.requires_grad_(False)
        nn.init.zeros_(self.whiten.bias)
        self.act = nn.GELU()
        cins = (self.whiten_width, *widths[:-1])
        self.groups = nn.Sequential(*[ConvGroup(a, b) for a, b in zip(cins, widths)])
        if min(self.grid_size(image_size, image_size)) < 1:
            smallest = whiten_kernel - 1 + 2 ** len(widths)
            raise UserError(
                f"--image-size {image_size}: too small for the model's whitened conv stem "
                f"({len(widths)} groups, each halving the maps); expected at least {smallest} px"
            )

    def grid_size(self, height: int, width: int) -> tuple[int, int]:
        """(H', W') of the output maps for (height, width) inputs."""
        height, width = (n - self.whiten.kernel_size[0] + 1 for n in (height, width))
        for _ in self.groups:
            height, width = height // 2, width // 2
        return height, width

    @torch.no_grad()
    def data_init(self, images: Tensor) -> None:
        """Set the whitening filters from (N, C, H, W) normalized training images."""
        self.whiten.weight.copy_(
            patch_whitening_filters(images.float(), self.whiten.kernel_size[0])
        )

    def forward_features(self, x: Tensor) -> Tensor:
        return self.groups(self.act(self.whiten(x)))


class FastConvNet(WhitenedConvStem):
    """airbench94-style network (see the module docs): the whitened stem with three groups, a
    global max-pool and a linear head scaled by ``scale``.

    Shapes: (B, C, H, W) → (B, num_classes); H, W divisible by 8 after the 2×2 whitening
    (32 → 31 → 15 → 7 → 3 maps, then a global max-pool).
    """

    def __init__(
        self,
        num_classes: int,
        in_channels: int = 3,
        image_size: int = 32,
        *,
        widths: tuple[int, int, int] = (64, 256, 256),
        whiten_kernel: int = 2,
        scale: float = 1 / 9,
    ) -> None:
        super().__init__(in_channels, widths, image_size, whiten_kernel)
        self.pool = nn.AdaptiveMaxPool2d(1)
        self.head = nn.Linear(widths[-1], num_classes, bias=False)
        self.scale = scale

    def forward_head(self, features: Tensor) -> Tensor:
        return self.head(self.pool(features).flatten(1)) * self.scale

    def reset_head(self, num_classes: int) -> None:
        self.head = nn.Linear(self.head.in_features, num_classes, bias=False)

    def forward(self, x: Tensor) -> Tensor:
        return self.forward_head(self.forward_features(x))


def cpu_has_bf16_units() -> bool:
    """Whether the CPU has bf16 dot-product or matrix units (avx512_bf16, AMX), the ones that
    make bf16 autocast faster than float32 (without them oneDNN emulates bf16, slower)."""
    return bool(cpu_bf16_units())


def fast_precision(accelerator: str = "auto") -> str:
    """The Lightning precision the conv recipes train in: bf16 autocast on GPUs with bf16 (else
    float16 autocast) and on CPUs with bf16 units, float32 elsewhere. On the benchmark CPU a
    bf16-autocast training step of ``fastconv_small_32`` runs 1.85× faster per CPU-second than
    float32 (``tools/bench/bench_vision_machine.py``)."""
    gpu = accelerator in ("gpu", "cuda") or (accelerator == "auto" and torch.cuda.is_available())
    if gpu:
        return "bf16-mixed" if torch.cuda.is_bf16_supported() else "16-mixed"
    return "bf16-mixed" if cpu_has_bf16_units() else "32-true"


def with_fast_precision(recipe: dict[str, Any]) -> Any:
    """``recipe`` plus :func:`fast_precision` of the run's accelerator (a recipe function)."""

    def resolved(accelerator: str = "auto") -> dict[str, Any]:
        return {**recipe, "precision": fast_precision(accelerator)}

    return resolved


#: airbench94's hyper-parameters in per-mean-loss form for batch 1024 (lr 11.5 per 1024 examples
#: divided by Nesterov's 1 + 1/(1 − 0.85) step amplification; decay 0.0153 per 1024 examples;
#: linear warm-up from 0.2 over 23 % of the steps, linear decay to 0.07, fixed momentum)
FASTCONV_RECIPE = {
    "optimizer": "sgd",
    "scheduler": "triangle",
    "lr": 11.5 / (1 + 1 / 0.15),
    "momentum": 0.85,
    "weight_decay": 0.0153 / 11.5,  # × lr = airbench's absolute decay per step
    "bias_lr_scale": 64.0,
    "batch_size": 1024,
    "epochs": 10,
    "label_smoothing": 0.2,
    "crop_padding": 2,
    "trivial_augment": False,
    "mixup_alpha": 0.0,
    "cutmix_alpha": 0.0,
    "erase_prob": 0.0,
    "ema_decay": 0.95**5,
    "lookahead": True,
    "tta": "flip_translate",
    "channels_last": True,
}

RESNET_RECIPE = {
    "optimizer": "sgd",
    "scheduler": "onecycle",
    "lr": 0.2,
    "momentum": 0.9,
    "weight_decay": 5e-4,
    "bias_lr_scale": 1.0,
    "batch_size": 256,
    "epochs": 40,
    "label_smoothing": 0.1,
    "crop_padding": 4,
    "trivial_augment": True,
    "mixup_alpha": 0.0,
    "cutmix_alpha": 0.0,
    "erase_prob": 0.0,
    "ema_decay": 0.0,
    "tta": "flip",
    "channels_last": True,
}


@register_model(
    domain=DOMAIN,
    tags=("classify", "fastconv", "conv"),
    recipe=with_fast_precision(FASTCONV_RECIPE),
)
def fastconv_32(
    num_classes: int, in_channels: int = 3, image_size: int = 32, **overrides: Any
) -> nn.Module:
    """fastconv: airbench94-style patch-whitened conv net, widths 64/256/256"""
    return FastConvNet(num_classes, in_channels, image_size, **overrides)


@register_model(
    domain=DOMAIN,
    tags=("classify", "fastconv", "conv"),
    recipe=with_fast_precision(FASTCONV_RECIPE),
)
def fastconv_small_32(
    num_classes: int, in_channels: int = 3, image_size: int = 32, **overrides: Any
) -> nn.Module:
    """fastconv: airbench-style patch-whitened conv net, widths 32/128/128"""
    return FastConvNet(
        num_classes, in_channels, image_size, **{"widths": (32, 128, 128), **overrides}
    )


class CifarResNet(nn.Module):
    """torchvision ResNet with the CIFAR stem (3×3 stride-1 conv, no max-pool)."""

    def __init__(
        self, num_classes: int, in_channels: int = 3, image_size: int = 32, *, depth: int = 18
    ) -> None:
        super().__init__()
        from torchvision.models import resnet18, resnet34

        net = {18: resnet18, 34: resnet34}[depth](num_classes=num_classes)
        net.conv1 = nn.Conv2d(in_channels, 64, 3, stride=1, padding=1, bias=False)
        net.maxpool = nn.Identity()
        self.net = net

    def forward_features(self, x: Tensor) -> Tensor:
        n = self.net
        x = n.relu(n.bn1(n.conv1(x)))
        return n.layer4(n.layer3(n.layer2(n.layer1(x))))

    def forward_head(self, features: Tensor) -> Tensor:
        return self.net.fc(torch.flatten(self.net.avgpool(features), 1))

    def reset_head(self, num_classes: int) -> None:
        self.net.fc = nn.Linear(self.net.fc.in_features, num_classes)

    def forward(self, x: Tensor) -> Tensor:
        return self.forward_head(self.forward_features(x))


@register_model(
    domain=DOMAIN, tags=("classify", "resnet", "conv"), recipe=with_fast_precision(RESNET_RECIPE)
)
def resnet18_32(
    num_classes: int, in_channels: int = 3, image_size: int = 32, **overrides: Any
) -> nn.Module:
    """resnet: torchvision ResNet-18 with the 3×3 stride-1 CIFAR stem, no max-pool"""
    return CifarResNet(num_classes, in_channels, image_size, **overrides)
