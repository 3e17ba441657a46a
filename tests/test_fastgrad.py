"""The fast engine (numeric.fastgrad) against the autograd reference and torch.optim."""

import itertools

import pytest
import torch
from rounding import assert_alike

from radiuscnn.numeric import fastgrad
from radiuscnn.numeric.data import make_dataset
from radiuscnn.numeric.ensemble import TrainConfig, default_engine, train
from radiuscnn.numeric.model import init_params
from radiuscnn.theory.config import ACTIVATIONS, Config, ConfigError
from radiuscnn.theory.runs import run_counts, run_pattern

pytestmark = pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel")


def _cfg(dim: int, head: str, activation: str, padding: str = "zeros") -> Config:
    if dim == 1:
        return Config(size=15, radii=range(0, 7), head=head, activation=activation, padding=padding)
    return Config(dim=2, size=9, kernel=3, radii=range(0, 5), head=head, activation=activation, padding=padding)


def _rel(a: torch.Tensor, b: torch.Tensor) -> float:
    return float((a - b).abs().max() / b.abs().max().clamp_min(1e-300))


FAMILY = list(itertools.product((1, 2), ("gap", "fc"), ACTIVATIONS))


@pytest.mark.parametrize("dim,head,activation", FAMILY, ids=lambda v: str(v))
def test_fast_engine_follows_the_autograd_trajectory(dim, head, activation):
    """float64: parameters and loss history of both engines agree to 1e-12 relative (Adam and
    GD; GD at a step size where the trajectory is not chaotic, so rounding does not grow)."""
    cfg = _cfg(dim, head, activation)
    for optimizer, lr in (("adam", 0.01), ("gd", 1e-3)):
        tcfg = TrainConfig(seeds=3, steps=80, lr=lr, optimizer=optimizer, dtype="float64", amplitudes=4, history=20)
        ref, fast = train(cfg, tcfg, engine="autograd"), train(cfg, tcfg, engine="fast")
        assert _rel(fast.history, ref.history) < 1e-12
        for name in ref.params:
            assert _rel(fast.params[name], ref.params[name]) < 1e-12, (optimizer, name)
        assert not torch.equal(fast.params["w"], init_params(cfg, 3, 0, torch.float64)["w"])


@pytest.mark.parametrize("padding", ["zeros", "valid", "circular"])
@pytest.mark.parametrize("head", ["gap", "fc"])
def test_every_padding(padding, head):
    cfg = Config(size=11, radii=range(0, 6), kernel=4, padding=padding, head=head, activation="softplus")
    tcfg = TrainConfig(seeds=2, steps=60, dtype="float64", amplitudes=3)
    ref, fast = train(cfg, tcfg, engine="autograd"), train(cfg, tcfg, engine="fast")
    for name in ref.params:
        assert _rel(fast.params[name], ref.params[name]) < 1e-12


def test_factored_counts_are_the_run_counts():
    """The plan's n_J(r) (times |I|) equal theory.runs.run_counts, an independent derivation."""
    cfg = Config(size=13, kernel=4, padding="circular", radii=range(0, 7))
    p = fastgrad.plan(cfg, make_dataset(cfg, 3, torch.float64))
    patterns = [tuple(int(x) for x in row) for row in p.mask.tolist()]
    for index, r in enumerate(cfg.radii):
        expected = {run_pattern(cfg, run): n for run, n in run_counts(cfg, r).items()}
        got = {patterns[j]: round(float(w) * cfg.n_outputs) for j, w in enumerate(p.weights[index]) if w}
        assert got == expected


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("cfg", [Config(), Config(head="fc"), Config(dim=2, size=9, kernel=3, radii=range(0, 5), channels=1)],
                         ids=["gap", "fc", "2d"])
def test_a_member_trains_the_same_in_any_ensemble(cfg, dtype):
    """Member e of a 5-member run equals the run of seed e alone, up to rounding."""
    tcfg = TrainConfig(seeds=5, steps=100, dtype=dtype)
    big = train(cfg, tcfg, engine="fast")
    for e in (0, 3):
        alone = train(cfg, tcfg.with_(seeds=1, seed=e), engine="fast")
        assert_alike({name: t[e : e + 1] for name, t in big.params.items()}, alone.params)
        assert_alike(big.history[:, e], alone.history[:, 0])


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_fast_engine_is_bit_for_bit_reproducible(dtype):
    tcfg = TrainConfig(seeds=8, steps=200, dtype=dtype)
    a, b = train(Config(), tcfg, engine="fast"), train(Config(), tcfg, engine="fast")
    assert all(torch.equal(a.params[k], b.params[k]) for k in a.params) and torch.equal(a.history, b.history)


