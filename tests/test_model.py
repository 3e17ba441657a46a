"""radiuscnn.numeric.model: padding conventions, both heads and every activation, against explicit loops."""

import math
from fractions import Fraction

import pytest
import torch
import torch.nn.functional as F

from radiuscnn.numeric.activations import activation
from radiuscnn.numeric.data import make_dataset
from radiuscnn.numeric.model import forward, init_params, member, pad, param_shapes, to_exact
from radiuscnn.theory.activations import piecewise_linear
from radiuscnn.theory.config import ACTIVATIONS, Config
from radiuscnn.theory.network import output as exact_output

SCALAR = {
    "relu": lambda z: max(0.0, z),
    "leaky_relu": lambda z: z if z >= 0 else 0.1 * z,
    "abs": abs,
    "hardtanh": lambda z: min(1.0, max(-1.0, z)),
    "identity": lambda z: z,
    "tanh": math.tanh,
    "sigmoid": lambda z: 1 / (1 + math.exp(-z)),
    "softplus": lambda z: math.log1p(math.exp(z)),
}


def signal_at(cfg: Config, x, index: int):
    """x at centred position ``index`` (one axis), with the padding's value outside the signal."""
    if cfg.padding == "circular":
        return x[(index + cfg.M) % cfg.size]
    if -cfg.M <= index <= cfg.M:
        return x[index + cfg.M]
    assert cfg.padding == "zeros", "valid padding never looks outside"
    return 0.0


def loop_forward_1d(cfg: Config, p: dict, e: int, x: list[float]) -> tuple[list[list[float]], float]:
    """z_{c,i} = b_c + sum_t w_{c,t} x_{i+t} and y by the head, with Python loops and floats."""
    sigma = SCALAR[cfg.activation]
    w, b = p["w"][e].tolist(), p["b"][e].tolist()
    z = [
        [b[c] + sum(w[c][t + cfg.h_l] * signal_at(cfg, x, i + t) for t in cfg.offsets) for i in cfg.positions]
        for c in range(cfg.channels)
    ]
    y = p["beta"][e].item()
    for c in range(cfg.channels):
        u = [sigma(zz) for zz in z[c]]
        if cfg.head == "gap":
            y += p["v"][e, c].item() * sum(u) / len(u)
        else:
            y += sum(V * uu for V, uu in zip(p["V"][e, c].tolist(), u))
    return z, y


def loop_forward_2d(cfg: Config, p: dict, e: int, x) -> tuple[list, float]:
    sigma = SCALAR[cfg.activation]
    w, b = p["w"][e].tolist(), p["b"][e].tolist()
    row = lambda i: x[(i + cfg.M) % cfg.size] if cfg.padding == "circular" else (x[i + cfg.M] if -cfg.M <= i <= cfg.M else None)  # noqa: E731

    def pixel(i, j):
        r = row(i)
        if r is None:
            return 0.0
        if cfg.padding == "circular":
            return r[(j + cfg.M) % cfg.size]
        return r[j + cfg.M] if -cfg.M <= j <= cfg.M else 0.0

    z = [
        [
            [
                b[c] + sum(w[c][s + cfg.h_l][t + cfg.h_l] * pixel(i + s, j + t) for s in cfg.offsets for t in cfg.offsets)
                for j in cfg.positions
            ]
            for i in cfg.positions
        ]
        for c in range(cfg.channels)
    ]
    y = p["beta"][e].item()
    for c in range(cfg.channels):
        u = [[sigma(zz) for zz in zrow] for zrow in z[c]]
        if cfg.head == "gap":
            y += p["v"][e, c].item() * sum(map(sum, u)) / cfg.n_outputs
        else:
            V = p["V"][e, c].tolist()
            y += sum(V[a][bb] * u[a][bb] for a in range(len(u)) for bb in range(len(u)))
    return z, y


