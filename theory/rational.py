"""Exact rationals as integers over one common denominator.

Summing or comparing many ``Fraction`` values term by term pays a ``gcd`` per operation; over
a common denominator ``D`` the same sums are integer sums and the result is one ``Fraction``.
Every function here is exact: ``values[i] = n[i] / D``."""

from __future__ import annotations

import math
from fractions import Fraction


def common_denominator(values) -> tuple[tuple[int, ...], int]:
    """``(n, D)`` with ``values[i] = n[i] / D`` exactly, ``D > 0`` the least common multiple of
    the denominators (every value a ``Fraction`` or an ``int``; anything else goes through
    ``Fraction``)."""
    values = [v if type(v) is Fraction or type(v) is int else Fraction(v) for v in values]
    dens = {v.denominator for v in values}
    D = math.lcm(*dens) if dens else 1
    scale = {d: D // d for d in dens}
    return tuple(v.numerator * scale[v.denominator] for v in values), D


def mean_square(numerators, D: int = 1) -> Fraction:
    """``(1/N) sum_i (n[i] / D)^2 = sum_i n[i]^2 / (N D^2)`` exactly, for integer numerators over
    one denominator ``D > 0`` (e.g. from :func:`common_denominator`): one ``Fraction`` instead of
    ``2N`` operations on them."""
    if not numerators:
        raise ValueError("the mean square of no values")
    return Fraction(sum(x * x for x in numerators), len(numerators) * D * D)
