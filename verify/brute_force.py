"""An independent computation of window contents, counts and constraint rank (F1, F2).

Nothing here uses the interval formulas of :mod:`theory.runs` or :mod:`theory.counts`: each
pulse is built as an array, padded with numpy (zeros: constant; circular: wrap; valid: none),
cut into windows with ``sliding_window_view``, and the distinct 0/1 windows are counted.
The rank of the zero-loss system ``beta + (1/|I|) sum_J n_J(r) g_J = r`` is then computed in
float64 with ``numpy.linalg.matrix_rank`` (numerical, default SVD tolerance).
"""

from __future__ import annotations

from collections import Counter

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from radiuscnn.theory.config import Config

Pattern = tuple[int, ...]


def pulse(cfg: Config, r: int) -> np.ndarray:
    """``x_i = [|i| <= r]`` for ``i = -M..M`` (amplitude 1: windows are 0/1 patterns)."""
    i = np.arange(-cfg.M, cfg.M + 1)
    return (np.abs(i) <= r).astype(np.int64)


def padded(cfg: Config, x: np.ndarray) -> np.ndarray:
    """``h_l`` values before and ``h_r`` after: zeros (constant), circular (wrap), valid (none)."""
    h_l, h_r = (cfg.kernel - 1) // 2, cfg.kernel - 1 - (cfg.kernel - 1) // 2
    if cfg.padding == "zeros":
        return np.pad(x, (h_l, h_r), mode="constant")
    if cfg.padding == "circular":
        return np.pad(x, (h_l, h_r), mode="wrap")
    return x


def windows(cfg: Config, r: int) -> np.ndarray:
    """One row per output position: the ``k`` inputs it sees, shape ``(|I|, k)``."""
    return sliding_window_view(padded(cfg, pulse(cfg, r)), cfg.kernel)


def window_counts(cfg: Config, r: int) -> dict[Pattern, int]:
    """``{0/1 window: number of output positions seeing it}`` at radius ``r``."""
    return dict(Counter(tuple(int(x) for x in row) for row in windows(cfg, r)))


def distinct_windows(cfg: Config) -> list[Pattern]:
    """All distinct windows over the radius set, sorted (number of ones, then pattern)."""
    seen = {p for r in cfg.radii for p in window_counts(cfg, r)}
    return sorted(seen, key=lambda p: (sum(p), tuple(-x for x in p)))


def n_runs(cfg: Config) -> int:
    return len(distinct_windows(cfg))


def system_matrix(cfg: Config) -> np.ndarray:
    """Rows ``r in R``: ``[n_J(r)/|I| for each distinct window J] + [1]`` (float64)."""
    patterns = distinct_windows(cfg)
    rows = []
    for r in cfg.radii:
        counts = window_counts(cfg, r)
        size = sum(counts.values())
        rows.append([counts.get(p, 0) / size for p in patterns] + [1.0])
    return np.array(rows, dtype=np.float64)


def rank(cfg: Config) -> int:
    """Numerical rank of the zero-loss system's coefficient matrix."""
    return int(np.linalg.matrix_rank(system_matrix(cfg)))
