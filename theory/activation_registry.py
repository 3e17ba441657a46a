"""The activation registry: every fact about an activation ``sigma``, in one place (THEORY.md 2, 5).

One :class:`ActivationSpec` per activation, in the order the command line lists them:

========== =============================== ====== ======== =========== ====
name       sigma(z)                        pieces analytic homogeneous flat
========== =============================== ====== ======== =========== ====
relu       max(0, z)                       2      no       yes         yes
leaky_relu max(alpha z, z), 0 < alpha < 1  2      no       yes         no
abs        |z|                             2      no       yes         no
hardtanh   min(1, max(-1, z))              3      no       no          yes
identity   z                               1      yes      yes         no
tanh       tanh z                          -      yes      no          no
sigmoid    1/(1+e^-z)                      -      yes      no          no
softplus   log(1+e^z)                      -      yes      no          no
========== =============================== ====== ======== =========== ====

*pieces* ``(lo, hi, slope, intercept)``: ``sigma(z) = slope z + intercept`` on ``[lo, hi]``
(``None`` = unbounded), left to right, exact rationals (``theory.activations`` turns them into
:class:`~radiuscnn.theory.activations.PiecewiseLinear`). *analytic*: real-analytic on all of R
(the impossibility argument of A3). *homogeneous*: positively homogeneous,
``sigma(lambda z) = lambda sigma(z)`` for ``lambda > 0`` (balancedness, I1). *flat*: some
unbounded piece has slope 0 (the property A4 turns on).

This module imports neither SymPy nor torch (``theory.config`` and so every command import
it): the SymPy form is a function ``sympy(sp, z, alpha)`` of the SymPy module, and the torch
side is ``numeric.activations.TORCH``, keyed by the same names (a test checks both key sets).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from types import MappingProxyType
from typing import Callable, Mapping

Row = tuple[Fraction | None, Fraction | None, Fraction, Fraction]

_ZERO, _ONE = Fraction(0), Fraction(1)


@dataclass(frozen=True)
class ActivationSpec:
    """One activation: its pieces (given ``alpha``, ``None`` if not piecewise linear), its SymPy
    form and its flags (module docstring)."""

    name: str
    pieces: Callable[[Fraction], tuple[Row, ...]] | None
    sympy: Callable  # (sympy module, SymPy expression z, SymPy rational alpha) -> SymPy expression
    analytic: bool
    homogeneous: bool
    flat_half_line: bool

    @property
    def piecewise_linear(self) -> bool:
        return self.pieces is not None


_SPECS = (
    ActivationSpec("relu", lambda alpha: ((None, _ZERO, _ZERO, _ZERO), (_ZERO, None, _ONE, _ZERO)),
                   lambda sp, z, alpha: sp.Max(0, z), analytic=False, homogeneous=True, flat_half_line=True),
    ActivationSpec("leaky_relu", lambda alpha: ((None, _ZERO, Fraction(alpha), _ZERO), (_ZERO, None, _ONE, _ZERO)),
                   lambda sp, z, alpha: sp.Max(alpha * z, z), analytic=False, homogeneous=True, flat_half_line=False),
    ActivationSpec("abs", lambda alpha: ((None, _ZERO, -_ONE, _ZERO), (_ZERO, None, _ONE, _ZERO)),
                   lambda sp, z, alpha: sp.Abs(z), analytic=False, homogeneous=True, flat_half_line=False),
    ActivationSpec("hardtanh", lambda alpha: ((None, -_ONE, _ZERO, -_ONE), (-_ONE, _ONE, _ONE, _ZERO),
                                              (_ONE, None, _ZERO, _ONE)),
                   lambda sp, z, alpha: sp.Min(1, sp.Max(-1, z)), analytic=False, homogeneous=False, flat_half_line=True),
    ActivationSpec("identity", lambda alpha: ((None, None, _ONE, _ZERO),),
                   lambda sp, z, alpha: z, analytic=True, homogeneous=True, flat_half_line=False),
    ActivationSpec("tanh", None, lambda sp, z, alpha: sp.tanh(z), analytic=True, homogeneous=False, flat_half_line=False),
    ActivationSpec("sigmoid", None, lambda sp, z, alpha: 1 / (1 + sp.exp(-z)),
                   analytic=True, homogeneous=False, flat_half_line=False),
    ActivationSpec("softplus", None, lambda sp, z, alpha: sp.log(1 + sp.exp(z)),
                   analytic=True, homogeneous=False, flat_half_line=False),
)

REGISTRY: Mapping[str, ActivationSpec] = MappingProxyType({spec.name: spec for spec in _SPECS})

ACTIVATIONS = tuple(REGISTRY)
PIECEWISE_LINEAR = tuple(name for name, spec in REGISTRY.items() if spec.piecewise_linear)
ANALYTIC = tuple(name for name, spec in REGISTRY.items() if spec.analytic)
HOMOGENEOUS = tuple(name for name, spec in REGISTRY.items() if spec.homogeneous)
FLAT_HALF_LINE = tuple(name for name, spec in REGISTRY.items() if spec.flat_half_line)
