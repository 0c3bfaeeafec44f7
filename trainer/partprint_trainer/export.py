"""ONNX export (opset 17, input ``input`` [N,1,S,S] float32, output ``logits`` [N,C], dynamic N)
and an optional onnxruntime check against PyTorch."""
from __future__ import annotations

import copy
from typing import Optional

import numpy as np
import torch

OPSET = 17


def export_onnx(model: torch.nn.Module, size: int, path: str) -> int:
    """Writes the ONNX file and returns the opset it declares."""
    m = copy.deepcopy(model).float().cpu().eval()
    m = m.to(memory_format=torch.contiguous_format)
    dummy = torch.zeros(2, 1, size, size)
    kw = dict(opset_version=OPSET, input_names=["input"], output_names=["logits"],
              dynamic_axes={"input": {0: "N"}, "logits": {0: "N"}}, do_constant_folding=True)
    with torch.no_grad():
        if int(torch.__version__.split(".")[0]) >= 2:
            try:
                # The TorchScript exporter: the same graph on torch 1.13 and 2.x.
                torch.onnx.export(m, (dummy,), path, dynamo=False, **kw)
            except (TypeError, RuntimeError, ImportError) as e:  # a torch without it: the dynamo exporter
                print(f"TorchScript ONNX exporter unavailable ({e}); using dynamo=True", flush=True)
                kw.pop("dynamic_axes")
                batch = torch.export.Dim("N", min=1, max=4096)
                torch.onnx.export(m, (dummy,), path, dynamo=True, dynamic_shapes={"x": {0: batch}}, external_data=False, **kw)
        else:
            torch.onnx.export(m, dummy, path, **kw)
    try:
        import onnx

        proto = onnx.load(path)
        onnx.checker.check_model(proto)
        return int(next(o.version for o in proto.opset_import if o.domain in ("", "ai.onnx")))
    except ImportError:
        return OPSET


def compare_onnxruntime(model: torch.nn.Module, path: str, x: torch.Tensor) -> Optional[float]:
    """Max |logit difference| between onnxruntime and PyTorch (fp32, CPU), or None without onnxruntime."""
    try:
        import onnxruntime as ort
    except ImportError:
        return None
    m = copy.deepcopy(model).float().cpu().eval()
    with torch.no_grad():
        ref = m(x.float().cpu().contiguous()).numpy()
    sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    got = sess.run(["logits"], {"input": x.float().cpu().contiguous().numpy()})[0]
    return float(np.abs(got - ref).max())
