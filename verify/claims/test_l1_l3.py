"""Claims L1-L3 (THEORY.md section 10): the loss landscape of the GAP head.

L1 is checked exactly (rational arithmetic) on a parametrised set of configurations (k = 1..9
odd and even, zeros/valid/circular padding, C = 1..3, relu/leaky_relu/abs/hardtanh), with
independent float64 cross-checks (numpy lstsq on the same design, a direct least-squares fit
of r by an affine function of the pulse mass). L2 certifies every network of the trained
default ensemble; the numerical cross-checks there (torch float64 gradient at theta*, random
perturbations inside the regime) are *tested numerically* and print their tolerance and
sample. L3 is tested on the same ensemble: a channel dead on the grid at initialisation gets
an exactly zero gradient, so it is predicted to stay dead with its weights unchanged (checked
bit for bit); the prediction of the outcome from the rest of the initial regime is printed
with its observed rate; the test asserts only that it is informative (the plateau rate is
higher among the networks predicted to stall than among the others).
"""

from __future__ import annotations

import math
import random
import statistics
from fractions import Fraction

import numpy as np
import pytest
import torch

from radiuscnn.numeric.data import make_dataset
from radiuscnn.numeric.model import forward, init_params, to_exact
from radiuscnn.theory.activations import piecewise_linear
from radiuscnn.theory.config import Config, default_config
from radiuscnn.theory.landscape import (
    amplitude_grid,
    design_matrix,
    grid_loss,
    grid_regime,
    lifted_loss,
    normal_residual,
    regime_from,
    solve_regime,
    targets,
)
from radiuscnn.theory.network import Params
from radiuscnn.theory.plateau import (
    dead_loss,
    in_bulk,
    phi,
    plateau_escape,
    plateau_formula_value,
    plateau_loss,
)
from radiuscnn.verify.landscape import check_certificate, certify, certify_ensemble
from radiuscnn.verify.landscape_report import initial_regime_outcome, report_data

K = 3
L1_CASES = [
    dict(kernel=k, padding=pad, channels=C, activation=act)
    for k, pad, C, act in [
        (1, "zeros", 1, "relu"), (2, "zeros", 2, "relu"), (3, "zeros", 1, "leaky_relu"), (4, "valid", 2, "abs"),
        (5, "zeros", 3, "relu"), (6, "circular", 1, "hardtanh"), (7, "valid", 2, "relu"), (8, "zeros", 1, "abs"),
        (9, "circular", 2, "leaky_relu"), (3, "circular", 3, "hardtanh"), (5, "valid", 1, "hardtanh"),
        (2, "valid", 3, "leaky_relu"), (4, "zeros", 2, "hardtanh"), (9, "zeros", 1, "relu"),
    ]
]


def _cfg(case) -> Config:
    return Config(size=13, radii=tuple(range(0, 6)), **case)


def _name(case) -> str:
    return f"k{case['kernel']}-{case['padding']}-C{case['channels']}-{case['activation']}"


def torch_member(p: Params):
    """``p`` as a one-member float64 ensemble with gradients."""
    t = {"w": torch.tensor([[list(map(float, row)) for row in p.w]], dtype=torch.float64),
         "b": torch.tensor([list(map(float, p.b))], dtype=torch.float64),
         "v": torch.tensor([list(map(float, p.v))], dtype=torch.float64),
         "beta": torch.tensor([float(p.beta)], dtype=torch.float64)}
    for x in t.values():
        x.requires_grad_(True)
    return t


def torch_loss(cfg: Config, member, data) -> torch.Tensor:
    return (forward(cfg, member, data.x).output[0] - data.y).pow(2).mean()


