import json
import os
import subprocess
import sys

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from PIL import Image

from partprint_trainer.rng import Rng
from partprint_trainer.roi import PreparedImage, RoiError, RoiSpec, downscale_u8, resize_bilinear, sample_rois

ROOT = os.path.join(os.path.dirname(__file__), "..")


def texture(h=96, w=120, seed=0):
    rs = np.random.RandomState(seed)
    return rs.randint(30, 220, (h, w)).astype(np.uint8)


def test_all_dark_image_fails_fast_with_its_name():
    with pytest.raises(RoiError, match="dark.png.*all dark"):
        sample_rois(np.ones((64, 64), np.uint8), RoiSpec(side=16, output_size=16), 1, 4, name="dark.png")


def test_image_smaller_than_roi_fails():
    with pytest.raises(RoiError, match="smaller than the ROI side"):
        sample_rois(texture(20, 40), RoiSpec(side=32, output_size=32), 1, 1)


def test_sampler_terminates_when_no_roi_can_pass():
    # One bright pixel: max >= 2/255, but every ROI mean is ~0 while tau > 0 -> bounded failure.
    img = np.zeros((200, 200), np.uint8)
    img[0, 0] = 255
    spec = RoiSpec(side=16, output_size=16, max_attempts=200)
    with pytest.raises(RoiError, match="200 attempts"):
        sample_rois(img, spec, 3, 1, name="spot")


def test_threshold_halving_lets_dim_regions_through():
    # Bright left half, dim right half: after halvings, ROIs of the dim half are accepted too.
    img = np.full((64, 256), 10, np.uint8)
    img[:, :64] = 250
    prep = PreparedImage(img, RoiSpec(side=32, output_size=32, reject_halving_every=2), "halves")
    places = prep.place(Rng(5), 40)
    assert any(p.x > 64 for p in places)


def test_rois_are_deterministic_in_bounds_and_bright_enough():
    img = texture()
    img[:, :60] = 0  # dark background
    spec = RoiSpec(side=24, output_size=24)
    prep = PreparedImage(img, spec)
    places = prep.place(Rng(9), 32)
    assert places == PreparedImage(img, spec).place(Rng(9), 32)
    tau = 0.5 * img.sum() / (img.size * 255)
    for p in places:
        assert 0 <= p.x <= img.shape[1] - 24 and 0 <= p.y <= img.shape[0] - 24
        assert img[p.y:p.y + 24, p.x:p.x + 24].mean() / 255 >= tau


def test_flips_are_drawn_after_acceptance_from_the_same_stream():
    img = texture()
    spec = RoiSpec(side=24, output_size=24)
    plain = PreparedImage(img, spec).place(Rng(4), 1)[0]
    flipped = PreparedImage(img, spec).place(Rng(4), 1, flips=True)[0]
    assert (plain.x, plain.y) == (flipped.x, flipped.y)
    r = Rng(4)
    r.next(), r.next()  # the accepted position (texture: first attempt passes)
    assert (flipped.hflip, flipped.vflip) == (r.next() < 0.5, r.next() < 0.5)


def test_resize_matches_torch_bilinear_half_pixel():
    rs = np.random.RandomState(1)
    for r, s in [(40, 64), (64, 40), (17, 16), (32, 32)]:
        v = rs.rand(r, r)
        ours = resize_bilinear(v, s)
        ref = F.interpolate(torch.from_numpy(v)[None, None], size=(s, s), mode="bilinear", align_corners=False)[0, 0].numpy()
        np.testing.assert_allclose(ours, ref, atol=1e-12)


def test_downscale_rounds_block_means_half_up():
    img = np.array([[0, 1, 2, 2], [0, 0, 2, 3]], np.uint8)  # block means 0.25 and 2.25
    assert downscale_u8(img, 2).tolist() == [[0, 2]]
    img = np.array([[1, 2], [1, 2]], np.uint8)  # 1.5 -> 2 (half up)
    assert downscale_u8(img, 2).tolist() == [[2]]


def test_normalisation_modes():
    img = texture()
    spec = RoiSpec(side=32, output_size=48)
    raw = sample_rois(img, spec, 2, 3)
    ds = sample_rois(img, spec, 2, 3, normalization={"mode": "dataset", "mean": 0.4, "std": 0.2})
    np.testing.assert_allclose(ds, (raw.astype(np.float64) - 0.4) / 0.2, atol=1e-5)
    pr = sample_rois(img, spec, 2, 3, normalization={"mode": "per-roi"})
    assert pr.shape == (3, 1, 48, 48) and pr.dtype == np.float32
    np.testing.assert_allclose(pr.reshape(3, -1).mean(1), 0, atol=1e-5)
    np.testing.assert_allclose(pr.reshape(3, -1).std(1), 1, atol=1e-4)


def test_sample_rois_cli_writes_raw_float32(tmp_path):
    img = texture(80, 90, seed=3)
    png = tmp_path / "t.png"
    Image.fromarray(img, mode="L").save(png)
    card = {"roi": {"downscale": 2, "side": 20, "outputSize": 32, "minMeanFraction": 0.5, "rejectHalvingEvery": 20, "maxAttempts": 200},
            "normalization": {"mode": "dataset", "mean": 0.5, "std": 0.25}}
    spec_path = tmp_path / "model.json"
    spec_path.write_text(json.dumps(card))
    out = tmp_path / "rois.f32"
    pos = tmp_path / "pos.json"
    subprocess.run([sys.executable, "-m", "partprint_trainer.sample_rois", "--image", str(png), "--spec", str(spec_path),
                    "--seed", "11", "--k", "5", "--out", str(out), "--positions", str(pos)], check=True, cwd=ROOT)
    got = np.fromfile(out, dtype="<f4").reshape(5, 1, 32, 32)
    want = sample_rois(img, RoiSpec.from_dict(card), 11, 5, normalization=card["normalization"])
    np.testing.assert_array_equal(got, want)
    assert len(json.loads(pos.read_text())) == 5
    dark = tmp_path / "dark.png"
    Image.fromarray(np.zeros((80, 90), np.uint8), mode="L").save(dark)
    bad = subprocess.run([sys.executable, "-m", "partprint_trainer.sample_rois", "--image", str(dark), "--spec", str(spec_path),
                          "--seed", "1", "--k", "1", "--out", str(out)], cwd=ROOT, capture_output=True, text=True)
    assert bad.returncode == 2 and "all dark" in bad.stderr
