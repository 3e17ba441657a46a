"""The landscape certificate (verify.landscape, THEORY.md section 10) accepts right critical
points and rejects wrong ones: a wrong theta*, a wrong L_rho*, a point moved across a
breakpoint. Networks are built by hand in exact arithmetic; expected losses come from an
independent float least-squares fit (numpy) or from the definition (population variance)."""

from __future__ import annotations

import statistics
from dataclasses import replace
from fractions import Fraction

import numpy as np
import pytest

from radiuscnn.theory.activations import piecewise_linear
from radiuscnn.theory.config import Config
from radiuscnn.theory.counter import counter_for_radii
from radiuscnn.theory.landscape import amplitude_grid, grid_loss, grid_regime, lift, regime_loss_at, solve_regime
from radiuscnn.theory.network import Params
from radiuscnn.verify.landscape import certify, check_certificate, gradient

CFG = Config(size=11, kernel=3, channels=1, radii=tuple(range(0, 5)))
RELU = piecewise_linear("relu")
AMPS = amplitude_grid(CFG, 3)
F = Fraction


def plateau_net() -> Params:
    """Every term alive: taps 1/3, b = 1 > 0."""
    return Params(w=((F(1, 3),) * 3,), b=(F(1),), beta=F(-1), v=(F(2),))


def mass_fit_loss(cfg: Config, amps) -> float:
    """Independent: float64 least squares of r on (1, a (2r+1)) over the grid."""
    rows = [(1.0, float(a) * (2 * r + 1)) for r in cfg.radii for a in amps]
    y = np.array([float(r) for r in cfg.radii for _ in amps])
    coef, *_ = np.linalg.lstsq(np.array(rows), y, rcond=None)
    return float(np.mean((np.array(rows) @ coef - y) ** 2))


def test_plateau_network_polishes_to_the_mass_fit_local_minimum():
    land = certify(CFG, plateau_net(), AMPS)
    assert land.regime_loss > 0
    assert float(land.regime_loss) == pytest.approx(mass_fit_loss(CFG, AMPS), rel=1e-12)
    # the hand-built point is not optimal: polished, it is a certified local minimum
    assert land.verdict == "descending" and land.gradient_norm > 0
    again = certify(CFG, land.theta_star, AMPS)
    assert again.verdict == "local minimum" and again.gap == 0 and again.distance == 0
    assert again.gradient_norm == 0


def test_right_certificate_passes_and_loss_is_the_forward_pass():
    land = certify(CFG, plateau_net(), AMPS)
    regime = grid_regime(CFG, RELU, land.theta_star, AMPS)
    check = check_certificate(CFG, RELU, AMPS, regime, land.theta_star, land.regime_loss)
    assert check.ok and check.margin > 0 and check.loss == land.regime_loss
    assert regime_loss_at(CFG, RELU, plateau_net(), AMPS) == grid_loss(CFG, RELU, plateau_net(), AMPS)


def test_wrong_theta_star_is_rejected():
    land = certify(CFG, plateau_net(), AMPS)
    regime = grid_regime(CFG, RELU, land.theta_star, AMPS)
    wrong = replace(land.theta_star, beta=land.theta_star.beta + F(1, 7))
    check = check_certificate(CFG, RELU, AMPS, regime, wrong, land.regime_loss)
    assert not check.ok and "not a regime minimum" in check.reason
    w = list(land.theta_star.w[0])
    w[1] += F(1, 100)  # still inside the regime, but no longer optimal
    check = check_certificate(CFG, RELU, AMPS, regime, replace(land.theta_star, w=(tuple(w),)), land.regime_loss)
    assert not check.ok and "not a regime minimum" in check.reason


def test_wrong_regime_loss_is_rejected():
    land = certify(CFG, plateau_net(), AMPS)
    regime = grid_regime(CFG, RELU, land.theta_star, AMPS)
    for wrong in (land.regime_loss + F(1, 1000), land.regime_loss * (1 + F(1, 10**9)), F(0)):
        check = check_certificate(CFG, RELU, AMPS, regime, land.theta_star, wrong)
        assert not check.ok and "forward pass" in check.reason


def test_point_moved_across_a_breakpoint_is_rejected():
    land = certify(CFG, plateau_net(), AMPS)
    regime = grid_regime(CFG, RELU, land.theta_star, AMPS)
    p = land.theta_star
    w = list(p.w[0])
    w[0] = -(p.b[0] / AMPS[0]) * 2  # tap {-1} alone now gives z < 0 at a_min: killed, not alive
    check = check_certificate(CFG, RELU, AMPS, regime, replace(p, w=(tuple(w),)), land.regime_loss)
    assert not check.ok and "strictly inside" in check.reason
    # exactly on the breakpoint: rejected in the open region, accepted only in its closure
    w[0] = -p.b[0] / AMPS[0]
    on = replace(p, w=(tuple(w),))
    assert not check_certificate(CFG, RELU, AMPS, regime, on, land.regime_loss).ok


