"""Each D1 checker rejects a wrong input (THEORY.md sections 7, 8; claim D1 and I1c)."""

from __future__ import annotations

from dataclasses import replace
from fractions import Fraction

import numpy as np
import pytest

from radiuscnn.theory.config import Config, default_config
from radiuscnn.theory.disk_geometry import always_background, background_counts
from radiuscnn.theory.disk_proof import Params2D, prove_2d
from radiuscnn.theory.disk_ring import ring_law_params, rings
from radiuscnn.theory.exact_lstsq import affine_fit
from radiuscnn.verify.background_count_2d import check_background_counts
from radiuscnn.verify.trained_2d_i1c import background_mask, i1c_background_differences

pytestmark = pytest.mark.fast

CFG = Config(dim=2, size=15, kernel=3, channels=1, head="fc", radii=tuple(range(1, 6)))


def _with_V(p: Params2D, cfg: Config, pixel, delta) -> Params2D:
    lo = cfg.positions[0]
    V = [list(map(list, Vc)) for Vc in p.V]
    V[0][pixel[0] - lo][pixel[1] - lo] += delta
    return replace(p, V=tuple(tuple(tuple(r) for r in Vc) for Vc in V))


def test_ring_construction_is_exact_before_perturbation():
    assert prove_2d(CFG, ring_law_params(CFG)).exact


@pytest.mark.parametrize("where", ["ring", "always_background"])
def test_perturbed_V_refutes_the_ring_law(where):
    p = ring_law_params(CFG)
    pixel = rings(CFG)[1].pixels[0] if where == "ring" else sorted(always_background(CFG))[0]
    proof = prove_2d(CFG, _with_V(p, CFG, pixel, Fraction(1, 1000)))
    assert not proof.exact and proof.max_error == Fraction(1, 1000)  # b = 1: one pixel moves y by 1/1000


def test_moving_V_to_the_wrong_ring_refutes():
    p = ring_law_params(CFG)
    r1, r2 = rings(CFG)[0], rings(CFG)[2]
    w = r1.weight()
    p = _with_V(_with_V(p, CFG, r1.pixels[0], -w), CFG, r2.pixels[0], w)  # same total weight
    assert not prove_2d(CFG, p).exact


def test_wrong_beta_refuted():
    p = ring_law_params(CFG)
    proof = prove_2d(CFG, replace(p, beta=p.beta + Fraction(1, 7)))
    assert not proof.exact and proof.max_error == Fraction(1, 7)


def test_filter_that_lets_a_window_live_inside_the_interval_is_refuted():
    # taps -1/2 with b = 1: a single-pixel window is alive for a < 2, killed above -> kinks
    cfg = CFG.with_(amplitude=(Fraction(1, 2), Fraction(3)))
    p = ring_law_params(cfg, tap=Fraction(-1, 2))
    proof = prove_2d(cfg, p)
    assert not proof.exact and proof.max_error > 0


def test_wrong_background_count_rejected_by_bruteforce():
    cfg = default_config(2)
    counts = background_counts(cfg)
    assert check_background_counts(cfg, counts) == {}
    wrong = dict(counts)
    wrong[7] += 1
    assert set(check_background_counts(cfg, wrong)) == {7}
    # a closed-form guess N^2 - (2 rho + k)^2 (dilating a square, not a disk) is rejected too
    guess = {rho: cfg.size**2 - (2 * rho + cfg.kernel) ** 2 for rho in cfg.radii}
    assert check_background_counts(cfg, guess)


def test_affine_fit_detects_non_affine_data():
    assert affine_fit([1, 2, 3, 4], [3, 5, 7, 9]).sse == 0
    assert affine_fit([1, 2, 3, 4], [3, 5, 7, 10]).sse > 0


def test_perturbed_background_pixel_difference_detected():
    cfg = CFG.with_(channels=2)
    rng = np.random.default_rng(0)
    n = cfg.out_size
    V0 = rng.uniform(-0.1, 0.1, size=(3, 2, n, n))
    V = V0 + rng.uniform(-1, 1, size=(3, 2, 1, 1))  # a constant shift per channel: I1c holds
    V[:, :, ~background_mask(cfg)] += rng.normal(size=V[:, :, ~background_mask(cfg)].shape)
    assert i1c_background_differences(cfg, V, V0).max_deviation < 1e-12
    i, j = np.argwhere(background_mask(cfg))[5]
    V[1, 1, i, j] += 1e-6
    rep = i1c_background_differences(cfg, V, V0)
    assert rep.deviation[1] == pytest.approx(1e-6, rel=1e-3) and rep.deviation[0] < 1e-12


@pytest.mark.parametrize("activation", ["relu", "leaky_relu", "abs", "hardtanh"])
@pytest.mark.parametrize("head", ["gap", "fc"])
def test_kink_sweep_equals_direct_evaluation(activation, head):
    """prove_2d's sweep (theory.kinks.output_at_kinks) against the plain sum over every
    group at every endpoint and kink, on random rational networks with many kinks."""
    from radiuscnn.theory.disk_proof import _groups, _sigma
    from radiuscnn.theory.kinks import output_at_kinks

    cfg = Config(dim=2, size=9, kernel=3, channels=2, head=head, activation=activation,
                 radii=tuple(range(0, 4)), amplitude=(Fraction(1, 3), Fraction(7, 2)))
    rng = np.random.default_rng(7)

    def q(scale=1.0):
        return Fraction(int(rng.integers(-40, 41)), 16) * Fraction(scale).limit_denominator(8)

    w = tuple(tuple(tuple(q() for _ in range(3)) for _ in range(3)) for _ in range(2))
    b = (q(), q())
    V = tuple(tuple(tuple(q() for _ in range(cfg.out_size)) for _ in range(cfg.out_size)) for _ in range(2))
    p = Params2D(w, b, q(), v=(q(), q())) if head == "gap" else Params2D(w, b, q(), V=V)
    sigma = _sigma(cfg)
    kinks_seen = 0
    for rho in cfg.radii:
        groups = _groups(cfg, p, rho)
        expected_points = {cfg.a_min, cfg.a_max} | {
            (z - b[c]) / W for (c, W) in groups if W for z in sigma.breakpoints
            if cfg.a_min < (z - b[c]) / W < cfg.a_max}
        got = output_at_kinks(p.beta, p.b, groups, sigma, cfg.a_min, cfg.a_max)
        assert [a for a, _ in got] == sorted(expected_points)
        for a, y in got:
            assert y == p.beta + sum((g * sigma(a * W + b[c]) for (c, W), g in groups.items()), Fraction(0))
        kinks_seen += len(got) - 2
    assert kinks_seen > 4  # the networks really cross kinks inside the interval
