"""The integer (common-denominator) exact analysis equals the ``Fraction`` reference.

Every exact computation of the analysis -- the run decomposition's groups, the kink sweep,
the 1D and 2D interval proofs, the section-5 equations, the regime and the whole
``analyse_network`` -- has an integer path (the default) and the ``Fraction`` reference kept
beside it (``*_fraction``, ``verify.analysis.FRACTION``). Here they are compared on many
networks: random rationals with small denominators (equal run sums, zero run sums and weights,
kinks at the ends of the interval and shared between terms), dyadic floats like trained
weights, PyTorch-initialised members and perturbed exact solutions; every piecewise-linear
activation, GAP and FC heads, every padding, 1D and 2D, an amplitude interval and a fixed
amplitude. The sweep is also compared with the plain sum ``beta + sum_g weight_g sigma(a W_g +
b_c)`` (an independent computation), and wrong inputs are shown to be rejected by both paths.
"""

from __future__ import annotations

import random
from dataclasses import replace
from fractions import Fraction

import pytest
import torch

from radiuscnn.numeric.data import make_dataset
from radiuscnn.numeric.model import init_params, to_exact
from radiuscnn.theory.activations import PIECEWISE_LINEAR, Piece, PiecewiseLinear, piecewise_linear
from radiuscnn.theory.config import Config
from radiuscnn.theory.counter import counter_for_radii
from radiuscnn.theory.disk_ring import ring_law_params
from radiuscnn.theory.disk_proof import (Params2D, _groups, integer_groups_2d, integer_network_2d, prove_2d,
                                         prove_2d_fraction)
from radiuscnn.theory.kinks import kink_sweep, output_at_kinks, output_at_kinks_fraction
from radiuscnn.theory.network import IntegerNetwork, Params, groups, integer_groups, output
from radiuscnn.theory.proof import prove, prove_fraction
from radiuscnn.theory.rational import common_denominator, mean_square
from radiuscnn.verify.analysis import FRACTION, INTEGER, analyse_network
from radiuscnn.verify.analysis_equations import equations, equations_fraction, error_numerators, errors_from_equations
from radiuscnn.verify.analysis_terms import regime, regime_fraction

pytestmark = pytest.mark.fast

CASES_1D = [
    Config(size=11, kernel=3, channels=2, radii=tuple(range(0, 6))),
    Config(size=13, kernel=4, channels=2, head="fc", radii=tuple(range(0, 7))),
    Config(size=13, kernel=5, channels=1, padding="circular", radii=tuple(range(1, 7))),
    Config(size=11, kernel=4, channels=2, padding="circular", head="fc", radii=tuple(range(0, 6))),
    Config(size=11, kernel=3, channels=2, padding="valid", radii=tuple(range(0, 5))),
    Config(size=13, kernel=5, channels=3, padding="valid", head="fc", radii=tuple(range(0, 5))),
    Config(size=11, kernel=3, channels=2, radii=tuple(range(0, 6)), amplitude=(Fraction(3, 4), Fraction(3, 4))),
    Config(size=15, kernel=3, channels=2, radii=tuple(range(0, 8)), amplitude=(Fraction(1, 3), Fraction(5, 2))),
]
KINDS = ("small", "dyadic", "torch")


def small() -> Fraction:
    """Small denominators and zeros: many equal and zero run sums, kinks shared between terms
    and kinks on the interval's ends."""
    return Fraction(random.randint(-6, 6), random.choice((1, 2, 4)))


def dyadic() -> Fraction:
    return Fraction(random.gauss(0.0, 0.7))


def random_params(cfg: Config, kind: str, seed: int) -> Params:
    random.seed(seed)
    if kind == "torch":
        return to_exact(cfg, init_params(cfg, 1, seed, torch.float64), 0)
    q = small if kind == "small" else dyadic
    C, k = cfg.channels, cfg.kernel
    w = tuple(tuple(q() for _ in range(k)) for _ in range(C))
    b = tuple(q() for _ in range(C))
    if cfg.head == "gap":
        return Params(w=w, b=b, beta=q(), v=tuple(q() for _ in range(C)))
    return Params(w=w, b=b, beta=q(), V=tuple(tuple(q() for _ in range(cfg.out_size)) for _ in range(C)))


