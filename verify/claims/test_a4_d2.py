"""Claims A4 (minimal width on every radius set, THEORY.md section 5) and D1/D2 in 2D (section 7).

A4. Where the radius set contains two consecutive bulk radii the bulk-pair argument excludes one
channel for leaky_relu and abs; elsewhere the exhaustive regime search of
:mod:`theory.regime_search` decides (exact LP certificates) or the status says 'upper bound'.
Checks: constructions proved exact (theory.proof) and re-evaluated by an independent numpy
forward pass on brute-force windows (numerical, 41 amplitudes, |y - r| < 1e-8); the search
agrees with the bulk-pair argument where both apply (two independent derivations).
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from radiuscnn.theory.activations import piecewise_linear
from radiuscnn.theory.config import Config
from radiuscnn.theory.regime_search import search_regimes
from radiuscnn.theory.regimes import bulk_pairs
from radiuscnn.theory.width import min_channels, width_detail, width_entries
from radiuscnn.verify import brute_force as bf

NUMPY_SIGMA = {
    "relu": lambda z, al: np.maximum(z, 0.0),
    "leaky_relu": lambda z, al: np.where(z > 0, z, al * z),
    "abs": lambda z, al: np.abs(z),
    "hardtanh": lambda z, al: np.clip(z, -1.0, 1.0),
}


def numpy_max_error(cfg: Config, params, name: str) -> float:
    amplitudes = np.linspace(float(cfg.a_min), float(cfg.a_max), 41)
    w = np.array([[float(x) for x in row] for row in params.w])
    b = np.array([float(x) for x in params.b])
    v = np.array([float(x) for x in params.v])
    worst = 0.0
    for r in cfg.radii:
        windows = bf.windows(cfg, r).astype(np.float64)
        z = amplitudes[:, None, None] * (windows @ w.T)[None] + b[None, None]
        y = float(params.beta) + NUMPY_SIGMA[name](z, float(cfg.alpha)).mean(axis=1) @ v
        worst = max(worst, float(np.max(np.abs(y - r))))
    return worst


# --------------------------------------------------------------------------------------------
# A4
# --------------------------------------------------------------------------------------------
@pytest.mark.fast
def test_A4_default_is_exact_by_the_bulk_pair_argument():
    cfg = Config()
    entries = width_entries(cfg)
    assert {k: e["value"] for k, e in entries.items()} == {
        "relu": 1, "leaky_relu": 2, "abs": 2, "hardtanh": 1,
        "identity": None, "tanh": None, "sigmoid": None, "softplus": None}
    assert all(e["status"] in ("exact", "impossible") for e in entries.values())
    assert width_detail(cfg, "leaky_relu").lower_bound.one_channel_impossible


@pytest.mark.fast
@pytest.mark.parametrize("N,k,radii", [(9, 3, (0, 1)), (7, 3, (0, 1))])
def test_A4_one_leaky_channel_is_exact_on_two_small_radii(N, k, radii):
    cfg = Config(size=N, kernel=k, radii=radii)
    assert not bulk_pairs(cfg)  # the differencing argument does not apply
    d = width_detail(cfg, "leaky_relu")
    assert d.min_channels == 1 and d.status == "exact"
    assert d.verdict.proved and d.params.channels == 1
    assert numpy_max_error(cfg.with_(channels=1, activation="leaky_relu"), d.params, "leaky_relu") < 1e-8


@pytest.mark.fast
@pytest.mark.parametrize("N,k,radii,name", [(13, 3, (0, 2, 4), "leaky_relu"), (13, 3, (0, 2, 4), "abs"),
                                             (11, 3, (0, 3), "leaky_relu"), (9, 3, (0, 1), "abs")])
def test_A4_search_decides_without_bulk_pairs(N, k, radii, name):
    """No two consecutive bulk radii: one channel excluded by a certified exhaustive search, and
    the two-channel counter proved, so the width is exactly 2."""
    cfg = Config(size=N, kernel=k, radii=radii)
    assert not bulk_pairs(cfg)
    d = width_detail(cfg, name)
    assert d.min_channels == 2 and d.status == "exact", d.reason
    assert d.searches[0].excludes and "certified" in d.reason
    assert numpy_max_error(cfg.with_(channels=2, activation=name), d.params, name) < 1e-8


@pytest.mark.fast
@pytest.mark.parametrize("name", ["leaky_relu", "abs"])
def test_A4_search_agrees_with_the_bulk_pair_argument(name):
    """Two independent derivations of 'one channel is impossible' on a set with bulk pairs."""
    cfg = Config(size=13, kernel=3, radii=(2, 3, 4))
    assert bulk_pairs(cfg)
    assert width_detail(cfg, name).lower_bound.one_channel_impossible
    res = search_regimes(cfg.with_(channels=1), piecewise_linear(name, cfg.alpha), 1)
    assert res.excludes, res.reason


@pytest.mark.fast
def test_A4_upper_bound_is_said_when_the_search_is_refused():
    cfg = Config(size=9, kernel=5, radii=(0, 1, 2))
    assert not bulk_pairs(cfg)
    d = width_detail(cfg, "abs")
    assert d.status == "upper bound" and d.min_channels == 2 and "refused" in d.reason
    assert d.verdict.proved


@pytest.mark.fast
def test_A4_fixed_amplitude_is_not_applicable():
    cfg = Config(size=9, kernel=3, radii=(0, 1), amplitude=(Fraction(1), Fraction(1)))
    assert min_channels(cfg) is None
    assert all(e["status"] == "not applicable" for e in width_entries(cfg).values())


# --------------------------------------------------------------------------------------------
# 2D: patterns and rank (F1 in 2D) against the brute force; D1 floor; D2 row counter
# --------------------------------------------------------------------------------------------
from radiuscnn.theory.disk_floor import background_counter_params, support_floor  # noqa: E402
from radiuscnn.theory.disk_proof import prove_2d  # noqa: E402
from radiuscnn.theory.disk_width import (  # noqa: E402
    one_unit_floor, row_counter, width_2d,
)
from radiuscnn.theory.patterns import pattern_system, pattern_table  # noqa: E402
from radiuscnn.verify.checks_2d import check_exact_network, check_patterns, check_rank, network_errors  # noqa: E402

CONFIGS_2D = [  # not used by other claim files
    Config(dim=2, size=11, kernel=2, radii=tuple(range(0, 5))),
    Config(dim=2, size=13, kernel=4, padding="valid", radii=tuple(range(1, 6))),
    Config(dim=2, size=9, kernel=3, padding="circular", radii=tuple(range(0, 5))),
    Config(dim=2, size=15, kernel=5, radii=tuple(range(2, 7))),
    Config(dim=2, size=7, kernel=1, radii=tuple(range(0, 4))),
    Config(dim=2, size=11, kernel=6, padding="circular", radii=tuple(range(1, 5))),
]
IDS_2D = [f"N{c.size}-k{c.kernel}-{c.padding}" for c in CONFIGS_2D]


@pytest.mark.fast
@pytest.mark.parametrize("cfg", CONFIGS_2D, ids=IDS_2D)
def test_F1_2d_patterns_and_rank_equal_brute_force(cfg):
    table = pattern_table(cfg)
    assert check_patterns(cfg, table.n_patterns, table.counts) == []
    assert check_rank(cfg, pattern_system(cfg).rank) == []
    # the gauge (counts of a radius sum to |I|^2) bounds the rank by n_patterns
    assert pattern_system(cfg).rank <= min(len(cfg.radii), table.n_patterns)


PL = ("relu", "leaky_relu", "abs", "hardtanh")


ROW_CASES = [CONFIGS_2D[0], CONFIGS_2D[1], CONFIGS_2D[2].with_(radii=(0, 1, 2, 3)), CONFIGS_2D[3], CONFIGS_2D[5],
             Config(dim=2, size=33, kernel=3, radii=tuple(range(1, 13)))]


@pytest.mark.parametrize("cfg", ROW_CASES, ids=[f"N{c.size}-k{c.kernel}-{c.padding}-R{c.radii[-1]}" for c in ROW_CASES])
def test_D2_row_counter_proved_exact_for_every_pl_activation(cfg):
    rc = row_counter(cfg)
    assert rc is not None
    # the difference counts are exactly affine: q (diff) + beta = rho on every radius
    assert all(rc.beta + rc.q * d == rho for d, rho in zip(rc.differences, cfg.radii))
    for name in PL:
        w = width_2d(cfg, name)
        assert w.value == w.params.channels and w.status == "upper bound"
        c = cfg.with_(channels=w.params.channels, activation=name)
        assert prove_2d(c, w.params).exact
        assert check_exact_network(c, w.params, name) == []


@pytest.mark.fast
def test_D2_default_row_counter_counts_rows():
    cfg = Config(dim=2, size=33, kernel=3, radii=tuple(range(1, 13)))
    rc = row_counter(cfg)
    assert list(rc.differences) == [2 * rho + 1 for rho in cfg.radii]  # one pixel per row of the disk
    assert width_2d(cfg, "relu").value == 2 and width_2d(cfg, "tanh").status == "impossible"


@pytest.mark.fast
def test_D2_without_a_row_counter_says_upper_bound_without_value():
    """N = 9 circular with rho = M = 4: the pixel left of the middle row wraps into the disk, so
    no difference of two single/two-tap counters is affine: no construction, said as such."""
    cfg = CONFIGS_2D[2]
    assert row_counter(cfg) is None
    w = width_2d(cfg, "relu")
    assert w.value is None and w.status == "upper bound" and "no construction" in w.reason


@pytest.mark.fast
def test_D2_k1_is_impossible_at_every_width():
    cfg = CONFIGS_2D[4]
    assert all(width_2d(cfg, name).status == "impossible" for name in PL)


@pytest.mark.fast
def test_D1_headline_floor_is_the_minimum_over_supports():
    cfg = Config(dim=2, size=33, kernel=3, radii=tuple(range(1, 13)))
    floor = one_unit_floor(cfg)
    full = support_floor(cfg, None, "full")
    assert "exhaustive" in floor["scope"] and Fraction(floor["mse"]) < full.fit.mse  # full support is not the floor
    assert len(floor["support"]) == 4 and {abs(s) + abs(t) for s, t in floor["support"]} == {2}  # the four corners


@pytest.mark.fast
@pytest.mark.parametrize("cfg", [CONFIGS_2D[0], CONFIGS_2D[2]], ids=[IDS_2D[0], IDS_2D[2]])
def test_D1_invariant_one_channel_counters_never_beat_the_floor(cfg):
    """Random amplitude-invariant one-channel ReLU counters (b > 0, negative taps on a random
    support, random head): their numpy RMSE over R x 41 amplitudes is never below the exact floor
    (numerical comparison; 60 random networks)."""
    rng = np.random.default_rng(0)
    floor = one_unit_floor(cfg)["rmse"]
    offsets = [(s, t) for s in cfg.offsets for t in cfg.offsets]
    c1 = cfg.with_(channels=1, activation="relu")
    for _ in range(60):
        sup = [o for o in offsets if rng.random() < 0.5] or [offsets[0]]
        fl = support_floor(cfg, sup)
        params = background_counter_params(c1, fl)
        # move the head off the optimum by a random amount
        from dataclasses import replace
        params = replace(params, beta=params.beta + Fraction(int(rng.integers(-3, 4)), 7),
                         v=(params.v[0] * (1 + Fraction(int(rng.integers(-2, 3)), 11)),))
        err = network_errors(c1, params, "relu")
        # invariance: the error does not depend on the amplitude; the RMSE over radii
        rmse = float(np.sqrt(np.mean(err ** 2)))
        assert rmse >= floor - 1e-9


# --------------------------------------------------------------------------------------------
# Trained 2D networks (numerical training; exact per-network verdicts)
# --------------------------------------------------------------------------------------------
def test_D1_trained_one_channel_networks_never_beat_the_floor_while_invariant():
    """Small budget (8 seeds x 1500 Adam steps, N = 13, k = 3, radii 1..5; numerical): every
    member is analysed (family, exact verdict over the interval); a one-channel member below the
    one-channel floor must move with the amplitude (spread >= 1e-6 over 21 amplitudes)."""
    from radiuscnn.numeric.train_config import TrainConfig
    from radiuscnn.verify.converged_2d import converged_variant

    cfg = Config(dim=2, size=13, kernel=3, radii=tuple(range(1, 6)), channels=1)
    out = converged_variant(cfg, TrainConfig(seeds=8, steps=1500))
    assert len(out["members"]) == 8 and all(m["exact_max_error"] is not None for m in out["members"])
    assert out["below_floor_invariant"] == 0
    for m in out["members"]:  # the exact supremum over R x A is at least the grid RMSE
        assert m["exact_max_error"] >= m["rmse"] - 1e-6
