"""Closed forms of the loss landscape (THEORY.md section 10, claims L1c, L1d, L1e).

L1c (the linear plateau). With ReLU and every term alive on the grid (``s_p = 1, t_p = 0``)
the design of ``theory.landscape`` has the columns ``1`` (``beta`` and every ``U_c[b]``:
``sum_J n_J(r) = |I|``) and ``(a/|I|) phi_t(r)`` for every tap ``t`` and channel, with

    phi_t(r) = sum_{J ∋ t} n_J(r) = #{i in I : i + t in [-r, r]},

so ``y = beta' + a sum_t u_t phi_t(r)`` whatever the width. In the bulk ``phi_t(r) = 2r + 1``
for every ``t`` and the best such fit is the affine fit of ``r`` by the pulse mass
``m = a (2r+1)``:

    L_plateau* = Var(r) - Cov(r, m)^2 / Var(m),      Cov(r, m) = 2 E[a] Var(r),
    Var(m) = E[a^2] E[(2r+1)^2] - E[a]^2 E[2r+1]^2

(population moments over the grid, on which ``r`` and ``a`` are independent). :func:`plateau_loss`
computes it exactly from the design (with border effects included); :func:`plateau_formula`
derives the bulk formula in SymPy with the radius range ``r_0..r_0+n-1`` and the grid
``a_min, a_max, K`` symbolic.

L1d (dead units). A channel killed on every sample has zero columns (ReLU: ``s_p = t_p = 0``):
it adds nothing, so ``C`` channels with ``d`` dead are the ``C - d`` others; all dead leaves the
constant column and ``L = Var(r)`` (:func:`dead_loss`, from the all-killed design).

L1e (leaving the plateau). On the plateau valley channel 1 can have ``w_1 = 0`` and any
``b_1 = s > 0`` (``beta`` compensates: the loss is constant); at ``s = 0`` every term of channel
1 sits on the kink. From there the direction ``w_1 -> -t (1..1)``, ``b_1 -> t delta``
(``0 < delta < a_min``) kills every non-empty run and keeps the empty run alive: channel 1 turns
into a background counter adding ``v_1 t delta n_∅(r)/|I|``, and

    L(t) = L_plateau* + (2 t / B) sum e(r, a) g(r) + (t^2 / B) sum g(r)^2,   g = v_1 delta n_∅(r)/|I|

with ``e`` the plateau residuals; the sign of ``v_1`` makes the slope negative
(:func:`plateau_escape`).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache

import sympy as sp

from radiuscnn.theory.activations import piecewise_linear
from radiuscnn.theory.config import Config
from radiuscnn.theory.landscape import amplitude_grid, regime_from, solve_regime, targets
from radiuscnn.theory.network import Params
from radiuscnn.theory.runs import run_counts

RELU = piecewise_linear("relu")


def _gap(cfg: Config) -> Config:
    return cfg.with_(activation="relu", head="gap", dim=1)


def phi(cfg: Config, t: int, r: int) -> int:
    """``phi_t(r) = sum_{J ∋ t} n_J(r)``: output positions whose window sees the pulse at tap ``t``."""
    return sum(n for run, n in run_counts(cfg, r).items() if t in run)


def in_bulk(cfg: Config) -> bool:
    """Whether ``phi_t(r) = 2r + 1`` for every tap and radius of the data (no border effect)."""
    return all(phi(cfg, t, r) == 2 * r + 1 for r in cfg.radii for t in cfg.offsets)


def plateau_loss(cfg: Config, n_amplitudes: int) -> Fraction:
    """``L_plateau*``: ``L_rho*`` of the ReLU regime with every term alive (exact)."""
    cfg = _gap(cfg)
    amps = amplitude_grid(cfg, n_amplitudes)
    return solve_regime(cfg, RELU, regime_from(cfg, amps, lambda c, run, a: 1), amps).loss


def dead_loss(cfg: Config, n_amplitudes: int) -> Fraction:
    """L1d: ``L_rho*`` of the ReLU regime with every term killed (``= Var(r)``)."""
    cfg = _gap(cfg)
    amps = amplitude_grid(cfg, n_amplitudes)
    return solve_regime(cfg, RELU, regime_from(cfg, amps, lambda c, run, a: 0), amps).loss


r_sym, i_sym, r0 = sp.symbols("r i r_0", integer=True, nonnegative=True)
n_sym, j_sym, K_sym = sp.symbols("n j K", integer=True, positive=True)
a_lo, a_hi = sp.symbols("a_min a_max", positive=True)


@lru_cache(maxsize=1)
def plateau_formula() -> sp.Expr:
    """L1c in the bulk as a SymPy expression in ``r_0, n`` (the ``n`` radii ``r_0..r_0+n-1``)
    and the grid ``a_min, a_max, K`` (``K >= 2`` evenly spaced amplitudes), from the moments."""

    def E_r(f):
        shifted = sp.expand(f.subs(r_sym, r0 + i_sym))
        return sp.expand(sp.summation(shifted, (i_sym, 0, n_sym - 1)) / n_sym)

    step = (a_hi - a_lo) / (K_sym - 1)
    Ea = sp.factor(sp.summation(a_lo + j_sym * step, (j_sym, 0, K_sym - 1)) / K_sym)
    Ea2 = sp.factor(sp.summation(sp.expand((a_lo + j_sym * step) ** 2), (j_sym, 0, K_sym - 1)) / K_sym)
    var_r = sp.factor(E_r(r_sym**2) - E_r(r_sym) ** 2)
    var_m = sp.factor(Ea2 * E_r((2 * r_sym + 1) ** 2) - Ea**2 * E_r(2 * r_sym + 1) ** 2)
    return sp.factor(var_r * (1 - 4 * Ea**2 * var_r / var_m))


def plateau_formula_value(cfg: Config, n_amplitudes: int) -> Fraction:
    """:func:`plateau_formula` at ``cfg``'s radius range (consecutive radii) and grid."""
    radii = cfg.radii
    if list(radii) != list(range(radii[0], radii[-1] + 1)) or n_amplitudes < 2 or cfg.fixed_amplitude:
        raise ValueError("the formula is for a consecutive radius range and K >= 2 amplitudes on an interval")
    value = plateau_formula().subs({r0: radii[0], n_sym: len(radii), a_lo: sp.Rational(cfg.a_min),
                                    a_hi: sp.Rational(cfg.a_max), K_sym: n_amplitudes})
    return Fraction(int(value.p), int(value.q))


