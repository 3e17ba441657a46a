"""Claims F1 and F2 (THEORY.md section 4): the fixed-amplitude zero-loss system.

Proved exactly: the engine's rank (DomainMatrix over QQ) and number of distinct runs (interval
formulas) equal an independent brute force (numpy windows; rank by float64
``numpy.linalg.matrix_rank`` with its default SVD tolerance, so that side is numerical) for
k = 1..9, all three paddings (valid only for k <= N), N in {7, 9, 13, 17} and radius sets that
reach the border, stay small (2r+1 < k), or cover everything; the gauge is invisible; the
identifiable combinations span the row space and hold for a least-squares solution of the
brute-force system (residual < 1e-9); the bulk equations match their definition (differences
of consecutive brute-force bulk equations, exact) and THEORY.md's slope equation
``sum_c v_c [sigma(a S_c + b_c) - sigma(b_c)] = |I|/2`` (numerically at rational weights).
"""

from __future__ import annotations

import json
import random
from fractions import Fraction

import numpy as np
import pytest
import sympy as sp

from radiuscnn.theory.activations import sympy_activation
from radiuscnn.theory.config import Config, ConfigError
from radiuscnn.theory.constraints import gauge_direction, is_null, linear_system, reduce_system
from radiuscnn.theory.counts import bulk_region, run_type
from radiuscnn.theory.derive import derive
from radiuscnn.theory.runs import runs_in_data
from radiuscnn.theory.symbolic import network_symbols, substitution
from radiuscnn.verify import brute_force as bf
from radiuscnn.verify.checks_runs import check_bulk_equations, check_n_runs, check_rank, random_params

SIZES = (7, 9, 13, 17)
PADDINGS = ("zeros", "valid", "circular")


