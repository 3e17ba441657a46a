"""The R1/F1/F2 checkers reject wrong inputs (and accept the right ones).

Each test feeds a checker of ``verify.checks_runs`` / ``theory.counts`` a deliberately wrong
count, weight, formula, rank, region or equation and asserts that it is caught.
"""

from __future__ import annotations

from dataclasses import replace
from fractions import Fraction

import pytest
import sympy as sp
from sympy.polys.domains import QQ
from sympy.polys.matrices import DomainMatrix

from radiuscnn.theory.config import Config
from radiuscnn.theory.constraints import (
    LinearSystem,
    bulk_equations,
    gauge_direction,
    is_null,
    linear_system,
    reduce_system,
)
from radiuscnn.theory.counts import (
    Affine,
    _dominant,
    bulk_region,
    bulk_sympy_mismatches,
    count_mismatches,
    symbolic_counts,
)
from radiuscnn.theory.derive import derive
from radiuscnn.theory.network import output
from radiuscnn.theory.runs import run_counts
from radiuscnn.theory.symbolic import network_symbols
from radiuscnn.verify import brute_force as bf
from radiuscnn.verify.checks_runs import (
    check_bulk_equations,
    check_counts_brute,
    check_decomposition,
    check_n_runs,
    check_rank,
    check_symbolic_counts,
    decomposition_exact,
    random_params,
    torch_forward,
)

CFG = Config(size=11, kernel=4, channels=2, radii=tuple(range(6)), amplitude=("1", "1"))
AMPS = (Fraction(1, 2), Fraction(3, 2))


# --- counts -----------------------------------------------------------------------------------
def test_symbolic_counts_checker_accepts_engine():
    assert check_symbolic_counts(CFG)
    assert count_mismatches(CFG.with_(padding="valid")) == []


def test_symbolic_counts_checker_rejects_off_by_one():
    counts = symbolic_counts(CFG)
    full = max(counts, key=len)
    wrong = counts | {full: counts[full] + 1}
    result = check_symbolic_counts(CFG, wrong)
    assert not result and any("symbolic" in d for d in result.details)


def test_symbolic_counts_checker_rejects_missing_run_and_swapped_edges():
    counts = symbolic_counts(CFG)
    missing = {j: n for j, n in counts.items() if j != ()}
    assert not check_symbolic_counts(CFG, missing)
    swapped = dict(counts)
    prefix, suffix = (-1,), (2,)  # k = 4: window offsets -1..2
    swapped[prefix], swapped[suffix] = counts[suffix], counts[prefix]  # they differ at r = M-1
    assert not check_symbolic_counts(CFG, swapped)


def test_circular_has_no_symbolic_counts():
    with pytest.raises(ValueError):
        symbolic_counts(CFG.with_(padding="circular"))


def test_counts_vs_brute_force_rejects_off_by_one():
    counts = {r: dict(run_counts(CFG, r)) for r in CFG.radii}
    assert check_counts_brute(CFG, counts)
    counts[3][()] += 1
    result = check_counts_brute(CFG, counts)
    assert not result and "r=3" in result.details[0]


def test_counts_vs_brute_force_rejects_wrong_padding_convention():
    """Counts of the mirrored window convention (h_l and h_r swapped) differ for even k."""
    def mirror(run):
        return tuple(sorted(-t for t in run))

    mirrored = {r: {mirror(j): n for j, n in run_counts(CFG, r).items()} for r in CFG.radii}
    assert not check_counts_brute(CFG, mirrored)


# --- rank and number of runs ------------------------------------------------------------------
def test_rank_checker_rejects_wrong_rank():
    rank = reduce_system(linear_system(CFG)).rank
    assert check_rank(CFG, rank)
    assert not check_rank(CFG, rank + 1)
    assert not check_rank(CFG, rank - 1)


def test_n_runs_checker_rejects_wrong_count():
    d = derive(CFG)
    assert check_n_runs(CFG, d.n_runs)
    assert not check_n_runs(CFG, d.n_runs - 1)  # e.g. forgetting the empty run


def test_brute_force_rank_is_not_vacuous():
    """The brute-force matrix really carries the counts: dropping the last three radii lowers
    the rank it reports."""
    import numpy as np

    matrix = bf.system_matrix(CFG)
    assert np.linalg.matrix_rank(matrix[:-3]) < bf.rank(CFG)
    assert bf.rank(CFG) == reduce_system(linear_system(CFG)).rank


def test_reduction_detects_inconsistent_system():
    """Two radii with the same counts but different targets: no zero-loss solution."""
    rows = [[QQ(1, 2), QQ(1, 2), QQ(1)], [QQ(1, 2), QQ(1, 2), QQ(1)]]
    g0, g1, beta = sp.symbols("g_0 g_1 beta")
    system = LinearSystem(
        runs=((), (0,)),
        unknowns=(g0, g1, beta),
        radii=(0, 1),
        matrix=DomainMatrix(rows, (2, 3), QQ),
        rhs=DomainMatrix([[QQ(0)], [QQ(1)]], (2, 1), QQ),
    )
    reduction = reduce_system(system)
    assert not reduction.consistent and reduction.rank == 1
    assert all(not isinstance(x, sp.Eq) for x in reduction.identifiable)


