"""Dataset export reader (docs/source-spec.md section 1) and the training data pipeline.

Workers return uint8 crops at the ROI side (cheap to move); the GPU (or CPU) converts, resizes to
the model input and normalises in batches (see ``to_model_input``).
"""
from __future__ import annotations

import contextlib
import json
import os
from concurrent.futures import ThreadPoolExecutor
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Dict, Iterator, List, Optional, Sequence, Tuple

import numpy as np
import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset, Sampler

from .imageio import read_grey
from .rng import Rng, derive_seed
from .roi import PreparedImage, RoiSpec

SPLITS = ("train", "val", "test")


class DatasetError(ValueError):
    """dataset.json is malformed or leaks parts between splits."""


@dataclass
class Item:
    id: str
    serial: str
    file: str
    label: int
    split: str


@dataclass
class DatasetInfo:
    root: str
    attribute: str
    classes: List[str]
    pixel_size_um: Optional[float]
    downscale: int
    seed: int
    items: List[Item] = field(default_factory=list)
    # What made the data when it is synthetic (dataset.json "synth": generator config and commit).
    generator: Optional[dict] = None

    def split(self, name: str) -> List[Item]:
        return [it for it in self.items if it.split == name]

    def summary(self) -> dict:
        out: dict = {"attribute": self.attribute, "classes": len(self.classes), "downscale": self.downscale}
        for s in SPLITS:
            items = self.split(s)
            per = Counter(self.classes[it.label] for it in items)
            out[s] = {"images": len(items), "parts": len({it.serial for it in items}), "perClass": dict(sorted(per.items()))}
        if self.generator is not None:
            out["generator"] = self.generator
        return out


def load_dataset(root: str) -> DatasetInfo:
    path = os.path.join(root, "dataset.json")
    try:
        with open(path, "r", encoding="utf-8") as f:
            d = json.load(f)
    except FileNotFoundError as e:
        raise DatasetError(f"{path} not found") from e
    except json.JSONDecodeError as e:
        raise DatasetError(f"{path} is not valid JSON: {e}") from e
    if d.get("schemaVersion") != 1:
        raise DatasetError(f"{path}: schemaVersion must be 1, got {d.get('schemaVersion')!r}")
    classes = d.get("classes")
    if not isinstance(classes, list) or len(classes) < 2 or len(set(classes)) != len(classes):
        raise DatasetError(f"{path}: classes must be a list of at least 2 distinct names")
    items = []
    split_of: Dict[str, str] = {}
    for i, it in enumerate(d.get("items") or []):
        try:
            item = Item(str(it["id"]), str(it["serial"]), str(it["file"]), int(it["label"]), str(it["split"]))
        except (KeyError, TypeError, ValueError) as e:
            raise DatasetError(f"{path}: item {i} is missing or has a bad field: {e}") from e
        if item.split not in SPLITS:
            raise DatasetError(f"{path}: item {item.id} has split {item.split!r}; expected one of {SPLITS}")
        if not 0 <= item.label < len(classes):
            raise DatasetError(f"{path}: item {item.id} has label {item.label} outside 0..{len(classes) - 1}")
        prev = split_of.setdefault(item.serial, item.split)
        if prev != item.split:
            raise DatasetError(f"{path}: part {item.serial} appears in both {prev} and {item.split} splits")
        items.append(item)
    if not any(it.split == "train" for it in items):
        raise DatasetError(f"{path}: no training items")
    return DatasetInfo(root, str(d.get("attribute", "class")), [str(c) for c in classes], d.get("pixelSizeUm"),
                       int(d.get("downscale", 1)), int(d.get("seed", 1)), items,
                       d.get("synth") if isinstance(d.get("synth"), dict) else None)


class ImageBank:
    """All images of a split, loaded once as 8-bit arrays with their sampling checks done."""

    def __init__(self, info: DatasetInfo, items: Sequence[Item], spec: RoiSpec) -> None:
        # The export is already downscaled: sample at factor 1 (spec section 1).
        self.spec = RoiSpec(**{**spec.__dict__, "downscale": 1})
        self.items = list(items)
        def load(it: Item) -> PreparedImage:
            return PreparedImage(read_grey(os.path.join(info.root, it.file)), self.spec, it.file)

        with ThreadPoolExecutor(max_workers=min(16, os.cpu_count() or 1)) as pool:
            self.prepared = list(pool.map(load, self.items))

    def __len__(self) -> int:
        return len(self.items)


