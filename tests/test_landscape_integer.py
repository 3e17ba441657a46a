"""The integer (common-denominator) evaluations of theory.landscape equal the term-by-term
Fraction definitions: the terms and their margins, the grid regime, the forward-pass loss,
the lifted outputs, loss and normal residual, the normal equations, and the design matrix.
The references below are the definitions of the module docstring written out directly."""

from __future__ import annotations

import random
from fractions import Fraction

import pytest
from sympy import QQ
from sympy.polys.matrices import DomainMatrix

from radiuscnn.theory import landscape as L
from radiuscnn.theory.activations import piecewise_linear
from radiuscnn.theory.config import Config
from radiuscnn.theory.network import Params, output
from radiuscnn.theory.runs import run_counts, run_sum, runs_in_data

CASES = [
    (Config(size=11, kernel=3, channels=1, radii=tuple(range(0, 5))), "relu"),
    (Config(size=13, kernel=5, channels=2, radii=tuple(range(0, 6))), "hardtanh"),
    (Config(size=13, kernel=4, channels=2, padding="circular", radii=tuple(range(1, 6))), "leaky_relu"),
    (Config(size=11, kernel=3, channels=2, padding="valid", radii=tuple(range(0, 4))), "abs"),
]


def random_params(cfg: Config, rng: random.Random, dyadic: bool) -> Params:
    """Dyadic (float-like) or small-denominator rational parameters."""
    def q():
        return Fraction(rng.uniform(-1.5, 1.5)) if dyadic else Fraction(rng.randint(-30, 30), rng.randint(1, 12))

    C, k = cfg.channels, cfg.kernel
    return Params(w=tuple(tuple(q() for _ in range(k)) for _ in range(C)), b=tuple(q() for _ in range(C)),
                  beta=q(), v=tuple(q() for _ in range(C)))


def ref_terms(cfg, act, p, amps, regime=None):
    out = []
    for c in range(cfg.channels):
        for run in runs_in_data(cfg):
            for a in amps:
                z = a * run_sum(p.w[c], cfg, run) + p.b[c]
                piece = act.piece_index(z) if regime is None else regime.piece(c, run, a)
                out.append(L.GridTerm(c, run, a, z, piece, L.piece_margin(act, piece, z)))
    return tuple(out)


def ref_design(cfg, act, regime, amps):
    k, C, size = cfg.kernel, cfg.channels, Fraction(cfg.out_size)
    rows = []
    for r, a in L.grid_samples(cfg, amps):
        row = [Fraction(0)] * (1 + C * (k + 2))
        row[0] = Fraction(1)
        for c in range(C):
            base = 1 + c * (k + 1)
            for run, n in run_counts(cfg, r).items():
                piece = act.pieces[regime.piece(c, run, a)]
                for t in run:
                    row[base + t + cfg.h_l] += a * n * piece.slope / size
                row[base + k] += n * piece.slope / size
                row[1 + C * (k + 1) + c] += n * piece.intercept / size
        rows.append(tuple(row))
    return tuple(rows)


def ref_outputs(X, x):
    return tuple(sum((a * b for a, b in zip(row, x)), Fraction(0)) for row in X)


