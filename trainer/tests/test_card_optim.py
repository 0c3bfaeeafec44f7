import copy

import pytest
import torch

from partprint_trainer.card import CardError, check_card, load_schema, validate
from partprint_trainer.optim import FlatLamb

CARD = {
    "schemaVersion": 1, "name": "m", "attribute": "machine", "classes": ["A", "B"],
    "input": {"size": 64, "channels": 1, "layout": "NCHW", "dtype": "float32"},
    "roi": {"downscale": 1, "side": 64, "outputSize": 64, "minMeanFraction": 0.5, "rejectHalvingEvery": 20, "maxAttempts": 200},
    "normalization": {"mode": "dataset", "mean": 0.5, "std": 0.2},
    "architecture": "x", "onnx": {"file": "model.onnx", "opset": 17, "inputName": "input", "outputName": "logits"},
    "training": {"epochs": 1, "batchSize": 2, "optimizer": "lamb"},
}


def test_valid_card_passes():
    check_card(CARD)


@pytest.mark.parametrize("mutate, message", [
    (lambda c: c.pop("roi"), "missing required key 'roi'"),
    (lambda c: c["training"].update(optimizer="sgd"), "must be one of"),
    (lambda c: c["input"].update(channels=3), "must be 1"),
    (lambda c: c.update(classes=["A", "A"]), "not unique"),
    (lambda c: c.update(classes=["A"]), "fewer than 2"),
    (lambda c: c["normalization"].update(std=0), "exclusive minimum"),
    (lambda c: c["roi"].update(side="64"), "expected integer"),
    (lambda c: c.update(pixelSizeUm="5"), "expected number or null"),
    (lambda c: c.update(name=""), "shorter than"),
    (lambda c: c["training"].update(lr=50), "maximum 1"),
    (lambda c: c["training"].update(lr=0), "exclusive minimum"),
    (lambda c: c.update(calibration={"temperature": 0}), "exclusive minimum"),
    (lambda c: c.update(inputCheck={"statistic": "roi-mean-and-log-contrast-z", "threshold": 3,
                                    "perClass": {"A": {"mean": [0.5], "sd": [0.1, 0.2]}}}), "fewer than 2"),
])
def test_invalid_cards_are_rejected_with_the_reason(mutate, message):
    card = copy.deepcopy(CARD)
    mutate(card)
    with pytest.raises(CardError, match=message):
        check_card(card)


def test_validator_covers_every_keyword_the_schema_uses():
    from partprint_trainer.card import SUPPORTED_KEYWORDS, schema_keywords
    used = schema_keywords(load_schema())
    assert used - SUPPORTED_KEYWORDS == set(), f"schema keywords the Python validator does not implement: {used - SUPPORTED_KEYWORDS}"
    assert {"maximum", "exclusiveMinimum", "additionalProperties"} <= used
    with pytest.raises(ValueError, match="does not implement"):
        validate(1, {"type": "number", "multipleOf": 2})


def test_validator_reads_the_repository_schema():
    schema = load_schema()
    assert "training" in schema["required"]
    assert validate({"schemaVersion": 2}, schema)


class Two(torch.nn.Module):
    def __init__(self, init):
        super().__init__()
        self.w = torch.nn.Parameter(init[0].clone())
        self.b = torch.nn.Parameter(init[1].clone())


def test_lamb_matches_a_per_tensor_reference():
    torch.manual_seed(0)
    init = [torch.randn(3, 4), torch.randn(5)]
    grads = [[torch.randn(3, 4), torch.randn(5)] for _ in range(4)]
    model = Two(init)
    opt = FlatLamb(model, lr=1e-2, weight_decay=0.01)
    for g in grads:
        opt.zero_grad()
        model.w.grad.add_(g[0])  # gradients are views of the flat buffer
        model.b.grad.add_(g[1])
        opt.step()
    ref = [p.clone() for p in init]
    m = [torch.zeros_like(p) for p in ref]
    v = [torch.zeros_like(p) for p in ref]
    for t, g in enumerate(grads, 1):
        for i in range(len(ref)):
            m[i] = 0.9 * m[i] + 0.1 * g[i]
            v[i] = 0.999 * v[i] + 0.001 * g[i] * g[i]
            wd = 0.01 if ref[i].ndim >= 2 else 0.0  # no decay on biases
            u = (m[i] / (1 - 0.9 ** t)) / ((v[i] / (1 - 0.999 ** t)).sqrt() + 1e-6) + wd * ref[i]
            ref[i] = ref[i] - 1e-2 * (ref[i].norm() / u.norm()) * u
    torch.testing.assert_close(model.w.detach(), ref[0], atol=1e-6, rtol=1e-5)
    torch.testing.assert_close(model.b.detach(), ref[1], atol=1e-6, rtol=1e-5)


def test_lamb_keeps_parameters_and_gradients_in_its_flat_buffers_through_backward():
    model = torch.nn.Sequential(torch.nn.Conv2d(1, 4, 3), torch.nn.Flatten(), torch.nn.Linear(4 * 6 * 6, 2))
    model = model.to(memory_format=torch.channels_last)
    opt = FlatLamb(model, lr=0.05)
    x, y = torch.randn(8, 1, 8, 8), torch.randint(0, 2, (8,))
    losses = []
    for _ in range(30):
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        losses.append(float(loss))
    conv = model[0].weight
    assert conv.is_contiguous(memory_format=torch.channels_last)
    lo, hi = opt.flat.data_ptr(), opt.flat.data_ptr() + opt.flat.numel() * 4
    glo, ghi = opt.grad.data_ptr(), opt.grad.data_ptr() + opt.grad.numel() * 4
    for p in model.parameters():
        assert lo <= p.data_ptr() < hi and glo <= p.grad.data_ptr() < ghi
    assert float(opt.grad.abs().sum()) > 0 and losses[-1] < 0.5 * losses[0]
    state = opt.state_dict()
    assert float(state["step"]) == 30


def test_lamb_trains_a_tiny_problem():
    torch.manual_seed(1)
    x = torch.randn(64, 4)
    y = (x[:, 0] > 0).long()
    model = torch.nn.Linear(4, 2)
    opt = FlatLamb(model, lr=0.05)
    for _ in range(100):
        loss = torch.nn.functional.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert (model(x).argmax(1) == y).float().mean() > 0.95