# --------------------------------------------------------------------------------------------
# L1: exact theorems on a parametrised set
# --------------------------------------------------------------------------------------------
@pytest.mark.fast
def test_L1_grid_is_the_training_grid():
    for case in L1_CASES[:3]:
        cfg = _cfg(case)
        for n in (1, 2, 11):
            data = make_dataset(cfg, n, torch.float64)  # the amplitudes training actually uses
            assert sorted({a for _, a in data.samples}) == list(amplitude_grid(cfg, n))


@pytest.mark.fast
@pytest.mark.parametrize("case", L1_CASES, ids=_name)
def test_L1a_regime_minimum_exact_and_matches_lstsq(case):
    """L1a: ``L_rho*`` is an exact rational; the particular solution satisfies the normal
    equations exactly; every null vector has ``X n = 0`` exactly, so the optimal set is affine;
    numpy lstsq (float64, an independent solver) on the same design gives the same loss."""
    cfg = _cfg(case)
    act = piecewise_linear(cfg.activation, cfg.alpha)
    amps = amplitude_grid(cfg, K)
    p = to_exact(cfg, init_params(cfg, 1, 7 + cfg.kernel, torch.float64), 0)
    regime = grid_regime(cfg, act, p, amps)
    m = solve_regime(cfg, act, regime, amps)
    X, y = design_matrix(cfg, act, regime, amps), targets(cfg, amps)
    assert isinstance(m.loss, Fraction)
    assert not any(normal_residual(X, y, m.particular))
    for n in m.nullspace:
        assert not any(sum(a * b for a, b in zip(row, n)) for row in X)
    moved = tuple(x + Fraction(3, 7) * sum(n[i] for n in m.nullspace) for i, x in enumerate(m.particular))
    assert lifted_loss(X, y, moved) == m.loss
    Xf, yf = np.array(X, dtype=float), np.array(y, dtype=float)
    coef, *_ = np.linalg.lstsq(Xf, yf, rcond=None)
    assert float(np.mean((Xf @ coef - yf) ** 2)) == pytest.approx(float(m.loss), rel=1e-9, abs=1e-12)
    assert m.rank == np.linalg.matrix_rank(Xf)


@pytest.mark.fast
@pytest.mark.parametrize("case", L1_CASES, ids=_name)
def test_L1b_polished_point_is_a_certified_critical_point(case):
    """L1b: the polished ``theta*`` of a random point is certified (inside its regime, normal
    equations, forward-pass loss = ``L_rho*``) whenever the verdict is a minimum, and its
    float64 torch gradient vanishes (tested numerically, tolerance 1e-9)."""
    cfg = _cfg(case)
    act = piecewise_linear(cfg.activation, cfg.alpha)
    amps = amplitude_grid(cfg, K)
    p = to_exact(cfg, init_params(cfg, 1, 3 + cfg.kernel, torch.float64), 0)
    land = certify(cfg, p, amps, gap_tol=math.inf)  # judge theta*, not how far p is from it
    assert land.verdict in ("global minimum", "local minimum", "regime boundary")
    if land.theta_star is None:
        return
    regime = grid_regime(cfg, act, p, amps)
    interior = land.margin is None or land.margin > 0
    assert check_certificate(cfg, act, amps, regime, land.theta_star, land.regime_loss, closed=not interior).ok
    if interior:
        member = torch_member(land.theta_star)
        loss = torch_loss(cfg, member, make_dataset(cfg, K, torch.float64))
        loss.backward()
        grad = max(float(t.grad.abs().max()) for t in member.values())
        assert grad <= 1e-9, f"{_name(case)}: |grad L(theta*)| = {grad}"