def networks():
    """``(cfg, activation, params)`` over the cases, activations and parameter kinds."""
    for i, cfg in enumerate(CASES_1D):
        for name in PIECEWISE_LINEAR:
            for kind in KINDS:
                c = cfg.with_(activation=name)
                yield c, piecewise_linear(name, c.alpha), random_params(c, kind, 100 * i + KINDS.index(kind))


NETWORKS = list(networks())
IDS = [f"{cfg.head}-{cfg.padding}-k{cfg.kernel}-{act.name}-{n}" for n, (cfg, act, _) in enumerate(NETWORKS)]


def direct(beta, b, gs, act, a):
    """``beta + sum_g weight_g sigma(a W_g + b_c)``, term by term."""
    return beta + sum((g * act(a * W + b[c]) for (c, W), g in gs.items()), Fraction(0))


# --------------------------------------------------------------------------------------------
# the pieces: integer network, groups, sweep
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("cfg,act,p", NETWORKS[::3], ids=IDS[::3])
def test_integer_network_and_groups_are_the_fraction_ones(cfg, act, p):
    q = IntegerNetwork.of(cfg, p)
    assert tuple(tuple(Fraction(x, q.Dw) for x in row) for row in q.w) == p.w
    assert tuple(Fraction(x, q.Db) for x in q.b) == p.b and Fraction(q.beta, q.Dbeta) == p.beta
    heads = tuple((x,) for x in p.v) if cfg.head == "gap" else p.V
    assert tuple(tuple(Fraction(x, q.Dh) for x in row) for row in q.head) == heads
    for r in cfg.radii:
        gs, D = integer_groups(cfg, q, r)
        assert [((c, Fraction(W, q.Dw)), Fraction(g, D)) for (c, W), g in gs.items()] == list(groups(cfg, p, r).items())


@pytest.mark.parametrize("cfg,act,p", NETWORKS, ids=IDS)
def test_sweep_equals_the_fraction_sweep_and_the_plain_sum(cfg, act, p):
    for r in cfg.radii:
        gs = groups(cfg, p, r)
        got = output_at_kinks(p.beta, p.b, gs, act, cfg.a_min, cfg.a_max)
        assert got == output_at_kinks_fraction(p.beta, p.b, gs, act, cfg.a_min, cfg.a_max)
        assert all(y == direct(p.beta, p.b, gs, act, a) == output(cfg, p, r, a, act) for a, y in got)
        q = IntegerNetwork.of(cfg, p)
        ints, D = integer_groups(cfg, q, r)
        raw = kink_sweep(p.beta, q.b, q.Db, ints, q.Dw, D, act, cfg.a_min, cfg.a_max)
        assert all(d > 0 for _, _, d in raw) and [(a, Fraction(n, d)) for a, n, d in raw] == got


def test_sweep_edge_cases_and_refused_breakpoints():
    """No groups, only ``W = 0`` groups, a degenerate interval on a kink; a sigma with a piece of
    length zero (two equal breakpoints) is refused rather than swept wrongly."""
    act = piecewise_linear("hardtanh")
    b = (Fraction(1, 3), Fraction(-1))
    for gs in ({}, {(0, Fraction(0)): Fraction(2, 3)}, {(1, Fraction(2)): Fraction(-1, 5), (0, Fraction(-3)): Fraction(1)}):
        for lo, hi in ((Fraction(1, 2), Fraction(3, 2)), (Fraction(1), Fraction(1)), (Fraction(0), Fraction(4))):
            got = output_at_kinks(Fraction(1, 7), b, gs, act, lo, hi)
            assert got == output_at_kinks_fraction(Fraction(1, 7), b, gs, act, lo, hi)
            assert all(y == direct(Fraction(1, 7), b, gs, act, a) for a, y in got)
    zero = Fraction(0)
    flat = PiecewiseLinear("step", (Piece(None, zero, zero, zero), Piece(zero, zero, Fraction(1), zero),
                                    Piece(zero, None, Fraction(1), zero)))
    with pytest.raises(ValueError, match="increase strictly"):
        output_at_kinks(zero, b, {(0, Fraction(1)): Fraction(1)}, flat, Fraction(-1), Fraction(1))


