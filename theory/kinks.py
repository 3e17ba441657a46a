"""Exact evaluation of a piecewise-linear network output at every kink of an amplitude
interval (THEORY.md section 8), for any dimension.

For fixed radius the output is ``y(a) = beta + sum_g weight_g sigma(a W_g + b_c)`` over the
groups of terms with equal channel ``c`` and run sum ``W_g``; it is continuous and piecewise
linear in ``a`` with kinks where some ``a W_g + b_c`` meets a breakpoint of ``sigma``, so its
extremes over ``[lo, hi]`` are attained at ``lo``, ``hi`` or a kink.
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from fractions import Fraction

from radiuscnn.theory.activations import PiecewiseLinear
from radiuscnn.theory.rational import common_denominator


def integer_breakpoints(sigma: PiecewiseLinear) -> tuple[tuple[int, ...], int]:
    """sigma's breakpoints ``z*_j = n_j / Z`` over one denominator (:func:`common_denominator`),
    refusing breakpoints that do not increase strictly (a piece of zero length)."""
    breaks, Z = common_denominator(sigma.breakpoints)
    if any(x >= y for x, y in zip(breaks, breaks[1:])):
        raise ValueError(f"{sigma.name}: the breakpoints must increase strictly")
    return breaks, Z


def integer_pieces(sigma: PiecewiseLinear) -> tuple[tuple[int, ...], tuple[int, ...], int]:
    """``(s, t, S)``: piece ``p`` of sigma is ``z -> (s[p] z + t[p]) / S``, slopes and intercepts
    over one denominator."""
    st, S = common_denominator([*(q.slope for q in sigma.pieces), *(q.intercept for q in sigma.pieces)])
    return st[:len(sigma.pieces)], st[len(sigma.pieces):], S


def kinks_between(breaks, Z: int, b: int, Db: int, W: int, DW: int, lo: Fraction, hi: Fraction) -> list[tuple[int, int]]:
    """The kinks of the term ``a W + b`` strictly inside ``(lo, hi)``, in increasing ``a``, as
    reduced ``(numerator, denominator > 0)``, with ``W = W / DW`` (non-zero), ``b = b / Db`` and
    the breakpoints ``breaks[j] / Z`` (increasing, :func:`integer_breakpoints`).

    At the breakpoint ``z* = n_z / Z`` the kink is ``a* = (z* - b) / W = (n_z Db - b Z) DW / (Z
    Db W)``; the breakpoints increase, so the kinks come in increasing ``a`` for ``W > 0`` and
    in decreasing ``a`` for ``W < 0`` (reversed here)."""
    sign = 1 if W > 0 else -1
    ln, ld, hn, hd = lo.numerator, lo.denominator, hi.numerator, hi.denominator
    den, found = Z * Db * W * sign, []
    for z in breaks:
        num = (z * Db - b * Z) * DW * sign
        if ln * den < num * ld and num * hd < hn * den:
            g = math.gcd(num, den)
            found.append((num // g, den // g))
    return found if W > 0 else found[::-1]


def piece_at(scaled_breaks, z: int) -> int:
    """The index of sigma's piece holding ``z`` (the left one at a breakpoint), i.e. the number
    of breakpoints below ``z``, for ``z`` and the breakpoints as integers over one denominator."""
    return bisect_left(scaled_breaks, z)


def kink_sweep(beta: Fraction, b, Db: int, groups: dict, DW: int, Dg: int, sigma: PiecewiseLinear,
               lo: Fraction, hi: Fraction, kinks: dict | None = None) -> list[tuple[Fraction, int, int]]:
    """``[(a, n, d)]`` with ``y(a) = n / d`` (``d > 0``) at ``lo``, ``hi`` and every kink in
    between, in increasing ``a``: :func:`output_at_kinks` in integers. The inputs are integer
    numerators: ``b_c = b[c] / Db``, ``groups = {(c, n_W): n_weight}`` with ``W = n_W / DW`` and
    weight ``n_weight / Dg``; ``beta``, ``lo`` and ``hi`` are exact rationals.

    A group's kinks are :func:`kinks_between` (or ``kinks[(c, n_W)]`` when given: the same,
    computed once for several sweeps of one network). The piece on the group's first segment is the number of
    breakpoints below ``z`` on it (the left piece at a breakpoint): for ``lo < hi`` no
    breakpoint lies strictly between ``z(lo)`` and ``z`` there, so it is ``#{z* <= z(lo)}``
    for ``W > 0`` and ``#{z* < z(lo)}`` otherwise (also when ``lo = hi``). Then the sweep of
    :func:`output_at_kinks`: ``y = alpha / A + a gamma / G`` between consecutive points, one
    group's term changing at each of its kinks; the only ``Fraction`` per point is ``a``."""
    breaks, Z = integer_breakpoints(sigma)
    sn, tn, S = integer_pieces(sigma)
    lo, hi = Fraction(lo), Fraction(hi)
    ln, ld, hn, hd = lo.numerator, lo.denominator, hi.numerator, hi.denominator
    if kinks is None:
        kinks = {(c, W): kinks_between(breaks, Z, b[c], Db, W, DW, lo, hi) for (c, W) in groups if W}
    distinct = dict.fromkeys([(ln, ld), (hn, hd), *(k for g in groups if g[1] for k in kinks[g])])
    points = sorted(Fraction(n, d) for n, d in distinct)
    index = {(a.numerator, a.denominator): k for k, a in enumerate(points)}
    # alpha over A = lcm(Dg S Db, Dbeta), gamma over G = Dg S DW (as in output_at_kinks)
    (beta_n,), Dbeta = common_denominator([beta])
    A = math.lcm(Dg * S * Db, Dbeta)
    fa, G = A // (Dg * S * Db), Dg * S * DW
    alpha, gamma = beta_n * (A // Dbeta), 0
    delta_alpha = [0] * len(points)
    delta_gamma = [0] * len(points)
    scaled = [z * ld * DW * Db for z in breaks]  # z* over the denominator of z(lo)
    for (c, W), w in groups.items():
        at_lo = (ln * W * Db + b[c] * ld * DW) * Z  # z(lo) = lo W + b_c over ld DW Db, times Z
        q = bisect_right(scaled, at_lo) if W > 0 and lo < hi else piece_at(scaled, at_lo)
        alpha += fa * w * (sn[q] * b[c] + tn[q] * Db)
        gamma += w * sn[q] * W
        step = 1 if W > 0 else -1  # each kink crosses one breakpoint: one piece up (W > 0) or down
        for key in kinks[c, W] if W else ():
            k, p = index[key], q + step
            delta_alpha[k] += fa * w * ((sn[p] - sn[q]) * b[c] + (tn[p] - tn[q]) * Db)
            delta_gamma[k] += w * (sn[p] - sn[q]) * W
            q = p
    out = []
    last = len(points) - 1
    for k, a in enumerate(points):
        num, den = a.numerator, a.denominator
        out.append((a, alpha * G * den + gamma * num * A, A * G * den))  # alpha/A + a gamma/G
        if 0 < k < last:  # continuity: the value left of the kink is the value there
            alpha, gamma = alpha + delta_alpha[k], gamma + delta_gamma[k]
    return out


def output_at_kinks(beta: Fraction, b, groups: dict, sigma: PiecewiseLinear, lo: Fraction, hi: Fraction) -> list:
    """``[(a, y(a))]`` at ``lo``, ``hi`` and every kink in between, exactly, for ``y(a) = beta +
    sum_g weight_g sigma(a W_g + b_c)`` with ``groups = {(c, W_g): weight_g}``: the terms of the
    run decomposition merged by channel and run sum (1D: :func:`theory.network.groups`; 2D:
    ``theory.disk_proof._groups``), ``b`` the biases (indexed by channel).

    A sweep: between consecutive evaluation points every group stays on one piece ``s z + t``
    of sigma, so ``y`` is the line ``alpha + gamma a`` there, with ``alpha = beta + sum_g
    weight (s b_c + t)`` and ``gamma = sum_g weight s W``; at a group's kink only that group's
    term changes. Each point costs O(1) after sorting, instead of a sum over every group. The
    sums are integers over common denominators (:func:`kink_sweep`), one ``Fraction`` per point."""
    keys = list(groups)
    weights, Dg = common_denominator(groups.values())
    sums, DW = common_denominator(W for _, W in keys)
    bn, Db = common_denominator(b)
    integer = dict(zip(((c, W) for (c, _), W in zip(keys, sums)), weights))
    return [(a, Fraction(n, d)) for a, n, d in kink_sweep(beta, bn, Db, integer, DW, Dg, sigma, lo, hi)]


def output_at_kinks_fraction(beta: Fraction, b, groups: dict, sigma: PiecewiseLinear, lo: Fraction, hi: Fraction) -> list:
    """The reference for :func:`output_at_kinks` (tests and ``benchmarks/exact_analysis.py``:
    the kinks, the pieces and the points in ``Fraction`` arithmetic, the sums in integers).

    ``[(a, y(a))]`` at ``lo``, ``hi`` and every kink in between, exactly, for ``y(a) = beta +
    sum_g weight_g sigma(a W_g + b_c)`` with ``groups = {(c, W_g): weight_g}``: the terms of the
    run decomposition merged by channel and run sum (1D: :func:`theory.network.groups`; 2D:
    ``theory.disk_proof._groups``), ``b`` the biases.

    A sweep: between consecutive evaluation points every group stays on one piece ``s z + t``
    of sigma, so ``y`` is the line ``alpha + gamma a`` there, with ``alpha = beta + sum_g
    weight (s b_c + t)`` and ``gamma = sum_g weight s W``; at a group's kink only that group's
    term changes. Each point costs O(1) after sorting, instead of a sum over every group; the
    sums are kept as integers over common denominators (exact, one ``Fraction`` per point)."""
    kinks: dict = {}  # group -> its kinks in (lo, hi), sorted
    for (c, W) in groups:
        if W != 0:
            kinks[(c, W)] = sorted({a for a in ((z - b[c]) / W for z in sigma.breakpoints) if lo < a < hi})
    points = sorted({lo, hi}.union(*kinks.values()))
    index = {a: k for k, a in enumerate(points)}
    # Integers over common denominators: weight = w / Dw, W = n_W / DW, b_c = n_b / Db,
    # (s_p, t_p) = (n_s, n_t) / S, beta = n_beta / Dbeta; then a group's alpha term
    # weight (s b_c + t) is w (n_s n_b + n_t Db) / (Dw S Db) and its gamma term weight s W is
    # w n_s n_W / (Dw S DW): alpha over A = lcm(Dw S Db, Dbeta), gamma over G = Dw S DW.
    keys = list(groups)
    wn, Dw = common_denominator(groups.values())
    Wn, DW = common_denominator(W for _, W in keys)
    channels = sorted({c for c, _ in keys})
    bn, Db = common_denominator(b[c] for c in channels)
    bn = dict(zip(channels, bn))
    st, S = common_denominator([*(q.slope for q in sigma.pieces), *(q.intercept for q in sigma.pieces)])
    sn, tn = st[:len(sigma.pieces)], st[len(sigma.pieces):]
    (beta_n,), Dbeta = common_denominator([beta])
    A = math.lcm(Dw * S * Db, Dbeta)
    fa, G = A // (Dw * S * Db), Dw * S * DW
    alpha, gamma = beta_n * (A // Dbeta), 0
    delta_alpha = [0] * len(points)
    delta_gamma = [0] * len(points)
    for (c, W), w, nW in zip(keys, wn, Wn):
        edges = [lo, *kinks.get((c, W), []), hi]
        # the piece on the first segment (at its midpoint); each kink then crosses exactly one
        # breakpoint (distinct breakpoints give distinct kinks), one piece up for W > 0, down for W < 0
        first = (edges[0] + edges[1]) / 2 if edges[1] > edges[0] else edges[0]
        piece, step = sigma.piece_index(first * W + b[c]), (1 if W > 0 else -1)
        previous = None
        for j, left in enumerate(edges[:-1]):
            q = piece + step * j
            a0, g0 = fa * w * (sn[q] * bn[c] + tn[q] * Db), w * sn[q] * nW
            if previous is None:
                alpha += a0
                gamma += g0
            else:
                k = index[left]
                delta_alpha[k] += a0 - previous[0]
                delta_gamma[k] += g0 - previous[1]
            previous = (a0, g0)
    out = []
    for k, a in enumerate(points):
        num, den = Fraction(a).numerator, Fraction(a).denominator
        out.append((a, Fraction(alpha * G * den + gamma * num * A, A * G * den)))  # alpha/A + a gamma/G
        if 0 < k < len(points) - 1:  # continuity: the value left of the kink is the value there
            alpha, gamma = alpha + delta_alpha[k], gamma + delta_gamma[k]
    return out
