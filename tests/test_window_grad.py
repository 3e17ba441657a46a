"""radiuscnn.numeric.window_grad: the reference engine's gradient is ``loss.backward()``'s, bit for bit."""

import itertools

import pytest
import torch

from radiuscnn.numeric import fastgrad, window_grad, windows
from radiuscnn.numeric.data import make_dataset
from radiuscnn.numeric.model import init_params
from radiuscnn.numeric.activations import TORCH
from radiuscnn.theory.config import Config

SHAPES = {
    "1d": {},
    "1d-k1-valid": {"kernel": 1, "padding": "valid"},
    "1d-k4-circular": {"kernel": 4, "padding": "circular"},
    "2d": {"dim": 2, "size": 9, "kernel": 3, "radii": (1, 2, 3)},
}
CASES = [
    (shape, head, act, dtype, E)
    for shape, head, act, dtype in itertools.product(SHAPES, ("gap", "fc"), TORCH, (torch.float32, torch.float64))
    for E in ((1, 6, 64) if shape == "1d" else (6,))
]


def setup(kwargs: dict, dtype: torch.dtype, E: int):
    cfg = Config(**kwargs)
    data = make_dataset(cfg, 11, dtype)
    return cfg, data, windows.plan(cfg, data.x), fastgrad.Packed(cfg, init_params(cfg, E, 3, dtype))


def autograd_gradient(cfg, data, plan, packed):
    """``(L (E,), dL/dtheta)`` by ``loss.backward()`` through the window forward."""
    theta = packed.theta.detach().clone().requires_grad_(True)
    losses = ((windows.output(cfg, packed.views(theta), plan) - data.y) ** 2).mean(dim=1)
    losses.sum().backward()
    return losses.detach(), theta.grad


@pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel")
@pytest.mark.parametrize("shape,head,act,dtype,E", CASES, ids=lambda v: str(v).replace("torch.", ""))
def test_gradient_is_autograds_bit_for_bit(shape, head, act, dtype, E):
    cfg, data, plan, packed = setup({**SHAPES[shape], "head": head, "activation": act}, dtype, E)
    with torch.no_grad():
        losses = window_grad.loss_and_gradient(cfg, packed.params, plan, data.y, packed.grads)
        assert torch.equal(window_grad.losses(cfg, packed.params, plan, data.y), losses)
    expected_losses, expected = autograd_gradient(cfg, data, plan, packed)
    assert torch.equal(losses, expected_losses)
    for name, grad in packed.views(expected).items():
        assert torch.equal(packed.grads[name], grad), name


def test_comparison_sees_a_wrong_derivative(monkeypatch):
    """The bitwise comparison above rejects a backward that is off: leaky ReLU's slope 0.2 in
    place of alpha = 0.1."""
    cfg, data, plan, packed = setup({"activation": "leaky_relu"}, torch.float32, 6)
    _, expected = autograd_gradient(cfg, data, plan, packed)
    monkeypatch.setitem(window_grad.ACTIVATION_BACKWARD, "leaky_relu",
                        lambda cfg, g, z, u: torch.ops.aten.leaky_relu_backward(g, z, 0.2, False))
    with torch.no_grad():
        window_grad.loss_and_gradient(cfg, packed.params, plan, data.y, packed.grads)
    assert not torch.equal(packed.grads["w"], packed.views(expected)["w"])
    assert torch.equal(packed.grads["beta"], packed.views(expected)["beta"])  # the head side is untouched


@pytest.mark.parametrize("C", [1, 2, 3, 5])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_channel_sum_is_sum_over_channels(C, dtype):
    """``windows.channel_sum`` gives ``sum(-1)``'s values bit for bit (equal, the same signs of
    zero, NaN in the same places), also on signed zeros, infinities, NaN and subnormals."""
    special = torch.tensor([0.0, -0.0, 1.0, -1.0, float("inf"), -float("inf"), float("nan"),
                            torch.finfo(dtype).tiny / 3, 1e30, -1e30, 3.0, 1e-8], dtype=dtype)
    pairs = torch.cartesian_prod(*[special] * min(C, 2))
    x = torch.cat([pairs.reshape(-1, min(C, 2)), torch.randn(500, min(C, 2), dtype=dtype)])
    if C > 2:
        x = torch.randn(500, C, dtype=dtype)
    x = x.reshape(-1, 1, C)
    got, expected = windows.channel_sum(x), x.sum(-1)
    assert torch.equal(got.isnan(), expected.isnan())
    keep = ~expected.isnan()
    assert torch.equal(got[keep], expected[keep])
    assert torch.equal(got[keep].signbit(), expected[keep].signbit())  # -0 where sum gives -0


@pytest.mark.parametrize("C", [1, 2, 3])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_over_channels_is_the_expanded_copy_bit_for_bit(C, dtype):
    """``window_grad._over_channels`` (C = 2: through a complex tensor) writes exactly the bits
    of ``g.unsqueeze(-1).expand(..., C).contiguous()`` in its layout, signed zeros,
    infinities, subnormals and a NaN payload included, also from a transposed ``g``."""
    special = torch.tensor([0.0, -0.0, 1.0, float("inf"), -float("inf"), float("nan"),
                            torch.finfo(dtype).tiny / 3, -1e30], dtype=dtype)
    bits = torch.int32 if dtype == torch.float32 else torch.int64
    payload = torch.tensor([0x7FA00001 if dtype == torch.float32 else 0x7FF4000000000001], dtype=bits).view(dtype)
    values = torch.cat([special, payload, torch.randn(39, dtype=dtype)])
    for g in (values.reshape(6, 8), values.reshape(8, 6).t()):  # contiguous, and a transposed view
        got = window_grad._over_channels(g, C)
        expected = g.unsqueeze(-1).expand(6, 8, C).contiguous()
        assert got.shape == (6, 8, C) and got.dtype == dtype
        assert got.stride() == expected.stride()  # contiguous (n, E, C) whatever g's layout
        assert torch.equal(got.view(bits), expected.view(bits))
