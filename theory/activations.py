"""Activations as mathematical objects (THEORY.md sections 2 and 5).

Piecewise-linear activations are *data*: a tuple of :class:`Piece` ``sigma(z) = s_p z + t_p``
on ``[lo_p, hi_p]`` (``None`` = unbounded). They evaluate exactly on rationals, which is what
the interval proofs of section 8 need. Every activation also has a SymPy form, used to build
the symbolic network output. Both come from ``theory.activation_registry``, the one table of
activation facts (``PIECEWISE_LINEAR`` and ``ANALYTIC`` are re-exported from it).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import sympy as sp

from radiuscnn.theory.activation_registry import ANALYTIC, PIECEWISE_LINEAR, REGISTRY  # noqa: F401 - re-exported


@dataclass(frozen=True)
class Piece:
    """``sigma(z) = slope*z + intercept`` for ``lo <= z <= hi`` (``None`` = -inf / +inf)."""

    lo: Fraction | None
    hi: Fraction | None
    slope: Fraction
    intercept: Fraction

    def contains(self, z: Fraction) -> bool:
        return (self.lo is None or z >= self.lo) and (self.hi is None or z <= self.hi)

    def __call__(self, z):
        return self.slope * z + self.intercept


@dataclass(frozen=True)
class PiecewiseLinear:
    """A continuous piecewise-linear activation; pieces ordered left to right."""

    name: str
    pieces: tuple[Piece, ...]

    def __post_init__(self) -> None:
        """Refuse pieces that leave a gap or a jump: the exact proofs evaluate only endpoints and
        kinks, which decides the whole interval for a *continuous* sigma only."""
        if not self.pieces or (self.pieces[0].lo, self.pieces[-1].hi) != (None, None):
            raise ValueError(f"{self.name}: the pieces must cover the real line")
        for left, right in zip(self.pieces, self.pieces[1:]):
            if left.hi is None or left.hi != right.lo or left(left.hi) != right(left.hi):
                raise ValueError(f"{self.name}: pieces must meet continuously (at z = {left.hi})")

    @property
    def breakpoints(self) -> tuple[Fraction, ...]:
        """The kinks ``z`` where consecutive pieces meet."""
        return tuple(p.hi for p in self.pieces[:-1])

    def piece_index(self, z: Fraction) -> int:
        """Index of the piece containing ``z`` (the left one at a breakpoint)."""
        for index, piece in enumerate(self.pieces):
            if piece.contains(z):
                return index
        raise AssertionError("pieces must cover the real line")

    def __call__(self, z: Fraction) -> Fraction:
        return self.pieces[self.piece_index(z)](z)

    def has_flat_half_line(self) -> bool:
        """Whether some unbounded piece has slope 0 (the property A4 turns on)."""
        ends = (self.pieces[0], self.pieces[-1])
        return any(p.slope == 0 for p in ends)


def piecewise_linear(name: str, alpha: Fraction = Fraction(1, 10)) -> PiecewiseLinear | None:
    """The piece data of ``name``, or ``None`` when the activation is not piecewise linear."""
    spec = REGISTRY.get(name)
    if spec is None or spec.pieces is None:
        return None
    return PiecewiseLinear(name, tuple(Piece(*row) for row in spec.pieces(alpha)))


def sympy_activation(name: str, alpha=sp.Rational(1, 10)):
    """``sigma`` as a function from a SymPy expression to a SymPy expression."""
    alpha = sp.nsimplify(alpha)
    if name not in REGISTRY:
        raise ValueError(f"unknown activation {name!r}")
    form = REGISTRY[name].sympy
    return lambda z: form(sp, z, alpha)
