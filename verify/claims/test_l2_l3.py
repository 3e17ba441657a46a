"""Claims L2-L3 (THEORY.md section 10): the loss landscape of trained GAP (and FC) networks.

L2 certifies every network of the trained default ensemble; the numerical cross-checks there
(torch float64 gradient at theta*, random perturbations inside the regime) are *tested
numerically* and print their tolerance and sample. L3 is tested on the same ensemble: a
channel dead on the grid at initialisation gets an exactly zero gradient, so it is predicted
to stay dead with its weights unchanged (checked bit for bit); the prediction of the outcome
from the rest of the initial regime is printed with its observed rate; the test asserts only
that it is informative (the plateau rate is higher among the networks predicted to stall than
among the others). L1 (exact theorems on a parametrised set) is in ``test_l1.py``.
"""

from __future__ import annotations

import random
from fractions import Fraction

import numpy as np
import pytest
import torch

from landscape_torch import torch_loss, torch_member
from radiuscnn.numeric.data import make_dataset
from radiuscnn.numeric.model import init_params, to_exact
from radiuscnn.theory.activations import piecewise_linear
from radiuscnn.theory.config import Config
from radiuscnn.theory.landscape import amplitude_grid, design_matrix, grid_regime, targets
from radiuscnn.theory.network import Params
from radiuscnn.theory.plateau import dead_loss, plateau_loss
from radiuscnn.verify.landscape import check_certificate, certify_ensemble
from radiuscnn.verify.landscape_report import initial_regime_outcome, report_data


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
