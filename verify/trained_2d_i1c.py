"""I1c on trained 2D FC networks (THEORY.md section 6): FC weights on pixels that are
background on every sample keep their initial pairwise differences.

On the set ``A = {p : p in Bg(rho) for every rho in R}`` (:func:`theory.disk.always_background`)
every sample has the same feature ``sigma(b_c)``, so the gradient of the loss in ``V_{c,p}`` is
the same for every ``p in A`` at every step, and ``V - V0`` is constant on ``A`` (GD and Adam).
:func:`i1c_background_differences` measures the spread of ``V - V0`` on ``A`` and, for
contrast, off it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from radiuscnn.theory.config import Config
from radiuscnn.theory.disk import always_background
from radiuscnn.verify.trained_2d_eval import to_numpy


@dataclass(frozen=True)
class I1cReport:
    """Per member: ``deviation`` = max over channels of ``max - min`` of ``V - V0`` over the
    always-background pixels (0 when the differences are kept); ``contrast`` = the same over
    the other pixels (what an unconstrained pixel does); ``pixels`` = size of the set."""

    pixels: int
    deviation: tuple[float, ...]
    contrast: tuple[float, ...]
    initial_spread: tuple[float, ...]

    @property
    def max_deviation(self) -> float:
        return max(self.deviation)


def background_mask(cfg: Config) -> np.ndarray:
    """Boolean ``(|I|, |I|)`` mask of the I1c set (background on every sample)."""
    lo, n = cfg.positions[0], cfg.out_size
    mask = np.zeros((n, n), dtype=bool)
    for i, j in always_background(cfg):
        mask[i - lo, j - lo] = True
    return mask


def i1c_background_differences(cfg: Config, V, V0) -> I1cReport:
    """Measure ``V - V0`` (arrays (E, C, |I|, |I|)) on the I1c set and off it."""
    V, V0 = to_numpy({"V": V})["V"], to_numpy({"V": V0})["V"]
    mask = background_mask(cfg)
    d = V - V0
    dev, con, spread = [], [], []
    for e in range(V.shape[0]):
        on = d[e][:, mask]
        off = d[e][:, ~mask]
        dev.append(float((on.max(axis=1) - on.min(axis=1)).max()) if on.size else 0.0)
        con.append(float((off.max(axis=1) - off.min(axis=1)).max()) if off.size else 0.0)
        spread.append(float((V0[e][:, mask].max(axis=1) - V0[e][:, mask].min(axis=1)).max()) if on.size else 0.0)
    return I1cReport(int(mask.sum()), tuple(dev), tuple(con), tuple(spread))
