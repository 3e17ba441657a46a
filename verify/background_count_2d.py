"""Independent brute-force count of the background windows of a centred disk (numpy).

D1 (THEORY.md section 7) counts, for each radius ``rho``, the ``k x k`` windows of the
(padded) image ``x = a 1[D_rho]`` that are all zero: ``#Bg(rho)``. :mod:`theory.disk`
enumerates them from the geometry; :func:`brute_force_background_counts` recounts them
independently, on an image array, with ``np.pad`` and ``sliding_window_view``, and
:func:`check_background_counts` compares any counts with it.
"""

from __future__ import annotations

import numpy as np

from radiuscnn.theory.config import Config


def disk_image(cfg: Config, rho: int, a: float = 1.0) -> np.ndarray:
    """``x = a 1[D_rho]`` as an ``N x N`` array, index ``[i + M, j + M]``."""
    i = np.arange(-cfg.M, cfg.M + 1)
    return a * ((i[:, None] ** 2 + i[None, :] ** 2) <= rho * rho).astype(float)


def brute_force_background_counts(cfg: Config) -> dict[int, int]:
    """``{rho: number of k x k windows that are all zero}``: pad the image (zeros: ``h_l``
    top/left and ``h_r`` bottom/right; circular: wrap; valid: none), slide a ``k x k`` window,
    count the windows whose entries are all 0."""
    out = {}
    for rho in cfg.radii:
        x = disk_image(cfg, rho)
        if cfg.padding == "zeros":
            x = np.pad(x, ((cfg.h_l, cfg.h_r), (cfg.h_l, cfg.h_r)))
        elif cfg.padding == "circular":
            x = np.pad(x, ((cfg.h_l, cfg.h_r), (cfg.h_l, cfg.h_r)), mode="wrap")
        win = np.lib.stride_tricks.sliding_window_view(x, (cfg.kernel, cfg.kernel))
        out[rho] = int(np.all(win == 0, axis=(-1, -2)).sum())
    return out


def check_background_counts(cfg: Config, counts: dict[int, int]) -> dict[int, tuple[int, int]]:
    """Mismatches ``{rho: (given, brute force)}`` (empty when ``counts`` is right)."""
    truth = brute_force_background_counts(cfg)
    return {rho: (counts.get(rho), truth[rho]) for rho in cfg.radii if counts.get(rho) != truth[rho]}
