"""A few training steps at a small ROI size on the CPU, ONNX export, card validation, resume.

When PARTPRINT_SMOKE_OUT is set, the trained model folder and a reference input/logits pair are
left there for test/e2e/trainer-smoke.test.ts to check with onnxruntime-node."""
import json
import os
import shutil

import numpy as np
import onnx
import torch
from PIL import Image

from partprint_trainer.card import check_card
from partprint_trainer.model import build_model
from partprint_trainer.roi import RoiSpec, sample_rois
from partprint_trainer.train import main as train_main


def make_dataset(root, per_class=(4, 2, 2), size=64):
    """Two texture classes (horizontal vs vertical stripes with noise); one image per part."""
    os.makedirs(os.path.join(root, "images"))
    rs = np.random.RandomState(0)
    items = []
    for label in range(2):
        for split, n in zip(("train", "val", "test"), per_class):
            for i in range(n):
                period = 4 + rs.randint(0, 3)
                ramp = (np.arange(size) % period < period // 2) * 80.0
                img = np.tile(ramp, (size, 1)) if label == 0 else np.tile(ramp[:, None], (1, size))
                img = np.clip(img + 90 + rs.normal(0, 20, (size, size)), 0, 255).astype(np.uint8)
                serial = f"P{label}{split}{i}"
                Image.fromarray(img, mode="L").save(os.path.join(root, "images", f"{serial}.png"))
                items.append({"id": f"{serial}-c1", "serial": serial, "captureId": len(items) + 1,
                              "file": f"images/{serial}.png", "label": label, "split": split})
    doc = {"schemaVersion": 1, "attribute": "machine", "classes": ["M01", "M02"], "pixelSizeUm": 5.3, "downscale": 1,
           "seed": 1, "items": items}
    with open(os.path.join(root, "dataset.json"), "w") as f:
        json.dump(doc, f)


def test_smoke_train_export_resume(tmp_path):
    data, out = tmp_path / "data", tmp_path / "model"
    make_dataset(str(data))
    args = ["--dataset", str(data), "--out", str(out), "--arch", "mobilenet_v3_small", "--roi-side", "32",
            "--input-size", "48", "--batch-size", "4", "--epochs", "1", "--workers", "0", "--val-rois", "2",
            "--eval-rois", "4", "--curve-rois", "8", "--name", "smoke"]
    assert train_main(args) == 0
    card = json.loads((out / "model.json").read_text())
    check_card(card)
    assert card["classes"] == ["M01", "M02"] and card["input"]["size"] == 48 and card["roi"]["side"] == 32
    assert abs(card["sampleSizeMm"] - 32 * 5.3 / 1000) < 1e-12
    assert card["normalization"]["mode"] == "dataset" and card["normalization"]["std"] > 0
    t = card["metrics"]["test"]
    assert t["parts"] == 4 and sum(map(sum, t["confusionMatrix"])) == 4 and set(t["accuracyByRois"]) == {"1", "2", "4", "8"}
    m = onnx.load(str(out / "model.onnx"))
    onnx.checker.check_model(m)
    assert [i.name for i in m.graph.input] == ["input"] and [o.name for o in m.graph.output] == ["logits"]
    assert m.graph.input[0].type.tensor_type.shape.dim[0].dim_param  # dynamic batch
    # resume: a second epoch continues from last.pt and appends to the log
    assert train_main(args[:args.index("--epochs")] + ["--epochs", "2"] + args[args.index("--epochs") + 2:] + ["--resume"]) == 0
    log = [json.loads(line) for line in (out / "log.jsonl").read_text().splitlines()]
    assert [r["epoch"] for r in log] == [0, 1]
    assert json.loads((out / "model.json").read_text())["training"]["epochs"] == 2

    keep = os.environ.get("PARTPRINT_SMOKE_OUT")
    if keep:
        model = build_model("mobilenet_v3_small", 2)
        state = torch.load(str(out / "best.pt"), map_location="cpu")
        model.load_state_dict(state)
        model.eval()
        img = np.asarray(Image.open(data / "images" / "P0test0.png"))
        x = sample_rois(img, RoiSpec.from_dict(card), 7, 3, normalization=card["normalization"])
        with torch.no_grad():
            logits = model(torch.from_numpy(x)).numpy()
        shutil.copytree(str(out), os.path.join(keep, "model"), dirs_exist_ok=True)
        with open(os.path.join(keep, "reference.json"), "w") as f:
            json.dump({"shape": list(x.shape), "input": x.ravel().tolist(), "logits": logits.ravel().tolist(),
                       "classes": card["classes"]}, f)


def test_bad_dataset_is_refused_with_a_reason(tmp_path, capsys):
    data = tmp_path / "data"
    make_dataset(str(data), per_class=(2, 1, 1))
    doc = json.loads((data / "dataset.json").read_text())
    doc["items"][1]["serial"] = doc["items"][-1]["serial"]  # same part in train and test
    (data / "dataset.json").write_text(json.dumps(doc))
    assert train_main(["--dataset", str(data), "--out", str(tmp_path / "o"), "--epochs", "1"]) == 2
    assert "appears in both" in capsys.readouterr().err


def test_recipe_options_and_shifted_copy(tmp_path):
    """Many ROIs per part, photometric augmentation, quarter turns, label smoothing and EMA train and
    export; the card records them; a brightness-shifted copy is evaluated as an extra test, and a
    shifted copy of the validation split takes part in model selection."""
    from partprint_trainer.shift_dataset import main as shift_main

    data, out, shifted = tmp_path / "data", tmp_path / "model", tmp_path / "shifted"
    make_dataset(str(data))
    assert shift_main(["--src", str(data), "--out", str(shifted)]) == 0
    doc = json.loads((shifted / "dataset.json").read_text())
    assert doc["shift"]["brightnessOffset"] >= 0 and doc["shift"]["contrastFactor"] >= 1
    test_item = next(it for it in doc["items"] if it["split"] == "test")
    before = np.asarray(Image.open(data / "images" / os.path.basename(test_item["file"]))).astype(float)
    after = np.asarray(Image.open(shifted / test_item["file"])).astype(float)
    assert abs(after.mean() - before.mean()) > 0 or doc["shift"]["brightnessOffset"] == 0
    shifted_val = tmp_path / "shifted-val"
    assert shift_main(["--src", str(data), "--out", str(shifted_val), "--split", "val"]) == 0
    args = ["--dataset", str(data), "--out", str(out), "--arch", "mobilenet_v3_small", "--roi-side", "32",
            "--input-size", "32", "--batch-size", "4", "--epochs", "2", "--workers", "0", "--val-rois", "2",
            "--eval-rois", "4", "--curve-rois", "4", "--rois-per-part", "3", "--photometric", "strong", "--rot90",
            "--label-smoothing", "0.1", "--ema", "0.9", "--extra-test", str(shifted), "--extra-val", str(shifted_val), "--no-export"]
    assert train_main(args) == 0
    card = json.loads((out / "model.json").read_text())
    check_card(card)
    tr = card["training"]
    assert tr["roisPerPart"] == 3 and tr["augmentation"]["rot90"] is True and tr["augmentation"]["photometric"]["gamma"] > 0
    assert tr["labelSmoothing"] == 0.1 and tr["ema"] == 0.9
    assert "after this process's first" in tr["imagesPerSecondCounts"] and tr["imagesPerSecond"] > 0
    log = [json.loads(line) for line in (out / "log.jsonl").read_text().splitlines()]
    assert all(r["images"] == 8 * 3 for r in log)  # 8 training images x 3 ROIs (batch 4, none dropped)
    assert card["metrics"]["extraTests"]["shifted"]["parts"] == 4
    sel = card["metrics"]["selection"]
    assert sel["extraVal"] == ["shifted-val"] and 0 <= sel["acc"] <= 1 and "shifted-val" in sel["extraValScores"]
    assert all("shifted-val" in r["extraVal"] for r in log if "valAcc" in r)
    assert not (out / "last.pt").exists() or len(log) == 2  # written once, after the last epoch


def test_photometric_and_ema_units():
    from partprint_trainer.augment import Ema, Photometric, photometric

    torch.manual_seed(0)
    x = torch.rand(8, 1, 16, 16)
    y = photometric(x, Photometric.preset("strong"))
    assert y.shape == x.shape and float(y.min()) >= 0 and float(y.max()) <= 1 and not torch.equal(x, y)
    assert torch.equal(photometric(x, Photometric.preset("none")), x)
    z = photometric(x, Photometric.preset("exposure"))  # clipped and back on 8-bit grey levels
    assert float(z.min()) >= 0 and float(z.max()) <= 1
    assert torch.allclose(z * 255, torch.round(z * 255), atol=1e-4)
    m = torch.nn.Linear(2, 1)
    ema = Ema(m, 0.5)
    with torch.no_grad():
        m.weight.add_(2.0)
    w_live = m.weight.detach().clone()
    ema.update()
    ema.swap()
    assert torch.allclose(m.weight, w_live - 1.0)  # halfway between the start and the live weights
    ema.swap()
    assert torch.allclose(m.weight, w_live)
