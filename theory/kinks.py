"""Exact evaluation of a piecewise-linear network output at every kink of an amplitude
interval (THEORY.md section 8), for any dimension.

For fixed radius the output is ``y(a) = beta + sum_g weight_g sigma(a W_g + b_c)`` over the
groups of terms with equal channel ``c`` and run sum ``W_g``; it is continuous and piecewise
linear in ``a`` with kinks where some ``a W_g + b_c`` meets a breakpoint of ``sigma``, so its
extremes over ``[lo, hi]`` are attained at ``lo``, ``hi`` or a kink.
"""

from __future__ import annotations

from fractions import Fraction

from radiuscnn.theory.activations import PiecewiseLinear


def output_at_kinks(beta: Fraction, b, groups: dict, sigma: PiecewiseLinear, lo: Fraction, hi: Fraction) -> list:
    """``[(a, y(a))]`` at ``lo``, ``hi`` and every kink in between, exactly, for ``y(a) = beta +
    sum_g weight_g sigma(a W_g + b_c)`` with ``groups = {(c, W_g): weight_g}``: the terms of the
    run decomposition merged by channel and run sum (1D: :func:`theory.network.groups`; 2D:
    ``theory.disk_proof._groups``), ``b`` the biases.

    A sweep: between consecutive evaluation points every group stays on one piece ``s z + t``
    of sigma, so ``y`` is the line ``alpha + gamma a`` there, with ``alpha = beta + sum_g
    weight (s b_c + t)`` and ``gamma = sum_g weight s W``; at a group's kink only that group's
    term changes. Each point costs O(1) after sorting, instead of a sum over every group."""
    kinks: dict = {}  # group -> its kinks in (lo, hi), sorted
    for (c, W) in groups:
        if W != 0:
            kinks[(c, W)] = sorted({a for a in ((z - b[c]) / W for z in sigma.breakpoints) if lo < a < hi})
    points = sorted({lo, hi}.union(*kinks.values()))
    index = {a: k for k, a in enumerate(points)}
    delta_alpha = [Fraction(0)] * len(points)
    delta_gamma = [Fraction(0)] * len(points)

    def form(c, W, a) -> tuple[Fraction, Fraction]:  # (alpha, gamma) terms of the group's piece at a
        piece = sigma.pieces[sigma.piece_index(a * W + b[c])]
        return piece.slope * b[c] + piece.intercept, piece.slope * W

    alpha0, gamma0 = beta, Fraction(0)
    for (c, W), weight in groups.items():
        edges = [lo, *kinks.get((c, W), []), hi]
        previous = None
        for left, right in zip(edges, edges[1:]):
            a0, g0 = form(c, W, (left + right) / 2 if right > left else left)
            if previous is None:
                alpha0 += weight * a0
                gamma0 += weight * g0
            else:
                k = index[left]
                delta_alpha[k] += weight * (a0 - previous[0])
                delta_gamma[k] += weight * (g0 - previous[1])
            previous = (a0, g0)
    out = []
    alpha, gamma = alpha0, gamma0
    for k, a in enumerate(points):
        if 0 < k < len(points) - 1:
            y_left = alpha + gamma * a
            alpha, gamma = alpha + delta_alpha[k], gamma + delta_gamma[k]
            out.append((a, y_left))  # continuity: the same value on either side
        else:
            out.append((a, alpha + gamma * a))
    return out
