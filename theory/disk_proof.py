"""Exact 2D networks and the interval proof (THEORY.md section 8; notation of :mod:`theory.disk_geometry`).

On a disk the pre-activation of channel ``c`` at output pixel ``p`` is
``z_{c,p} = a W_c[J_p(rho)] + b_c`` with the pattern sum ``W_c[J] = sum_{(s,t) in J} w_c[s,t]``:

    GAP: y(rho, a) = beta + (1/n_outputs) sum_c v_c sum_J n_J(rho) sigma(a W_c[J] + b_c)
    FC:  y(rho, a) = beta + sum_{c,p} V_{c,p} sigma(a W_c[J_p(rho)] + b_c).

For a piecewise-linear ``sigma`` the output is continuous and piecewise linear in ``a``, with
kinks where ``a W_c[J] + b_c`` is a breakpoint of ``sigma``; :func:`prove_2d` evaluates it
exactly at the endpoints and every kink, which decides ``y = target`` on the whole interval.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from fractions import Fraction
from typing import Callable

from radiuscnn.theory.activations import PiecewiseLinear, piecewise_linear
from radiuscnn.theory.config import Config
from radiuscnn.theory.kinks import kink_sweep, output_at_kinks_fraction
from radiuscnn.theory.network import IntegerNetwork
from radiuscnn.theory.rational import common_denominator
from radiuscnn.theory.disk_geometry import Pattern, output_pixels, pattern_masks, window_offsets


@dataclass(frozen=True)
class Params2D:
    """Exact parameters of one 2D network: ``w[c][s + h_l][t + h_l]``, ``b[c]``, ``beta`` and
    ``v[c]`` (GAP) or ``V[c][row][col]`` (FC, ``row = i - I[0]``, ``col = j - I[0]``)."""

    w: tuple[tuple[tuple[Fraction, ...], ...], ...]
    b: tuple[Fraction, ...]
    beta: Fraction
    v: tuple[Fraction, ...] | None = None
    V: tuple[tuple[tuple[Fraction, ...], ...], ...] | None = None

    @property
    def channels(self) -> int:
        return len(self.b)

    @staticmethod
    def from_arrays(w, b, beta, v=None, V=None) -> "Params2D":
        """Exact rationals equal to the given numbers (floats are dyadic rationals)."""

        def q(x) -> Fraction:
            return x if isinstance(x, Fraction) else Fraction(float(x))

        def grid(a):
            return tuple(tuple(q(x) for x in row) for row in a)

        return Params2D(
            w=tuple(grid(wc) for wc in w),
            b=tuple(q(x) for x in b),
            beta=q(beta),
            v=None if v is None else tuple(q(x) for x in v),
            V=None if V is None else tuple(grid(Vc) for Vc in V),
        )

    @staticmethod
    def from_ensemble(params: dict, member: int) -> "Params2D":
        """Member ``member`` of an ensemble dict ``{"w": (E,C,k,k), "b": (E,C), "v": (E,C) or
        "V": (E,C,|I|,|I|), "beta": (E,)}`` (numpy or torch arrays)."""

        def arr(x):
            x = x[member]
            x = x.detach().cpu().double().numpy() if hasattr(x, "detach") else x
            return x.tolist() if hasattr(x, "tolist") else x

        return Params2D.from_arrays(
            arr(params["w"]),
            arr(params["b"]),
            arr(params["beta"]),
            v=arr(params["v"]) if "v" in params and params["v"] is not None else None,
            V=arr(params["V"]) if "V" in params and params["V"] is not None else None,
        )


def check_shapes_2d(cfg: Config, p: Params2D) -> None:
    """Raise ``ValueError`` unless ``p`` fits ``cfg`` (kernel, head, output size)."""
    k, n = cfg.kernel, cfg.out_size
    if any(len(wc) != k or any(len(row) != k for row in wc) for wc in p.w) or len(p.w) != p.channels:
        raise ValueError(f"filters must be {p.channels} x {k} x {k}")
    if cfg.head == "gap" and (p.v is None or len(p.v) != p.channels):
        raise ValueError("GAP head needs one output weight v_c per channel")
    if cfg.head == "fc" and (
        p.V is None or len(p.V) != p.channels or any(len(Vc) != n or any(len(r) != n for r in Vc) for Vc in p.V)
    ):
        raise ValueError(f"FC head needs V of shape {p.channels} x {n} x {n}")


def pattern_sum(w_c, cfg: Config, pattern: Pattern) -> Fraction:
    """``W_c[J] = sum_{(s,t) in J} w_c[s + h_l][t + h_l]`` (``W_c[()] = 0``)."""
    total = Fraction(0)
    for s, t in pattern:
        total += w_c[s + cfg.h_l][t + cfg.h_l]
    return total


def _groups(cfg: Config, p: Params2D, rho: int) -> dict[tuple[int, Fraction], Fraction]:
    """``{(c, W_c[J]): total output weight}``: the output is ``beta + sum_g weight_g sigma(a W_g + b_c)``.

    GAP weight of a pixel: ``v_c / n_outputs``; FC: ``V_{c,p}``. Pixels with equal pattern sums
    share the activation value, so they are merged (exactly)."""
    out: dict[tuple[int, Fraction], Fraction] = {}
    masks = pattern_masks(cfg, rho)
    offsets = window_offsets(cfg)
    lo = cfg.positions[0]
    pixels_of = Counter(masks)  # GAP: every pixel has the weight v_c / n_outputs
    for c in range(p.channels):
        # the pattern sums as integers over the taps' common denominator D (W = sum / D)
        taps, D = common_denominator(p.w[c][s + cfg.h_l][t + cfg.h_l] for s, t in offsets)
        sums = {m: sum(taps[q] for q in range(len(offsets)) if m >> q & 1) for m in pixels_of}
        if cfg.head == "gap":
            pixels: dict[int, int] = {}  # pattern sum -> pixels, in first-seen order
            for m, n in pixels_of.items():
                pixels[sums[m]] = pixels.get(sums[m], 0) + n
            for total, n in pixels.items():
                key = (c, Fraction(total, D))
                out[key] = out.get(key, Fraction(0)) + p.v[c] * n / cfg.n_outputs
            continue
        for (i, j), m in zip(output_pixels(cfg), masks):
            key = (c, Fraction(sums[m], D))
            out[key] = out.get(key, Fraction(0)) + p.V[c][i - lo][j - lo]
    return out


def output_2d(cfg: Config, p: Params2D, rho: int, a, sigma: Callable | None = None) -> Fraction:
    """``y(rho, a)`` of a 2D network (exact for rational inputs and a piecewise-linear sigma)."""
    check_shapes_2d(cfg, p)
    sigma = sigma or _sigma(cfg)
    a = Fraction(a)
    total = p.beta
    for (c, W), weight in _groups(cfg, p, rho).items():
        total += weight * sigma(a * W + p.b[c])
    return total


def _sigma(cfg: Config) -> PiecewiseLinear:
    sigma = piecewise_linear(cfg.activation, cfg.alpha)
    if sigma is None:
        raise ValueError(f"the interval proof needs a piecewise-linear activation, not {cfg.activation!r}")
    return sigma


@dataclass(frozen=True)
class IntervalProof:
    """The result of :func:`prove_2d`: ``exact`` iff ``y(rho, a) = target(rho)`` at every
    evaluation point, hence (piecewise linearity) on the whole interval for every radius.

    ``max_error`` is ``max |y - target|`` over the interval (attained at an evaluation point,
    since ``y`` is piecewise linear in ``a``); ``worst = (rho, a)`` where it is attained;
    ``points`` counts the evaluation points (endpoints + kinks) over all radii.
    """

    exact: bool
    max_error: Fraction
    worst: tuple[int, Fraction]
    points: int
    per_radius: tuple[tuple[int, Fraction], ...]

    def to_json(self) -> dict:
        return {
            "exact": self.exact,
            "max_error": str(self.max_error),
            "worst": [self.worst[0], str(self.worst[1])],
            "points": self.points,
        }


def _target(target: dict | Callable | None) -> Callable[[int], Fraction]:
    """``rho -> target(rho)`` as a Fraction (``None``: the radius)."""
    if target is None:
        return Fraction
    if isinstance(target, dict):
        return lambda rho: Fraction(target[rho])
    return lambda rho: Fraction(target(rho))


def integer_network_2d(cfg: Config, p: Params2D) -> IntegerNetwork:
    """``p`` in integers over one denominator per tensor (:class:`theory.network.IntegerNetwork`),
    each channel's taps in :func:`theory.disk_geometry.window_offsets` order, the FC head in
    :func:`theory.disk_geometry.output_pixels` order (GAP: ``head[c] = (v_c,)``)."""
    check_shapes_2d(cfg, p)
    offsets, lo, C = window_offsets(cfg), cfg.positions[0], p.channels
    wn, Dw = common_denominator(p.w[c][s + cfg.h_l][t + cfg.h_l] for c in range(C) for s, t in offsets)
    bn, Db = common_denominator(p.b)
    (beta,), Dbeta = common_denominator([p.beta])
    if cfg.head == "gap":
        rows = [(x,) for x in p.v]
    else:
        rows = [[p.V[c][i - lo][j - lo] for i, j in output_pixels(cfg)] for c in range(C)]
    width = len(rows[0]) if rows else 0
    hn, Dh = common_denominator(x for row in rows for x in row)
    k = len(offsets)
    return IntegerNetwork(tuple(wn[c * k:(c + 1) * k] for c in range(C)), Dw, bn, Db, beta, Dbeta,
                          tuple(hn[c * width:(c + 1) * width] for c in range(C)), Dh)


def integer_groups_2d(cfg: Config, q: IntegerNetwork, rho: int) -> tuple[dict[tuple[int, int], int], int]:
    """:func:`_groups` in integers for ``q = integer_network_2d(cfg, p)``: ``({(c, n_W):
    n_weight}, D)`` with pattern sum ``W = n_W / q.Dw`` and weight ``n_weight / D`` (``D = q.Dh
    n_outputs`` for GAP, ``q.Dh`` for FC); pixels with equal pattern sums merged."""
    masks = pattern_masks(cfg, rho)
    pixels_of = Counter(masks)
    bits = range(len(window_offsets(cfg)))
    out: dict[tuple[int, int], int] = {}
    for c in range(q.channels):
        taps, head = q.w[c], q.head[c]
        sums = {m: sum(taps[t] for t in bits if m >> t & 1) for m in pixels_of}
        if cfg.head == "gap":
            for m, n in pixels_of.items():
                key = (c, sums[m])
                out[key] = out.get(key, 0) + head[0] * n
            continue
        for pixel, m in enumerate(masks):
            key = (c, sums[m])
            out[key] = out.get(key, 0) + head[pixel]
    return out, q.Dh * (cfg.n_outputs if cfg.head == "gap" else 1)


def prove_2d(cfg: Config, p: Params2D, target: dict | Callable | None = None) -> IntervalProof:
    """Prove (or refute) ``y(rho, a) = target(rho)`` for all ``rho in R``, ``a in [a_min, a_max]``.

    ``y`` is continuous and piecewise linear in ``a``; its kinks are the ``a`` inside the open
    interval where some ``a W_c[J] + b_c`` equals a breakpoint ``z*`` of sigma, i.e.
    ``a = (z* - b_c) / W_c[J]``. Evaluating exactly at both endpoints and every kink therefore
    decides the claim on the whole interval, and gives the exact maximum error. ``target``
    defaults to ``rho`` (the radius).

    In integers (:func:`integer_network_2d`, :func:`integer_groups_2d`,
    :func:`theory.kinks.kink_sweep`): with ``y = n / d`` and ``target = g_n / g_d`` the error
    is ``|n g_d - g_n d| / (d g_d)``, compared by cross-multiplication.
    """
    q = integer_network_2d(cfg, p)
    sigma, goal = _sigma(cfg), _target(target)
    lo, hi = cfg.a_min, cfg.a_max
    top, worst, points, per = None, (cfg.radii[0], lo), 0, []  # top: the largest error (e, d), e / d
    for rho in cfg.radii:
        groups, Dg = integer_groups_2d(cfg, q, rho)
        values = kink_sweep(p.beta, q.b, q.Db, groups, q.Dw, Dg, sigma, lo, hi)
        g = goal(rho)
        radius = (0, 1)
        for a, n, d in values:
            e, d = abs(n * g.denominator - g.numerator * d), d * g.denominator
            if e * radius[1] > radius[0] * d:
                radius = (e, d)
            if top is None or e * top[1] > top[0] * d:
                top, worst = (e, d), (rho, a)
        points += len(values)
        per.append((rho, Fraction(*radius)))
    return IntervalProof(top[0] == 0, Fraction(*top), worst, points, tuple(per))


def prove_2d_fraction(cfg: Config, p: Params2D, target: dict | Callable | None = None) -> IntervalProof:
    """:func:`prove_2d` in ``Fraction`` arithmetic (:func:`_groups`,
    :func:`theory.kinks.output_at_kinks_fraction`, ``|y - target|`` as Fractions): the reference
    the tests and ``benchmarks/exact_analysis.py`` compare :func:`prove_2d` with.

    Prove (or refute) ``y(rho, a) = target(rho)`` for all ``rho in R``, ``a in [a_min, a_max]``.

    ``y`` is continuous and piecewise linear in ``a``; its kinks are the ``a`` inside the open
    interval where some ``a W_c[J] + b_c`` equals a breakpoint ``z*`` of sigma, i.e.
    ``a = (z* - b_c) / W_c[J]``. Evaluating exactly at both endpoints and every kink therefore
    decides the claim on the whole interval, and gives the exact maximum error. ``target``
    defaults to ``rho`` (the radius).
    """
    check_shapes_2d(cfg, p)
    sigma = _sigma(cfg)
    if target is None:
        goal = lambda rho: Fraction(rho)  # noqa: E731
    elif isinstance(target, dict):
        goal = lambda rho: Fraction(target[rho])  # noqa: E731
    else:
        goal = lambda rho: Fraction(target(rho))  # noqa: E731
    lo, hi = cfg.a_min, cfg.a_max
    max_error, worst, points, per = Fraction(-1), (cfg.radii[0], lo), 0, []
    for rho in cfg.radii:
        values = output_at_kinks_fraction(p.beta, p.b, _groups(cfg, p, rho), sigma, lo, hi)
        radius_error = Fraction(0)
        for a, y in values:
            err = abs(y - goal(rho))
            radius_error = max(radius_error, err)
            if err > max_error:
                max_error, worst = err, (rho, a)
        points += len(values)
        per.append((rho, radius_error))
    return IntervalProof(max_error == 0, max_error, worst, points, tuple(per))
