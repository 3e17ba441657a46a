"""Exact evaluation of a piecewise-linear network output at every kink of an amplitude
interval (THEORY.md section 8), for any dimension.

For fixed radius the output is ``y(a) = beta + sum_g weight_g sigma(a W_g + b_c)`` over the
groups of terms with equal channel ``c`` and run sum ``W_g``; it is continuous and piecewise
linear in ``a`` with kinks where some ``a W_g + b_c`` meets a breakpoint of ``sigma``, so its
extremes over ``[lo, hi]`` are attained at ``lo``, ``hi`` or a kink.
"""

from __future__ import annotations

import math
from fractions import Fraction

from radiuscnn.theory.activations import PiecewiseLinear
from radiuscnn.theory.rational import common_denominator


def output_at_kinks(beta: Fraction, b, groups: dict, sigma: PiecewiseLinear, lo: Fraction, hi: Fraction) -> list:
    """``[(a, y(a))]`` at ``lo``, ``hi`` and every kink in between, exactly, for ``y(a) = beta +
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
