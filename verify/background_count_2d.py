"""Independent brute-force count of the background windows of a centred disk (numpy).

D1 (THEORY.md section 7) counts, for each radius ``rho``, the ``k x k`` windows of the
(padded) image ``x = a 1[D_rho]`` that are all zero: ``#Bg(rho)``. :mod:`theory.disk_geometry`
enumerates them from the geometry; :func:`brute_force_background_counts` recounts them
independently on image arrays (:mod:`verify.brute_force`: ``np.pad`` and
``sliding_window_view``), and :func:`check_background_counts` compares any counts with it.
"""

from __future__ import annotations

import numpy as np

from radiuscnn.theory.config import Config
from radiuscnn.verify import brute_force


def disk_image(cfg: Config, rho: int, a: float = 1.0) -> np.ndarray:
    """``x = a 1[D_rho]`` as an ``N x N`` array, index ``[i + M, j + M]``."""
    return a * brute_force.shape(cfg, rho).astype(float)


def brute_force_background_counts(cfg: Config) -> dict[int, int]:
    """``{rho: number of k x k windows that are all zero}`` (:func:`verify.brute_force.windows`:
    zeros padding ``h_l`` top/left and ``h_r`` bottom/right, circular wraps, valid none)."""
    return {rho: int(np.all(brute_force.windows(cfg, rho) == 0, axis=-1).sum()) for rho in cfg.radii}


def check_background_counts(cfg: Config, counts: dict[int, int]) -> dict[int, tuple[int, int]]:
    """Mismatches ``{rho: (given, brute force)}`` (empty when ``counts`` is right)."""
    truth = brute_force_background_counts(cfg)
    return {rho: (counts.get(rho), truth[rho]) for rho in cfg.radii if counts.get(rho) != truth[rho]}
