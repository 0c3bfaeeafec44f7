"""Trains a source model on a dataset export and writes model.onnx + model.json.

python3 -m partprint_trainer.train --dataset DIR --out DIR [--epochs 200 --batch-size 16 --lr 1e-3
    --lr-decay 0.99 --weight-decay 0.005 --arch efficientnet_v2_s --roi-side 448 ...]

Model selection uses the validation split only; the test split is evaluated once, at the end.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time

import torch

from . import __version__
from .augment import Ema, Photometric, describe
from .card import check_card
from .data import (DatasetError, EpochSampler, ImageBank, RoiTrainSet, load_dataset, make_loader,
                   normalization_stats)
from .evaluate import nll, part_metrics, roi_probabilities
from .export import OPSET, compare_onnxruntime, export_onnx
from .model import ARCHS, build_model, count_parameters
from .optim import build_optimizer
from .stepper import TrainStep
from .roi import RoiError, RoiSpec, sample_rois

TORCH2 = int(torch.__version__.split(".")[0]) >= 2


def parse_args(argv=None):
    ap = argparse.ArgumentParser(prog="python3 -m partprint_trainer.train", description=__doc__.splitlines()[0])
    ap.add_argument("--dataset", required=True, help="folder with dataset.json (partprint source dataset)")
    ap.add_argument("--out", required=True, help="output folder (model.onnx, model.json, log.jsonl, checkpoints)")
    ap.add_argument("--name", help="model name for the card (default: folder name of --out)")
    ap.add_argument("--epochs", type=int, default=200)
    ap.add_argument("--batch-size", type=int, default=16)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--lr-decay", type=float, default=0.99, help="exponential decay per epoch")
    ap.add_argument("--weight-decay", type=float, default=0.005)
    ap.add_argument("--optimizer", choices=["lamb", "adamw"], default="lamb")
    ap.add_argument("--arch", choices=ARCHS, default="efficientnet_v2_s")
    ap.add_argument("--roi-side", type=int, default=448, help="ROI side in pixels of the (downscaled) dataset images")
    ap.add_argument("--input-size", type=int, default=448, help="model input side; ROIs are resized to it")
    ap.add_argument("--min-mean-fraction", type=float, default=0.5)
    ap.add_argument("--norm", choices=["dataset", "per-roi"], default="dataset")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--workers", type=int, help="DataLoader workers (default: CPU count - 1, at most 16)")
    ap.add_argument("--device", default="auto", help="auto, cpu or cuda")
    ap.add_argument("--val-rois", type=int, default=4, help="ROIs per validation image for model selection")
    ap.add_argument("--val-every", type=int, default=1)
    ap.add_argument("--eval-rois", type=int, default=16, help="ROIs per test image for the reported accuracy")
    ap.add_argument("--curve-rois", type=int, default=32, help="ROIs per test image drawn for the accuracy-vs-ROIs curve")
    ap.add_argument("--steps-per-epoch", type=int, help="cap on steps per epoch (smoke tests)")
    ap.add_argument("--max-seconds", type=float, help="stop after this much wall time in the epoch loop, validation included (best-on-val is still used)")
    ap.add_argument("--ckpt-every", type=int, default=0,
                    help="also write OUT/last.pt every N epochs (default 0: only after the last epoch; best.pt is written once, at the end)")
    ap.add_argument("--rois-per-part", type=int, default=1,
                    help="random ROIs drawn from each training image per epoch (an epoch is rois-per-part x images samples)")
    ap.add_argument("--photometric", choices=["none", "light", "strong", "exposure"], default="none",
                    help="random brightness, contrast, gamma, blur and noise per training ROI (augment.py)")
    ap.add_argument("--rot90", action="store_true", help="random quarter turns of training ROIs (where the surface has no fixed orientation)")
    ap.add_argument("--label-smoothing", type=float, default=0.0)
    ap.add_argument("--ema", type=float, default=0.0, help="decay of an exponential moving average of the weights (0 = off); validation, test and export use the average")
    ap.add_argument("--resume", action="store_true", help="continue from OUT/last.pt")
    ap.add_argument("--compile", action="store_true", help="torch.compile the model (PyTorch 2.x only; no CUDA graph then)")
    ap.add_argument("--no-cuda-graph", action="store_true", help="launch every step eagerly on CUDA")
    ap.add_argument("--no-export", action="store_true")
    ap.add_argument("--extra-val", action="append", default=[], metavar="DIR",
                    help="also select the model on the validation split of another export with the same classes (e.g. a "
                         "brightness-shifted copy of the validation split): accuracy and loss are averaged over all validation sets; repeatable")
    ap.add_argument("--extra-test", action="append", default=[], metavar="DIR",
                    help="also report the final model on the test split of another export with the same classes (e.g. a brightness-shifted copy); repeatable")
    return ap.parse_args(argv)


def pick_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


def hardware(device: torch.device) -> str:
    if device.type == "cuda":
        return f"{torch.cuda.get_device_name(device)}, {os.cpu_count()} CPU cores"
    return f"CPU {platform.processor() or platform.machine()}, {os.cpu_count()} cores"


def log_line(path: str, rec: dict) -> None:
    with open(path, "a", encoding="utf-8") as f:
        f.write(json.dumps(rec) + "\n")
    print(json.dumps(rec), flush=True)


def main(argv=None) -> int:
    a = parse_args(argv)
    try:
        return run(a)
    except (DatasetError, RoiError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2


def run(a) -> int:
    os.makedirs(a.out, exist_ok=True)
    device = pick_device(a.device)
    cuda = device.type == "cuda"
    if cuda:
        torch.backends.cudnn.benchmark = True
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
    torch.manual_seed(a.seed)
    info = load_dataset(a.dataset)
    spec = RoiSpec(side=a.roi_side, output_size=a.input_size, downscale=info.downscale, min_mean_fraction=a.min_mean_fraction)
    t_load = time.perf_counter()
    banks = {s: ImageBank(info, info.split(s), spec) for s in ("train", "val", "test") if info.split(s)}
    print(f"loaded {sum(len(b) for b in banks.values())} images in {time.perf_counter() - t_load:.1f} s", flush=True)
    norm = normalization_stats(banks["train"], a.seed) if a.norm == "dataset" else {"mode": "per-roi"}
    extra_val = {}
    for extra in a.extra_val:
        xinfo = load_dataset(extra)
        if xinfo.classes != info.classes:
            raise DatasetError(f"--extra-val {extra}: classes {xinfo.classes} differ from the training classes")
        if not xinfo.split("val"):
            raise DatasetError(f"--extra-val {extra}: no validation split")
        extra_val[os.path.basename(os.path.normpath(extra))] = ImageBank(xinfo, xinfo.split("val"), spec)
    if extra_val and "val" not in banks:
        raise DatasetError("--extra-val needs a validation split in --dataset too")

    model = build_model(a.arch, len(info.classes)).to(device)
    if cuda:
        model = model.to(memory_format=torch.channels_last)
    opt = build_optimizer(a.optimizer, model, a.lr, a.weight_decay)
    fwd = torch.compile(model) if (a.compile and TORCH2) else model

    ckpt_path = os.path.join(a.out, "last.pt")
    log_path = os.path.join(a.out, "log.jsonl")
    start_epoch, elapsed, best = 0, 0.0, {"acc": -1.0, "loss": float("inf"), "epoch": -1}
    best_state = None
    if a.resume and os.path.exists(ckpt_path):
        ck = torch.load(ckpt_path, map_location=device, weights_only=False)
        model.load_state_dict(ck["model"])
        opt.load_state_dict(ck["optimizer"])
        start_epoch, elapsed, best, norm = ck["epoch"] + 1, ck["elapsed"], ck["best"], ck["norm"]
        best_state = torch.load(os.path.join(a.out, "best.pt"), map_location="cpu", weights_only=False) if os.path.exists(os.path.join(a.out, "best.pt")) else None
        print(f"resumed at epoch {start_epoch}", flush=True)
    elif os.path.exists(log_path):
        os.remove(log_path)

    train_set = RoiTrainSet(banks["train"], a.seed, a.rois_per_part, a.rot90)
    sampler = EpochSampler(len(banks["train"]), a.seed, a.rois_per_part)
    loader = make_loader(train_set, sampler, min(a.batch_size, len(train_set)), a.workers, cuda)
    amp = cuda
    use_graph = cuda and TORCH2 and not a.compile and not a.no_cuda_graph and a.optimizer == "lamb"
    augment = Photometric.preset(a.photometric)
    ema = Ema(model, a.ema) if a.ema > 0 else None
    if ema is not None and a.resume and os.path.exists(ckpt_path) and "ema" in ck:
        for dst, src in zip(ema.shadow + ema.shadow_buffers, ck["ema"]):
            dst.copy_(src.to(dst.device))
    stepper = TrainStep(fwd, opt, spec.output_size, norm, device, amp, cuda, use_graph,
                        augment=augment if augment.enabled() else None, label_smoothing=a.label_smoothing, ema=ema)
    images_seen, train_seconds, epochs_run = 0, 0.0, start_epoch
    # Steady-state speed leaves out this process's first epoch (worker start, cuDNN autotuning, graph capture).
    steady_images, steady_seconds = 0, 0.0
    wall_start = time.perf_counter()
    loop_start = time.perf_counter()
    for epoch in range(start_epoch, a.epochs):
        t0 = time.perf_counter()
        sampler.set_epoch(epoch)
        opt.set_lr(a.lr * a.lr_decay ** epoch)  # exponential decay per epoch
        model.train()
        stepper.reset()
        n = 0
        for step, (xb, yb) in enumerate(loader):
            if a.steps_per_epoch is not None and step >= a.steps_per_epoch:
                break
            stepper(xb, yb)
            n += len(yb)
        if cuda:
            torch.cuda.synchronize()
        dt = time.perf_counter() - t0
        train_seconds += dt
        images_seen += n
        if epoch > start_epoch:
            steady_images += n
            steady_seconds += dt
        lr = opt.param_groups[0]["lr"]
        epochs_run = epoch + 1
        rec = {"epoch": epoch, "lr": lr, "trainLoss": float(stepper.loss_sum) / max(n, 1), "trainAcc": float(stepper.correct) / max(n, 1),
               "images": n, "seconds": round(dt, 3), "imagesPerSecond": round(n / dt, 1) if dt > 0 else None}
        # Wall time of the loop so far plus one more epoch (training and validation) must fit.
        loop_wall = time.perf_counter() - loop_start
        per_epoch = loop_wall / (epoch - start_epoch + 1)
        is_last = epoch == a.epochs - 1 or (a.max_seconds is not None and loop_wall + per_epoch * 1.5 >= a.max_seconds)
        if "val" in banks and (epoch % a.val_every == 0 or is_last):
            if ema is not None:
                ema.swap()
            probs = roi_probabilities(model, banks["val"], a.val_rois, a.seed, "val", spec.output_size, norm, device, amp, cuda)
            vm = part_metrics(probs, banks["val"], info.classes, a.val_rois, curve=[1])
            vl = nll(probs, banks["val"])
            rec.update(valAcc=vm["accuracy"], valSingleRoiAcc=vm["singleRoiAccuracy"], valLoss=vl)
            sel_acc, sel_loss = vm["accuracy"], vl
            if extra_val:
                accs, losses = [vm["accuracy"]], [vl]
                for xname, xbank in extra_val.items():
                    xp = roi_probabilities(model, xbank, a.val_rois, a.seed, "val", spec.output_size, norm, device, amp, cuda)
                    accs.append(part_metrics(xp, xbank, info.classes, a.val_rois, curve=[1])["accuracy"])
                    losses.append(nll(xp, xbank))
                    rec.setdefault("extraVal", {})[xname] = {"acc": accs[-1], "loss": losses[-1]}
                sel_acc, sel_loss = sum(accs) / len(accs), sum(losses) / len(losses)
                rec.update(selectionAcc=sel_acc, selectionLoss=sel_loss)
            if sel_acc > best["acc"] or (sel_acc == best["acc"] and sel_loss < best["loss"]):
                best = {"acc": sel_acc, "loss": sel_loss, "epoch": epoch, **({"valAcc": vm["accuracy"], "extraValScores": rec["extraVal"]} if extra_val else {})}
                best_state = {k: v.detach().to("cpu", copy=True) for k, v in model.state_dict().items()}
            if ema is not None:
                ema.swap()
        log_line(log_path, rec)
        if is_last or (a.ckpt_every > 0 and (epoch + 1) % a.ckpt_every == 0):
            torch.save({"model": model.state_dict(), "optimizer": opt.state_dict(), "epoch": epoch,
                        "elapsed": elapsed + train_seconds, "best": best, "norm": norm, "args": vars(a),
                        **({"ema": [t.detach().cpu() for t in ema.shadow + ema.shadow_buffers]} if ema is not None else {})}, ckpt_path)
        if is_last:
            break
    total_seconds = elapsed + train_seconds
    loop_wall_seconds = time.perf_counter() - wall_start
    if best_state is not None:
        torch.save(best_state, os.path.join(a.out, "best.pt"))
        model.load_state_dict(best_state)
    elif ema is not None:
        ema.swap()
    else:
        best = {"acc": None, "loss": None, "epoch": a.epochs - 1, "note": "no validation split: last epoch used"}

    metrics = {"selection": {"split": "val", "rois": a.val_rois, **best,
                             **({"extraVal": sorted(extra_val), "rule": "mean accuracy (then mean NLL) over val and each extra val split"} if extra_val else {})}}
    if "test" in banks:
        k = max(a.eval_rois, a.curve_rois)
        probs = roi_probabilities(model, banks["test"], k, a.seed, "test", spec.output_size, norm, device, amp, cuda)
        metrics["test"] = part_metrics(probs, banks["test"], info.classes, a.eval_rois)
        print(f"test accuracy ({a.eval_rois} ROIs, part-level): {metrics['test']['accuracy']:.4f}; "
              f"single ROI: {metrics['test']['singleRoiAccuracy']:.4f}", flush=True)
    # One epoch only: nothing steady to measure, so that epoch's own speed (recorded as such).
    for extra in a.extra_test:
        xinfo = load_dataset(extra)
        if xinfo.classes != info.classes:
            raise DatasetError(f"--extra-test {extra}: classes {xinfo.classes} differ from the training classes")
        xbank = ImageBank(xinfo, xinfo.split("test"), spec)
        k = max(a.eval_rois, a.curve_rois)
        xp = roi_probabilities(model, xbank, k, a.seed, "test", spec.output_size, norm, device, amp, cuda)
        metrics.setdefault("extraTests", {})[os.path.basename(os.path.normpath(extra))] = part_metrics(xp, xbank, info.classes, a.eval_rois)
        print(f"extra test {extra}: {metrics['extraTests'][os.path.basename(os.path.normpath(extra))]['accuracy']:.4f}", flush=True)
    ips = steady_images / steady_seconds if steady_seconds > 0 else (images_seen / train_seconds if train_seconds > 0 else None)
    card = make_card(a, info, spec, norm, metrics, total_seconds, ips, device, model)
    card["training"]["secondsCounts"] = "training steps only, summed over epochs (no data loading before the loop, validation, test or export)"
    card["training"]["loopWallSeconds"] = round(loop_wall_seconds, 2)
    card["training"]["imagesPerSecondCounts"] = ("epochs after this process's first (warm-up) epoch" if steady_seconds > 0 else "the only epoch (includes warm-up)")
    card["training"]["roisPerPart"] = a.rois_per_part
    card["training"]["augmentation"] = {"flips": True, "rot90": a.rot90, "photometric": describe(augment), "preset": a.photometric}
    card["training"]["labelSmoothing"] = a.label_smoothing
    card["training"]["ema"] = a.ema
    card["training"]["epochsRun"] = epochs_run
    card["training"]["cudaGraph"] = stepper.graph is not None
    if stepper.graph_error:
        card["training"]["cudaGraphError"] = stepper.graph_error
    if not a.no_export:
        onnx_path = os.path.join(a.out, "model.onnx")
        card["onnx"]["opset"] = export_onnx(model, spec.output_size, onnx_path)
        first = (banks.get("test") or banks["train"]).prepared[0]
        # Inputs made by the numpy twin of the spec, as the TypeScript side would make them.
        x = torch.from_numpy(sample_rois(first.img, RoiSpec(**{**spec.__dict__, "downscale": 1}), a.seed, 4, normalization=norm))
        diff = compare_onnxruntime(model, onnx_path, x)
        card["metrics"]["onnxMaxAbsLogitDiff"] = diff
        print(f"ONNX vs PyTorch max |logit diff|: {diff if diff is not None else 'onnxruntime not installed'}", flush=True)
    check_card(card)
    with open(os.path.join(a.out, "model.json"), "w", encoding="utf-8") as f:
        json.dump(card, f, indent=2)
        f.write("\n")
    with open(os.path.join(a.out, "metrics.json"), "w", encoding="utf-8") as f:
        json.dump(card["metrics"], f, indent=2)
    return 0


def make_card(a, info, spec: RoiSpec, norm, metrics, seconds, ips, device, model) -> dict:
    px = info.pixel_size_um
    sample_mm = (spec.side * spec.downscale * px / 1000.0) if isinstance(px, (int, float)) else None
    note = ("LAMB implemented in partprint_trainer/optim.py (PyTorch has none)" if a.optimizer == "lamb"
            else "AdamW (torch.optim) used instead of the reference LAMB")
    return {
        "schemaVersion": 1,
        "name": a.name or os.path.basename(os.path.normpath(a.out)),
        "attribute": info.attribute,
        "classes": info.classes,
        "input": {"size": spec.output_size, "channels": 1, "layout": "NCHW", "dtype": "float32"},
        "roi": spec.to_dict(),
        "normalization": norm,
        "pixelSizeUm": px,
        "sampleSizeMm": sample_mm,
        "architecture": a.arch,
        "onnx": {"file": "model.onnx", "opset": OPSET, "inputName": "input", "outputName": "logits"},
        "training": {"epochs": a.epochs, "batchSize": a.batch_size, "optimizer": a.optimizer, "optimizerNote": note,
                     "lr": a.lr, "weightDecay": a.weight_decay, "lrDecay": a.lr_decay, "seconds": round(seconds, 2),
                     "hardware": hardware(device), "torchVersion": torch.__version__,
                     "imagesPerSecond": round(ips, 1) if ips else 0.0, "seed": a.seed, "parameters": count_parameters(model),
                     "bf16": device.type == "cuda", "trainerVersion": __version__},
        "data": info.summary(),
        "metrics": metrics,
    }


if __name__ == "__main__":
    sys.exit(main())