def test_dead_network_is_a_local_minimum_at_the_variance():
    dead = Params(w=((F(-1),) * 3,), b=(F(-1),), beta=F(3), v=(F(1),))
    land = certify(CFG, dead, AMPS)
    expected = statistics.pvariance([F(r) for r in CFG.radii for _ in AMPS])
    assert land.regime_loss == expected and land.verdict == "descending"  # beta = 3 is not the mean
    fixed = certify(CFG, land.theta_star, AMPS)
    assert fixed.verdict == "local minimum" and fixed.theta_star.beta == statistics.mean(CFG.radii)


def test_background_counter_is_a_global_minimum():
    p = counter_for_radii(CFG, margin=F(1, 2)).params
    land = certify(CFG, p, AMPS)
    assert land.verdict == "global minimum" and land.regime_loss == 0 and land.gap == 0


def test_region_without_an_optimal_point_is_a_regime_boundary():
    """Empty run killed (b < 0) and every non-empty run alive: zero loss would need the full
    run's sum U[full] = 0 and U[b] = |I|/2 > 0 (v < 0 makes b < 0), but alive runs need
    U[J] < 0 for v < 0: no minimiser lies in the region or its closure."""
    p = Params(w=((F(1),) * 3,), b=(F(-1, 10),), beta=F(0), v=(F(-1),))
    land = certify(CFG, p, AMPS)
    assert solve_regime(CFG, RELU, grid_regime(CFG, RELU, p, AMPS), AMPS).loss == land.regime_loss
    assert land.verdict == "regime boundary" and land.boundary_term and land.theta_star is None


def test_gradient_is_exact_and_matches_finite_differences():
    p = plateau_net()
    regime = grid_regime(CFG, RELU, p, AMPS)
    g = gradient(CFG, RELU, regime, p, AMPS)
    h = F(1, 10**6)
    moved = replace(p, beta=p.beta + h)
    # L is quadratic in beta: the symmetric difference is exact
    back = replace(p, beta=p.beta - h)
    fd = (grid_loss(CFG, RELU, moved, AMPS) - grid_loss(CFG, RELU, back, AMPS)) / (2 * h)
    assert g["beta"] == fd
    assert len(lift(p)) == 1 + CFG.channels * (CFG.kernel + 2)


# --------------------------------------------------------------------------------------------
# the command line
# --------------------------------------------------------------------------------------------
def test_check_and_derive_report_the_landscape(tmp_path, capsys):
    import json

    from radiuscnn.cli import main
    from radiuscnn.numeric.checkpoint import save_run
    from radiuscnn.numeric.ensemble import TrainConfig, train

    tcfg = TrainConfig(seeds=2, steps=20, amplitudes=3)
    save_run(tmp_path, CFG, tcfg, train(CFG, tcfg))
    assert main(["check", str(tmp_path), "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)["networks"]
    for row in rows:
        land = row["landscape"]
        assert {"verdict", "regime_loss", "gap", "distance", "margin", "proof"} <= set(land)
        Fraction(land["regime_loss"])  # an exact rational string
    assert main(["check", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "critical" in out and any(v in out for v in ("global", "local", "boundary", "descending"))
    assert main(["check", str(tmp_path), "--network", "1"]) == 0
    out = capsys.readouterr().out
    assert "lifted parameter" in out and "U[0,b]" in out and "grid regime" in out
    assert main(["derive", "--json", "--size", "11", "--kernel", "3", "--channels", "1", "--radii", "0:4"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert Fraction(data["dead_loss"]["exact"]) == statistics.pvariance([F(r) for r in range(5)])
    assert data["plateau_loss"]["float"] == pytest.approx(mass_fit_loss(CFG, amplitude_grid(CFG, 11)), rel=1e-12)


def test_fc_head_certificate_rejects_a_perturbed_head():
    """The optimal head given the filters (built from the exact least squares) passes with gap
    0; the same head with one weight moved has a positive exact gap and fails at tolerance 0."""
    from radiuscnn.theory.landscape import regime_minimum, targets
    from radiuscnn.verify.landscape_fc import features, head_certificate

    cfg = CFG.with_(head="fc")
    w, b = ((F(1, 2), F(-1), F(1, 3)),), (F(1, 4),)
    blank = Params(w=w, b=b, beta=F(0), V=((F(0),) * cfg.out_size,))
    Phi = features(cfg, blank, AMPS)
    m = regime_minimum(Phi, targets(cfg, AMPS))
    best = Params(w=w, b=b, beta=m.particular[0], V=(tuple(m.particular[1:]),))
    right = head_certificate(cfg, best, AMPS, tol=0)
    assert right.gap == 0 and right.optimal and right.distance == 0
    V = list(best.V[0])
    V[3] += F(1, 10)
    wrong = head_certificate(cfg, replace(best, V=(tuple(V),)), AMPS, tol=0)
    assert wrong.gap > 0 and not wrong.optimal and wrong.distance > 0
