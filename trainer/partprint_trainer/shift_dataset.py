"""A copy of a dataset export whose test images are shifted in brightness and contrast.

python3 -m partprint_trainer.shift_dataset --src DATA --out DATA-shifted [--split test]

The shift is as large as the spread between the training classes: the brightness offset is the
difference between the darkest and the brightest class mean (of v = I/255 over the training
images), the contrast factor the ratio of the largest to the smallest class mean contrast (the
standard deviation of v within an image). An image darker than mid-grey is made brighter and more
contrasted, a brighter one darker and flatter (so as few pixels as possible clip):
``v' = clip((v - m) * c**s + m + s * db)``, s = +1 if m < 0.5 else -1, m the image's own mean.
Other splits are linked unchanged, so the copy is a complete export (the trainer's
``--extra-test`` and the TypeScript ``evaluateSource`` read it like any other).
"""
from __future__ import annotations

import argparse
import json
import os
import sys

import numpy as np
from PIL import Image

from .imageio import read_grey


def class_stats(root: str, doc: dict) -> dict:
    per: dict = {}
    for it in doc["items"]:
        if it["split"] != "train":
            continue
        v = read_grey(os.path.join(root, it["file"])).astype(np.float64) / 255.0
        per.setdefault(it["label"], []).append((v.mean(), v.std()))
    means = {doc["classes"][k]: float(np.mean([m for m, _ in xs])) for k, xs in per.items()}
    contrasts = {doc["classes"][k]: float(np.mean([s for _, s in xs])) for k, xs in per.items()}
    return {"classMeans": means, "classContrasts": contrasts,
            "brightnessOffset": max(means.values()) - min(means.values()),
            "contrastFactor": max(contrasts.values()) / max(min(contrasts.values()), 1e-6)}


def shift_image(img: np.ndarray, offset: float, factor: float) -> np.ndarray:
    v = img.astype(np.float64) / 255.0
    m = float(v.mean())
    s = 1.0 if m < 0.5 else -1.0
    out = (v - m) * factor ** s + m + s * offset
    return np.clip(np.floor(out * 255.0 + 0.5), 0, 255).astype(np.uint8)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python3 -m partprint_trainer.shift_dataset", description=__doc__.splitlines()[0])
    ap.add_argument("--src", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--split", default="test")
    a = ap.parse_args(argv)
    with open(os.path.join(a.src, "dataset.json"), encoding="utf-8") as f:
        doc = json.load(f)
    stats = class_stats(a.src, doc)
    os.makedirs(os.path.join(a.out, "images"), exist_ok=True)
    clipped = []
    for it in doc["items"]:
        src = os.path.join(a.src, it["file"])
        name = os.path.basename(it["file"])
        dst = os.path.join(a.out, "images", name)
        if os.path.lexists(dst):
            os.remove(dst)
        if it["split"] == a.split:
            img = read_grey(src)
            out = shift_image(img, stats["brightnessOffset"], stats["contrastFactor"])
            clipped.append(float(((out == 0) | (out == 255)).mean()))
            Image.fromarray(out, mode="L").save(os.path.splitext(dst)[0] + ".png")
            it["file"] = f"images/{os.path.splitext(name)[0]}.png"
        else:
            os.symlink(os.path.abspath(src), dst)
            it["file"] = f"images/{name}"
    doc["shift"] = {**stats, "split": a.split, "rule": "v' = clip((v - m) * c**s + m + s * db), s = +1 if m < 0.5 else -1",
                    "meanClippedShare": float(np.mean(clipped)) if clipped else 0.0}
    with open(os.path.join(a.out, "dataset.json"), "w", encoding="utf-8") as f:
        json.dump(doc, f, indent=1)
    print(json.dumps(doc["shift"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