def radius_sets(M: int) -> dict[str, tuple[int, ...]]:
    return {
        "all": tuple(range(0, M + 1)),
        "small": (0, 1, 2),
        "border": (M - 2, M - 1, M),
        "bulk": tuple(range(2, M - 1)) or (2,),
        "sparse": (0, M // 2, M),
    }


def configs(padding: str, k: int):
    for size in SIZES:
        for name, radii in radius_sets(size // 2).items():
            try:
                yield name, Config(size=size, kernel=k, padding=padding, radii=radii)
            except ConfigError:
                assert padding == "valid" and k > size  # the only invalid combination here
                continue


@pytest.mark.fast
@pytest.mark.parametrize("padding", PADDINGS)
@pytest.mark.parametrize("k", range(1, 10))
def test_F2_n_runs_and_rank_equal_brute_force(k, padding):
    checked = 0
    for name, cfg in configs(padding, k):
        runs = check_n_runs(cfg, len(runs_in_data(cfg)))
        assert runs, f"N={cfg.size} R={name}: {runs}"
        rank = check_rank(cfg, reduce_system(linear_system(cfg)).rank)
        assert rank, f"N={cfg.size} R={name}: {rank}"
        checked += 1
    assert checked >= (2 if padding == "valid" else len(SIZES)) * 5 or padding == "valid"


@pytest.mark.fast
@pytest.mark.parametrize("padding", PADDINGS)
@pytest.mark.parametrize("k", [1, 2, 3, 4, 5, 8, 9, 10, 13])
def test_F2_derive_equals_brute_force_edge_cases(k, padding):
    """derive() itself on N = 9, all radii: even k, k = 1, k >= N (zeros/circular)."""
    try:
        cfg = Config(size=9, kernel=k, padding=padding, radii=tuple(range(5)))
    except ConfigError:
        assert padding == "valid" and k > 9  # refused, as F2 requires
        return
    d = derive(cfg)
    assert check_n_runs(cfg, d.n_runs)
    assert check_rank(cfg, d.constraint_rank)
    data = d.to_json()
    assert data["n_runs"] == bf.n_runs(cfg) and data["constraint_rank"] == bf.rank(cfg)
    json.dumps(data)


@pytest.mark.fast
@pytest.mark.parametrize("padding", PADDINGS)
@pytest.mark.parametrize("k", [1, 2, 3, 5, 6])
def test_F1_gauge_is_invisible(k, padding):
    cfg = Config(size=13, kernel=k, padding=padding, radii=tuple(range(7)))
    system = linear_system(cfg)
    assert is_null(system, gauge_direction(system))
    assert len(system.unknowns) - reduce_system(system).rank >= 1  # so the system never pins every g_J


@pytest.mark.fast
@pytest.mark.parametrize("padding", PADDINGS)
@pytest.mark.parametrize("k", [1, 2, 3, 4, 5, 7])
def test_F1_identifiable_combinations_span_row_space(k, padding):
    cfg = Config(size=13, kernel=k, padding=padding, radii=tuple(range(7)))
    system, reduction = linear_system(cfg), reduce_system(linear_system(cfg))
    assert reduction.consistent
    names = [str(x) for x in system.unknowns]
    rows = np.array([[float(x) for x in row] for row in system.matrix.to_list()])
    combos = np.array([[float(eq.lhs.coeff(x)) for x in system.unknowns] for eq in reduction.identifiable])
    assert len(combos) == reduction.rank == np.linalg.matrix_rank(rows)
    assert np.linalg.matrix_rank(np.vstack([rows, combos])) == reduction.rank
    # values: a least-squares solution of the brute-force system satisfies every combination
    patterns = bf.distinct_windows(cfg)
    solution, *_ = np.linalg.lstsq(bf.system_matrix(cfg), np.array(cfg.radii, dtype=float), rcond=None)
    value = {"g_" + "".join(map(str, p)): x for p, x in zip(patterns, solution)}
    value["beta"] = solution[-1]
    assert set(value) == set(names)
    for eq in reduction.identifiable:
        lhs = sum(float(eq.lhs.coeff(x)) * value[str(x)] for x in system.unknowns)
        assert abs(lhs - float(eq.rhs)) < 1e-9, str(eq)


BULK_CASES = [(p, k, n) for p in PADDINGS for k in (1, 2, 3, 4, 5) for n in (13, 17)]


@pytest.mark.fast
@pytest.mark.parametrize("padding,k,size", BULK_CASES)
def test_F1_bulk_equations_match_definition(padding, k, size):
    cfg = Config(size=size, kernel=k, padding=padding, radii=tuple(range(size // 2 + 1)))
    region = bulk_region(cfg)
    assert region is not None
    assert {run_type(cfg, j) for j in region.counts} <= {"empty", "full", "prefix", "suffix"}
    p = random_params(cfg, 1000 * k + size)
    result = check_bulk_equations(cfg, params=p, a=Fraction(3, 2))
    assert result, str(result)
    eqs = derive(cfg).bulk_equations
    assert eqs.implied == (len(eqs.radii) >= 2)
    assert eqs.implied == ("0 consecutive" not in str(result))  # every bulk set here is an interval


@pytest.mark.fast
@pytest.mark.parametrize("activation", ["relu", "leaky_relu", "hardtanh", "tanh"])
@pytest.mark.parametrize("padding", PADDINGS)
def test_F1_slope_equation_is_theory_statement(padding, activation):
    """THEORY.md: sum_c v_c [sigma(a S_c + b_c) - sigma(b_c)] = |I|/2 (typed here, in the test,
    from the spec) equals the engine's derived slope equation at random rational weights."""
    cfg = Config(size=13, kernel=4, padding=padding, activation=activation, radii=tuple(range(7)))
    eqs = derive(cfg).bulk_equations
    assert eqs is not None and eqs.implied
    sym = network_symbols(cfg)
    sigma = sympy_activation(activation, sp.Rational(1, 10))
    theory = sum(sym.v[c] * (sigma(sym.a * sum(sym.w[c]) + sym.b[c]) - sigma(sym.b[c])) for c in range(2))
    rng = random.Random(7)
    for _ in range(3):
        p = random_params(cfg, rng.randrange(10**6))
        a = Fraction(rng.randint(1, 9), rng.randint(1, 4))
        values = substitution(cfg, p, a)
        engine = (eqs.slope.lhs - eqs.slope.rhs).xreplace(values)
        spec = theory.xreplace(values) - sp.Rational(cfg.out_size, 2)
        assert abs(float(sp.N(engine - spec, 30))) < 1e-20


@pytest.mark.fast
def test_F1_no_bulk_radii_reported_as_none():
    for cfg in (
        Config(size=9, kernel=9, radii=tuple(range(5))),  # window as wide as the signal
        Config(size=13, kernel=5, radii=(0, 1)),  # only small radii
        Config(size=9, kernel=8, padding="circular", radii=tuple(range(5))),
    ):
        d = derive(cfg)
        assert d.bulk_equations is None and d.to_json()["bulk_equations"] is None
        assert "none" in d.pretty()


@pytest.mark.fast
def test_F1_derivation_renders():
    d = derive(Config(size=13, kernel=4, radii=tuple(range(7))))
    data = d.to_json()
    for key in ("config", "n_runs", "constraint_rank", "bulk_equations", "runs", "counts", "identifiable"):
        assert key in data
    assert set(data["bulk_equations"]) >= {"slope", "intercept"}
    assert data["bulk_equations"]["slope_g"] == "Eq(-g_0000 + g_1111, 13/2)"
    json.dumps(data)
    assert "rank" in d.pretty()
    tex = d.latex()
    assert {"system", "identifiable", "slope", "intercept"} <= set(tex)