def test_mean_square_is_the_fraction_mean():
    random.seed(5)
    values = [small() / random.randint(1, 9) for _ in range(40)] + [0.25, 3]
    assert mean_square(*common_denominator(values)) == sum(Fraction(v) ** 2 for v in values) / len(values)
    assert mean_square([3, -1], 4) == Fraction(10, 32)
    with pytest.raises(ValueError):
        mean_square([])


# --------------------------------------------------------------------------------------------
# the computations of the analysis
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("cfg,act,p", NETWORKS, ids=IDS)
def test_proof_equations_and_regime_equal_the_fraction_ones(cfg, act, p):
    for eps in (0, Fraction(1, 2)):
        assert prove(cfg, p, act, eps) == prove_fraction(cfg, p, act, eps)
    eqs = equations(cfg, p, act)
    assert eqs == equations_fraction(cfg, p, act)
    assert regime(cfg, p, act) == regime_fraction(cfg, p, act)
    # the errors rebuilt from the equations are the network's exact errors on a grid
    samples = [(r, cfg.a_min + (cfg.a_max - cfg.a_min) * Fraction(j, 6)) for r in cfg.radii for j in range(7)]
    scale = cfg.out_size if cfg.head == "gap" else 1
    errors = errors_from_equations(cfg, eqs, samples)
    assert errors == [output(cfg, p, r, a, act) - r for r, a in samples]
    n, D = error_numerators(cfg, eqs, samples)
    assert [Fraction(x, D) for x in n] == errors and D > 0
    for (r, a), e in zip(samples, errors):
        s, v = next((s, v) for s, v in zip(eqs[0::2], eqs[1::2]) if s.radius == r and s.lo <= a <= s.hi)
        assert e == v.residual + a * s.residual / scale


@pytest.mark.parametrize("cfg,act,p", NETWORKS[::2], ids=IDS[::2])
def test_analysis_is_the_fraction_analysis(cfg, act, p):
    samples = make_dataset(cfg, 5, torch.float64).samples
    new = analyse_network(cfg, p, samples, engine=INTEGER)
    old = analyse_network(cfg, p, samples, engine=FRACTION)
    assert new == old and new.to_json() == old.to_json()


@pytest.mark.parametrize("head", ["gap", "fc"])
def test_perturbed_trained_like_networks(head):
    """Members of a trained-looking ensemble (a counter with a float perturbation of every
    weight), analysed by both engines on the training grid of the default-sized config."""
    cfg = Config(kernel=5, channels=2, head=head, size=17, radii=tuple(range(0, 9)))
    samples = make_dataset(cfg, 11, torch.float64).samples
    rng = random.Random(11)
    for name in ("relu", "leaky_relu", "hardtanh"):
        c = cfg.with_(activation=name)
        for scale in (1e-9, 1e-3, 0.3):
            p = random_params(c, "dyadic", int(scale * 1e9) % 97)
            p = Params.from_floats([[float(x) + rng.gauss(0, scale) for x in row] for row in p.w],
                                   [float(x) + rng.gauss(0, scale) for x in p.b], float(p.beta) + rng.gauss(0, scale),
                                   v=None if p.v is None else [float(x) for x in p.v],
                                   V=None if p.V is None else [[float(x) for x in row] for row in p.V])
            new, old = analyse_network(c, p, samples), analyse_network(c, p, samples, engine=FRACTION)
            assert new.to_json() == old.to_json()