class RoiTrainSet(Dataset):
    """``rois_per_part`` fresh random ROIs (with flips, and quarter turns when ``rot90``) per item per
    epoch; keys are ``(index, epoch, j)`` with j < rois_per_part. j = 0 draws from the same stream
    as one-ROI-per-epoch training did, so ``rois_per_part=1`` reproduces earlier runs."""

    def __init__(self, bank: ImageBank, seed: int, rois_per_part: int = 1, rot90: bool = False) -> None:
        self.bank = bank
        self.seed = seed
        self.rois_per_part = max(1, int(rois_per_part))
        self.rot90 = rot90

    def __len__(self) -> int:
        return len(self.bank) * self.rois_per_part

    def __getitem__(self, key: Tuple[int, int, int]):
        i, epoch, j = key if len(key) == 3 else (*key, 0)
        prep = self.bank.prepared[i]
        rng = Rng(derive_seed(self.seed, "train", epoch, i) if j == 0 else derive_seed(self.seed, "train", epoch, i, j))
        p = prep.place(rng, 1, flips=True)[0]
        crop = np.ascontiguousarray(prep.crop_u8(p))
        if self.rot90:
            turns = Rng(derive_seed(self.seed, "rot90", epoch, i, j)).next()
            crop = np.ascontiguousarray(np.rot90(crop, int(turns * 4) % 4))
        return torch.from_numpy(crop).unsqueeze(0), self.bank.items[i].label


class EpochSampler(Sampler):
    """Seeded shuffle per epoch yielding ``(index, epoch, j)`` so persistent workers stay reproducible."""

    def __init__(self, n: int, seed: int, rois_per_part: int = 1) -> None:
        self.n, self.seed, self.epoch, self.rois_per_part = n, seed, 0, max(1, int(rois_per_part))

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __iter__(self) -> Iterator[Tuple[int, int, int]]:
        total = self.n * self.rois_per_part
        perm = np.random.RandomState(derive_seed(self.seed, "shuffle", self.epoch)).permutation(total)
        return iter([(int(k) % self.n, self.epoch, int(k) // self.n) for k in perm])

    def __len__(self) -> int:
        return self.n * self.rois_per_part


def make_loader(ds: RoiTrainSet, sampler: EpochSampler, batch_size: int, workers: Optional[int], cuda: bool) -> DataLoader:
    if workers is None:
        workers = max(0, min((os.cpu_count() or 1) - 1, 16))
    kw = dict(batch_size=batch_size, sampler=sampler, num_workers=workers, pin_memory=cuda, drop_last=True)
    if workers > 0:
        kw.update(persistent_workers=True, prefetch_factor=4)
    return DataLoader(ds, **kw)


def autocast(enabled: bool):
    """bf16 autocast on CUDA; a no-op elsewhere (torch 1.13 CPU builds reject CUDA autocast)."""
    if not enabled:
        return contextlib.nullcontext()
    return torch.autocast(device_type="cuda", dtype=torch.bfloat16)


def eval_crops(prep: PreparedImage, seed: int, key: str, k: int) -> torch.Tensor:
    """K deterministic inference ROIs (no flips) of one image as uint8 ``[K, 1, r, r]``."""
    places = prep.place(Rng(derive_seed(seed, "eval", key)), k, flips=False)
    return torch.from_numpy(np.stack([np.ascontiguousarray(prep.crop_u8(p)) for p in places])[:, None])


def to_model_input(x_u8: torch.Tensor, output_size: int, norm: dict, device: torch.device, channels_last: bool,
                   augment=None) -> torch.Tensor:
    """uint8 crops -> float32 [0,1] -> bilinear resize (half-pixel, no antialias) -> [photometric
    augmentation, training only] -> normalised."""
    x = x_u8.to(device, non_blocking=True).float().div_(255.0)
    if x.shape[-1] != output_size:
        x = F.interpolate(x, size=(output_size, output_size), mode="bilinear", align_corners=False)
    if augment is not None:
        from .augment import photometric
        x = photometric(x, augment)
    if norm["mode"] == "dataset":
        x = (x - norm["mean"]) / norm["std"]
    else:
        m = x.mean(dim=(1, 2, 3), keepdim=True)
        s = x.std(dim=(1, 2, 3), keepdim=True, unbiased=False).clamp_min(1e-6)
        x = (x - m) / s
    if channels_last:
        x = x.contiguous(memory_format=torch.channels_last)
    return x


def normalization_stats(bank: ImageBank, seed: int, per_image: int = 4) -> dict:
    """Mean and std of ``v = I/255`` over seeded training ROIs (the card's dataset normalisation)."""
    total = 0.0
    total2 = 0.0
    n = 0
    for i, prep in enumerate(bank.prepared):
        for p in prep.place(Rng(derive_seed(seed, "norm", i)), per_image):
            c = prep.crop_u8(p).astype(np.float64) / 255.0
            total += float(c.sum())
            total2 += float((c * c).sum())
            n += c.size
    mean = total / n
    std = max((total2 / n - mean * mean) ** 0.5, 1e-6)
    return {"mode": "dataset", "mean": mean, "std": std}


def group_by_serial(items: Sequence[Item]) -> Dict[str, List[int]]:
    g: Dict[str, List[int]] = defaultdict(list)
    for i, it in enumerate(items):
        g[it.serial].append(i)
    return g
