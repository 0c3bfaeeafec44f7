"""LAMB (You et al., 2019, "Large Batch Optimization for Deep Learning"), written here because
PyTorch ships none; AdamW (torch.optim) is the documented fallback (--optimizer adamw).

The parameters and gradients are re-homed as views of two flat buffers (as apex's FusedLAMB
does), so a step is about a dozen whole-buffer kernels whatever the number of tensors:
Adam moments with bias correction, decoupled weight decay inside the update (weights of rank >= 2
only), and a per-tensor trust ratio ||w|| / ||update|| computed by segment sums. Step count and
learning rate live in tensors, so the step can be captured in a CUDA graph.
"""
from __future__ import annotations

from typing import List

import torch


class FlatLamb:
    def __init__(self, model: torch.nn.Module, lr: float = 1e-3, weight_decay: float = 0.0,
                 betas=(0.9, 0.999), eps: float = 1e-6) -> None:
        if lr <= 0 or eps <= 0 or not 0 <= betas[0] < 1 or not 0 <= betas[1] < 1 or weight_decay < 0:
            raise ValueError("invalid LAMB hyper-parameters")
        params: List[torch.nn.Parameter] = [p for p in model.parameters() if p.requires_grad]
        dev = params[0].device
        sizes = [p.numel() for p in params]
        total = sum(sizes)
        self.flat = torch.empty(total, device=dev)
        self.grad = torch.zeros(total, device=dev)
        self.wd = torch.zeros(total, device=dev)
        off = 0
        for p, n in zip(params, sizes):
            # Same shape and strides (channels_last kept), storage inside the flat buffers.
            view = self.flat.as_strided(p.shape, p.stride(), off)
            view.copy_(p.data)
            p.data = view
            p.grad = self.grad.as_strided(p.shape, p.stride(), off)
            if p.ndim >= 2:
                self.wd[off:off + n] = weight_decay
            off += n
        ends = torch.tensor(sizes, device=dev).cumsum(0)
        self.ends, self.starts = ends, ends - torch.tensor(sizes, device=dev)
        self.seg = torch.repeat_interleave(torch.arange(len(sizes), device=dev), torch.tensor(sizes, device=dev))
        self.m = torch.zeros(total, device=dev)
        self.v = torch.zeros(total, device=dev)
        self.step_t = torch.zeros((), device=dev)
        self.lr_t = torch.full((), lr, device=dev)
        self.betas, self.eps, self.weight_decay = betas, eps, weight_decay
        self.param_groups = [{"lr": lr}]  # read by the training log

    def set_lr(self, lr: float) -> None:
        self.param_groups[0]["lr"] = lr
        self.lr_t.fill_(lr)

    def zero_grad(self, set_to_none: bool = False) -> None:
        self.grad.zero_()  # gradients stay views of the flat buffer

    def _seg_norm(self, x: torch.Tensor) -> torch.Tensor:
        cs = torch.cat([torch.zeros(1, device=x.device, dtype=torch.float64), torch.cumsum((x * x).double(), 0)])
        return (cs[self.ends] - cs[self.starts]).clamp_min(0).sqrt().float()

    @torch.no_grad()
    def step(self) -> None:
        b1, b2 = self.betas
        self.step_t += 1
        bc1 = 1 - torch.pow(b1, self.step_t)
        bc2 = 1 - torch.pow(b2, self.step_t)
        g = self.grad
        self.m.mul_(b1).add_(g, alpha=1 - b1)
        self.v.mul_(b2).addcmul_(g, g, value=1 - b2)
        u = (self.m / bc1).div_((self.v / bc2).sqrt_().add_(self.eps))
        u.addcmul_(self.wd, self.flat)
        wn, un = self._seg_norm(self.flat), self._seg_norm(u)
        trust = torch.where((wn > 0) & (un > 0), wn / un.clamp_min(1e-30), torch.ones_like(wn))
        self.flat.addcmul_((trust * -self.lr_t)[self.seg], u)

    def state_dict(self) -> dict:
        return {"m": self.m, "v": self.v, "step": self.step_t, "lr": self.param_groups[0]["lr"]}

    def load_state_dict(self, d: dict) -> None:
        self.m.copy_(d["m"])
        self.v.copy_(d["v"])
        self.step_t.copy_(d["step"])
        self.set_lr(float(d["lr"]))


class AdamW:
    """torch.optim.AdamW behind the same small interface (weight decay on rank >= 2 weights only)."""

    def __init__(self, model: torch.nn.Module, lr: float, weight_decay: float) -> None:
        decay, no_decay = [], []
        for p in model.parameters():
            if p.requires_grad:
                (decay if p.ndim >= 2 else no_decay).append(p)
        self.opt = torch.optim.AdamW([dict(params=decay, weight_decay=weight_decay), dict(params=no_decay, weight_decay=0.0)], lr=lr)
        self.param_groups = self.opt.param_groups

    def set_lr(self, lr: float) -> None:
        for g in self.opt.param_groups:
            g["lr"] = lr

    def zero_grad(self, set_to_none: bool = True) -> None:
        self.opt.zero_grad(set_to_none=set_to_none)

    def step(self) -> None:
        self.opt.step()

    def state_dict(self) -> dict:
        return self.opt.state_dict()

    def load_state_dict(self, d: dict) -> None:
        self.opt.load_state_dict(d)


def build_optimizer(name: str, model: torch.nn.Module, lr: float, weight_decay: float):
    if name == "lamb":
        return FlatLamb(model, lr=lr, weight_decay=weight_decay)
    if name == "adamw":
        return AdamW(model, lr, weight_decay)
    raise ValueError(f"unknown optimizer {name!r}; choose lamb or adamw")