# --------------------------------------------------------------------------------------------
# L1e
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class PlateauEscape:
    """L1e: ``valley(s)`` (``s > 0``) is the plateau optimum with ``w_1 = 0``, ``b_1 = s``;
    ``boundary = valley(0)``; ``direction`` the descent direction from it; along
    ``boundary + t direction`` (``0 <= t``, small) the loss is exactly
    ``loss + slope t + curvature t^2``."""

    cfg: Config
    mass_coefficients: tuple[Fraction, Fraction]
    loss: Fraction
    boundary: Params
    direction: Params
    slope: Fraction
    curvature: Fraction
    delta: Fraction

    def valley(self, s) -> Params:
        p, s = self.boundary, Fraction(s)
        b = (p.b[0], s) + p.b[2:]
        return Params(w=p.w, b=b, beta=p.beta - p.v[1] * s, v=p.v)

    def along(self, t) -> Params:
        """``boundary + t direction``."""
        t, p, d = Fraction(t), self.boundary, self.direction
        return Params(w=tuple(tuple(x + t * dx for x, dx in zip(r, dr)) for r, dr in zip(p.w, d.w)),
                      b=tuple(x + t * dx for x, dx in zip(p.b, d.b)), beta=p.beta + t * d.beta,
                      v=tuple(x + t * dx for x, dx in zip(p.v, d.v)))

    @property
    def best_step(self) -> Fraction:
        """``t`` minimising the quadratic (valid while the regime of the path holds)."""
        return -self.slope / (2 * self.curvature)

    def to_json(self) -> dict:
        return {"mass_coefficients": [str(c) for c in self.mass_coefficients], "loss": str(self.loss),
                "slope": str(self.slope), "curvature": str(self.curvature), "delta": str(self.delta),
                "best_step": str(self.best_step)}


