"""D1, FC head: the ring law (THEORY.md section 7, claim D1).

``ring_rho = Bg(rho') \\ Bg(rho)`` for consecutive radii ``rho' < rho`` of ``R``: the pixels
that leave the background. With one ReLU channel, taps strictly negative (every nonempty
pattern killed on the whole interval), ``b > 0``, ``V_p = -(rho - rho')/(b |ring_rho|)`` on
``ring_rho`` and 0 elsewhere, and ``beta = max R`` (which makes the smallest radius exact),
``y(rho, a) = rho`` exactly for every ``rho in R`` and every ``a`` in the interval;
:func:`theory.disk_proof.prove_2d` proves it. The radial profile
``|V| b / Δrho = 1/|ring_rho|`` follows ``1/(2 pi d)`` at ring radius ``d = rho``
asymptotically; the Steiner formula for the dilated disk,
``area(disk_rho (+) square_{k-1}) = pi rho^2 + 4 (k-1) rho + (k-1)^2``, gives the finite-``rho``
correction ``1/(pi (rho^2 - rho'^2)/Δrho + 4 (k-1))`` reported alongside.

I1c. The pixels of :func:`theory.disk_geometry.always_background` see an all-zero window on
every sample, so their FC weights get identical gradients; the ring law sets them to 0.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

from radiuscnn.theory.config import Config
from radiuscnn.theory.disk_geometry import Pixel, always_background, background, output_pixels
from radiuscnn.theory.disk_proof import Params2D, prove_2d


@dataclass(frozen=True)
class Ring:
    """``ring_rho = Bg(rho_prev) \\ Bg(rho)`` for consecutive radii ``rho_prev < rho`` of ``R``."""

    rho_prev: int
    rho: int
    pixels: tuple[Pixel, ...]

    @property
    def delta(self) -> int:
        return self.rho - self.rho_prev

    @property
    def size(self) -> int:
        return len(self.pixels)

    def weight(self, b: Fraction = Fraction(1)) -> Fraction:
        """``V = -Δrho / (b |ring_rho|)`` on the ring (``ZeroDivisionError`` if the ring is empty)."""
        return Fraction(-self.delta) / (b * self.size)

    def law(self) -> float:
        """The asymptotic radial law ``1/(2 pi d)`` at ``d = rho`` (per unit of ``Δrho``)."""
        return 1.0 / (2 * math.pi * self.rho)

    def steiner_law(self, kernel: int) -> float:
        """The continuum ring area from Steiner's formula (per unit ``Δrho``):
        ``1 / (pi (rho^2 - rho_prev^2)/Δrho + 4 (k - 1))``."""
        area = math.pi * (self.rho**2 - self.rho_prev**2) / self.delta + 4 * (kernel - 1)
        return 1.0 / area


def rings(cfg: Config) -> tuple[Ring, ...]:
    """The rings between consecutive radii of ``R`` (pixels in row-major order)."""
    out = []
    for r0, r1 in zip(cfg.radii, cfg.radii[1:]):
        bg0, bg1 = background(cfg, r0), background(cfg, r1)
        out.append(Ring(r0, r1, tuple(p for p in output_pixels(cfg) if p in bg0 and p not in bg1)))
    return tuple(out)


def ring_law_params(cfg: Config, b: Fraction = Fraction(1), tap: Fraction | None = None) -> Params2D:
    """The one-channel ReLU FC network of the ring law.

    Taps ``tap`` (default ``-2 b / a_min``, strictly negative: every nonempty pattern has
    ``a W[J] + b <= -b`` on the interval, so it is killed), bias ``b > 0`` (background feature
    ``b``), ``V_p = -Δrho / (b |ring_rho|)`` on ``ring_rho``, 0 elsewhere, and ``beta`` chosen so
    the smallest radius is exact: ``beta = rho_0 - b sum_{p in Bg(rho_0)} V_p`` (``= max R``).
    """
    b = Fraction(b)
    tap = Fraction(-2 * b / cfg.a_min) if tap is None else Fraction(tap)
    n, lo = cfg.out_size, cfg.positions[0]
    V = [[Fraction(0)] * n for _ in range(n)]
    for ring in rings(cfg):
        weight = ring.weight(b)
        for i, j in ring.pixels:
            V[i - lo][j - lo] = weight
    bg0 = background(cfg, cfg.radii[0])
    beta = Fraction(cfg.radii[0]) - b * sum((V[i - lo][j - lo] for i, j in bg0), Fraction(0))
    w = tuple(tuple(tap for _ in range(cfg.kernel)) for _ in range(cfg.kernel))
    return Params2D(w=(w,), b=(b,), beta=beta, V=(tuple(tuple(row) for row in V),))


def fc_ring_law(cfg: Config) -> dict:
    """D1, FC head: construct the ring-law network and prove it exact on the data set and the
    whole amplitude interval; report the radial profile against ``1/(2 pi d)``.

    Keys: ``exact`` (bool), ``max_error`` (exact, as a string), ``beta``, ``points``
    (evaluation points of the proof), ``empty_rings`` (radii whose ring is empty: then no
    network of this family is exact), ``always_background`` (size of the I1c set, where
    ``V = 0``), ``profile_mean_abs_rel_error`` and ``steiner_mean_abs_rel_error`` (mean over
    rings of ``|rel_error|``, ``|steiner_rel_error|``) and ``rings``: per ring ``rho_prev``, ``rho``, ``d``, ``size``, ``weight``
    (exact ``V b``), ``profile`` (``|V| b / Δrho = 1/|ring|``), ``law`` (``1/(2 pi d)``),
    ``rel_error`` (``profile/law - 1``), ``steiner_law`` and ``steiner_rel_error``.
    """
    fc = cfg.with_(channels=1, head="fc", activation="relu")
    rs = rings(fc)
    empty = [r.rho for r in rs if r.size == 0]
    ring_rows = []
    for r in rs:
        row = {"rho_prev": r.rho_prev, "rho": r.rho, "d": r.rho, "size": r.size}
        if r.size:
            profile = 1.0 / r.size
            row.update(
                weight=str(r.weight()),
                profile=profile,
                law=r.law(),
                rel_error=profile / r.law() - 1,
                steiner_law=r.steiner_law(cfg.kernel),
                steiner_rel_error=profile / r.steiner_law(cfg.kernel) - 1,
            )
        ring_rows.append(row)
    rel = [abs(row["rel_error"]) for row in ring_rows if "rel_error" in row]
    srel = [abs(row["steiner_rel_error"]) for row in ring_rows if "steiner_rel_error" in row]
    base = {
        "always_background": len(always_background(fc)),
        "empty_rings": empty,
        "profile_mean_abs_rel_error": sum(rel) / len(rel) if rel else None,
        "steiner_mean_abs_rel_error": sum(srel) / len(srel) if srel else None,
        "rings": ring_rows,
    }
    if empty:
        return {"exact": False, "max_error": "undefined (empty ring)", "beta": None, "points": 0, **base}
    params = ring_law_params(fc)
    proof = prove_2d(fc, params)
    return {
        "exact": proof.exact,
        "max_error": str(proof.max_error),
        "beta": str(params.beta),
        "points": proof.points,
        **base,
    }
