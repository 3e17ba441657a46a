"""Exact least squares over the rationals (the error floors of THEORY.md section 7, claim D1).

An affine fit ``y ≈ alpha + gamma x`` solves the normal equations
``n alpha + (Σx) gamma = Σy``, ``(Σx) alpha + (Σx²) gamma = Σxy``; a fit on several columns
solves ``A^T A c = A^T y`` on the affinely independent columns by Gaussian elimination. Inputs
and outputs are exact rationals; only the RMSE, a square root, is a float.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Sequence


@dataclass(frozen=True)
class AffineFit:
    """Least-squares ``y ≈ intercept + slope x`` (exact, from the normal equations).

    ``n alpha + (Σx) gamma = Σy`` and ``(Σx) alpha + (Σx²) gamma = Σxy``; when every ``x`` is
    equal the slope is undetermined and set to 0 (the fit is the mean).
    """

    xs: tuple[Fraction, ...]
    ys: tuple[Fraction, ...]
    intercept: Fraction
    slope: Fraction

    @property
    def residuals(self) -> tuple[Fraction, ...]:
        """``intercept + slope x - y`` per point (the network's error on that radius)."""
        return tuple(self.intercept + self.slope * x - y for x, y in zip(self.xs, self.ys))

    @property
    def sse(self) -> Fraction:
        return sum((r * r for r in self.residuals), Fraction(0))

    @property
    def mse(self) -> Fraction:
        return self.sse / len(self.xs)

    @property
    def rmse(self) -> float:
        """``sqrt(mse)`` (the only inexact number; the MSE itself is exact)."""
        return math.sqrt(self.mse)

    @property
    def max_abs_residual(self) -> Fraction:
        return max(abs(r) for r in self.residuals)

    @property
    def exact(self) -> bool:
        """Whether ``y`` is exactly affine in ``x`` (zero residual)."""
        return self.sse == 0


def affine_fit(xs: Sequence, ys: Sequence) -> AffineFit:
    """The exact least-squares affine fit of ``ys`` on ``xs`` (rationals in, rationals out)."""
    xs = tuple(Fraction(x) for x in xs)
    ys = tuple(Fraction(y) for y in ys)
    if len(xs) != len(ys) or not xs:
        raise ValueError("need equally many (and at least one) x and y values")
    n = len(xs)
    sx, sy = sum(xs, Fraction(0)), sum(ys, Fraction(0))
    sxx = sum((x * x for x in xs), Fraction(0))
    sxy = sum((x * y for x, y in zip(xs, ys)), Fraction(0))
    det = n * sxx - sx * sx
    if det == 0:
        return AffineFit(xs, ys, sy / n, Fraction(0))
    slope = (n * sxy - sx * sy) / det
    intercept = (sy - slope * sx) / n
    return AffineFit(xs, ys, intercept, slope)


def _solve(matrix: list[list[Fraction]], rhs: list[Fraction]) -> list[Fraction] | None:
    """Gaussian elimination over the rationals; ``None`` when ``matrix`` is singular."""
    n = len(rhs)
    a = [row[:] + [r] for row, r in zip(matrix, rhs)]
    for col in range(n):
        pivot = next((r for r in range(col, n) if a[r][col] != 0), None)
        if pivot is None:
            return None
        a[col], a[pivot] = a[pivot], a[col]
        for r in range(n):
            if r != col and a[r][col] != 0:
                f = a[r][col] / a[col][col]
                a[r] = [x - f * y for x, y in zip(a[r], a[col])]
    return [a[r][n] / a[r][r] for r in range(n)]


def least_squares_exact(columns: Sequence[Sequence], ys: Sequence) -> tuple[tuple[Fraction, ...], Fraction]:
    """Exact least squares of ``ys`` on ``1`` and the given columns: ``(coefficients, SSE)``.

    ``coefficients[0]`` is the intercept, then one per column; columns that are affine
    combinations of earlier ones (rank deficiency) get coefficient 0. Normal equations
    ``A^T A x = A^T y`` on the independent columns, solved over the rationals."""
    ys = [Fraction(y) for y in ys]
    cols = [[Fraction(1)] * len(ys)] + [[Fraction(x) for x in col] for col in columns]
    keep: list[int] = []
    for index in range(len(cols)):
        trial = keep + [index]
        gram = [[sum((x * y for x, y in zip(cols[i], cols[j])), Fraction(0)) for j in trial] for i in trial]
        if _solve(gram, [Fraction(0)] * len(trial)) is not None:
            keep = trial
    gram = [[sum((x * y for x, y in zip(cols[i], cols[j])), Fraction(0)) for j in keep] for i in keep]
    rhs = [sum((x * y for x, y in zip(cols[i], ys)), Fraction(0)) for i in keep]
    sol = _solve(gram, rhs)
    coef = [Fraction(0)] * len(cols)
    for i, x in zip(keep, sol):
        coef[i] = x
    sse = sum(((sum((coef[i] * cols[i][n] for i in range(len(cols))), Fraction(0)) - y) ** 2
               for n, y in enumerate(ys)), Fraction(0))
    return tuple(coef), sse
