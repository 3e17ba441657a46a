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