@pytest.mark.parametrize("cfg,name", CASES)
@pytest.mark.parametrize("dyadic", [True, False])
def test_integer_paths_equal_fraction_definitions(cfg, name, dyadic):
    act = piecewise_linear(name)
    rng = random.Random(hash((cfg.kernel, cfg.channels, name, dyadic)) & 0xFFFF)
    amps = L.amplitude_grid(cfg, 5)
    for _ in range(3):
        p = random_params(cfg, rng, dyadic)
        terms = ref_terms(cfg, act, p, amps)
        assert L.grid_terms(cfg, act, p, amps) == terms
        regime = L.grid_regime(cfg, act, p, amps)
        assert regime.pieces == tuple(t.piece for t in terms)
        bounded = [t for t in terms if t.margin is not None]
        assert L.tightest_term(cfg, act, p, amps) == (min(bounded, key=lambda t: t.margin) if bounded else None)
        # margins to another regime's pieces (some negative)
        q = random_params(cfg, rng, dyadic)
        other = L.grid_regime(cfg, act, q, amps)
        assert L.grid_terms(cfg, act, p, amps, other) == ref_terms(cfg, act, p, amps, other)
        # the forward pass
        samples = L.grid_samples(cfg, amps)
        ref_loss = sum(((output(cfg, p, r, a, act) - r) ** 2 for r, a in samples), Fraction(0)) / len(samples)
        assert L.grid_loss(cfg, act, p, amps) == ref_loss
        # the lifted model
        X, y, x = L.design_matrix(cfg, act, regime, amps), L.targets(cfg, amps), L.lift(p)
        assert X == ref_design(cfg, act, regime, amps)
        out = ref_outputs(X, x)
        assert L.lifted_outputs(X, x) == out
        e = [o - t for o, t in zip(out, y)]
        assert L.lifted_loss(X, y, x) == sum((v * v for v in e), Fraction(0)) / len(y) == ref_loss
        assert L.normal_residual(X, y, x) == tuple(sum((row[j] * ej for row, ej in zip(X, e)), Fraction(0))
                                                   for j in range(len(x)))
        # the normal equations: the same QQ matrices as the DomainMatrix products
        Xd = DomainMatrix([[QQ(v.numerator, v.denominator) for v in row] for row in X], (len(X), len(x)), QQ)
        yd = DomainMatrix([[QQ(v.numerator, v.denominator)] for v in y], (len(y), 1), QQ)
        G, h = L._normal_equations(X, y)
        assert G == Xd.transpose() * Xd and h == Xd.transpose() * yd


def test_common_denominator():
    assert L.common_denominator([Fraction(1, 6), 2, Fraction(-3, 4)]) == ((2, 24, -9), 12)
    assert L.common_denominator([]) == ((), 1)
    assert L.integer_matrix(((Fraction(1, 2), Fraction(1, 3)), (Fraction(0), Fraction(5)))) == (((3, 2), (0, 30)), 6)


def test_rational_common_denominator_types():
    from radiuscnn.theory.rational import common_denominator

    n, D = common_denominator([Fraction(-5, 8), 3, Fraction(7, 12)])
    assert (n, D) == ((-15, 72, 14), 24) and all(type(v) is int for v in n)
    assert common_denominator([0.5, Fraction(1, 3)]) == ((3, 2), 6)  # a float is read exactly


@pytest.mark.parametrize("name", ["relu", "hardtanh", "abs", "leaky_relu"])
def test_output_at_kinks_edge_cases(name):
    """A group with W = 0, a degenerate interval lo = hi (also on a kink), no groups: the
    sweep equals the plain sum at every point it returns."""
    from radiuscnn.theory.kinks import output_at_kinks

    act = piecewise_linear(name)
    b = (Fraction(1, 3), Fraction(-1, 2))
    groups = {(0, Fraction(0)): Fraction(5, 7), (1, Fraction(3, 4)): Fraction(-2, 9), (0, Fraction(-5, 2)): Fraction(1, 6)}
    beta = Fraction(-3, 5)

    def direct(a, gs):
        return beta + sum((g * act(a * W + b[c]) for (c, W), g in gs.items()), Fraction(0))

    for lo, hi in ((Fraction(-4), Fraction(4)), (Fraction(1, 2), Fraction(1, 2)), (Fraction(2, 3), Fraction(2, 3)),
                   (Fraction(0), Fraction(1))):
        for gs in (groups, {}):
            got = output_at_kinks(beta, b, gs, act, lo, hi)
            assert got[0][0] == lo and got[-1][0] == hi
            assert all(y == direct(a, gs) for a, y in got)


def test_parameters_that_do_not_fit_the_configuration_are_refused():
    """Two channels' parameters for a one-channel configuration (or a filter of the wrong
    length) are an error, never a loss computed from part of the parameters."""
    cfg, act = CASES[0][0], piecewise_linear("relu")
    two = random_params(CASES[1][0].with_(kernel=cfg.kernel), random.Random(3), dyadic=False)
    with pytest.raises(ValueError):
        L.grid_loss(cfg, act, two, (Fraction(1, 2), Fraction(3, 2)))
    one = random_params(cfg, random.Random(4), dyadic=False)
    short = Params(w=tuple(row[:-1] for row in one.w), b=one.b, beta=one.beta, v=one.v)
    with pytest.raises(ValueError):
        L.grid_loss(cfg, act, short, (Fraction(1, 2), Fraction(3, 2)))
