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
