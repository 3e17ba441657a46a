"""Independent 2D brute force (numpy): explicit disk images, ``np.pad``, sliding windows.

Shares no code with :mod:`theory.disk` (:mod:`theory.disk_geometry` and the rest) / :mod:`theory.patterns`: the image of radius ``rho``
is built from a coordinate grid, padded by ``np.pad`` ('constant' for zeros, 'wrap' for
circular, none for valid, ``h_l`` before and ``h_r`` after on each axis), cut into ``k x k``
windows by ``sliding_window_view``; windows are compared as byte strings. The zero-loss
system's rank is ``numpy.linalg.matrix_rank`` in float64 (numerical, default tolerance).
"""

from __future__ import annotations

from collections import Counter

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from radiuscnn.theory.config import Config


def image(cfg: Config, rho: int) -> np.ndarray:
    M = cfg.M
    i, j = np.meshgrid(np.arange(-M, M + 1), np.arange(-M, M + 1), indexing="ij")
    return (i * i + j * j <= rho * rho).astype(np.uint8)


def windows(cfg: Config, rho: int) -> np.ndarray:
    """``(n_outputs, k, k)`` windows of the padded image, row-major over output pixels."""
    k = cfg.kernel
    h_l, h_r = (k - 1) // 2, k - 1 - (k - 1) // 2
    x = image(cfg, rho)
    if cfg.padding == "zeros":
        x = np.pad(x, ((h_l, h_r), (h_l, h_r)), mode="constant")
    elif cfg.padding == "circular":
        x = np.pad(x, ((h_l, h_r), (h_l, h_r)), mode="wrap")
    return sliding_window_view(x, (k, k)).reshape(-1, k, k)


def window_counts(cfg: Config, rho: int) -> Counter:
    return Counter(w.tobytes() for w in windows(cfg, rho))


def distinct_windows(cfg: Config) -> list[bytes]:
    return sorted({key for rho in cfg.radii for key in window_counts(cfg, rho)})


def system_matrix(cfg: Config) -> np.ndarray:
    keys = distinct_windows(cfg)
    rows = []
    for rho in cfg.radii:
        c = window_counts(cfg, rho)
        n = sum(c.values())
        rows.append([c.get(key, 0) / n for key in keys] + [1.0])
    return np.array(rows)


def rank(cfg: Config) -> int:
    return int(np.linalg.matrix_rank(system_matrix(cfg)))


def count_profile(cfg: Config) -> dict[int, list[int]]:
    """Sorted window multiplicities per radius (independent of how patterns are named)."""
    return {rho: sorted(window_counts(cfg, rho).values()) for rho in cfg.radii}
