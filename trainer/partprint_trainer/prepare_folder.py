"""Makes a dataset export (docs/source-spec.md section 1) from a folder of class folders.

python3 -m partprint_trainer.prepare_folder --src ../shared/data/neu-det --out DIR \
    --train 120 --val 20 [--test 60] [--downscale 1]

Images in each class folder are ordered by the last number in their file name (then by name);
the first --train go to train, the next --val to val, the next --test (default: the rest) to test.
Each image is its own part (serial = class/file stem). Images are written as 8-bit grey PNG,
downscaled by block means rounded half up, as the TypeScript export does.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import sys

from PIL import Image

from .imageio import read_grey
from .roi import downscale_u8

EXTS = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".pgm")


def _order_key(name: str):
    nums = re.findall(r"\d+", name)
    return (int(nums[-1]) if nums else -1, name)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python3 -m partprint_trainer.prepare_folder", description=__doc__.splitlines()[0])
    ap.add_argument("--src", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--train", type=int, required=True)
    ap.add_argument("--val", type=int, default=0)
    ap.add_argument("--test", type=int)
    ap.add_argument("--downscale", type=int, default=1)
    ap.add_argument("--attribute", default="class")
    ap.add_argument("--pixel-size-um", type=float)
    a = ap.parse_args(argv)
    classes = sorted(d for d in os.listdir(a.src) if os.path.isdir(os.path.join(a.src, d)))
    if len(classes) < 2:
        print(f"error: {a.src} has fewer than 2 class folders", file=sys.stderr)
        return 2
    os.makedirs(os.path.join(a.out, "images"), exist_ok=True)
    items = []
    for label, cls in enumerate(classes):
        files = sorted((f for f in os.listdir(os.path.join(a.src, cls)) if f.lower().endswith(EXTS)), key=_order_key)
        need = a.train + a.val + (a.test or 0)
        if len(files) < need or len(files) <= a.train + a.val:
            print(f"error: class {cls} has {len(files)} images; the split needs more than {a.train + a.val}", file=sys.stderr)
            return 2
        test_end = a.train + a.val + a.test if a.test is not None else len(files)
        for i, f in enumerate(files[:test_end]):
            split = "train" if i < a.train else "val" if i < a.train + a.val else "test"
            stem = os.path.splitext(f)[0]
            img = downscale_u8(read_grey(os.path.join(a.src, cls, f)), a.downscale)
            rel = f"images/{cls}__{stem}.png"
            Image.fromarray(img, mode="L").save(os.path.join(a.out, rel))
            items.append({"id": f"{cls}/{stem}", "serial": f"{cls}/{stem}", "captureId": None, "file": rel,
                          "label": label, "split": split})
    doc = {"schemaVersion": 1, "attribute": a.attribute, "classes": classes, "pixelSizeUm": a.pixel_size_um,
           "downscale": a.downscale, "seed": 1, "items": items}
    with open(os.path.join(a.out, "dataset.json"), "w", encoding="utf-8") as f:
        json.dump(doc, f, indent=1)
    print(f"wrote {len(items)} images of {len(classes)} classes to {a.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
