"""LAMB (You et al., 2019, "Large Batch Optimization for Deep Learning"), written here because
PyTorch ships none. Adam moments with bias correction, decoupled weight decay inside the update,
and a per-tensor trust ratio ||w|| / ||update||. AdamW is the documented fallback (--optimizer adamw).
"""
from __future__ import annotations

import torch
from torch.optim import Optimizer


class Lamb(Optimizer):
    def __init__(self, params, lr: float = 1e-3, betas=(0.9, 0.999), eps: float = 1e-6, weight_decay: float = 0.0) -> None:
        if lr <= 0 or eps <= 0 or not 0 <= betas[0] < 1 or not 0 <= betas[1] < 1 or weight_decay < 0:
            raise ValueError("invalid LAMB hyper-parameters")
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay))

    @torch.no_grad()
    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            params = [p for p in group["params"] if p.grad is not None]
            if not params:
                continue
            b1, b2 = group["betas"]
            group["step"] = t = group.get("step", 0) + 1
            ms, vs = [], []
            for p in params:
                st = self.state[p]
                if not st:
                    st["m"] = torch.zeros_like(p)
                    st["v"] = torch.zeros_like(p)
                ms.append(st["m"])
                vs.append(st["v"])
            grads = [p.grad for p in params]
            # Multi-tensor ops: one launch per op for all tensors (a per-tensor Python loop costs
            # thousands of kernel launches per step on EfficientNetV2).
            torch._foreach_mul_(ms, b1)
            torch._foreach_add_(ms, grads, alpha=1 - b1)
            torch._foreach_mul_(vs, b2)
            torch._foreach_addcmul_(vs, grads, grads, value=1 - b2)
            denom = torch._foreach_div(vs, 1 - b2 ** t)
            torch._foreach_sqrt_(denom)
            torch._foreach_add_(denom, group["eps"])
            upd = torch._foreach_div(ms, 1 - b1 ** t)
            torch._foreach_div_(upd, denom)
            if group["weight_decay"] != 0:
                torch._foreach_add_(upd, params, alpha=group["weight_decay"])
            w = torch.stack(_norms(params))
            u = torch.stack(_norms(upd))
            trust = torch.where((w > 0) & (u > 0), w / u, torch.ones_like(w)) * (-group["lr"])
            torch._foreach_mul_(upd, list(trust.unbind(0)))
            torch._foreach_add_(params, upd)
        return loss


def _norms(tensors):
    if hasattr(torch, "_foreach_norm"):
        return list(torch._foreach_norm(tensors))
    return [x.norm() for x in tensors]


def param_groups(model: torch.nn.Module, weight_decay: float):
    """Weight decay on weights of rank >= 2 only (not on biases or normalisation parameters)."""
    decay, no_decay = [], []
    for p in model.parameters():
        if p.requires_grad:
            (decay if p.ndim >= 2 else no_decay).append(p)
    return [dict(params=decay, weight_decay=weight_decay), dict(params=no_decay, weight_decay=0.0)]


def build_optimizer(name: str, model: torch.nn.Module, lr: float, weight_decay: float) -> Optimizer:
    groups = param_groups(model, weight_decay)
    if name == "lamb":
        return Lamb(groups, lr=lr)
    if name == "adamw":
        return torch.optim.AdamW(groups, lr=lr)
    raise ValueError(f"unknown optimizer {name!r}; choose lamb or adamw")
