"""ROI sampling exactly as docs/source-spec.md section 2 (twin of the TypeScript sampler).

Exactness notes (so both implementations agree bit for bit on which ROIs are accepted):
- Means are computed from integer sums of the 8-bit image: ``mean = sum / (r * r * 255)`` and
  ``tau = minMeanFraction * total / (W * H * 255)``; integer sums are exact and the divisions are
  correctly rounded IEEE doubles in both languages.
- Each ROI starts with the base ``tau``; its count of consecutive rejections starts at 0; after the
  20th, 40th, ... rejection (``rejectHalvingEvery``) ``tau`` halves; after ``maxAttempts`` rejected
  attempts the sampler fails. Acceptance resets both for the next ROI.
- Resizing and normalisation are computed in float64 from ``v = I / 255`` and rounded to float32 at
  the end, so the two sides agree to float32 rounding (parity tests compare with a 1e-5 tolerance).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, List, Mapping, Optional, Sequence, Tuple

import numpy as np

from .rng import Rng


class RoiError(ValueError):
    """The image cannot be sampled (all dark, too small, or no acceptable ROI)."""


@dataclass(frozen=True)
class RoiSpec:
    side: int
    output_size: int = 448
    downscale: int = 1
    min_mean_fraction: float = 0.5
    reject_halving_every: int = 20
    max_attempts: int = 200

    @staticmethod
    def from_dict(d: Mapping[str, Any]) -> "RoiSpec":
        """Reads a card's ``roi`` object (camelCase keys); a whole card is accepted too."""
        if "roi" in d and isinstance(d["roi"], Mapping):
            d = d["roi"]
        return RoiSpec(
            side=int(d["side"]),
            output_size=int(d.get("outputSize", 448)),
            downscale=int(d.get("downscale", 1)),
            min_mean_fraction=float(d.get("minMeanFraction", 0.5)),
            reject_halving_every=int(d.get("rejectHalvingEvery", 20)),
            max_attempts=int(d.get("maxAttempts", 200)),
        )

    def to_dict(self) -> dict:
        return {
            "downscale": self.downscale,
            "side": self.side,
            "outputSize": self.output_size,
            "minMeanFraction": self.min_mean_fraction,
            "rejectHalvingEvery": self.reject_halving_every,
            "maxAttempts": self.max_attempts,
        }


@dataclass(frozen=True)
class RoiPlacement:
    x: int
    y: int
    hflip: bool = False
    vflip: bool = False


def downscale_u8(img: np.ndarray, d: int) -> np.ndarray:
    """Block mean by integer factor d, rounded half up to 8 bits (spec 2.1)."""
    if d < 1:
        raise ValueError(f"downscale factor must be >= 1, got {d}")
    img = np.asarray(img)
    if d == 1:
        return img.astype(np.uint8, copy=False)
    h, w = img.shape[0] // d, img.shape[1] // d
    blocks = img[: h * d, : w * d].astype(np.float64).reshape(h, d, w, d).sum(axis=(1, 3))
    return np.floor(blocks / (d * d) + 0.5).astype(np.uint8)


