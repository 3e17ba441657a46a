"""Every A1-A4 checker rejects a wrong input (theory.proof, theory.counter, theory.structure,
theory.width, theory.regimes)."""

from __future__ import annotations

from dataclasses import replace
from fractions import Fraction

import pytest
import sympy as sp

from radiuscnn.theory.activations import piecewise_linear
from radiuscnn.theory.config import Config
from radiuscnn.theory.counter import background_counter, relu_gap, verify_r_max
from radiuscnn.theory.network import Params, output
from radiuscnn.theory.proof import prove, prove_fixed
from radiuscnn.theory.regimes import network_regime, term_regime
from radiuscnn.theory.structure import check_structure, derive_structure
from radiuscnn.theory.width import build_counter, combine, Combination, prove_construction, width_detail

RELU = piecewise_linear("relu")
AMPLITUDE = (Fraction(1, 2), Fraction(3, 2))


@pytest.fixture(scope="module")
def counter():
    """The proved background counter of N = 13, k = 5, zeros padding, on radii 0..r_max."""
    base = Config(size=13, kernel=5, channels=1, radii=(0, 1), amplitude=AMPLITUDE)
    bc = background_counter(base)
    cfg = relu_gap(base, range(0, bc.r_max + 1))
    assert prove(cfg, bc.params, "relu").proved
    return cfg, bc


def _assert_counterexample(cfg, params, verdict, act="relu"):
    assert verdict.status == "refuted" and not verdict.proved
    r, a, y = verdict.counterexample
    assert r in cfg.radii and cfg.a_min <= a <= cfg.a_max
    assert y == output(cfg, params, r, a, piecewise_linear(act)) and y != r
    assert verdict.max_error == abs(y - r)


# --- theory.proof ------------------------------------------------------------------------------
def test_proof_rejects_a_killed_run_made_alive(counter):
    cfg, bc = counter
    w = list(bc.params.w[0])
    w[0] = Fraction(1)  # leftmost tap positive: the run {-h_l} now has W = 1 > -b/a_max
    bad = replace(bc.params, w=(tuple(w),))
    regime = network_regime(cfg, bad, RELU)
    assert RELU.pieces[regime.term(0, (-cfg.h_l,)).piece].slope == 1  # alive
    _assert_counterexample(cfg, bad, prove(cfg, bad, "relu"))


def test_proof_rejects_swapped_sign_of_v(counter):
    cfg, bc = counter
    bad = replace(bc.params, v=(-bc.params.v[0],))
    _assert_counterexample(cfg, bad, prove(cfg, bad, "relu"))


def test_proof_rejects_wrong_beta_with_exact_error(counter):
    cfg, bc = counter
    bad = replace(bc.params, beta=bc.params.beta + Fraction(1, 3))
    verdict = prove(cfg, bad, "relu")
    _assert_counterexample(cfg, bad, verdict)
    assert verdict.max_error == Fraction(1, 3)


def test_proof_within_eps(counter):
    cfg, bc = counter
    off = replace(bc.params, beta=bc.params.beta + Fraction(1, 1000))
    assert prove(cfg, off, "relu", eps=Fraction(1, 100)).proved
    assert prove(cfg, off, "relu", eps=Fraction(1, 2000)).refuted
    floats = Params.from_floats(w=[[float(x) for x in bc.params.w[0]]], b=[1.0], beta=float(bc.beta),
                                v=[float(bc.params.v[0])])
    assert prove(cfg, floats, "relu", eps=Fraction(1, 10**6)).proved


def test_proof_fixed_amplitude_rejects_wrong_beta(counter):
    cfg, bc = counter
    assert prove_fixed(cfg, bc.params, Fraction(1), "relu").proved
    bad = replace(bc.params, beta=bc.params.beta - 1)
    verdict = prove_fixed(cfg, bad, Fraction(1), "relu")
    assert verdict.refuted and verdict.counterexample[1] == 1


@pytest.mark.parametrize("name", ("tanh", "sigmoid", "softplus"))
def test_proof_is_inconclusive_for_analytic_activations(counter, name):
    cfg, bc = counter
    verdict = prove(cfg, bc.params, name)
    assert verdict.status == "inconclusive" and not verdict.proved and verdict.max_error is None
    assert prove(cfg.with_(activation=name), bc.params).status == "inconclusive"


def test_proof_is_inconclusive_for_non_rational_params(counter):
    cfg, bc = counter
    as_float = replace(bc.params, beta=float(bc.params.beta))
    irrational = replace(bc.params, beta=sp.sqrt(2))
    assert prove(cfg, as_float, "relu").status == "inconclusive"
    assert prove(cfg, irrational, "relu").status == "inconclusive"
    sympy_rational = replace(bc.params, beta=sp.Rational(bc.beta.numerator, bc.beta.denominator))
    assert prove(cfg, sympy_rational, "relu").proved


