"""D1 on trained GAP networks: their RMSE against the background-counter floor (THEORY.md
section 7). Notation of :mod:`theory.disk`: patterns ``J_p(rho)``, background ``Bg(rho)``.

:func:`compare_gap` measures trained GAP networks' RMSE (float64, on an amplitude grid)
against the one-channel background-counter floor. The floor is a theorem for the counter
family only (``b > 0``, every window meeting the filter's support killed on the whole
interval, output independent of ``a``). "Below the floor" means below the family floor of
:func:`theory.disk_width.one_unit_floor` (the minimum over every support for ``k <= 3``, over
the named supports beyond), the floor the report and the converged analysis use. A
one-channel network below it is explained either by its *effective support*
(:func:`effective_support`: taps with ``a_max |w_t| <= tau |b|`` count as zero; it is then a
counter with a smaller support, whose floor it must respect; this cannot happen when the
minimum was taken over every support, so there an in-family network below it is reported
UNEXPLAINED) or by leaving the family (:func:`_counter_family`: alive
non-background windows; the output then depends on ``a``, and an RMSE over an amplitude grid
is not bound by the invariant family's floor). A numerical claim: tolerance and sample are
in the result.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from radiuscnn.theory.config import Config
from radiuscnn.theory.disk import Offset, gap_error_floor, support_floor, window_offsets
from radiuscnn.theory.disk_width import one_unit_floor
from radiuscnn.verify.trained_2d_eval import member_errors, to_numpy


def effective_support(cfg: Config, w_c: np.ndarray, b: float, tau: float = 0.1) -> tuple[Offset, ...]:
    """Taps with ``a_max |w_t| > tau |b|``, in filter order: the others change the
    pre-activation by at most ``tau |b|`` over the interval and count as zero."""
    bound = tau * abs(b)
    return tuple(
        (s, t) for s, t in window_offsets(cfg) if float(cfg.a_max) * abs(w_c[s + cfg.h_l, t + cfg.h_l]) > bound
    )


@dataclass(frozen=True)
class GapNet:
    """One trained GAP network against the floor.

    ``rmse`` over radii x amplitude grid; ``per_radius`` RMS error per radius;
    ``mean_error`` the signed error per radius averaged over the amplitude grid; ``spread`` the
    largest change of the output over the amplitude grid at a fixed radius (0 for an
    amplitude-invariant network); ``beats_floor``: ``rmse < best_floor - tol`` (the family floor). One channel only:
    ``support`` (effective support: taps with ``a_max |w_t| > tau |b|``; the others cannot
    move the pre-activation by more than ``tau |b|``), ``near_zero_taps`` (``k^2 - |support|``),
    ``support_floor`` (the floor of that support), ``in_family`` (``b > 0`` and every pattern
    of the data that meets the support is killed on the whole interval: the network is a
    background counter with that support, up to the near-zero taps), ``alive_windows``
    (non-background windows, summed over radii, that are alive somewhere on the interval and
    meet the support). ``reason`` explains the verdict; ``explained`` is False only when a
    network beats the floor of its own effective support while in the family."""

    member: int
    seed: int | None
    rmse: float
    per_radius: tuple[float, ...]
    mean_error: tuple[float, ...]
    spread: float
    beats_floor: bool
    support: tuple[Offset, ...] | None
    near_zero_taps: int | None
    support_floor: float | None
    in_family: bool | None
    alive_windows: int | None
    reason: str
    explained: bool


@dataclass(frozen=True)
class GapComparison:
    """``floor`` (full support, one channel), ``best_floor`` (the family floor, module docstring),
    ``two_channel_floor``; ``nets``; ``tolerance``, ``tau`` and the sample
    (``n_radii`` x ``n_amplitudes``)."""

    cfg: Config
    channels: int
    floor: float
    best_floor: float | None
    two_channel_floor: float | None
    nets: tuple[GapNet, ...]
    tolerance: float
    tau: float
    n_radii: int
    n_amplitudes: int

    @property
    def beating(self) -> tuple[GapNet, ...]:
        return tuple(n for n in self.nets if n.beats_floor)

    @property
    def unexplained(self) -> tuple[GapNet, ...]:
        return tuple(n for n in self.nets if not n.explained)

    def summary(self) -> dict:
        rm = [n.rmse for n in self.nets]
        return {
            "channels": self.channels,
            "floor": self.floor,
            "best_floor": self.best_floor,
            "two_channel_floor": self.two_channel_floor,
            "networks": len(self.nets),
            "rmse_min": min(rm),
            "rmse_median": float(np.median(rm)),
            "beating_floor": len(self.beating),
            "beating_reasons": [n.reason for n in self.beating],
            "unexplained": len(self.unexplained),
            "tolerance": self.tolerance,
            "sample": f"{self.n_radii} radii x {self.n_amplitudes} amplitudes",
        }


def _counter_family(cfg: Config, w_c: np.ndarray, b: float, support: tuple[Offset, ...]) -> tuple[bool, int]:
    """``(in_family, alive_windows)`` for one channel (see :class:`GapNet`)."""
    from radiuscnn.theory.disk import pattern_counts

    a0, a1 = float(cfg.a_min), float(cfg.a_max)
    sup = set(support)
    alive = 0
    for rho in cfg.radii:
        for J, n in pattern_counts(cfg, rho).items():
            if not sup.intersection(J):
                continue
            W = sum(w_c[s + cfg.h_l, t + cfg.h_l] for s, t in J)
            if a0 * W + b > 0 or a1 * W + b > 0:
                alive += n
    return b > 0 and alive == 0, alive


def compare_gap(
    cfg: Config,
    params: dict,
    seeds: Sequence[int] | None = None,
    n_amplitudes: int = 21,
    tolerance: float = 1e-6,
    tau: float = 0.1,
) -> GapComparison:
    """Compare trained GAP networks (ensemble dict) with the D1 floors (module docstring)."""
    floors = gap_error_floor(cfg)
    floor = floors["rmse"]
    two = floors["two_channel"]["rmse"] if floors.get("two_channel") else None
    family_floor = one_unit_floor(cfg)["rmse"]  # the family floor (module docstring)
    err = member_errors(cfg, params, n_amplitudes)
    p = to_numpy(params)
    nets = []
    for e in range(err.shape[0]):
        rmse = float(np.sqrt((err[e] ** 2).mean()))
        per_radius = tuple(float(x) for x in np.sqrt((err[e] ** 2).mean(axis=1)))
        mean_error = tuple(float(x) for x in err[e].mean(axis=1))
        spread = float((err[e].max(axis=1) - err[e].min(axis=1)).max())
        beats = rmse < family_floor - tolerance
        support = near = sfloor = fam = alive = None
        explained = True
        reason = f"not below the floor ({rmse:.6g} >= {family_floor:.6g} - {tolerance:g})"
        if cfg.channels == 1:
            w_c, b = p["w"][e, 0], float(p["b"][e, 0])
            support = effective_support(cfg, w_c, b, tau)
            near = cfg.kernel**2 - len(support)
            sfloor = support_floor(cfg, support).fit.rmse if support else float(np.std(cfg.radii))
            fam, alive = _counter_family(cfg, w_c, b, support)
            if beats and fam:
                explained = rmse >= sfloor - tolerance
                reason = (
                    f"effective support of {len(support)} taps ({near} near-zero): its floor "
                    f"{sfloor:.6g} <= rmse {rmse:.6g}" if explained else
                    f"UNEXPLAINED: background counter with support {support} below its floor {sfloor:.6g}"
                )
            elif beats:
                reason = (
                    f"outside the background-counter family: {alive} non-background windows alive on "
                    f"the interval, output varies by {spread:.3g} over the amplitude grid"
                )
        elif beats:
            reason = f"{cfg.channels} channels: the one-channel floor does not apply (two-channel floor {two})"
        nets.append(GapNet(e, None if seeds is None else seeds[e], rmse, per_radius, mean_error, spread, beats,
                           support, near, sfloor, fam, alive, reason, explained))
    return GapComparison(cfg, cfg.channels, floor, family_floor, two, tuple(nets), tolerance, tau,
                         len(cfg.radii), n_amplitudes)
