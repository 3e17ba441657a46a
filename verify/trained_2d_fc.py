"""D1 on trained FC networks: the ring law (THEORY.md section 7). Notation of
:mod:`theory.disk`: output pixels ``p``, patterns ``J_p(rho)``, background ``Bg(rho)``,
rings ``ring_rho = Bg(rho') \\ Bg(rho)``.

:func:`compare_fc` checks trained FC networks in the ring-law regime (:func:`fc_regime`:
every nonempty pattern in the data killed on the whole interval, ``a W_c[J] + b_c <= 0`` at
``a_min`` and ``a_max``, and the background alive in some channel, ``b_c > 0``). Then
``y = beta + sum_p Vt_p 1[p in Bg(rho)]`` with ``Vt_p = sum_c sigma(b_c) V_{c,p}``, and zero
loss forces ``mean_{ring_rho} Vt = -Δrho/|ring_rho|``: compared ring by ring (relative error).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from radiuscnn.theory.config import Config
from radiuscnn.theory.disk import Offset, rings
from radiuscnn.verify.trained_2d_eval import member_errors, to_numpy


def pattern_sums(cfg: Config, w: np.ndarray) -> dict[tuple[Offset, ...], np.ndarray]:
    """``{J: W_c[J] for every channel}`` over the nonempty patterns of the data (float64)."""
    from radiuscnn.theory.disk import pattern_counts

    pats = {J for rho in cfg.radii for J in pattern_counts(cfg, rho) if J}
    return {J: sum(w[:, s + cfg.h_l, t + cfg.h_l] for s, t in J) for J in pats}


@dataclass(frozen=True)
class RingFit:
    """One ring: ``derived = -Δrho/|ring|``, ``trained = mean_{ring} Vt`` (``Vt = sum_c
    sigma(b_c) V_c``), ``rel_error = trained/derived - 1``, ``law = Δrho/(2 pi d)``."""

    rho_prev: int
    rho: int
    size: int
    derived: float
    trained: float
    rel_error: float
    law: float


@dataclass(frozen=True)
class FcNet:
    """One trained FC network: ``loss`` (MSE on the grid), ``in_regime`` (every nonempty
    pattern killed over the interval in every channel, some ``b_c > 0``), ``alive_patterns``
    (nonempty patterns alive somewhere on the interval, summed over channels), ``rings``
    (only in the regime) and ``max_rel_error`` over rings."""

    member: int
    loss: float
    in_regime: bool
    alive_patterns: int
    background_feature: tuple[float, ...]
    rings: tuple[RingFit, ...] = ()

    @property
    def max_rel_error(self) -> float:
        return max((abs(r.rel_error) for r in self.rings), default=float("nan"))


@dataclass(frozen=True)
class FcComparison:
    cfg: Config
    nets: tuple[FcNet, ...]
    n_amplitudes: int

    @property
    def in_regime(self) -> tuple[FcNet, ...]:
        return tuple(n for n in self.nets if n.in_regime)

    def summary(self) -> dict:
        reg = self.in_regime
        return {
            "networks": len(self.nets),
            "in_regime": len(reg),
            "max_rel_error": max((n.max_rel_error for n in reg), default=None),
            "median_rel_error": float(np.median([abs(r.rel_error) for n in reg for r in n.rings])) if reg else None,
            "losses": [n.loss for n in reg],
            "median_loss_all": float(np.median([n.loss for n in self.nets])),
            "alive_windows": [n.alive_patterns for n in self.nets],
        }


def fc_regime(cfg: Config, w: np.ndarray, b: np.ndarray) -> tuple[bool, int]:
    """``(in_regime, alive)`` for one network's filters ``w`` (C, k, k) and biases ``b`` (C,):
    a nonempty pattern ``J`` of channel ``c`` is killed on the interval iff
    ``a W_c[J] + b_c <= 0`` at both ends; in the regime all are killed and some ``b_c > 0``."""
    a0, a1 = float(cfg.a_min), float(cfg.a_max)
    alive = 0
    for W in pattern_sums(cfg, w).values():
        alive += int(np.sum((a0 * W + b > 0) | (a1 * W + b > 0)))
    return alive == 0 and bool(np.any(b > 0)), alive


def compare_fc(cfg: Config, params: dict, n_amplitudes: int = 21) -> FcComparison:
    """Ring-by-ring comparison of trained FC weights with the ring law (module docstring)."""
    p = to_numpy(params)
    err = member_errors(cfg, params, n_amplitudes)
    lo = cfg.positions[0]
    rs = rings(cfg)
    nets = []
    for e in range(p["w"].shape[0]):
        ok, alive = fc_regime(cfg, p["w"][e], p["b"][e])
        feat = np.maximum(p["b"][e], 0.0)  # sigma(b_c) for ReLU
        rows: list[RingFit] = []
        if ok:
            Vt = np.tensordot(feat, p["V"][e], axes=(0, 0))  # (|I|, |I|)
            for r in rs:
                if not r.size:
                    continue
                trained = float(np.mean([Vt[i - lo, j - lo] for i, j in r.pixels]))
                derived = -r.delta / r.size
                rows.append(RingFit(r.rho_prev, r.rho, r.size, derived, trained, trained / derived - 1,
                                    r.delta / (2 * math.pi * r.rho)))
        loss = float((err[e] ** 2).mean())
        nets.append(FcNet(e, loss, ok, alive, tuple(float(x) for x in feat), tuple(rows)))
    return FcComparison(cfg, tuple(nets), n_amplitudes)
