"""radiuscnn.numeric.windows and radiuscnn.numeric.ensemble: the fast path is the reference, members are solos."""

import math

import pytest
import torch

from radiuscnn.numeric import windows
from radiuscnn.numeric.data import make_dataset
from radiuscnn.numeric.ensemble import TrainConfig, deterministic, history_steps, succeeded, train, train_solo
from radiuscnn.numeric.model import forward, init_params, param_shapes
from radiuscnn.theory.config import Config, ConfigError
from radiuscnn.theory.runs import run_counts, run_pattern

# --- the window fast path -----------------------------------------------------------------

FAST_PATH_CASES = [
    Config(),
    Config(head="fc"),
    Config(kernel=4, padding="circular", activation="tanh"),
    Config(kernel=40, padding="circular", head="fc", activation="abs"),
    Config(kernel=33, padding="valid", activation="softplus"),
    Config(kernel=1, activation="leaky_relu", head="fc"),
    Config(kernel=50, activation="hardtanh"),
    Config(dim=2, kernel=3, radii=range(1, 13)),
    Config(dim=2, kernel=3, radii=range(1, 13), head="fc", activation="sigmoid"),
    Config(dim=2, size=9, kernel=4, radii=range(0, 5), padding="circular"),
    Config(dim=2, size=9, kernel=5, radii=range(0, 5), padding="valid", head="fc"),
]


@pytest.mark.parametrize("cfg", FAST_PATH_CASES, ids=lambda c: f"{c.dim}d-k{c.kernel}-{c.padding}-{c.head}-{c.activation}")
def test_windows_fast_path_equals_reference_forward(cfg):
    data = make_dataset(cfg, 5, torch.float64)
    g = torch.Generator().manual_seed(1)
    p = {n: torch.randn(s, generator=g, dtype=torch.float64) for n, s in param_shapes(cfg, 3).items()}
    ref = forward(cfg, p, data.x)
    plan = windows.plan(cfg, data.x)
    fast = windows.forward(cfg, p, plan)
    assert plan.distinct <= len(data) * cfg.n_outputs
    assert torch.all(plan.counts.sum(1) == cfg.n_outputs) and torch.all(plan.incidence.sum(1) == cfg.n_outputs)
    assert plan.incidence.max() == 1 and plan.pair_position.max() < cfg.n_outputs
    assert torch.allclose(windows.expand(plan, fast.pre), ref.pre, atol=1e-12, rtol=0)
    assert torch.allclose(windows.expand(plan, fast.act), ref.act, atol=1e-12, rtol=0)
    assert torch.allclose(fast.output, ref.output, atol=1e-12, rtol=0)
    assert torch.allclose(windows.output(cfg, p, plan), ref.output, atol=1e-12, rtol=0)
    if cfg.head == "gap":
        assert torch.allclose(fast.pooled, ref.pooled, atol=1e-12, rtol=0)


@pytest.mark.parametrize("padding,k", [("zeros", 5), ("zeros", 4), ("circular", 6), ("valid", 3), ("zeros", 40)])
def test_window_counts_are_the_run_counts(padding, k):
    """R1: the count matrix is n_J(r): window U_p = a * pattern(J)."""
    cfg = Config(size=15, kernel=k, padding=padding, radii=range(0, 8))
    data = make_dataset(cfg, 3, torch.float64)
    plan = windows.plan(cfg, data.x)
    for b, (r, a) in enumerate(data.samples):
        expected = {run_pattern(cfg, run): n for run, n in run_counts(cfg, r).items()}
        got = {}
        for p in torch.nonzero(plan.counts[b]).flatten().tolist():
            pattern = tuple(int(v) for v in (plan.U[p] / float(a)).round().tolist())
            assert torch.equal(plan.U[p], torch.tensor(pattern, dtype=torch.float64) * float(a))
            got[pattern] = got.get(pattern, 0) + int(plan.counts[b, p])
        assert got == expected


def test_default_data_has_few_distinct_windows():
    cfg = Config()
    plan = windows.plan(cfg, make_dataset(cfg, 11, torch.float32).x)
    assert plan.distinct < 200 < 165 * 33