def mass_fit(cfg: Config, n_amplitudes: int) -> tuple[Fraction, Fraction]:
    """``(c0, c1)`` of the least-squares fit ``r ~ c0 + c1 a (2r+1)`` on the grid (exact)."""
    from radiuscnn.theory.landscape import regime_minimum

    amps = amplitude_grid(cfg, n_amplitudes)
    X = [(Fraction(1), a * (2 * r + 1)) for r in cfg.radii for a in amps]
    m = regime_minimum(X, targets(cfg, amps))
    if m.nullspace:
        raise ValueError("the mass fit is degenerate (one radius and one amplitude)")
    return m.particular[0], m.particular[1]


def plateau_escape(cfg: Config, n_amplitudes: int) -> PlateauEscape:
    """L1e for a bulk configuration with ``C >= 2`` (ReLU, GAP): channel 0 carries the plateau
    (taps ``c1 |I| / k``, ``b_0 = 1``, ``v_0 = 1``), channel 1 is ``w_1 = 0``, ``b_1 = 0``."""
    cfg = _gap(cfg)
    if cfg.channels < 2 or not in_bulk(cfg):
        raise ValueError("L1e here needs C >= 2 and a configuration in the bulk (phi_t(r) = 2r+1)")
    c0, c1 = mass_fit(cfg, n_amplitudes)
    k, C, size = cfg.kernel, cfg.channels, Fraction(cfg.out_size)
    amps = amplitude_grid(cfg, n_amplitudes)
    tap = c1 * size / k
    zeros = (Fraction(0),) * k
    w = ((tap,) * k, zeros) + (zeros,) * (C - 2)
    b = (Fraction(1),) + (Fraction(0),) * (C - 1)
    empty = {r: run_counts(cfg, r).get((), 0) for r in cfg.radii}
    delta = cfg.a_min / 2
    e = [c0 + c1 * a * (2 * r + 1) - r for r in cfg.radii for a in amps]
    g_unit = [delta * empty[r] / size for r in cfg.radii for _ in amps]
    v1 = Fraction(-1) if sum(x * g for x, g in zip(e, g_unit)) > 0 else Fraction(1)
    v = (Fraction(1), v1) + (Fraction(1),) * (C - 2)
    boundary = Params(w=w, b=b, beta=c0 - 1, v=v)
    B = len(e)
    g = [v1 * x for x in g_unit]
    slope = 2 * sum(x * y for x, y in zip(e, g)) / B
    curvature = sum(y * y for y in g) / B
    loss = sum(x * x for x in e) / B
    d_w = (zeros, (Fraction(-1),) * k) + (zeros,) * (C - 2)
    d_b = (Fraction(0), delta) + (Fraction(0),) * (C - 2)
    direction = Params(w=d_w, b=d_b, beta=Fraction(0), v=(Fraction(0),) * C)
    return PlateauEscape(cfg, (c0, c1), loss, boundary, direction, slope, curvature, delta)


def landscape_json(cfg: Config, n_amplitudes: int = 11) -> dict:
    """``plateau_loss`` and ``dead_loss`` for ``derive --json`` (exact and float)."""
    if cfg.dim != 1:
        return {}
    out = {}
    for key, fn in (("plateau_loss", plateau_loss), ("dead_loss", dead_loss)):
        value = fn(cfg, n_amplitudes)
        out[key] = {"exact": str(value), "float": float(value)}
    return out
