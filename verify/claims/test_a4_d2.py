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
