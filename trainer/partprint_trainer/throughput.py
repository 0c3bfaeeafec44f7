"""Training throughput: images/s of the full training step (uint8 ROIs -> model input, bf16
forward/backward, LAMB step) and of the CPU data pipeline, with the projected wall time of the
reference schedule (2100 parts x 200 epochs).

python3 -m partprint_trainer.throughput --arch efficientnet_v2_s --size 448 --batch-sizes 16,64 --steps 200 --out FILE.json
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from types import SimpleNamespace

import numpy as np
import torch

from .data import EpochSampler, RoiTrainSet, make_loader
from .model import build_model
from .optim import build_optimizer
from .roi import PreparedImage, RoiSpec
from .stepper import TrainStep

REFERENCE_IMAGES = 2100 * 200


def step_throughput(arch: str, size: int, batch: int, steps: int, warmup: int, mode: str, device: torch.device) -> dict:
    """mode: "eager", "graph" (CUDA graph of the whole step) or "compile" (torch.compile, eager launches)."""
    cuda = device.type == "cuda"
    torch.manual_seed(0)
    model = build_model(arch, 21).to(device)
    if cuda:
        model = model.to(memory_format=torch.channels_last)
    opt = build_optimizer("lamb", model, 1e-3, 0.005)
    fwd = torch.compile(model) if mode == "compile" else model
    norm = {"mode": "dataset", "mean": 0.5, "std": 0.2}
    xb = torch.randint(0, 256, (batch, 1, size, size), dtype=torch.uint8)
    if cuda:
        xb = xb.pin_memory()
    yb = torch.randint(0, 21, (batch,))
    model.train()
    stepper = TrainStep(fwd, opt, size, norm, device, cuda, cuda, use_graph=mode == "graph")
    t = time.perf_counter()
    for _ in range(warmup):
        stepper(xb, yb)
    if cuda:
        torch.cuda.synchronize()
    warm_s = time.perf_counter() - t
    stepper.reset()
    t = time.perf_counter()
    for _ in range(steps):
        stepper(xb, yb)
    if cuda:
        torch.cuda.synchronize()
    dt = time.perf_counter() - t
    loss = float(stepper.loss_sum) / (batch * steps)
    ips = batch * steps / dt
    mem = torch.cuda.max_memory_allocated(device) / 2**30 if cuda else None
    graph_used = stepper.graph is not None
    del model, opt, fwd, stepper
    if cuda:
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats(device)
    return {"arch": arch, "size": size, "batch": batch, "mode": mode, "cudaGraph": graph_used, "steps": steps,
            "warmupSeconds": round(warm_s, 2), "seconds": round(dt, 3), "msPerStep": round(1000 * dt / steps, 2),
            "imagesPerSecond": round(ips, 1), "referenceScheduleMinutes": round(REFERENCE_IMAGES / ips / 60, 2),
            "peakGiB": round(mem, 2) if mem else None, "meanLoss": round(loss, 4)}


class _MemoryBank:
    def __init__(self, prepared, items) -> None:
        self.prepared, self.items = prepared, items

    def __len__(self) -> int:
        return len(self.items)


def loader_throughput(side: int, batch: int, workers: int, batches: int, image_side: int = 1024) -> dict:
    """Images/s the CPU pipeline delivers: in-memory 8-bit images, one random ROI + flips per item."""
    rs = np.random.RandomState(0)
    spec = RoiSpec(side=side, output_size=side)
    n = 256
    prepared = [PreparedImage(rs.randint(0, 256, (image_side, image_side), dtype=np.uint8), spec, f"img{i}") for i in range(n)]
    ds = RoiTrainSet(_MemoryBank(prepared, [SimpleNamespace(label=i % 21) for i in range(n)]), 1)
    sampler = EpochSampler(n, 1)
    loader = make_loader(ds, sampler, batch, workers, torch.cuda.is_available())
    seen, epoch = 0, 0
    t = None
    got = 0
    while got < batches + 5:
        sampler.set_epoch(epoch)
        for xb, _ in loader:
            got += 1
            if got == 5:
                t = time.perf_counter()
            elif got > 5:
                seen += len(xb)
            if got >= batches + 5:
                break
        epoch += 1
    dt = time.perf_counter() - t
    return {"roiSide": side, "batch": batch, "workers": workers, "imagesPerSecond": round(seen / dt, 1)}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python3 -m partprint_trainer.throughput", description=__doc__.splitlines()[0])
    ap.add_argument("--arch", default="efficientnet_v2_s")
    ap.add_argument("--size", type=int, default=448)
    ap.add_argument("--batch-sizes", default="16")
    ap.add_argument("--steps", type=int, default=200)
    ap.add_argument("--warmup", type=int, default=30)
    ap.add_argument("--modes", default="eager", help="comma list of eager, graph, compile")
    ap.add_argument("--loader-workers", type=int, help="also measure the CPU data pipeline with this many workers")
    ap.add_argument("--out")
    a = ap.parse_args(argv)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True
    res = {"device": torch.cuda.get_device_name(0) if device.type == "cuda" else "cpu", "torch": torch.__version__,
           "cpus": os.cpu_count(), "steps": [], "loader": None}
    for b in [int(x) for x in a.batch_sizes.split(",")]:
        for mode in a.modes.split(","):
            try:
                r = step_throughput(a.arch, a.size, b, a.steps, a.warmup, mode, device)
            except RuntimeError as e:  # out of memory, or a compiler failure: record it and go on
                r = {"arch": a.arch, "size": a.size, "batch": b, "mode": mode, "error": str(e).splitlines()[0][:300]}
                if device.type == "cuda":
                    torch.cuda.empty_cache()
            print(json.dumps(r), flush=True)
            res["steps"].append(r)
            if a.out:
                with open(a.out, "w", encoding="utf-8") as f:
                    json.dump(res, f, indent=2)
    if a.loader_workers is not None:
        res["loader"] = loader_throughput(a.size, 16, a.loader_workers, 150)
        print(json.dumps(res["loader"]), flush=True)
    if a.out:
        with open(a.out, "w", encoding="utf-8") as f:
            json.dump(res, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