@pytest.mark.fast
@pytest.mark.parametrize("kernel,padding", [(1, "zeros"), (3, "zeros"), (4, "valid"), (5, "circular"), (8, "zeros"), (9, "valid")])
def test_L1c_plateau_loss(kernel, padding):
    """L1c: ``L_plateau*`` equals an independent float fit of ``r`` on ``(1, a phi_t(r))``
    (numpy lstsq); in the bulk it is the affine fit on the pulse mass ``a (2r+1)`` and the
    SymPy formula, and the same for every width."""
    cfg = Config(size=17, kernel=kernel, padding=padding, channels=1, radii=tuple(range(0, 6)))
    amps = amplitude_grid(cfg, 4)
    value = plateau_loss(cfg, 4)
    rows = [[1.0] + [float(a) * phi(cfg, t, r) for t in cfg.offsets] for r in cfg.radii for a in amps]
    y = np.array([float(r) for r in cfg.radii for _ in amps])
    coef, *_ = np.linalg.lstsq(np.array(rows), y, rcond=None)
    assert float(value) == pytest.approx(float(np.mean((np.array(rows) @ coef - y) ** 2)), rel=1e-10)
    assert all(plateau_loss(cfg.with_(channels=C), 4) == value for C in (2, 3))
    if in_bulk(cfg):
        mass = np.array([[1.0, float(a) * (2 * r + 1)] for r in cfg.radii for a in amps])
        c, *_ = np.linalg.lstsq(mass, y, rcond=None)
        assert float(value) == pytest.approx(float(np.mean((mass @ c - y) ** 2)), rel=1e-10)
        assert plateau_formula_value(cfg, 4) == value


@pytest.mark.fast
def test_L1c_default_plateau_and_dead_losses():
    """On the default grid (11 amplitudes) the engine gives the issue's values, checked here
    against independent float fits: the mass fit (numpy) and the population variance."""
    cfg = default_config()
    amps = amplitude_grid(cfg, 11)
    mass = np.array([[1.0, float(a) * (2 * r + 1)] for r in cfg.radii for a in amps])
    y = np.array([float(r) for r in cfg.radii for _ in amps])
    c, *_ = np.linalg.lstsq(mass, y, rcond=None)
    value = plateau_loss(cfg, 11)
    assert float(value) == pytest.approx(float(np.mean((mass @ c - y) ** 2)), rel=1e-12)
    assert plateau_formula_value(cfg, 11) == value
    assert dead_loss(cfg, 11) == statistics.pvariance([Fraction(r) for r in cfg.radii])
    print(f"[L1c] default: L_plateau* = {value} = {float(value):.6f}; dead L = {dead_loss(cfg, 11)}")


@pytest.mark.fast
@pytest.mark.parametrize("case", [c for c in L1_CASES if c["activation"] in ("relu", "hardtanh")], ids=_name)
def test_L1d_dead_channels_drop_out(case):
    """L1d: with channel C-1 killed on every sample (the flat lowest piece: 0 for relu, the
    constant -1 for hardtanh; leaky_relu and abs have no flat piece, so no dead units),
    ``L_rho*`` equals that of the C-1 other channels in the same regime; all dead gives
    ``Var(r)``."""
    cfg = _cfg(case)
    act = piecewise_linear(cfg.activation, cfg.alpha)
    amps = amplitude_grid(cfg, K)
    p = to_exact(cfg, init_params(cfg, 1, 11, torch.float64), 0)
    regime = grid_regime(cfg, act, p, amps)
    dead = regime_from(cfg, amps, lambda c, run, a: 0 if c == cfg.channels - 1 else regime.piece(c, run, a))
    full = solve_regime(cfg, act, dead, amps).loss
    if cfg.channels > 1:
        fewer = cfg.with_(channels=cfg.channels - 1)
        assert solve_regime(fewer, act, regime_from(fewer, amps, regime.piece), amps).loss == full
    all_dead = regime_from(cfg, amps, lambda c, run, a: 0)
    assert solve_regime(cfg, act, all_dead, amps).loss == statistics.pvariance([Fraction(r) for r in cfg.radii])