def random_params(cfg: Config, members: int = 2, seed: int = 0) -> dict:
    """Random float64 parameters with every entry of order one (init ranges are too small to
    exercise saturating activations)."""
    g = torch.Generator().manual_seed(seed)
    return {n: torch.randn(s, generator=g, dtype=torch.float64) for n, s in param_shapes(cfg, members).items()}


def check_against_loops(cfg: Config) -> None:
    data = make_dataset(cfg, 2, torch.float64)
    p = random_params(cfg)
    out = forward(cfg, p, data.x)
    loop = loop_forward_1d if cfg.dim == 1 else loop_forward_2d
    for e in range(2):
        for bi in range(len(data)):
            z, y = loop(cfg, p, e, data.x[bi].tolist())
            assert torch.allclose(out.pre[e, bi], torch.tensor(z, dtype=torch.float64), atol=1e-12, rtol=0)
            assert out.output[e, bi].item() == pytest.approx(y, abs=1e-11)
    assert torch.equal(out.act, activation(cfg.activation, cfg.alpha)(out.pre))
    if cfg.head == "gap":
        assert torch.allclose(out.pooled, out.act.flatten(3).mean(-1))
    else:
        assert out.pooled is None


def legal(sizes: int, kernels: list[int]) -> list[tuple[str, int]]:
    """(padding, k) pairs; valid padding needs k <= N."""
    return [(pad_, k) for pad_ in ("zeros", "circular", "valid") for k in kernels if pad_ != "valid" or k <= sizes]


# N = 9: odd and even k, k = 1, k = N, k > N, k > 2N-1 (circular wraps twice)
@pytest.mark.parametrize("padding,k", legal(9, [1, 2, 3, 4, 5, 7, 8, 9, 12, 20]))
@pytest.mark.parametrize("head", ["gap", "fc"])
def test_forward_1d_matches_loops(padding, k, head):
    cfg = Config(size=9, kernel=k, padding=padding, head=head, radii=range(0, 5), channels=2)
    check_against_loops(cfg)


def test_circular_wraps_more_than_once():
    cfg = Config(size=5, kernel=23, padding="circular", radii=range(0, 3))
    check_against_loops(cfg)


@pytest.mark.parametrize("name", ACTIVATIONS)
@pytest.mark.parametrize("head", ["gap", "fc"])
def test_every_activation(name, head):
    check_against_loops(Config(size=7, kernel=3, activation=name, head=head, radii=range(0, 4)))


@pytest.mark.parametrize("padding,k", legal(5, [1, 2, 3, 4, 5, 6, 12]))
@pytest.mark.parametrize("head", ["gap", "fc"])
def test_forward_2d_matches_loops(padding, k, head):
    cfg = Config(dim=2, size=5, kernel=k, padding=padding, head=head, radii=(0, 1, 2), activation="tanh")
    check_against_loops(cfg)


@pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel")
@pytest.mark.parametrize("k", [1, 2, 4, 5, 40])
@pytest.mark.parametrize("dim", [1, 2])
def test_zero_padding_is_pytorch_same(k, dim):
    """Our explicit padding equals PyTorch's own padding='same' (asymmetric for even k)."""
    cfg = Config(dim=dim, size=9, kernel=k, radii=range(0, 5), activation="identity")
    data = make_dataset(cfg, 2, torch.float64)
    p = random_params(cfg, members=1)
    conv = F.conv1d if dim == 1 else F.conv2d
    ref = conv(data.x.unsqueeze(1), p["w"][0].unsqueeze(1), p["b"][0], padding="same")
    assert torch.allclose(forward(cfg, p, data.x).pre[0], ref, atol=1e-12)


@pytest.mark.parametrize("dim", [1, 2])
def test_circular_padding_is_pytorch_circular_when_it_can(dim):
    cfg = Config(dim=dim, size=9, kernel=6, padding="circular", radii=range(0, 5))
    x = make_dataset(cfg, 1, torch.float64).x
    ours = pad(cfg, x)
    ref = F.pad(x.unsqueeze(1), (cfg.h_l, cfg.h_r) * dim, mode="circular")[:, 0]
    assert torch.equal(ours, ref)