# --- TrainConfig ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "changes,flag",
    [
        ({"seeds": 0}, "--seeds"),
        ({"seeds": True}, "--seeds"),
        ({"seeds": 2.5}, "--seeds"),
        ({"steps": -1}, "--steps"),
        ({"lr": 0}, "--lr"),
        ({"lr": -0.1}, "--lr"),
        ({"lr": float("nan")}, "--lr"),
        ({"lr": float("inf")}, "--lr"),
        ({"lr": "fast"}, "--lr"),
        ({"optimizer": "sgd"}, "--optimizer"),
        ({"seed": -1}, "--seed"),
        ({"dtype": "float16"}, "--dtype"),
        ({"amplitudes": 0}, "--amplitudes"),
        ({"tolerance": float("nan")}, "--tolerance"),
        ({"history": 0}, "--history"),
    ],
)
def test_train_config_validation_names_the_flag(changes, flag):
    with pytest.raises(ConfigError) as error:
        TrainConfig(**changes)
    message = str(error.value)
    assert message.startswith(flag + ":") and "\n" not in message


def test_train_config_defaults_and_json_roundtrip():
    t = TrainConfig()
    assert (t.seeds, t.optimizer, t.seed, t.dtype, t.amplitudes, t.tolerance) == (64, "adam", 0, "float32", 11, 1e-3)
    assert TrainConfig.from_json(t.to_json()) == t
    assert TrainConfig(seeds="8", lr="0.5").seeds == 8
    assert t.with_(seed=3).member_seeds[:2] == (3, 4)


# --- training -----------------------------------------------------------------------------


def test_success_flag_logic():
    loss = torch.tensor([0.0, 1e-3, 1.0000001e-3, 5.3, float("nan"), float("inf")], dtype=torch.float64)
    assert succeeded(loss, 1e-3).tolist() == [True, True, False, False, False, False]
    cfg = Config(size=9, kernel=3, radii=range(0, 4))
    result = train(cfg, TrainConfig(seeds=6, steps=30, dtype="float64", tolerance=0.5))
    assert torch.equal(result.success, result.loss <= 0.5)
    assert result.success_rate == pytest.approx(result.success.double().mean().item())
    assert torch.equal(result.loss, result.history[-1])


def test_history_steps():
    assert history_steps(10, 200) == tuple(range(11))
    assert history_steps(1000, 3) == (0, 333, 666, 999, 1000)
    assert history_steps(0, 5) == (0,)


CASES = [
    (Config(), "adam"),
    (Config(), "gd"),
    (Config(head="fc"), "adam"),
    (Config(head="fc", kernel=4, padding="valid"), "gd"),
    (Config(kernel=4, padding="circular", activation="leaky_relu"), "adam"),
    (Config(size=9, kernel=20, padding="circular", radii=range(0, 5), activation="tanh"), "adam"),
    (Config(dim=2, size=11, kernel=3, radii=range(1, 6)), "adam"),
    (Config(dim=2, size=11, kernel=2, radii=range(0, 6), head="fc"), "gd"),
]


@pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel")
@pytest.mark.parametrize("cfg,optimizer", CASES, ids=lambda v: v if isinstance(v, str) else f"{v.dim}d-k{v.kernel}-{v.padding}-{v.head}-{v.activation}")
def test_ensemble_member_equals_solo(cfg, optimizer):
    """Member e of the ensemble = the nn.Module trained alone from seed + e (float64)."""
    lr = 0.01 if optimizer == "adam" else 0.05
    tcfg = TrainConfig(seeds=3, steps=150, lr=lr, optimizer=optimizer, seed=5, dtype="float64", amplitudes=4)
    ensemble = train(cfg, tcfg)
    for e in (0, 2):
        solo = train_solo(cfg, tcfg, 5 + e)
        for name, tensor in solo.params.items():
            assert torch.allclose(ensemble.params[name][e], tensor[0], atol=1e-9, rtol=0), name
        assert torch.allclose(ensemble.history[:, e], solo.history[:, 0], atol=1e-9, rtol=0)
    moved = init_params(cfg, 3, 5, torch.float64)
    assert not torch.allclose(moved["w"], ensemble.params["w"])


PACKED_CASES = [
    (Config(), TrainConfig(seeds=6, steps=300)),
    (Config(), TrainConfig(seeds=64, steps=200)),  # the report's ensembles
    (Config(head="fc"), TrainConfig(seeds=16, steps=200)),
    (Config(head="fc", activation="tanh"), TrainConfig(seeds=3, steps=200, dtype="float64")),
    (Config(dim=2, kernel=3, radii=range(1, 13), channels=1), TrainConfig(seeds=3, steps=100)),
    (Config(kernel=4, padding="circular"), TrainConfig(seeds=4, steps=200, optimizer="gd", lr=0.05)),
]


@pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel")
@pytest.mark.parametrize("cfg,tcfg", PACKED_CASES, ids=lambda v: getattr(v, "head", None) or getattr(v, "optimizer", ""))
def test_autograd_engine_with_the_packed_update_is_torch_optim_bit_for_bit(cfg, tcfg):
    """The reference engine (``numeric.window_grad``'s gradient, ``fastgrad.Optimizer`` on one
    packed buffer) against the textbook loop: one leaf per parameter, ``loss.backward()``,
    ``torch.optim.Adam`` / ``SGD``, the same forward. Every weight must be equal bit for bit."""
    data = make_dataset(cfg, tcfg.amplitudes, tcfg.torch_dtype)
    params = init_params(cfg, tcfg.seeds, tcfg.seed, tcfg.torch_dtype)
    plan = windows.plan(cfg, data.x)
    leaves = [t.requires_grad_(True) for t in params.values()]
    opt = (torch.optim.Adam(leaves, lr=tcfg.lr) if tcfg.optimizer == "adam"
           else torch.optim.SGD(leaves, lr=tcfg.lr, momentum=0.0))
    with deterministic():
        for _ in range(tcfg.steps):
            loss = ((windows.output(cfg, params, plan) - data.y) ** 2).mean(dim=1).sum()
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
    trained = train(cfg, tcfg, engine="autograd").params
    for name, tensor in params.items():
        assert torch.equal(trained[name], tensor.detach()), name


def test_members_do_not_interact():
    cfg = Config(size=15, radii=range(0, 7))
    small = train(cfg, TrainConfig(seeds=2, steps=100, dtype="float64", seed=4))
    large = train(cfg, TrainConfig(seeds=5, steps=100, dtype="float64", seed=3))
    for name in small.params:
        assert torch.allclose(small.params[name], large.params[name][1:3], atol=1e-12, rtol=0)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_training_is_bit_for_bit_deterministic(dtype):
    cfg = Config()
    tcfg = TrainConfig(seeds=8, steps=200, dtype=dtype)
    a, b = train(cfg, tcfg), train(cfg, tcfg)
    for name in a.params:
        assert a.params[name].dtype == tcfg.torch_dtype
        assert torch.equal(a.params[name], b.params[name])
    assert torch.equal(a.history, b.history) and torch.equal(a.loss, b.loss)
    assert not torch.are_deterministic_algorithms_enabled()  # restored
    assert torch.utils.deterministic.fill_uninitialized_memory  # restored (PyTorch's default)


def test_progress_and_record_hooks():
    """Record the I1 balancedness q_c = ||w_c||^2 + b_c^2 - v_c^2: plain GD drifts by O(lr^2)
    per step, so at a fixed time lr * steps halving lr halves the drift, while the terms
    themselves move by O(1) of that time."""
    cfg = Config(size=15, radii=range(0, 7))
    calls = []

    def balance(step, p):
        wb = (p["w"] ** 2).sum(-1) + p["b"] ** 2
        return {"balance": wb - p["v"] ** 2, "wb": wb}

    drift = {}
    for lr, steps in [(1e-3, 50), (5e-4, 100)]:
        tcfg = TrainConfig(seeds=4, steps=steps, lr=lr, optimizer="gd", dtype="float64", history=10)
        result = train(cfg, tcfg, progress=lambda s, n, loss: calls.append((s, n, loss.shape)), record=balance)
        q, wb = result.records["balance"], result.records["wb"]
        assert q.shape == (steps + 1, 4, 2)
        drift[lr] = (q - q[0]).abs().max().item()
        assert drift[lr] < 0.05 * (wb - wb[0]).abs().max().item()
    assert drift[1e-3] / drift[5e-4] == pytest.approx(2, rel=0.1)
    assert [c[0] for c in calls[:11]] == list(history_steps(50, 10)) and calls[0][1:] == (50, (4,))
    init = init_params(cfg, 4, 0, torch.float64)
    assert torch.allclose(q[0], (init["w"] ** 2).sum(-1) + init["b"] ** 2 - init["v"] ** 2)
    assert train(cfg, TrainConfig(seeds=1, steps=1)).records is None


def test_zero_steps_evaluates_the_initialisation():
    cfg = Config()
    result = train(cfg, TrainConfig(seeds=2, steps=0, dtype="float64"))
    init = init_params(cfg, 2, 0, torch.float64)
    assert all(torch.equal(result.params[n], init[n]) for n in init)
    data = make_dataset(cfg, 11, torch.float64)
    ref = ((forward(cfg, init, data.x).output - data.y) ** 2).mean(1)
    assert torch.allclose(result.loss, ref, atol=1e-12) and math.isfinite(result.seconds)