class PreparedImage:
    """An 8-bit image at the sampling resolution with its checks done and its base threshold."""

    def __init__(self, img_u8: np.ndarray, spec: RoiSpec, name: str = "image") -> None:
        img = downscale_u8(img_u8, spec.downscale)
        if img.ndim != 2:
            raise RoiError(f"{name}: expected a greyscale image, got shape {img.shape}")
        h, w = img.shape
        r = spec.side
        if w < r or h < r:
            raise RoiError(f"{name}: image {w}x{h} (after downscale {spec.downscale}) is smaller than the ROI side {r}")
        if int(img.max()) < 2:
            raise RoiError(f"{name}: image is all dark (max < 2/255); no ROI can be sampled")
        self.name = name
        self.img = np.ascontiguousarray(img)
        self.spec = spec
        self.tau0 = spec.min_mean_fraction * (int(img.sum(dtype=np.int64)) / (w * h * 255))

    def place(self, rng: Rng, k: int, flips: bool = False) -> List[RoiPlacement]:
        spec, img = self.spec, self.img
        h, w = img.shape
        r = spec.side
        denom = r * r * 255
        out: List[RoiPlacement] = []
        for _ in range(k):
            tau = self.tau0
            rejections = 0
            while True:
                x = math.floor(rng.next() * (w - r + 1))
                y = math.floor(rng.next() * (h - r + 1))
                mean = int(img[y : y + r, x : x + r].sum(dtype=np.int64)) / denom
                if mean >= tau:
                    break
                rejections += 1
                if rejections >= spec.max_attempts:
                    raise RoiError(
                        f"{self.name}: no ROI of side {r} reached the brightness threshold in {spec.max_attempts} attempts"
                    )
                if rejections % spec.reject_halving_every == 0:
                    tau /= 2
            hf = vf = False
            if flips:
                hf = rng.next() < 0.5
                vf = rng.next() < 0.5
            out.append(RoiPlacement(x, y, hf, vf))
        return out

    def crop_u8(self, p: RoiPlacement) -> np.ndarray:
        r = self.spec.side
        c = self.img[p.y : p.y + r, p.x : p.x + r]
        if p.hflip:
            c = c[:, ::-1]
        if p.vflip:
            c = c[::-1, :]
        return c


def _axis_weights(r: int, s: int) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    o = np.arange(s, dtype=np.float64)
    src = (o + 0.5) * r / s - 0.5
    src = np.clip(src, 0.0, r - 1)
    i0 = np.floor(src).astype(np.int64)
    i1 = np.minimum(i0 + 1, r - 1)
    return i0, i1, src - i0


def resize_bilinear(v: np.ndarray, s: int) -> np.ndarray:
    """Half-pixel-centre bilinear resize of a square float image (spec 2.6), float64 result."""
    r = v.shape[0]
    v = v.astype(np.float64, copy=False)
    if r == s:
        return v
    y0, y1, wy = _axis_weights(r, s)
    x0, x1, wx = _axis_weights(r, s)
    wx = wx[None, :]
    top = (1 - wx) * v[y0][:, x0] + wx * v[y0][:, x1]
    bot = (1 - wx) * v[y1][:, x0] + wx * v[y1][:, x1]
    return (1 - wy)[:, None] * top + wy[:, None] * bot


def normalize(v: np.ndarray, normalization: Optional[Mapping[str, Any]]) -> np.ndarray:
    """Spec 2.7 on one ROI (float64 in, float64 out). ``None`` leaves values in [0, 1]."""
    if normalization is None:
        return v
    mode = normalization.get("mode")
    if mode == "dataset":
        return (v - float(normalization["mean"])) / float(normalization["std"])
    if mode == "per-roi":
        return (v - v.mean()) / max(float(v.std()), 1e-6)
    raise ValueError(f"unknown normalization mode {mode!r}")


def sample_rois(
    img_u8: np.ndarray,
    spec: RoiSpec,
    seed: int,
    k: int,
    normalization: Optional[Mapping[str, Any]] = None,
    flips: bool = False,
    name: str = "image",
) -> np.ndarray:
    """The whole spec: K ROIs as float32 ``[K, 1, S, S]``."""
    prep = PreparedImage(img_u8, spec, name)
    places = prep.place(Rng(seed), k, flips=flips)
    s = spec.output_size
    out = np.empty((k, 1, s, s), dtype=np.float32)
    for i, p in enumerate(places):
        v = prep.crop_u8(p).astype(np.float64) / 255.0
        out[i, 0] = normalize(resize_bilinear(v, s), normalization)
    return out


def placements_to_list(places: Sequence[RoiPlacement]) -> list:
    return [[p.x, p.y, int(p.hflip), int(p.vflip)] for p in places]
