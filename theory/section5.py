"""The slope and value equations of THEORY.md section 5, built once for every use.

On an amplitude (sub-)interval where every term ``(c, J)`` of radius ``r`` stays on one piece
``sigma(z) = s z + t`` of a piecewise-linear sigma, ``y(r, a) - r = value + a slope / scale``
with

    slope(r) = scale sum_terms m h s W_c[J]                    (= 0 for zero loss)
    value(r) = beta - r + sum_terms m h (s b_c + t)            (= 0)

over the terms ``(c, J, h, m)`` of the head (GAP: one per run, ``h = v_c``, ``m = n_J(r)/|I|``,
``scale = |I|``, which is THEORY's ``slope(r) = sum_c v_c sum_J n_J(r) s W_c[J]``; FC: one per
position ``i``, ``h = V_{c,i}``, ``m = 1``, ``scale = 1``).

:func:`slope_value` is generic in the arithmetic: the same code gives exact ``Fraction``
residuals for given weights (``theory.regimes.residuals``, ``verify.analysis_equations``) and
SymPy expressions in symbolic weights (``theory.regimes.slope_equation`` /
``value_equation``, the display of ``verify.analysis_equations.symbolic_equation``).
"""

from __future__ import annotations

from typing import Callable, Iterable


def slope_value(terms: Iterable, piece: Callable, W: Callable, b: Callable, beta, r, scale=1):
    """``(slope, value)`` (module docstring) for ``terms`` of ``(c, run, h, m)``;
    ``piece(c, run) -> (s, t)``, ``W(c, run)`` the run sum, ``b(c)`` the bias."""
    slope, value = 0, beta - r
    for c, run, h, m in terms:
        s, t = piece(c, run)
        if s:
            slope = slope + m * h * s * W(c, run)
        value = value + m * h * (s * b(c) + t)
    return scale * slope, value