@pytest.mark.parametrize("head", ["gap", "fc"])
@pytest.mark.parametrize("dim", [1, 2])
def test_init_is_pytorch_default_per_member_seed(head, dim):
    cfg = Config(dim=dim, kernel=3, head=head, radii=range(1, 5))
    p = init_params(cfg, 3, seed=10)
    assert {n: tuple(t.shape) for n, t in p.items()} == param_shapes(cfg, 3)
    for e in range(3):
        torch.manual_seed(10 + e)
        conv = (torch.nn.Conv1d if dim == 1 else torch.nn.Conv2d)(1, cfg.channels, cfg.kernel)
        lin = torch.nn.Linear(cfg.channels * (1 if head == "gap" else cfg.n_outputs), 1)
        assert torch.equal(p["w"][e], conv.weight.detach()[:, 0])
        assert torch.equal(p["b"][e], conv.bias.detach())
        assert torch.equal(p["v" if head == "gap" else "V"][e].flatten(), lin.weight.detach().flatten())
        assert torch.equal(p["beta"][e], lin.bias.detach()[0])
    bound = 1 / math.sqrt(cfg.kernel**dim)
    assert p["w"].abs().max() <= bound and p["b"].abs().max() <= bound
    assert not torch.equal(p["w"][0], p["w"][1])


def test_init_dtype_and_prefix_stability():
    cfg = Config()
    p32, p64 = init_params(cfg, 4, 3, torch.float32), init_params(cfg, 4, 3, torch.float64)
    assert p64["w"].dtype == torch.float64 and torch.equal(p64["w"].float(), p32["w"])
    # member e depends only on seed + e
    shifted = init_params(cfg, 2, 5)
    assert all(torch.equal(shifted[n], p32[n][2:]) for n in p32)


@pytest.mark.parametrize("head", ["gap", "fc"])
@pytest.mark.parametrize("padding", ["zeros", "circular", "valid"])
def test_to_exact_agrees_with_the_run_decomposition(head, padding):
    cfg = Config(size=11, kernel=4, head=head, padding=padding, radii=range(0, 6))
    p = random_params(cfg, members=3)
    data = make_dataset(cfg, 3, torch.float64)
    y = forward(cfg, p, data.x).output
    relu = piecewise_linear("relu")
    exact = to_exact(cfg, p, 1)
    assert exact.w[0][0] == Fraction(p["w"][1, 0, 0].item())
    for b, (r, a) in enumerate(data.samples):
        assert float(exact_output(cfg, exact, r, Fraction(float(a)), relu)) == pytest.approx(y[1, b].item(), abs=1e-12)


def test_member_is_a_one_member_copy():
    cfg = Config()
    p = init_params(cfg, 3, 0)
    m = member(p, 2)
    assert all(m[n].shape == (1, *p[n].shape[1:]) and torch.equal(m[n][0], p[n][2]) for n in p)
    m["w"].zero_()
    assert p["w"].abs().sum() > 0
    with pytest.raises(ValueError):
        to_exact(Config(dim=2, kernel=3, radii=(1,)), init_params(Config(dim=2, kernel=3, radii=(1,)), 1, 0), 0)


def test_even_kernel_same_padding_gives_no_torch_notice(recwarn):
    """PyTorch's padding='same' notice for even kernels is not shown to the user."""
    from radiuscnn.numeric.ensemble import train_solo
    from radiuscnn.numeric.train_config import TrainConfig
    from radiuscnn.theory.config import Config

    train_solo(Config(kernel=4), TrainConfig(seeds=1, steps=2), 0)
    assert not [w for w in recwarn if "padding='same'" in str(w.message)]