@pytest.mark.fast
def test_L1e_plateau_valley_reaches_a_boundary_with_a_descent_direction():
    """L1e on the default: along the valley ``b_1 = s > 0`` every point is a certified local
    minimum at ``L_plateau*`` (gradient exactly zero); at ``s = 0`` the boundary; from there the
    derived direction turns channel 1 into a background counter and lowers the loss, exactly
    as the derived quadratic says (forward pass in rational arithmetic)."""
    cfg, n = default_config(), 11
    amps = amplitude_grid(cfg, n)
    relu = piecewise_linear("relu")
    esc = plateau_escape(cfg, n)
    assert esc.loss == plateau_loss(cfg, n) and esc.slope < 0 < esc.curvature
    for s in (Fraction(1), Fraction(1, 1000)):
        land = certify(cfg, esc.valley(s), amps)
        assert land.verdict == "local minimum" and land.regime_loss == esc.loss and land.gap == 0
        assert land.gradient_norm == 0
    assert grid_loss(cfg, relu, esc.boundary, amps) == esc.loss
    for t in (Fraction(1, 100), esc.best_step):
        moved = grid_loss(cfg, relu, esc.along(t), amps)
        assert moved == esc.loss + esc.slope * t + esc.curvature * t * t and moved < esc.loss
    print(f"[L1e] slope {esc.slope}, loss after the best step {float(grid_loss(cfg, relu, esc.along(esc.best_step), amps)):.6f} "
          f"< L_plateau* {float(esc.loss):.6f}")


# --------------------------------------------------------------------------------------------
# L2: every network of the trained default ensemble
# --------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def default_landscape(default_case):
    case = default_case
    return certify_ensemble(case.cfg, case.run.params, case.tcfg.amplitudes, case.tcfg.tolerance)


@pytest.mark.slow
def test_L2_default_every_network_is_assigned(default_case, default_landscape):
    """At least 99% of the default networks get a verdict other than ``descending``; every
    local-minimum certificate is re-checked exactly; every failing seed matches a derived
    critical value (mass plateau or dead) or sits at a regime boundary."""
    case, lands = default_case, default_landscape
    cfg, n = case.cfg, case.tcfg.amplitudes
    data = report_data(cfg, n, lands, case.analyses)
    print(f"[L2 default] verdicts {data['verdicts']}; plateau loss {data['plateau_loss']['exact']}; "
          f"largest distance to theta* {data['largest_distance']:.4g}")
    assert sum(l.verdict != "descending" for l in lands) >= 0.99 * len(lands)
    import json

    assert len(json.loads(json.dumps(data))["networks"]) == len(lands) == sum(f["count"] for f in data["critical"])
    act = piecewise_linear(cfg.activation, cfg.alpha)
    amps = amplitude_grid(cfg, n)
    for land in lands:
        if land.verdict in ("local minimum", "global minimum"):
            p = to_exact(cfg, case.run.params, land.index)
            regime = grid_regime(cfg, act, p, amps)
            interior = land.margin is None or land.margin > 0
            if land.verdict == "local minimum":
                assert interior
            check = check_certificate(cfg, act, amps, regime, land.theta_star, land.regime_loss, closed=not interior)
            assert check.ok, f"net {land.index}: {check.reason}"
    critical = {plateau_loss(cfg, n), dead_loss(cfg, n)}
    for land, a in zip(lands, case.analyses):
        if not a.solved:
            assert land.verdict == "regime boundary" or land.regime_loss in critical, f"net {land.index}"
        if a.family == "mass plateau":
            assert land.verdict == "local minimum" and land.regime_loss == plateau_loss(cfg, n)
        if a.family == "dead":
            assert land.verdict == "local minimum" and land.regime_loss == dead_loss(cfg, n)