def test_gauge_check_rejects_wrong_direction():
    system = linear_system(CFG)
    gauge = gauge_direction(system)
    assert is_null(system, gauge)
    assert not is_null(system, gauge[:-1] + (1,))  # beta -> beta + c is visible
    assert not is_null(system, (1,) + (0,) * (len(gauge) - 1))  # moving g_empty alone is visible


# --- the decomposition against torch -----------------------------------------------------------
@pytest.mark.parametrize("head", ["gap", "fc"])
@pytest.mark.parametrize("padding", ["zeros", "valid", "circular"])
def test_decomposition_checker_rejects_perturbed_weight(padding, head):
    cfg = CFG.with_(padding=padding, head=head)
    p = random_params(cfg, 3)
    assert check_decomposition(cfg, p, AMPS)
    w = [list(row) for row in p.w]
    w[1][0] += Fraction(1, 1000)  # one tap of one channel
    perturbed = replace(p, w=tuple(tuple(row) for row in w))
    result = check_decomposition(cfg, p, AMPS, decomposition_exact(cfg, perturbed))
    assert not result


def test_decomposition_checker_rejects_wrong_formulas():
    cfg = CFG.with_(padding="valid")
    p = random_params(cfg, 4)
    sigma_relu = decomposition_exact(cfg, p)

    def mean_over_N(r, a):  # GAP mean over N instead of |I| = N - k + 1
        return p.beta + (sigma_relu(r, a) - p.beta) * cfg.out_size / cfg.size

    def counts_of_next_radius(r, a):
        return sigma_relu(min(r + 1, cfg.M), a)

    def no_bias(r, a):
        q = replace(p, b=tuple(Fraction(0) for _ in p.b))
        return decomposition_exact(cfg, q)(r, a)

    for wrong in (mean_over_N, counts_of_next_radius, no_bias):
        assert not check_decomposition(cfg, p, AMPS, wrong), wrong.__name__


def test_decomposition_checker_rejects_wrong_reference():
    """The comparison is two-sided: a torch pass with the wrong padding disagrees."""
    p = random_params(CFG, 5)
    circular = CFG.with_(padding="circular")
    result = check_decomposition(CFG, p, AMPS, reference=lambda r, a: torch_forward(circular, p, r, a))
    assert not result


def test_exact_decomposition_is_exact():
    p = random_params(CFG, 6)
    from radiuscnn.theory.activations import piecewise_linear

    y = output(CFG, p, 3, Fraction(1, 3), piecewise_linear("relu"))
    assert isinstance(y, Fraction)


# --- bulk region and bulk equations ------------------------------------------------------------
def test_bulk_region_crosscheck_rejects_wrong_region():
    cfg = Config(size=9, kernel=3, radii=(0,))
    region = bulk_region(cfg)
    assert bulk_sympy_mismatches(cfg, region) == []
    too_small = replace(region, r0=region.r0 - 1)
    assert bulk_sympy_mismatches(cfg, too_small)  # a count keeps a Max/Min there
    too_big = replace(region, H=region.H + 1)
    assert any("not minimal" in x for x in bulk_sympy_mismatches(cfg, too_big))
    wrong_count = replace(region, counts=region.counts | {(): region.counts[()] + 1})
    assert bulk_sympy_mismatches(cfg, wrong_count)


def test_dominance_is_exact():
    """Max(e, d) has no dominant argument; Max(e + 1, e) does."""
    assert _dominant([(1, 0, 0), (0, 1, 0)], largest=True) is None
    assert _dominant([(1, 0, 1), (1, 0, 0)], largest=True) == 0
    assert _dominant([(1, 0, 1), (1, 0, 0)], largest=False) == 1
    # r - M + 2 with r = 3 + e, M = r + 4 + d:  -4 - d + 2
    assert Affine(1, -1, 2).in_region(3, 4) == (0, -1, -2)


def test_bulk_equation_checker_rejects_wrong_equations():
    p = random_params(CFG, 8)
    eqs = bulk_equations(CFG)
    assert check_bulk_equations(CFG, eqs, params=p)
    wrong_rhs = replace(eqs, slope_g=sp.Eq(eqs.slope_g.lhs, eqs.slope_g.rhs + 1, evaluate=False))
    assert not check_bulk_equations(CFG, wrong_rhs)
    g_full = max(eqs.slope_g.lhs.free_symbols, key=str)
    wrong_coef = replace(eqs, slope_g=sp.Eq(eqs.slope_g.lhs + g_full, eqs.slope_g.rhs, evaluate=False))
    assert not check_bulk_equations(CFG, wrong_coef)
    beta = network_symbols(CFG).beta
    wrong_intercept = replace(eqs, intercept_g=sp.Eq(eqs.intercept_g.lhs + beta, 0, evaluate=False))
    assert not check_bulk_equations(CFG, wrong_intercept)
    v0 = network_symbols(CFG).v[0]
    wrong_network = replace(eqs, slope=sp.Eq(eqs.slope.lhs + v0 / 7, eqs.slope.rhs, evaluate=False))
    assert not check_bulk_equations(CFG, wrong_network, params=p)


def test_bulk_equations_none_without_bulk_radius():
    cfg = CFG.with_(radii=(0,))
    assert bulk_equations(cfg) is None
    assert check_bulk_equations(cfg)  # nothing to check is not a failure
