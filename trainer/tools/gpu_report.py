"""Builds bench/results/trainer-gpu.{json,md} and confusion-matrix SVGs from the GPU runs kept
under bench/results/trainer-runs/ (run from the repository root: python3 trainer/tools/gpu_report.py)."""
import json
import os

RUNS = "bench/results/trainer-runs"
OUT = "bench/results"


def load(p):
    with open(os.path.join(RUNS, p)) as f:
        return json.load(f)


def svg_confusion(cm, classes, title, path):
    n = len(cm)
    cell = 28 if n <= 8 else 22
    left, top = 130, 40
    w, h = left + n * cell + 20, top + n * cell + 110
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" font-family="sans-serif" font-size="11">',
           f'<text x="10" y="20" font-size="13">{title}</text>']
    for i, row in enumerate(cm):
        tot = sum(row) or 1
        out.append(f'<text x="{left - 6}" y="{top + i * cell + cell * 0.65}" text-anchor="end">{classes[i]}</text>')
        for j, v in enumerate(row):
            f = v / tot
            shade = int(255 - 200 * f)
            col = f"rgb({shade},{shade},255)" if i == j else f"rgb(255,{shade},{shade})"
            out.append(f'<rect x="{left + j * cell}" y="{top + i * cell}" width="{cell}" height="{cell}" fill="{col}" stroke="#ccc"/>')
            if v:
                out.append(f'<text x="{left + j * cell + cell / 2}" y="{top + i * cell + cell * 0.65}" text-anchor="middle">{v}</text>')
    for j, c in enumerate(classes):
        x, y = left + j * cell + cell * 0.6, top + n * cell + 8
        out.append(f'<text x="{x}" y="{y}" transform="rotate(60 {x} {y})">{c}</text>')
    out.append(f'<text x="{left}" y="{h - 8}">rows: true class, columns: predicted (part-level, 16 ROIs)</text></svg>')
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")


def summarise(card, metrics):
    t, tr = metrics["test"], card["training"]
    return {"model": card["name"], "architecture": card["architecture"], "roiSide": card["roi"]["side"],
            "inputSize": card["input"]["size"], "sampleSizeMm": card.get("sampleSizeMm"),
            "epochsRun": tr.get("epochsRun"), "epochsPlanned": tr["epochs"], "trainSeconds": tr["seconds"],
            "imagesPerSecond": tr["imagesPerSecond"], "cudaGraph": tr.get("cudaGraph"), "hardware": tr["hardware"],
            "selection": metrics["selection"], "testParts": t["parts"], "testAccuracy16": t["accuracy"],
            "singleRoiAccuracy": t["singleRoiAccuracy"], "accuracyByRois": t["accuracyByRois"],
            "perClassAccuracy": t["perClassAccuracy"], "confusionMatrix": t["confusionMatrix"],
            "onnxMaxAbsLogitDiff": metrics.get("onnxMaxAbsLogitDiff")}


H200_RUNS = "call5-h200-1024"
# (strength, run folder, what it is for)
H200_MODELS = (("1.2", "s1.2-v2s", "reference schedule, timed alone on the GPU"),
               ("1.2", "s1.2-mnv3s-full", "CPU latency model; trained beside the open-set run"),
               ("1.2", "s1.2-mnv3s-open", "open set: M21 left out (20 classes); trained beside the full run"),
               ("0.85", "s0.85-mnv3s", "trained beside the 0.7 run"),
               ("0.7", "s0.7-mnv3s", "trained beside the 0.85 run"))


def errors_by_process(cm):
    n = len(cm)
    within = sum(cm[i][j] for i in range(n) for j in range(n) if i != j and i % 4 == j % 4)
    across = sum(cm[i][j] for i in range(n) for j in range(n) if i % 4 != j % 4)
    return within, across