@pytest.mark.slow
def test_L2_regime_loss_matches_lstsq(default_case, default_landscape):
    """Independent: numpy lstsq (float64) on each network's design gives ``L_rho*``."""
    case = default_case
    cfg = case.cfg
    act = piecewise_linear(cfg.activation, cfg.alpha)
    amps = amplitude_grid(cfg, case.tcfg.amplitudes)
    worst = 0.0
    for land in default_landscape:
        regime = grid_regime(cfg, act, to_exact(cfg, case.run.params, land.index), amps)
        X = np.array(design_matrix(cfg, act, regime, amps), dtype=float)
        y = np.array(targets(cfg, amps), dtype=float)
        coef, *_ = np.linalg.lstsq(X, y, rcond=None)
        err = abs(float(np.mean((X @ coef - y) ** 2)) - float(land.regime_loss))
        worst = max(worst, err)
        assert err <= 1e-9 * (1 + float(land.regime_loss)), f"net {land.index}"
    print(f"[L2] lstsq vs exact L_rho*: largest difference {worst:.3g} (tolerance 1e-9 relative)")


@pytest.mark.slow
def test_L2_local_minima_numerically(default_case, default_landscape):
    """Tested numerically (float64 torch): at each certified interior minimum the gradient is
    ~0, and random perturbations that stay inside the regime never lower the loss."""
    case = default_case
    cfg = case.cfg
    act = piecewise_linear(cfg.activation, cfg.alpha)
    amps = amplitude_grid(cfg, case.tcfg.amplitudes)
    data = make_dataset(cfg, case.tcfg.amplitudes, torch.float64)
    rng = random.Random(0)
    grad_tol, loss_tol, samples, kept, worst = 1e-9, 1e-11, 8, 0, 0.0
    for land in default_landscape:
        if land.verdict not in ("local minimum", "global minimum") or not (land.margin is None or land.margin > 0):
            continue
        star = land.theta_star
        member = torch_member(star)
        torch_loss(cfg, member, data).backward()
        grad = max(float(t.grad.abs().max()) for t in member.values())
        worst = max(worst, grad)
        assert grad <= grad_tol, f"net {land.index}: |grad| {grad}"
        regime = grid_regime(cfg, act, star, amps)
        scale = float(land.margin) / 20
        for _ in range(samples):
            moved = Params(w=tuple(tuple(x + Fraction(rng.gauss(0, scale)) for x in row) for row in star.w),
                           b=tuple(x + Fraction(rng.gauss(0, scale)) for x in star.b),
                           beta=star.beta + Fraction(rng.gauss(0, scale)),
                           v=tuple(x + Fraction(rng.gauss(0, scale)) for x in star.v))
            if grid_regime(cfg, act, moved, amps) != regime:
                continue
            kept += 1
            with torch.no_grad():
                value = float(torch_loss(cfg, torch_member(moved), data))
            assert value >= float(land.regime_loss) - loss_tol * (1 + float(land.regime_loss)), f"net {land.index}"
    print(f"[L2] interior minima: largest float64 |grad L(theta*)| {worst:.3g} (tolerance {grad_tol}); "
          f"{kept} random perturbations inside the regime (std margin/20, {samples} per network), none lowers "
          f"the loss by more than {loss_tol} relative")
    assert kept > 0


