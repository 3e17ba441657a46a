"""Unit tests of the exact LP certificates and the A4 regime search: each refuses a wrong input."""

from __future__ import annotations

from dataclasses import replace
from fractions import Fraction as F

from radiuscnn.theory import exact_lp
from radiuscnn.theory.activations import piecewise_linear
from radiuscnn.theory.config import Config
from radiuscnn.theory.proof import prove
from radiuscnn.theory.regime_search import search_regimes

# x0 + x1 <= 1, -x0 <= 0, -x1 <= 0, x0 - x1 = 0   (feasible: x = (t, t), 0 <= t <= 1/2)
FEAS_UB = [({0: F(1), 1: F(1)}, F(1)), ({0: F(-1)}, F(0)), ({1: F(-1)}, F(0))]
FEAS_EQ = [({0: F(1), 1: F(-1)}, F(0))]
# x0 >= 1 and x0 <= 0: infeasible
INFEAS_UB = [({0: F(-1)}, F(-1)), ({0: F(1)}, F(0))]


def test_exact_point_is_exact_and_none_when_infeasible():
    x = exact_lp.exact_point(FEAS_UB, FEAS_EQ, 2)
    assert x is not None and x[0] == x[1] and 0 <= x[0] <= F(1, 2)
    assert exact_lp.exact_point(INFEAS_UB, [], 1) is None


def test_implicit_equalities_are_found():
    # x0 <= 0 and x0 >= 0 (an implicit equality), x1 <= 5: the point must have x0 = 0 exactly
    x = exact_lp.exact_point([({0: F(1)}, F(0)), ({0: F(-1)}, F(0)), ({1: F(1)}, F(5))], [], 2)
    assert x is not None and x[0] == 0 and x[1] <= 5


def test_farkas_certificate_and_its_checker_refuses_wrong_ones():
    cert = exact_lp.farkas_certificate(INFEAS_UB, [], 1)
    assert cert is not None and exact_lp.check_farkas(INFEAS_UB, [], 1, *cert)
    assert exact_lp.farkas_certificate(FEAS_UB, FEAS_EQ, 2) is None
    y, lam = cert
    assert not exact_lp.check_farkas(INFEAS_UB, [], 1, [y[0], 2 * y[1]], lam)  # rows do not cancel
    assert not exact_lp.check_farkas(INFEAS_UB, [], 1, [-y[0], -y[1]], lam)  # negative weights
    assert not exact_lp.check_farkas(FEAS_UB, FEAS_EQ, 2, [F(0)] * 3, [F(0)])  # 0 < 0 fails


def test_search_construction_is_proved_and_a_perturbed_weight_is_refuted():
    cfg = Config(size=9, kernel=3, radii=(0, 1), channels=1, activation="leaky_relu")
    res = search_regimes(cfg, piecewise_linear("leaky_relu"), 1)
    assert res.found and res.verdict.proved and res.params.channels == 1
    w = res.params.w[0]
    wrong = replace(res.params, w=((w[0] + F(1, 7), *w[1:]),))
    assert prove(cfg, wrong, "leaky_relu").refuted
    wrong_v = replace(res.params, v=(res.params.v[0] * 2,))
    assert prove(cfg, wrong_v, "leaky_relu").refuted


def test_search_refuses_up_front_when_too_large():
    cfg = Config(size=9, kernel=5, radii=(0, 1, 2), channels=1)
    res = search_regimes(cfg, piecewise_linear("abs"), 1)
    assert res.status == "cut" and not res.excludes and "refused up front" in res.reason


# --------------------------------------------------------------------------------------------
# Sparse exact algebra and the search's integer rows
# --------------------------------------------------------------------------------------------
def random_rows(rng, m, n, density=0.5):
    return [{j: F(int(rng.integers(-4, 5)), int(rng.integers(1, 4))) for j in range(n)
             if rng.random() < density} for _ in range(m)]


def test_affine_parametrisation_is_exact_and_complete():
    import numpy as np
    import sympy as sp

    rng = np.random.default_rng(3)
    for _ in range(20):
        n, m = int(rng.integers(2, 7)), int(rng.integers(1, 6))
        E = random_rows(rng, m, n)
        x_true = [F(int(rng.integers(-3, 4)), int(rng.integers(1, 3))) for _ in range(n)]
        e = [sum((a * x_true[j] for j, a in row.items()), F(0)) for row in E]
        x0, N = exact_lp.affine_parametrisation_sparse(E, e, n)
        dense = sp.Matrix([[row.get(j, 0) for j in range(n)] for row in E])
        assert len(N[0]) == n - dense.rank() if N else dense.rank() == n
        for row, ei in zip(E, e):
            assert sum((a * x0[j] for j, a in row.items()), F(0)) == ei
            for f in range(len(N[0]) if N else 0):
                assert sum((a * N[j][f] for j, a in row.items()), F(0)) == 0
        # an inconsistent right-hand side (a zero combination of rows equal to 1) is refused
        E2 = E + [dict(E[0])]
        assert exact_lp.affine_parametrisation_sparse(E2, e + [e[0] + 1], n) is None