def session_h200_1024():
    """The second GPU session: 1024 px parts (5.43 mm), ROI 224 px; V2-S on the reference schedule, timed."""
    rows = []
    for strength, d, why in H200_MODELS:
        card, m = load(f"{H200_RUNS}/{d}/model.json"), load(f"{H200_RUNS}/{d}/metrics.json")
        s = summarise(card, m)
        s.update(strength=float(strength), run=d, note=why, generator=card["data"].get("generator"))
        s["errorsWithinProcess"], s["errorsAcrossProcesses"] = errors_by_process(s["confusionMatrix"])
        s["worstClass"] = min(s["perClassAccuracy"].items(), key=lambda kv: kv[1])
        rows.append(s)
        svg_confusion(m["test"]["confusionMatrix"], card["classes"], f"Synthetic {len(card['classes'])} machines, strength {strength}, {card['architecture']}, 1024 px: {m['test']['accuracy']:.4f}",
                      f"{OUT}/trainer-synth1024-{d}-confusion.svg")
    # Wall time of the reference-schedule run: from the timeline that run5.sh wrote on the device.
    stamps = {}
    with open(os.path.join(RUNS, H200_RUNS, "timeline.txt")) as f:
        for line in f:
            if line.startswith("[") and " s] " in line:
                t, what = line[1:].split(" s] ", 1)
                stamps.setdefault(what.strip().split(" rc=")[0], int(t))
    with open(os.path.join(RUNS, H200_RUNS, "s1.2-v2s", "log.jsonl")) as f:
        log = [json.loads(x) for x in f]
    steps = [r["imagesPerSecond"] for r in log if r.get("imagesPerSecond")]
    wall = {"generateSeconds": stamps["generated"] - stamps["generate"],
            "v2sWallSeconds": stamps["v2s done"] - stamps["train v2s"],
            "v2sTrainLoopSeconds": sum(r["seconds"] for r in log),
            "medianEpochImagesPerSecond": sorted(steps)[len(steps) // 2],
            "epochs": len(log)}
    return {"device": "NVIDIA H200 (device tool, nvidia-h200), 16 CPU cores, torch 2.11.0+cu130", "models": rows, "wall": wall}


def section_h200_1024(r):
    w = r["wall"]
    L = ["## Second GPU session: synthetic parts at 1024 px (5.43 mm), ROI 224 px (1.19 mm)", "",
         f"Device: {r['device']}. 21 machines x 160 parts (100 train / 10 val / 50 test each), generated on the device by "
         "`trainer/gpu/synth-dataset.ts` (synth commit recorded in each card as `data.generator.commit`). Scripts: "
         f"`trainer-runs/{H200_RUNS}/run5.sh`, `call6.sh`.", "",
         "### Reference schedule, timed (EfficientNetV2-S, input 448, LAMB lr 1e-3 decay 0.99, wd 0.005, batch 16, 200 epochs, flips)", "",
         "| measure | value |", "| --- | --- |",
         f"| training images per epoch | 2100 (131 steps of 16) |",
         f"| epochs | {w['epochs']} |",
         f"| training loop (steps only, sum of epochs) | {w['v2sTrainLoopSeconds']:.0f} s ({w['v2sTrainLoopSeconds'] / 60:.1f} min) |",
         f"| median images/s per epoch | {w['medianEpochImagesPerSecond']} |",
         f"| whole run, wall clock (load 3360 images, normalisation stats, 200 epochs, validation every 5 epochs, test with 32 ROIs, ONNX export and check) | **{w['v2sWallSeconds']} s ({w['v2sWallSeconds'] / 60:.1f} min)** |",
         f"| data generation before it (3360 parts, 16 processes) | {w['generateSeconds']} s |", "",
         "### Accuracy on the test split (1050 parts; 1000 for the open-set model), evaluated by the trainer", "",
         "| strength | model | classes | train s | test acc (16 ROIs) | single ROI | acc by ROIs 1/2/4/8/16/32 | errors within / across process | worst class | note |",
         "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for s in r["models"]:
        L.append(f"| {s['strength']} | {s['architecture']} | {len(s['perClassAccuracy'])} | {s['trainSeconds']} | **{s['testAccuracy16']:.4f}** | {s['singleRoiAccuracy']:.4f} | "
                 + "/".join(f"{v:.3f}" for v in s["accuracyByRois"].values())
                 + f" | {s['errorsWithinProcess']} / {s['errorsAcrossProcesses']} | {s['worstClass'][0]} {s['worstClass'][1]:.2f} | {s['note']} |")
    L += ["", "Confusion matrices: `trainer-synth1024-*-confusion.svg`. The TypeScript evaluation of the bundled model is in `source-synth21.md`.", ""]
    return L


def main():
    res = {"name": "trainer-gpu", "device": "NVIDIA H100 80GB HBM3 (device tool, nvidia-h100-x1), 16 CPU cores, torch 2.11.0+cu130",
           "neuDet": [], "synthetic": [], "throughput": {}}
    for d in ("neu-mnv3s", "neu-v2s"):
        card, m = load(f"call1-neu-det/{d}/model.json"), load(f"call1-neu-det/{d}/metrics.json")
        res["neuDet"].append(summarise(card, m))
        svg_confusion(m["test"]["confusionMatrix"], card["classes"], f"NEU-DET test, {card['architecture']}: {m['test']['accuracy']:.4f}", f"{OUT}/trainer-neu-det-{d}-confusion.svg")
    for strength, d in (("0.7", "call3-synth-s0.7/synth-efficientnet_v2_s"), ("0.7", "call3-synth-s0.7/synth-mobilenet_v3_small"),
                        ("0.85", "call4-synth-sweep/synth-s0.85-mnv3s"), ("1", "call4-synth-sweep/synth-s1-mnv3s")):
        card, m = load(f"{d}/model.json"), load(f"{d}/metrics.json")
        s = summarise(card, m)
        s["strength"] = float(strength)
        # Machines get processes round-robin (synth catalogue): M01 DLS, M02 MJF, M03 SLA, M04 FDM, ...
        cm = s["confusionMatrix"]
        s["errorsWithinProcess"] = sum(cm[i][j] for i in range(21) for j in range(21) if i != j and i % 4 == j % 4)
        s["errorsAcrossProcesses"] = sum(cm[i][j] for i in range(21) for j in range(21) if i % 4 != j % 4)
        res["synthetic"].append(s)
        tag = d.split("/")[-1]
        svg_confusion(m["test"]["confusionMatrix"], card["classes"], f"Synthetic 21 machines, strength {strength}, {card['architecture']}: {m['test']['accuracy']:.4f}",
                      f"{OUT}/trainer-synth-s{strength}-{tag}-confusion.svg")
    s04 = []
    for d in ("synth-v2s", "synth-mnv3s"):
        with open(os.path.join(RUNS, f"call2b-synth-s0.4-cut/{d}/log.jsonl")) as f:
            log = [json.loads(x) for x in f]
        best = max(log, key=lambda r: r.get("valAcc", 0))
        s04.append({"model": d, "epochsRun": len(log), "bestValAcc4Rois": best["valAcc"], "bestValSingleRoi": best["valSingleRoiAcc"], "epoch": best["epoch"]})
    res["synthStrength04Cut"] = s04
    thr1 = [json.loads(x) for x in open(os.path.join(RUNS, "call1-neu-det/output-tail.txt")) if x.startswith("{")]
    thr2 = load("call2-throughput/throughput.json")
    res["throughput"] = {"call1Eager": thr1, "call2": thr2["steps"], "loader": thr2["loader"]}
    res["h200_1024"] = session_h200_1024()
    with open(f"{OUT}/trainer-gpu.json", "w") as f:
        json.dump(res, f, indent=2)

    L = ["# Benchmark: trainer-gpu", "", f"Device: {res['device']}. Measured with `python3 -m partprint_trainer.*` through the device tool; raw logs, cards and metrics in `bench/results/trainer-runs/`.", ""]
    L += ["## Training throughput, EfficientNetV2-S at 448, bf16, channels-last, LAMB, batch of random uint8 ROIs", "",
          "| batch | mode | ms/step | images/s | reference schedule (2100 x 200) min | peak GiB |", "| --- | --- | --- | --- | --- | --- |"]
    for r in thr1:
        L.append(f"| {r['batch']} | eager (call 1) | {r['msPerStep']} | {r['imagesPerSecond']} | {r['referenceScheduleMinutes']} | {r['peakGiB']} |")
    for r in thr2["steps"]:
        L.append(f"| {r['batch']} | {r['mode']} (call 2) | {r['msPerStep']} | {r['imagesPerSecond']} | {r['referenceScheduleMinutes']} | {r['peakGiB']} |")
    L += ["", f"CPU data pipeline (random 448 ROI + flips from in-memory 1024x1024 images, 3 workers): {thr2['loader']['imagesPerSecond']} images/s.", ""]
    L += ["## NEU-DET (6 classes; per class images 1-120 train, 121-140 val, 141-200 test; ROI 160 px of 200x200, resized to 224)", "",
          "| model | epochs | train s | test acc (16 ROIs) | single ROI | acc by ROIs 1/2/4/8/16/32 | val acc (selection) |", "| --- | --- | --- | --- | --- | --- | --- |"]
    for s in res["neuDet"]:
        L.append(f"| {s['architecture']} | {s['epochsRun']} | {s['trainSeconds']} | {s['testAccuracy16']:.4f} | {s['singleRoiAccuracy']:.4f} | "
                 + "/".join(f"{v:.3f}" for v in s["accuracyByRois"].values()) + f" | {s['selection']['acc']:.3f} (epoch {s['selection']['epoch']}) |")
    L += ["", "Confusion matrices: `trainer-neu-det-neu-mnv3s-confusion.svg`, `trainer-neu-det-neu-v2s-confusion.svg`.", ""]
    L += ["## Synthetic, 21 machines x 160 parts (100 train / 10 val / 50 test each), 512 px at 5.3 um, ROI 224 px (1.19 mm), input 224", "",
          "| strength | model | epochs | train s (excl. validation) | test acc (16 ROIs) | single ROI | acc by ROIs 1/2/4/8/16/32 | errors within / across process |", "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    for s in res["synthetic"]:
        L.append(f"| {s['strength']} | {s['architecture']} | {s['epochsRun']} | {s['trainSeconds']} | {s['testAccuracy16']:.4f} | {s['singleRoiAccuracy']:.4f} | "
                 + "/".join(f"{v:.3f}" for v in s["accuracyByRois"].values()) + f" | {s['errorsWithinProcess']} / {s['errorsAcrossProcesses']} |")
    for s in s04:
        L.append(f"| 0.4 (cut) | {s['model']} | {s['epochsRun']} | - | not evaluated (killed before test) | val {s['bestValSingleRoi']:.3f} | val 4-ROI {s['bestValAcc4Rois']:.3f} | - |")
    L += ["", "Test sets: 1050 parts. Strength 0.7: both models trained at the same time on the one GPU (V2-S stopped by its 443 s wall-clock cap after 153 of 200 epochs); 0.85 and 1.0: both trained at the same time, each the full 200 epochs. 0.4 runs were stopped by their time limit before the test evaluation; their best validation numbers are shown.", ""]
    L += section_h200_1024(res["h200_1024"])
    with open(f"{OUT}/trainer-gpu.md", "w") as f:
        f.write("\n".join(L) + "\n")


if __name__ == "__main__":
    main()
