import torch
import torch.nn as nn

from partprint_trainer.model import build_model


def test_mobilenet_batchnorm_momentum_settles_in_short_runs():
    model = build_model("mobilenet_v3_small", 3)
    momenta = {m.momentum for m in model.modules() if isinstance(m, nn.BatchNorm2d)}
    assert momenta == {0.1}


def test_one_channel_stem_and_class_count():
    model = build_model("mobilenet_v3_small", 5).eval()
    with torch.no_grad():
        out = model(torch.randn(2, 1, 64, 64))
    assert out.shape == (2, 5)