# --- theory.counter ----------------------------------------------------------------------------
def test_verify_r_max_rejects_wrong_claims(counter):
    cfg, bc = counter
    base = cfg.with_(radii=(0, 1))
    assert verify_r_max(base, bc.r_max).ok
    too_big = verify_r_max(base, bc.r_max + 1)
    assert not too_big.ok and too_big.exact.refuted
    too_small = verify_r_max(base, bc.r_max - 1)
    assert not too_small.ok and too_small.next.proved
    assert not verify_r_max(base, -1).ok
    no_counter = Config(size=13, kernel=9, padding="valid", channels=1, radii=(0, 1), amplitude=AMPLITUDE)
    assert background_counter(no_counter).r_max == -1
    assert verify_r_max(no_counter, -1).ok and not verify_r_max(no_counter, 2).ok


# --- theory.structure --------------------------------------------------------------------------
def test_check_structure_rejects_wrong_vb(counter):
    cfg, bc = counter
    bad = replace(bc.params, v=(2 * bc.params.v[0],))
    check = check_structure(cfg, bad)
    assert not check.ok and any("v b" in v for v in check.violations)
    assert not check.proof.proved


def test_check_structure_rejects_negative_bias_and_crossing_runs(counter):
    cfg, bc = counter
    negative = replace(bc.params, b=(-bc.params.b[0],))
    assert any("b = " in v for v in check_structure(cfg, negative).violations)
    w = list(bc.params.w[0])
    w[0] = -Fraction(1)  # run {-h_l}: kink at a = -b/W = 1, inside [1/2, 3/2]
    crossing = replace(bc.params, w=(tuple(w),))
    check = check_structure(cfg, crossing)
    assert not check.ok and any("crosses" in v for v in check.violations)


def test_structure_derivation_refuses_without_bulk_pair():
    cfg = Config(size=13, kernel=9, channels=1, radii=range(0, 3), amplitude=AMPLITUDE)
    d = derive_structure(cfg)
    assert not d.applies and d.survivors == ()


# --- theory.regimes ----------------------------------------------------------------------------
def test_term_regime_detects_crossing():
    t = term_regime(RELU, Fraction(-1), Fraction(1), *AMPLITUDE)
    assert t.crossing and t.kinks == (Fraction(1),) and t.piece is None
    touching = term_regime(RELU, Fraction(-2), Fraction(1), *AMPLITUDE)  # z(a_min) = 0
    assert not touching.crossing and touching.piece == 0


# --- theory.width ------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def leaky_cfg(counter):
    cfg, _ = counter
    return cfg.with_(activation="leaky_relu")


def test_wrong_width_constructions_are_refuted(counter, leaky_cfg):
    cfg, bc = counter
    # one leaky channel with the ReLU counter's weights: killed windows leak alpha z, which moves with a
    verdict = prove_construction(leaky_cfg, "leaky_relu", bc.params)
    _assert_counterexample(leaky_cfg, bc.params, verdict, "leaky_relu")
    # the two-channel construction with the wrong mixing weight c
    good = width_detail(leaky_cfg, "leaky_relu")
    assert good.verdict.proved and good.params.channels == 2
    wrong = replace(good.params, v=(good.params.v[0], 2 * good.params.v[1]))
    _assert_counterexample(leaky_cfg, wrong, prove_construction(leaky_cfg, "leaky_relu", wrong), "leaky_relu")
    # abs with mu = 0 is constant: nothing to count, no construction
    abs_ = piecewise_linear("abs")
    constant = Combination(Fraction(-1), -1, Fraction(0), combine(abs_, -1, -1, 0))
    assert build_counter(cfg, abs_, constant) is None


def test_analytic_width_is_never_a_number(counter):
    cfg, _ = counter
    for name in ("identity", "tanh", "sigmoid", "softplus"):
        detail = width_detail(cfg, name)
        assert detail.min_channels is None and detail.status == "impossible"


def test_min_channels_is_silent_for_a_fixed_amplitude():
    """A4 is about amplitude intervals: with one amplitude there is no width table at all
    (not a table of 'none exists', which would be a false impossibility claim)."""
    from radiuscnn.theory.config import Config
    from radiuscnn.theory.width import min_channels

    assert min_channels(Config(size=9, kernel=3, radii=(0, 1, 2), amplitude=(1, 1))) is None
    assert min_channels(Config(size=9, kernel=3, radii=(0, 1, 2)))["relu"] == 1