# --------------------------------------------------------------------------------------------
# wrong inputs are rejected by both paths
# --------------------------------------------------------------------------------------------
def test_a_perturbed_weight_is_refuted_by_both_paths():
    """A1's exact counter is proved with error 0 and zero residuals; moving its bias by 1/1000
    or beta by 1/3 makes both engines refute it with the same counterexample and non-zero
    residuals, while the integer analysis still equals the reference. A filter tap moved by
    1/1000 keeps every non-empty run killed (margin 1/2): still proved, by both."""
    cfg = Config(size=17, kernel=3, channels=1, radii=tuple(range(0, 7)))
    act = piecewise_linear("relu")
    samples = make_dataset(cfg, 5, torch.float64).samples
    p = counter_for_radii(cfg, margin=Fraction(1, 2)).params
    right = prove(cfg, p, act)
    assert right.proved and right.max_error == 0 and right == prove_fraction(cfg, p, act)
    assert all(e.residual == 0 for e in equations(cfg, p, act))
    w = p.w[0]
    tap = replace(p, w=((w[0] + Fraction(1, 1000), *w[1:]),))
    assert prove(cfg, tap, act).proved and prove(cfg, tap, act) == prove_fraction(cfg, tap, act)
    moved = [replace(p, b=(p.b[0] + Fraction(1, 1000),)), replace(p, beta=p.beta + Fraction(1, 3))]
    for bad in moved:
        new, old = prove(cfg, bad, act), prove_fraction(cfg, bad, act)
        assert new.refuted and new == old and new.max_error > 0
        r, a, y = new.counterexample
        assert y == output(cfg, bad, r, a, act) and abs(y - r) == new.max_error
        eqs = equations(cfg, bad, act)
        assert eqs == equations_fraction(cfg, bad, act) and any(e.residual != 0 for e in eqs)
        analysis = analyse_network(cfg, bad, samples)
        assert analysis.verdict.max_error == new.max_error and analysis.max_residual > 0
        assert analysis.to_json() == analyse_network(cfg, bad, samples, engine=FRACTION).to_json()


# --------------------------------------------------------------------------------------------
# 2D
# --------------------------------------------------------------------------------------------
def params_2d(cfg: Config, q) -> Params2D:
    C, k, n = cfg.channels, cfg.kernel, cfg.out_size
    w = [[[q() for _ in range(k)] for _ in range(k)] for _ in range(C)]
    if cfg.head == "gap":
        return Params2D.from_arrays(w, [q() for _ in range(C)], q(), v=[q() for _ in range(C)])
    return Params2D.from_arrays(w, [q() for _ in range(C)], q(), V=[[[q() for _ in range(n)] for _ in range(n)] for _ in range(C)])


@pytest.mark.parametrize("head", ["gap", "fc"])
@pytest.mark.parametrize("padding", ["zeros", "circular", "valid"])
@pytest.mark.parametrize("name", PIECEWISE_LINEAR)
def test_prove_2d_equals_the_fraction_proof(head, padding, name):
    cfg = Config(dim=2, size=9, kernel=3, channels=2, head=head, padding=padding, activation=name,
                 radii=tuple(range(0, 5)), amplitude=(Fraction(1, 3), Fraction(7, 2)))
    for seed, q in enumerate((small, dyadic)):
        random.seed(seed)
        p = params_2d(cfg, q)
        n = integer_network_2d(cfg, p)
        for rho in cfg.radii:
            gs, D = integer_groups_2d(cfg, n, rho)
            assert {(c, Fraction(W, n.Dw)): Fraction(g, D) for (c, W), g in gs.items()} == _groups(cfg, p, rho)
        assert prove_2d(cfg, p) == prove_2d_fraction(cfg, p)
        target = {rho: Fraction(2 * rho + 1, 3) for rho in cfg.radii}
        assert prove_2d(cfg, p, target) == prove_2d_fraction(cfg, p, target)
        assert prove_2d(cfg, p, lambda rho: rho * rho) == prove_2d_fraction(cfg, p, lambda rho: rho * rho)


def test_prove_2d_rejects_a_perturbed_ring_law():
    """The exact FC ring law is proved by both paths; one head weight moved by 1/1000 is not,
    with the same maximal error and worst point."""
    cfg = Config(dim=2, size=9, kernel=3, channels=1, head="fc", radii=tuple(range(0, 5)))
    p = ring_law_params(cfg)
    assert prove_2d(cfg, p).exact and prove_2d(cfg, p) == prove_2d_fraction(cfg, p)
    V = [[list(row) for row in Vc] for Vc in p.V]
    V[0][2][3] += Fraction(1, 1000)
    bad = replace(p, V=tuple(tuple(tuple(row) for row in Vc) for Vc in V))
    new = prove_2d(cfg, bad)
    assert not new.exact and new.max_error > 0 and new == prove_2d_fraction(cfg, bad)
