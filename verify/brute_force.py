"""An independent computation of window contents, counts and constraint rank (F1, F2, D2),
for pulses (dim 1) and disks (dim 2) alike.

Nothing here uses the interval formulas of :mod:`theory.runs` / :mod:`theory.counts` or the
pattern enumeration of :mod:`theory.disk_geometry` / :mod:`theory.patterns`: each shape is
built as an array from a coordinate grid (``|i| <= r``, or ``i^2 + j^2 <= rho^2``), padded
with numpy on every axis (zeros: constant; circular: wrap; valid: none; ``h_l`` before and
``h_r`` after), cut into ``k`` (or ``k x k``) windows with ``sliding_window_view``, and the
distinct 0/1 windows are counted. The rank of the zero-loss system
``beta + (1/|I|) sum_J n_J(r) g_J = r`` is then computed in float64 with
``numpy.linalg.matrix_rank`` (numerical, default SVD tolerance).
"""

from __future__ import annotations

from collections import Counter

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from radiuscnn.theory.config import Config

Window = tuple[int, ...]
"""The ``k^dim`` inputs one output position sees at amplitude 1, row-major, each 0 or 1."""


def shape(cfg: Config, r: int) -> np.ndarray:
    """The unit-amplitude pulse ``[|i| <= r]`` (dim 1) or disk ``[i^2 + j^2 <= r^2]`` (dim 2)
    on ``{-M..M}^dim``."""
    axis = np.arange(-cfg.M, cfg.M + 1)
    grid = np.meshgrid(*(axis,) * cfg.dim, indexing="ij")
    return (sum(c * c for c in grid) <= r * r).astype(np.int64)


def pulse(cfg: Config, r: int) -> np.ndarray:
    """``x_i = [|i| <= r]`` for ``i = -M..M`` (1D :func:`shape`)."""
    return shape(cfg, r)


def padded(cfg: Config, x: np.ndarray) -> np.ndarray:
    """``h_l`` values before and ``h_r`` after on every axis: zeros (constant), circular (wrap),
    valid (none)."""
    h_l, h_r = (cfg.kernel - 1) // 2, cfg.kernel - 1 - (cfg.kernel - 1) // 2
    if cfg.padding == "valid":
        return x
    return np.pad(x, [(h_l, h_r)] * x.ndim, mode="constant" if cfg.padding == "zeros" else "wrap")


def windows(cfg: Config, r: int) -> np.ndarray:
    """One row per output position (row-major): the ``k^dim`` inputs it sees, ``(|I|^dim, k^dim)``."""
    view = sliding_window_view(padded(cfg, shape(cfg, r)), (cfg.kernel,) * cfg.dim)
    return view.reshape(-1, cfg.kernel**cfg.dim)


def window_counts(cfg: Config, r: int) -> dict[Window, int]:
    """``{0/1 window: number of output positions seeing it}`` at radius ``r``."""
    return dict(Counter(tuple(int(x) for x in row) for row in windows(cfg, r)))


def distinct_windows(cfg: Config) -> list[Window]:
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


def count_profile(cfg: Config) -> dict[int, list[int]]:
    """Sorted window multiplicities per radius (independent of how patterns are named)."""
    return {r: sorted(window_counts(cfg, r).values()) for r in cfg.radii}