FILL_CASES = {
    "1d-gap": Config(size=15, radii=range(0, 7)),
    "1d-fc-leaky": Config(size=15, radii=range(0, 7), head="fc", activation="leaky_relu"),
    "2d-fc": Config(dim=2, size=9, kernel=3, radii=(1, 2, 3), head="fc", channels=1),
    "2d-gap-tanh": Config(dim=2, size=9, kernel=3, radii=(1, 2, 3), activation="tanh"),
}


def _with_fill(monkeypatch, fill: bool, run):
    """``run()`` with ``deterministic``'s NaN fill of new tensors on or off."""
    import functools

    from radiuscnn.numeric import ensemble

    monkeypatch.setattr(ensemble, "deterministic", functools.partial(deterministic, fill_uninitialized=fill))
    return run()


def _assert_same_runs(a, b):
    """Weights, loss history and final losses equal bit for bit (NaN nowhere)."""
    for name, tensor in a.params.items():
        assert torch.equal(tensor, b.params[name]), name
    assert torch.equal(a.history, b.history) and torch.equal(a.loss, b.loss)


@pytest.mark.parametrize("engine", ["fast", "autograd"])
@pytest.mark.parametrize("case", FILL_CASES)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_no_engine_reads_memory_before_writing_it(monkeypatch, engine, case, dtype):
    """The engines train with the NaN fill of uninitialised memory off (``deterministic``);
    with it on, a buffer allocated during training and read before it is written would hold
    NaN and change the run. Weights and losses are the same bit for bit both ways."""
    cfg, tcfg = FILL_CASES[case], TrainConfig(seeds=3, steps=30, dtype=dtype, seed=2)
    runs = [_with_fill(monkeypatch, fill, lambda: train(cfg, tcfg, engine=engine)) for fill in (True, False)]
    _assert_same_runs(*runs)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_batched_training_reads_no_memory_before_writing_it(monkeypatch, dtype):
    """The same for ``numeric.batch.train_many`` (the atlas's path): two shapes, three
    activations each as one ensemble with member segments."""
    from radiuscnn.numeric.batch import train_many

    base = Config(size=15, radii=range(0, 7))
    grid = [base.with_(activation=a, channels=C) for C in (1, 2) for a in ("relu", "leaky_relu", "tanh")]
    tcfg = TrainConfig(seeds=2, steps=30, dtype=dtype, seed=2)
    with_fill, without = (_with_fill(monkeypatch, fill, lambda: train_many(grid, tcfg, engine="fast"))
                          for fill in (True, False))
    for a, b in zip(with_fill, without, strict=True):
        _assert_same_runs(a, b)


def test_the_fill_makes_a_read_of_uninitialised_memory_visible(monkeypatch):
    """What the comparison above relies on: with the fill, an engine that reads a buffer before
    writing all of it trains NaN weights (here the fast engine's activation leaves its last
    member's values unwritten), where without it they would be whatever the memory held."""
    from radiuscnn.numeric import fastgrad

    activation = fastgrad._activation

    def leaky(cfg, z):
        u, du = activation(cfg, z)
        partial = torch.empty_like(u)
        partial[:-1] = u[:-1]  # the last member's activations never written
        return partial, du

    monkeypatch.setattr(fastgrad, "_activation", leaky)
    tcfg = TrainConfig(seeds=3, steps=5, seed=2)
    with_fill = _with_fill(monkeypatch, True, lambda: train(FILL_CASES["1d-gap"], tcfg, engine="fast")).params
    assert with_fill["w"][-1].isnan().all()  # NaN from the fill, where garbage would be otherwise
    assert not with_fill["w"][:-1].isnan().any()


def test_interrupt_while_enabling_determinism_touches_nothing_else(monkeypatch):
    """The first ``use_deterministic_algorithms(True)`` imports ``torch._inductor`` (about 1 s);
    a Ctrl-C landing there must leave ``deterministic`` at once, without the restore calling
    into the half-imported module again (seen: an ImportError traceback instead of exit 130)."""
    calls = []

    def enable(mode, warn_only=False):
        calls.append(mode)
        if mode:
            raise KeyboardInterrupt

    monkeypatch.setattr(torch, "use_deterministic_algorithms", enable)
    fill = torch.utils.deterministic.fill_uninitialized_memory
    with pytest.raises(KeyboardInterrupt):
        with deterministic():
            pytest.fail("the block must not run")
    assert calls == [True]  # no restore call after the interrupted one
    assert torch.utils.deterministic.fill_uninitialized_memory == fill
