"""CLI for the TS/Python parity test: writes K sampled ROIs as raw little-endian float32.

python3 -m partprint_trainer.sample_rois --image PNG --spec JSON --seed S --k K --out FILE.f32

--spec is a model card (model.json) or a bare ROI object; the card's ``normalization`` is applied
when present (``--no-normalize`` skips it). The output is ``K * S * S`` float32 values in NCHW
order; ``--positions FILE.json`` also writes the accepted [x, y, hflip, vflip] of each ROI.
"""
from __future__ import annotations

import argparse
import json
import sys

import numpy as np

from .imageio import read_grey
from .rng import Rng
from .roi import PreparedImage, RoiError, RoiSpec, placements_to_list, sample_rois


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python3 -m partprint_trainer.sample_rois", description=__doc__.splitlines()[0])
    ap.add_argument("--image", required=True)
    ap.add_argument("--spec", required=True, help="model.json or a ROI spec JSON")
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--k", type=int, default=16)
    ap.add_argument("--out", required=True)
    ap.add_argument("--flips", action="store_true", help="draw training flips as well")
    ap.add_argument("--no-normalize", action="store_true")
    ap.add_argument("--positions", help="also write the accepted positions as JSON")
    a = ap.parse_args(argv)
    with open(a.spec, "r", encoding="utf-8") as f:
        card = json.load(f)
    spec = RoiSpec.from_dict(card)
    norm = None if a.no_normalize else card.get("normalization")
    img = read_grey(a.image)
    try:
        rois = sample_rois(img, spec, a.seed, a.k, normalization=norm, flips=a.flips, name=a.image)
        if a.positions:
            places = PreparedImage(img, spec, a.image).place(Rng(a.seed), a.k, flips=a.flips)
            with open(a.positions, "w", encoding="utf-8") as f:
                json.dump(placements_to_list(places), f)
    except RoiError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    rois.astype("<f4").tofile(a.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
