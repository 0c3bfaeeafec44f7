"""Part-level evaluation: K seeded ROIs per image, softmax summed over all ROIs of a part."""
from __future__ import annotations

import math
from typing import Dict, List, Optional, Sequence

import numpy as np
import torch

from .data import ImageBank, autocast, eval_crops, group_by_serial, to_model_input


@torch.no_grad()
def roi_probabilities(model, bank: ImageBank, k: int, seed: int, split: str, output_size: int, norm: dict,
                      device: torch.device, amp: bool, channels_last: bool, chunk: int = 256) -> np.ndarray:
    """Softmax outputs ``[n_items, k, C]`` for K deterministic ROIs of every image of the bank."""
    model.eval()
    out: List[np.ndarray] = []
    per = max(1, chunk // k)
    for start in range(0, len(bank), per):
        idx = range(start, min(len(bank), start + per))
        crops = torch.cat([eval_crops(bank.prepared[i], seed, f"{split}:{bank.items[i].id}", k) for i in idx])
        x = to_model_input(crops, output_size, norm, device, channels_last)
        with autocast(amp):
            logits = model(x)
        p = torch.softmax(logits.float(), dim=1).cpu().numpy()
        out.append(p.reshape(len(idx), k, -1))
    return np.concatenate(out)


def part_metrics(probs: np.ndarray, bank: ImageBank, classes: Sequence[str], vote_k: int,
                 curve: Optional[Sequence[int]] = None) -> Dict:
    """Accuracy with ``vote_k`` ROIs per image (summed per part), single-ROI accuracy, the
    accuracy-vs-ROIs curve, per-class accuracy and the confusion matrix (rows = truth)."""
    labels = np.array([it.label for it in bank.items])
    groups = group_by_serial(bank.items)
    c = len(classes)
    k_avail = probs.shape[1]

    def vote(k: int):
        truth, pred = [], []
        for idxs in groups.values():
            s = probs[idxs, :k].sum(axis=(0, 1))
            truth.append(labels[idxs[0]])
            pred.append(int(np.argmax(s)))
        return np.array(truth), np.array(pred)

    truth, pred = vote(min(vote_k, k_avail))
    conf = np.zeros((c, c), dtype=np.int64)
    for t, p in zip(truth, pred):
        conf[t, p] += 1
    roi_pred = probs.argmax(axis=2)
    single = float((roi_pred == labels[:, None]).mean())
    ks = [k for k in (curve or [1, 2, 4, 8, 16, 32]) if k <= k_avail]
    by_k = {str(k): float((lambda tp: (tp[0] == tp[1]).mean())(vote(k))) for k in ks}
    per_class = {classes[i]: (float(conf[i, i] / conf[i].sum()) if conf[i].sum() else math.nan) for i in range(c)}
    return {
        "parts": int(len(truth)),
        "images": int(len(labels)),
        "rois": int(vote_k),
        "accuracy": float((truth == pred).mean()),
        "correct": int((truth == pred).sum()),
        "singleRoiAccuracy": single,
        "accuracyByRois": by_k,
        "perClassAccuracy": per_class,
        "confusionMatrix": conf.tolist(),
    }


def nll(probs: np.ndarray, bank: ImageBank) -> float:
    labels = np.array([it.label for it in bank.items])
    p = probs[np.arange(len(labels)), :, labels]
    return float(-np.log(np.clip(p, 1e-12, 1)).mean())
