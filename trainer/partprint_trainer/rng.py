"""Bit-exact twin of src/core/rng.ts (mulberry32, deriveSeed, createRng).

The ROI sampler parity test between TypeScript and Python relies on both sides producing the same
stream for the same seed, so every operation here mirrors the 32-bit arithmetic of the TS code.
"""
from __future__ import annotations

import math

_M32 = 0xFFFFFFFF


def _imul(a: int, b: int) -> int:
    """Math.imul: low 32 bits of the product, as an unsigned value."""
    return (a * b) & _M32


class Rng:
    """mulberry32 stream. ``next()`` is uniform in [0, 1); ``int(n) = floor(next() * n)``."""

    __slots__ = ("_a",)

    def __init__(self, seed: int) -> None:
        self._a = int(seed) & _M32

    def next_u32(self) -> int:
        self._a = (self._a + 0x6D2B79F5) & _M32
        t = self._a
        t = _imul(t ^ (t >> 15), t | 1)
        t ^= (t + _imul(t ^ (t >> 7), t | 61)) & _M32
        return (t ^ (t >> 14)) & _M32

    def next(self) -> float:
        return self.next_u32() / 4294967296.0

    def int(self, n: int) -> int:
        return math.floor(self.next() * n)

    def uniform(self, lo: float, hi: float) -> float:
        return lo + (hi - lo) * self.next()

    def normal(self) -> float:
        u = max(self.next(), 1e-12)
        v = self.next()
        return math.sqrt(-2.0 * math.log(u)) * math.cos(2.0 * math.pi * v)


def create_rng(seed: int) -> Rng:
    return Rng(seed)


def derive_seed(seed: int, *keys: "str | int") -> int:
    """FNV-1a over ``|key`` texts, like deriveSeed in core/rng.ts (UTF-16 code units)."""
    h = (0x811C9DC5 ^ (int(seed) & _M32)) & _M32
    for key in keys:
        s = f"|{_js_text(key)}"
        units = s.encode("utf-16-le")
        for i in range(0, len(units), 2):
            h ^= units[i] | (units[i + 1] << 8)
            h = _imul(h, 0x01000193)
    return h


def _js_text(key: "str | int | float") -> str:
    """Template-literal text of a key as JavaScript writes it (integers without '.0')."""
    if isinstance(key, bool):
        return "true" if key else "false"
    if isinstance(key, float) and key.is_integer():
        return str(int(key))
    return str(key)