@pytest.mark.parametrize("name,lr", [("adam", 0.01), ("gd", 0.05)])
def test_packed_optimizer_is_torch_optim_bit_for_bit(name, lr):
    """Same gradients in, same parameters out as torch.optim.Adam / SGD(momentum=0) on the
    separate tensors (float32, 50 steps of random gradients)."""
    g = torch.Generator().manual_seed(1)
    shapes = [(4, 2, 5), (4, 2), (4, 2), (4,)]
    params = [torch.randn(s, generator=g) for s in shapes]
    reference = [p.clone().requires_grad_(True) for p in params]
    opt = torch.optim.Adam(reference, lr=lr) if name == "adam" else torch.optim.SGD(reference, lr=lr, momentum=0.0)
    theta = torch.cat([p.flatten() for p in params])
    packed = fastgrad.Optimizer(name, lr, theta)
    for _ in range(50):
        grads = [torch.randn(s, generator=g) for s in shapes]
        for p, gr in zip(reference, grads):
            p.grad = gr.clone()
        opt.step()
        packed.step(torch.cat([gr.flatten() for gr in grads]))
    assert torch.equal(theta, torch.cat([p.detach().flatten() for p in reference]))


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("cfg", [_cfg(1, "fc", "relu"), _cfg(2, "fc", "abs"), _cfg(2, "gap", "relu")], ids=str)
def test_positions_first_packing_changes_no_value(cfg, dtype):
    """``Packed(positions_first=True)`` (the fast engine's layout) holds the same parameters as
    the model's layout, snapshots them contiguous, and 30 Adam steps on the fast gradient give
    bit for bit the parameters of the model's layout."""
    data = make_dataset(cfg, 5, dtype)
    rplan = fastgrad.plan(cfg, data)
    start = init_params(cfg, 6, 2, dtype)
    runs = []
    for positions_first in (False, True):
        packed = fastgrad.Packed(cfg, start, positions_first=positions_first)
        assert all(torch.equal(packed.params[k], start[k]) for k in start)
        optimizer = fastgrad.Optimizer("adam", 0.01, packed.theta)
        for _ in range(30):
            d, saved = fastgrad.residual(cfg, rplan, packed.params)
            fastgrad.gradient(cfg, rplan, packed.params, d, saved, packed.grads)
            optimizer.step(packed.grad)
        snapshot = packed.snapshot()
        assert all(t.is_contiguous() for t in snapshot.values())
        runs.append(snapshot)
    if cfg.head == "fc":  # the layouts differ: V's strides are positions-major
        assert fastgrad.Packed(cfg, start, positions_first=True).params["V"].stride() != start["V"].stride()
    assert all(torch.equal(runs[0][k], runs[1][k]) for k in start)
    assert not torch.equal(runs[1]["w"], start["w"])  # the steps moved the weights


def test_init_is_the_starting_point():
    cfg, tcfg = Config(size=15, radii=range(0, 7)), TrainConfig(seeds=3, steps=30, dtype="float64")
    default = train(cfg, tcfg)
    given = train(cfg, tcfg, init=init_params(cfg, 3, 0, torch.float32))
    assert all(torch.equal(default.params[k], given.params[k]) for k in default.params)
    other = train(cfg, tcfg, init=init_params(cfg, 3, 7, torch.float32))
    assert not torch.equal(other.params["w"], default.params["w"])
    with pytest.raises(ConfigError, match="init"):
        train(cfg, tcfg, init=init_params(cfg, 2, 0))
    with pytest.raises(ConfigError, match="engine"):
        train(cfg, tcfg, engine="jax")


def test_other_data_sets_fall_back_to_the_reference():
    """A data set that is not the radius x amplitude grid has no factored plan."""
    cfg = Config(size=15, radii=range(0, 7))
    data = make_dataset(cfg, 3, torch.float64)
    assert fastgrad.plan(cfg, data) is not None
    noisy = type(data)(cfg=cfg, radii=data.radii, amplitudes=data.amplitudes, samples=data.samples,
                       x=data.x + 0.01, y=data.y)
    assert fastgrad.plan(cfg, noisy) is None
    tcfg = TrainConfig(seeds=2, steps=20, dtype="float64", amplitudes=3)
    assert torch.equal(train(cfg, tcfg, dataset=noisy, engine="fast").loss,
                       train(cfg, tcfg, dataset=noisy, engine="autograd").loss)


def test_default_engine_by_dtype():
    assert default_engine(TrainConfig(dtype="float64")) == "fast"
    assert default_engine(TrainConfig(dtype="float32")) == "autograd"