# --------------------------------------------------------------------------------------------
# L3: the regime at initialisation and the outcome
# --------------------------------------------------------------------------------------------
@pytest.mark.slow
def test_L3_initial_regime_predicts_outcome(default_case, default_landscape):
    """A channel killed on the whole grid at initialisation has an exactly zero gradient
    (ReLU: sigma = sigma' = 0 on every term), so it is predicted to end dead with its weights
    unchanged: checked bit for bit. The rest of the prediction ('the network ends on a plateau
    or dead' unless some channel starts as a counter seed: empty run alive and a non-empty run
    killed) is printed with its observed rate, and must be informative."""
    case = default_case
    cfg, tcfg = case.cfg, case.tcfg
    act = piecewise_linear(cfg.activation, cfg.alpha)
    amps = amplitude_grid(cfg, tcfg.amplitudes)
    init = init_params(cfg, tcfg.seeds, tcfg.seed, tcfg.torch_dtype)
    out = initial_regime_outcome(cfg, tcfg.amplitudes, init, default_landscape)
    for e, c in out["dead_at_init"]:
        assert grid_regime(cfg, act, to_exact(cfg, case.run.params, e), amps).channel_pieces(c) == {0}
        for key in ("w", "b", "v"):
            assert torch.equal(case.run.params[key][e, c], init[key][e, c]), f"net {e} channel {c}: {key} moved"
    print(f"[L3 default] {len(out['dead_at_init'])} channels dead at initialisation, all still dead with unchanged "
          f"weights (predicted 100%, observed 100%)")
    rates = out["rates"]
    for predicted, r in rates.items():
        if r["networks"]:
            print(f"[L3 default] predicted {predicted}: {r['networks']} networks, observed {predicted} in "
                  f"{r['observed_same']} ({r['rate']:.0%})")
    assert sum(row["count"] for row in out["table"]) == len(default_landscape)
    stall = {p: r["stall_rate"] for p, r in rates.items()}
    assert stall["plateau/dead"] > stall["solves"], f"the initial regime does not predict the plateau: {out['table']}"


# --------------------------------------------------------------------------------------------
# L2, FC head: the head is optimal given the filters; second order tested numerically
# --------------------------------------------------------------------------------------------
@pytest.mark.slow
def test_L2_fc_head_optimal_given_the_filters():
    """Small FC configuration (4 seeds): the trained head's exact gap to ``L_head*`` is >= 0
    (``L_head*`` is the minimum over heads) and within the trainer's tolerance; the float64
    Hessian of the whole loss has no eigenvalue below ``-1e-4 * max eigenvalue`` (tested
    numerically, tolerance and sample printed)."""
    from radiuscnn.numeric.train_config import TrainConfig
    from radiuscnn.verify.atlas import CACHE, train_cached
    from radiuscnn.verify.landscape_fc import head_certificate, hessian_spectrum

    cfg = Config(size=17, kernel=3, channels=1, head="fc", radii=tuple(range(0, 7)))
    tcfg = TrainConfig(seeds=4, steps=3000, lr=0.01, amplitudes=5)
    run = train_cached(cfg, tcfg, CACHE)
    amps = amplitude_grid(cfg, tcfg.amplitudes)
    worst = 0.0
    for e in range(tcfg.seeds):
        cert = head_certificate(cfg, to_exact(cfg, run.params, e), amps, tcfg.tolerance)
        assert cert.gap >= 0 and cert.optimal, f"net {e}: {cert.to_json()}"
        ev = hessian_spectrum(cfg, run.params, e, tcfg.amplitudes)
        ratio = float(ev[0]) / float(ev[-1])
        worst = min(worst, ratio)
        assert ratio >= -1e-4, f"net {e}: Hessian eigenvalues {float(ev[0])} .. {float(ev[-1])}"
    print(f"[L2 FC] {tcfg.seeds} networks: head optimal given the filters (gap <= {tcfg.tolerance}); "
          f"smallest Hessian eigenvalue / largest {worst:.3g} (tolerance -1e-4)")


# --------------------------------------------------------------------------------------------
# L2 on the success atlas grid (every piecewise-linear cell)
# --------------------------------------------------------------------------------------------
@pytest.mark.slow
def test_L2_atlas_grid_every_network_is_assigned():
    """At least 99% of the networks of the T1 success atlas grid (``verify.atlas.default_grid``,
    the piecewise-linear cells) get a verdict other than ``descending``, and every
    local-minimum certificate has its polished point inside the open regime."""
    from radiuscnn.verify.atlas import default_grid
    from radiuscnn.verify.landscape_report import atlas_verdicts

    out = atlas_verdicts(*default_grid())
    print(f"[L2 atlas] {out['networks']} networks in {len(out['cells'])} cells: {out['verdicts']}")
    assert out["networks"] and out["local_minima_inside_regime"]
    assert out["assigned_fraction"] >= 0.99
