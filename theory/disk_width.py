"""D2: minimal width of an exact amplitude-invariant 2D GAP network (THEORY.md section 7).

Background counters. For a support ``S`` of window offsets, a *counter unit* is a combination
``phi(z) = sigma(z) + c sigma(s z + mu)`` with a flat unbounded piece (:mod:`theory.width`:
``c = 0`` for relu and hardtanh, two channels for leaky_relu and abs) whose taps are ``T`` on
``S`` and 0 elsewhere, ``T`` of the sign and size (``|T| = 2 d / a_min``) that sends every
pattern meeting ``S`` onto the flat piece for every ``a`` in the interval. It outputs
``phi_flat`` there and ``phi(b)`` on the pixels of ``Bg_S(rho)``, so its GAP feature is
``phi_flat + (phi(b) - phi_flat) #Bg_S(rho) / |I|^2``, independent of ``a``.

Row counter (D2). With ``S1 = {s}`` and ``S2 = {s, t}``,
``#Bg_{S1}(rho) - #Bg_{S2}(rho) = #{p : p + s not in D_rho, p + t in D_rho}``; for
``t = s + e`` (``e`` a unit step) it is one pixel per row (or column) of the disk, ``2 rho + 1``,
when those pixels are output pixels: affine in ``rho``. Two counter units with output weights
``+u, -u`` (``u = q |I|^2 / (phi(b) - phi_flat)``) give ``y = beta + q (#Bg_{S1} - #Bg_{S2})``:
the ``phi_flat`` terms cancel. The engine *derives* the pair: it computes the difference counts
exactly (:func:`theory.disk_geometry.background_count`) for every single tap ``s`` and every ``t``
(neighbours first), keeps the first pair whose counts are exactly affine and non-constant in
``rho`` over ``R``, solves ``beta, q`` exactly and proves the network exact on ``R x A`` with
:func:`theory.disk_proof.prove_2d` (endpoints and every kink, exact rationals).

One channel below (D1). One counter unit counts ``#Bg_S``, not affine in ``rho`` for any
support when the exact least-squares fit leaves a residual (checked for every support when
``k^2 <= 9``): this excludes the one-unit background counters, not every one-channel
network, so the status stays 'upper bound' unless the width cannot be lower for another reason.

``k = 1``: every pattern is ``()`` or ``((0, 0),)``, so every channel depends on ``rho`` only
through ``A(rho) = |D_rho ∩ I^2|``: ``y(rho, a) = K(a) + A(rho) G(a)``; if ``rho`` is not exactly
affine in ``A(rho)`` over ``R`` no width is exact ('impossible'). Analytic sigma: A3 holds in 2D
verbatim (at ``a = 0`` every image is zero), 'impossible'.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache

from radiuscnn.theory.activations import piecewise_linear
from radiuscnn.theory.analytic import is_analytic_form
from radiuscnn.theory.config import ACTIVATIONS, Config
from radiuscnn.theory.disk_floor import best_support_floor, named_supports, support_floor
from radiuscnn.theory.disk_geometry import Offset, background_count, disk, output_pixels, window_offsets
from radiuscnn.theory.disk_proof import Params2D, prove_2d
from radiuscnn.theory.exact_lstsq import AffineFit, affine_fit
from radiuscnn.theory.width import FIXED_AMPLITUDE_REASON, flat_ends, search_combinations

UNIT_STEPS = ((0, 1), (1, 0), (0, -1), (-1, 0))


@dataclass(frozen=True)
class RowCounter:
    """A pair of supports whose background-count difference is affine in ``rho`` on ``R``."""

    s: Offset
    t: Offset
    differences: tuple[int, ...]
    fit: AffineFit

    @property
    def beta(self) -> Fraction:
        return self.fit.intercept

    @property
    def q(self) -> Fraction:
        return self.fit.slope

    def to_json(self) -> dict:
        return {"S1": [list(self.s)], "S2": [list(self.s), list(self.t)],
                "differences": list(self.differences), "beta": str(self.beta), "q": str(self.q)}


def _pairs(cfg: Config):
    offsets = window_offsets(cfg)
    inside = set(offsets)
    for s in offsets:  # neighbours first, then every other tap
        for e in UNIT_STEPS:
            t = (s[0] + e[0], s[1] + e[1])
            if t in inside:
                yield s, t
    for s in offsets:
        for t in offsets:
            if t != s and (abs(t[0] - s[0]) + abs(t[1] - s[1])) > 1:
                yield s, t


@lru_cache(maxsize=64)
def row_counter(cfg: Config) -> RowCounter | None:
    """The first pair ``(S1, S2) = ({s}, {s, t})`` with ``#Bg_{S1} - #Bg_{S2}`` exactly affine
    and non-constant in ``rho`` over ``R`` (``None`` when no pair is, e.g. ``k = 1``)."""
    if len(cfg.radii) < 2:
        return None
    for s, t in _pairs(cfg):
        diff = tuple(background_count(cfg, rho, (s,)) - background_count(cfg, rho, (s, t)) for rho in cfg.radii)
        if len(set(diff)) < 2:
            continue
        fit = affine_fit(diff, cfg.radii)
        if fit.exact:
            return RowCounter(s, t, diff, fit)
    return None


def counter_network(cfg: Config, name: str, rc: RowCounter) -> Params2D | None:
    """The row counter built from two counter units of ``sigma = name`` (module docstring)."""
    sigma = piecewise_linear(name, cfg.alpha)
    combs = search_combinations(sigma) if sigma is not None else ()
    if not combs:
        return None
    comb = combs[0]
    side, z0, flat = flat_ends(comb.phi)[0]
    pieces = comb.phi.pieces
    if side == "left":
        nxt = pieces[1]
        d = Fraction(1) if nxt.hi is None else min(Fraction(1), nxt.hi - z0)
        b, T = z0 + d, -2 * d / cfg.a_min
    else:
        prev = pieces[-2]
        d = Fraction(1) if prev.lo is None else min(Fraction(1), z0 - prev.lo)
        b, T = z0 - d, 2 * d / cfg.a_min
    u = rc.q * cfg.n_outputs / (comb.phi(b) - flat)

    def grid(support, scale):
        sup = set(support)
        return tuple(tuple(scale * T if (i, j) in sup else Fraction(0) for j in cfg.offsets) for i in cfg.offsets)

    w, bias, v = [], [], []
    for support, sign in (((rc.s,), 1), ((rc.s, rc.t), -1)):
        w.append(grid(support, 1))
        bias.append(b)
        v.append(sign * u)
        if comb.c != 0:
            w.append(grid(support, comb.s))
            bias.append(comb.s * b + comb.mu)
            v.append(sign * u * comb.c)
    return Params2D(w=tuple(w), b=tuple(bias), beta=rc.beta, v=tuple(v))


def _k1_impossible(cfg: Config) -> str | None:
    """For ``k = 1``: the reason no width is exact, when ``rho`` is not affine in ``|D_rho ∩ I^2|``."""
    if cfg.kernel != 1:
        return None
    pixels = set(output_pixels(cfg))
    areas = [len(disk(rho) & pixels) for rho in cfg.radii]
    fit = affine_fit(areas, cfg.radii)
    if fit.exact:
        return None
    return (f"k = 1: every channel sees rho only through A(rho) = |D_rho ∩ I^2| = {areas}, so "
            f"y = K(a) + A(rho) G(a); rho is not affine in A(rho) (exact least-squares residual "
            f"{fit.sse} > 0), so no width is exact")


@lru_cache(maxsize=64)
def _one_unit_floor(cfg: Config) -> dict:
    """D1 headline: the lowest one-unit background-counter floor over the supports examined
    (every nonempty support when ``k^2 <= 9``, else the named ones), stated as such."""
    best = best_support_floor(cfg)
    if best is not None:
        scope = f"minimum over all {2 ** cfg.kernel ** 2 - 1} nonempty supports (exhaustive)"
        floor = best
    else:
        floors = [support_floor(cfg, sup, name) for name, sup in named_supports(cfg).items()]
        floor = min(floors, key=lambda f: f.fit.mse)
        scope = f"minimum over the named supports {', '.join(named_supports(cfg))} (k^2 > 9: not exhaustive)"
    full = support_floor(cfg, None, "full")
    return {"mse": str(floor.fit.mse), "rmse": floor.fit.rmse, "support": [list(o) for o in floor.support],
            "scope": scope, "affine": floor.fit.exact, "full_support_rmse": full.fit.rmse}


def one_unit_floor(cfg: Config) -> dict:
    """D1 headline floor (a fresh copy of the cached dict): see :func:`_one_unit_floor`."""
    return dict(_one_unit_floor(cfg))


@dataclass(frozen=True)
class Width2D:
    activation: str
    value: int | None
    status: str
    reason: str
    params: Params2D | None = None

    def to_json(self) -> dict:
        return {"value": self.value, "status": self.status, "reason": self.reason}

    def sentence(self) -> str:
        if self.status == "upper bound" and self.value is not None:
            return f"{self.activation}: at most {self.value} channels ({self.reason})"
        if self.status == "impossible":
            return f"{self.activation}: no exact amplitude-invariant network at any width ({self.reason})"
        return f"{self.activation}: {self.status} ({self.reason})"


@lru_cache(maxsize=64)
def width_2d(cfg: Config, name: str) -> Width2D:
    """D2 for one activation (module docstring)."""
    if cfg.fixed_amplitude:
        return Width2D(name, None, "not applicable", FIXED_AMPLITUDE_REASON)
    if len(cfg.radii) < 2:
        return Width2D(name, 1, "exact", "a single radius: a constant network is exact")
    if is_analytic_form(name):
        return Width2D(name, None, "impossible", "A3: at a = 0 every image is zero, so y(rho, 0) "
                       "is the same for every rho, and y(rho, .) is analytic")
    k1 = _k1_impossible(cfg)
    if k1 is not None:
        return Width2D(name, None, "impossible", k1)
    rc = row_counter(cfg)
    if rc is None:
        return Width2D(name, None, "upper bound", "no pair of supports ({s}, {s, t}) has a background-count "
                       "difference affine in rho on R: no construction")
    params = counter_network(cfg, name, rc)
    if params is None:
        return Width2D(name, None, "upper bound", f"{name} has no counter unit: no construction")
    proof = prove_2d(cfg.with_(channels=params.channels, head="gap", activation=name), params)
    if not proof.exact:
        return Width2D(name, None, "upper bound", f"the row counter was refuted (max error {proof.max_error})")
    floor = one_unit_floor(cfg)
    d1 = ("one channel: D1 excludes every one-unit background counter (" + floor["scope"] + f": "
          f"RMSE floor {floor['rmse']:.4g} > 0)" if not floor["affine"] else
          "one channel: some support's background count is affine on R")
    return Width2D(name, params.channels, "upper bound",
                   f"row counter S1 = {{{rc.s}}}, S2 = {{{rc.s}, {rc.t}}} proved exact on R x A "
                   f"({proof.points} evaluation points); {d1}; other regimes of fewer channels not "
                   "searched in 2D", params)


def construction_json(cfg: Config) -> dict | None:
    """The ReLU row counter: supports, difference counts, ``beta``, ``q``, exact parameters and
    its interval proof."""
    rc = row_counter(cfg)
    if rc is None or cfg.fixed_amplitude:
        return None
    params = counter_network(cfg, "relu", rc)
    proof = prove_2d(cfg.with_(channels=params.channels, head="gap", activation="relu"), params)
    return {**rc.to_json(), "activation": "relu", "channels": params.channels,
            "b": [str(x) for x in params.b], "v": [str(x) for x in params.v],
            "beta": str(params.beta), "proof": proof.to_json()}


def d2_json(cfg: Config) -> dict:
    """``min_channels`` per activation (same shape as 1D) and the construction."""
    return {"min_channels": {name: width_2d(cfg, name).to_json() for name in ACTIVATIONS},
            "construction": construction_json(cfg), "one_channel_floor": one_unit_floor(cfg)}