def test_farkas_certificates_of_random_infeasible_systems_are_exact():
    """Infeasible by construction: a random system plus the negation of a positive
    combination of its rows shifted by -1 (so the rows sum to 0 <= -1)."""
    import numpy as np

    rng = np.random.default_rng(5)
    for _ in range(15):
        n, m = int(rng.integers(2, 6)), int(rng.integers(2, 6))
        ub = [(row, F(int(rng.integers(-2, 4)))) for row in random_rows(rng, m, n)]
        eq = [(row, F(int(rng.integers(-2, 3)))) for row in random_rows(rng, 1, n)]
        w = [F(int(rng.integers(1, 4))) for _ in ub]
        neg = {}
        for (row, _), wi in zip(ub, w):
            for j, a in row.items():
                neg[j] = neg.get(j, 0) - wi * a
        ub.append((neg, -sum((wi * b for (_, b), wi in zip(ub, w)), F(0)) - 1))
        cert = exact_lp.farkas_certificate(ub, eq, n)
        assert cert is not None and exact_lp.check_farkas(ub, eq, n, *cert)
        y, lam = cert
        bad = list(y)
        i = next(i for i, yi in enumerate(y) if yi > 0)
        bad[i] = -bad[i]
        assert not exact_lp.check_farkas(ub, eq, n, bad, lam)
        j = next((i for i, yi in enumerate(y) if yi > 0 and any(ub[i][0].values())), None)
        if j is not None:  # one row weighted twice: the columns no longer cancel
            assert not exact_lp.check_farkas(ub, eq, n, [2 * yi if i == j else yi for i, yi in enumerate(y)], lam)


def definition_rows(cfg, lay, sigma, terms, after, pieces, signs):
    """The regime's rows straight from the module docstring, in Fraction arithmetic, in the
    order the search adds them (piece rows term by term; a radius's equations once its runs
    are assigned)."""
    from radiuscnn.theory.runs import run_counts

    assign = dict(zip(terms, pieces))
    ub, eq = [], []
    for i, ((c, J), p) in enumerate(zip(terms, pieces)):
        piece, sgn = sigma.pieces[p], signs[c]
        for a in ((cfg.a_min,) if not J else (cfg.a_min, cfg.a_max)):
            e = {lay.bias(c): F(sgn)}
            for t in J:
                q = lay.tap(c, t + cfg.h_l)
                e[q] = e.get(q, 0) + sgn * a
            if piece.lo is not None:
                row = {j: -x for j, x in e.items()}
                row[lay.nu(c)] = row.get(lay.nu(c), 0) + piece.lo
                ub.append((row, F(0)))
            if piece.hi is not None:
                row = dict(e)
                row[lay.nu(c)] = row.get(lay.nu(c), 0) - piece.hi
                ub.append((row, F(0)))
        for r in after.get(i + 1, ()):
            slope, value = {}, {0: F(1)}
            for J, n in run_counts(cfg, r).items():
                for c2 in range(lay.C):
                    pc = sigma.pieces[assign[(c2, J)]]
                    for t in J:
                        q = lay.tap(c2, t + cfg.h_l)
                        slope[q] = slope.get(q, 0) + n * pc.slope
                    value[lay.bias(c2)] = value.get(lay.bias(c2), 0) + F(n) * pc.slope / cfg.out_size
                    value[lay.nu(c2)] = value.get(lay.nu(c2), 0) + F(n) * pc.intercept * signs[c2] / cfg.out_size
            eq += [(slope, F(0)), (value, F(r))]
    return ub, eq


def test_integer_rows_are_the_definition_rows():
    """The search keeps its rows as integers over a common denominator; the exact rows rebuilt
    from an assignment equal the docstring's rows, entry by entry and in order."""
    import numpy as np

    from radiuscnn.theory.regime_search import _Search

    def clean(rows):
        return [({j: F(x) for j, x in row.items() if x}, F(b)) for row, b in rows]

    rng = np.random.default_rng(11)
    for cfg, name, C in [(Config(size=9, kernel=3, radii=(0, 1, 2), amplitude=(F(1, 2), F(3))), "hardtanh", 2),
                         (Config(size=7, kernel=4, radii=(1, 2), padding="valid"), "leaky_relu", 1),
                         (Config(size=9, kernel=5, radii=(2, 3), padding="circular"), "abs", 2),
                         # denominators past int64: the rows must not wrap around
                         (Config(size=15, kernel=7, radii=(3, 4), amplitude=(F(1, 1200000000000000015), F(1))), "relu", 1),
                         (Config(size=9, kernel=3, radii=(1, 2, 3), amplitude=(F(1, 2**61 - 1), F(1))), "leaky_relu", 2)]:
        sigma = piecewise_linear(name)
        s = _Search(cfg, sigma, C, 10, 10)
        for _ in range(5):
            signs = tuple(int(x) for x in rng.choice([1, -1], size=C))
            depth = int(rng.integers(1, len(s.terms) + 1))
            pieces = [int(p) for p in rng.integers(0, len(sigma.pieces), size=depth)]
            ub, eq = s.exact_system(pieces, signs)
            bub, beq = s.bound_rows()
            want_ub, want_eq = definition_rows(cfg, s.lay, sigma, s.terms, s.after, pieces, signs)
            assert clean(ub) == clean(want_ub + bub) and clean(eq) == clean(want_eq + beq)
            for r in s.after.get(depth, ()):  # the float rows: the rationals, correctly rounded
                block = s.float_equations(r, pieces, signs)
                rows = s.equation_rows(r, pieces, signs)[0]
                want = [float(F(v, s.L)) for row in rows for _, v in sorted(row.items())]
                assert list(block.value) == want
