"""Training-time augmentation on the batch (photometric, on the device) and an EMA of the weights.

Photometric changes act on ``v = I/255`` before normalisation, one random draw per ROI:
brightness offset, contrast factor around the ROI mean, gamma, a blur mixed in with a random
weight (fixed 3x3 Gaussian, so shapes stay static for CUDA graphs), and Gaussian noise. All of it
is elementwise or a fixed convolution with ``torch.rand``/``randn``, which CUDA graphs replay
with fresh random numbers. The ``exposure`` preset spans a different scanner or exposure: brightness
and contrast changes as large as between the NEU classes (offset up to 0.35, contrast factor up to
e^1.7 = 5.5 either way), clipped to [0, 1] and re-quantised to 8 bits as a saved scan would be, so a
per-ROI-normalised model also sees the clipping and the coarse grey levels such a shift leaves.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Dict, Optional

import torch
import torch.nn.functional as F


@dataclass(frozen=True)
class Photometric:
    brightness: float = 0.0   # offset drawn from U(-b, b) (in units of v = I/255)
    contrast: float = 0.0     # factor exp(U(-c, c)) around the ROI mean
    gamma: float = 0.0        # v ** exp(U(-g, g))
    blur: float = 0.0         # weight U(0, blur) of a 3x3 Gaussian blur mixed in
    noise: float = 0.0        # Gaussian noise with sigma U(0, noise)
    quantize: bool = False    # round to 8-bit grey levels after clipping (a saved scan)

    def enabled(self) -> bool:
        return any(v > 0 for k, v in asdict(self).items() if k != "quantize")

    def to_dict(self) -> Dict[str, float]:
        # quantize as 0/1 keeps every value a number (the card schema's photometric entries are numbers)
        return {k: float(v) for k, v in asdict(self).items()}

    @staticmethod
    def preset(name: str) -> "Photometric":
        if name == "none":
            return Photometric()
        if name == "light":
            return Photometric(brightness=0.05, contrast=0.15, gamma=0.1, blur=0.3, noise=0.01)
        if name == "strong":
            return Photometric(brightness=0.2, contrast=0.5, gamma=0.3, blur=0.6, noise=0.03)
        if name == "exposure":
            return Photometric(brightness=0.35, contrast=1.7, gamma=0.2, blur=0.3, noise=0.01, quantize=True)
        raise ValueError(f"unknown photometric preset {name!r} (none, light, strong, exposure)")


_KERNEL = torch.tensor([[1.0, 2.0, 1.0], [2.0, 4.0, 2.0], [1.0, 2.0, 1.0]]) / 16.0
_KERNELS: Dict[tuple, torch.Tensor] = {}


def _kernel(device: torch.device, dtype: torch.dtype) -> torch.Tensor:
    """The blur kernel on the batch's device, copied there once: a host-to-device copy inside a
    CUDA graph capture fails (the exposure run on the H200 fell back to eager steps because of it)."""
    key = (str(device), dtype)
    if key not in _KERNELS:
        _KERNELS[key] = _KERNEL.to(device, dtype).view(1, 1, 3, 3)
    return _KERNELS[key]


def photometric(x: torch.Tensor, p: Photometric) -> torch.Tensor:
    """Random photometric change of a ``[N, 1, H, W]`` batch in [0, 1] (result clamped to [0, 1])."""
    if not p.enabled():
        return x
    n = x.shape[0]
    shape = (n, 1, 1, 1)

    def u(lo: float, hi: float) -> torch.Tensor:
        return torch.rand(shape, device=x.device, dtype=x.dtype) * (hi - lo) + lo

    if p.blur > 0:
        k = _kernel(x.device, x.dtype)
        w = u(0.0, p.blur)
        x = x * (1 - w) + F.conv2d(F.pad(x, (1, 1, 1, 1), mode="replicate"), k) * w
    if p.gamma > 0:
        x = x.clamp(1e-4, 1.0) ** torch.exp(u(-p.gamma, p.gamma))
    if p.contrast > 0:
        m = x.mean(dim=(1, 2, 3), keepdim=True)
        x = (x - m) * torch.exp(u(-p.contrast, p.contrast)) + m
    if p.brightness > 0:
        x = x + u(-p.brightness, p.brightness)
    if p.noise > 0:
        x = x + torch.randn_like(x) * u(0.0, p.noise)
    x = x.clamp(0.0, 1.0)
    if p.quantize:
        x = torch.floor(x * 255.0 + 0.5) / 255.0
    return x


class Ema:
    """Exponential moving average of a model's parameters and buffers (updated in place, graph-safe)."""

    def __init__(self, model: torch.nn.Module, decay: float) -> None:
        self.decay = decay
        self.model = model
        self.params = [p for p in model.parameters()]
        self.shadow = [p.detach().clone() for p in self.params]
        self.buffers = [b for b in model.buffers() if b.dtype.is_floating_point]
        self.shadow_buffers = [b.detach().clone() for b in self.buffers]

    @torch.no_grad()
    def update(self) -> None:
        torch._foreach_mul_(self.shadow, self.decay)
        torch._foreach_add_(self.shadow, [p.detach() for p in self.params], alpha=1 - self.decay)
        for s, b in zip(self.shadow_buffers, self.buffers):
            s.copy_(b)

    @torch.no_grad()
    def swap(self) -> None:
        """Exchanges the live weights with the averaged ones (call again to swap back)."""
        for a, b in zip(self.params + self.buffers, self.shadow + self.shadow_buffers):
            tmp = a.detach().clone()
            a.copy_(b)
            b.copy_(tmp)


def rot90_crop(crop, k: int):
    """Rotates a 2-D numpy crop by k quarter turns (training only, where the physics allows it)."""
    import numpy as np

    return np.ascontiguousarray(np.rot90(crop, k)) if k % 4 else crop


def describe(p: Optional[Photometric]) -> Optional[Dict[str, float]]:
    return p.to_dict() if p is not None and p.enabled() else None
