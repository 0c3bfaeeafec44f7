"""Models: torchvision EfficientNetV2 (S default, M selectable) from scratch with a 1-channel stem,
and small variants for fast CPU inference."""
from __future__ import annotations

import torch
import torch.nn as nn
import torchvision

ARCHS = ("efficientnet_v2_s", "efficientnet_v2_m", "efficientnet_b0", "mobilenet_v3_large", "mobilenet_v3_small")


def _one_channel_stem(model: nn.Module) -> None:
    """Replaces the first 3-channel convolution (features[0][0]) with a 1-channel one."""
    old = model.features[0][0]
    assert isinstance(old, nn.Conv2d) and old.in_channels == 3, "unexpected stem"
    new = nn.Conv2d(1, old.out_channels, kernel_size=old.kernel_size, stride=old.stride,
                    padding=old.padding, bias=old.bias is not None)
    nn.init.kaiming_normal_(new.weight, mode="fan_out")
    model.features[0][0] = new


def build_model(arch: str, num_classes: int) -> nn.Module:
    if arch not in ARCHS:
        raise ValueError(f"unknown architecture {arch!r}; choose one of {', '.join(ARCHS)}")
    ctor = getattr(torchvision.models, arch)
    model = ctor(weights=None, num_classes=num_classes)
    _one_channel_stem(model)
    # torchvision builds MobileNetV3 with BatchNorm momentum 0.01 (tuned for long ImageNet runs):
    # in short runs the running statistics never settle and eval-mode outputs collapse to one
    # class. PyTorch's default 0.1 works for both short CPU runs and the GPU schedule.
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d) and m.momentum is not None and m.momentum < 0.1:
            m.momentum = 0.1
    return model


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


@torch.no_grad()
def cpu_latency(arch: str, size: int, batch: int = 16, threads: int = 2, repeats: int = 3) -> float:
    """Seconds for one forward pass of ``batch`` ROIs on the CPU (PyTorch eager, fp32)."""
    import time

    torch.set_num_threads(threads)
    m = build_model(arch, 21).eval()
    x = torch.randn(batch, 1, size, size)
    m(x)
    best = float("inf")
    for _ in range(repeats):
        t = time.perf_counter()
        m(x)
        best = min(best, time.perf_counter() - t)
    return best
