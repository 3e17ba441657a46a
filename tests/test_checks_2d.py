"""Unit tests: each 2D checker refuses a wrong input (wrong counts, wrong rank, perturbed weight)."""

from __future__ import annotations

from dataclasses import replace
from fractions import Fraction

from radiuscnn.theory.config import Config
from radiuscnn.theory.disk_proof import prove_2d
from radiuscnn.theory.disk_width import counter_network, row_counter
from radiuscnn.theory.patterns import pattern_system, pattern_table
from radiuscnn.verify.checks_2d import check_exact_network, check_patterns, check_rank

CFG = Config(dim=2, size=9, kernel=3, radii=(1, 2, 3))


def test_check_patterns_refuses_wrong_counts():
    table = pattern_table(CFG)
    assert check_patterns(CFG, table.n_patterns, table.counts) == []
    assert check_patterns(CFG, table.n_patterns + 1, table.counts)
    bad = {rho: dict(c) for rho, c in table.counts.items()}
    J = next(iter(bad[2]))
    bad[2][J] += 1
    assert check_patterns(CFG, table.n_patterns, bad)


def test_check_rank_refuses_a_wrong_rank():
    rank = pattern_system(CFG).rank
    assert check_rank(CFG, rank) == []
    assert check_rank(CFG, rank + 1) and check_rank(CFG, rank - 1)


def test_row_counter_checkers_refuse_a_perturbed_weight():
    params = counter_network(CFG, "relu", row_counter(CFG))
    c2 = CFG.with_(channels=params.channels, activation="relu")
    assert prove_2d(c2, params).exact and check_exact_network(c2, params, "relu") == []
    w0 = params.w[0]
    perturbed = replace(params, v=(params.v[0] + Fraction(1, 3), params.v[1]))
    assert not prove_2d(c2, perturbed).exact and check_exact_network(c2, perturbed, "relu")
    # a tap moved to zero: the first unit no longer kills every pattern meeting its support
    row = list(map(list, w0))
    row[0][0] = Fraction(0)
    zeroed = replace(params, w=(tuple(map(tuple, row)), params.w[1]))
    assert not prove_2d(c2, zeroed).exact
