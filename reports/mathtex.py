"""The report's one SymPy LaTeX printer.

Symbols and functions carry plain names (``I_size``, ``W_star``, ``phi``, ``n_J``); how each
is typeset is data here (:data:`SYMBOL_TEX`, :data:`FUNCTION_TEX`), never markup inside a
symbol name. Every equation of the report goes through :func:`tex`: the collectors' (stored
as strings in ``results.json``) and the engine's derivation steps (:mod:`reports.stepmath`).
"""

from __future__ import annotations

import sympy as sp
from sympy.printing.latex import LatexPrinter

SYMBOL_TEX = {
    "I_size": r"|I|", "J_j": r"J_j", "W_star": r"W_*", "N_star": r"N_*", "a_star": r"a^*", "z_star": r"z^*",
    "n_E": r"n_\emptyset", "lam": r"\lambda", "Delta_n_E": r"\Delta n_E", "Delta_n_F": r"\Delta n_F",
    "S_alive": r"\sum_{J\ \mathrm{alive}} n_J(r)\, W[J]", "W_J": r"W[J]", "cdot": r"\cdot",
}
FUNCTION_TEX = {"n_Jj": r"n_{J_j}", "phi": r"\varphi", "n_E": r"n_\emptyset", "relu": r"\mathrm{relu}",
                "N_alive": r"\#\mathrm{alive}", "n_J": r"n_J", "J_i": r"J_i"}


class ReportPrinter(LatexPrinter):
    """``sympy.latex`` with the report's symbol and function names."""

    def _print_Symbol(self, expr, style="plain"):
        name = SYMBOL_TEX.get(expr.name)
        return name if name is not None else super()._print_Symbol(expr, style)

    def _print_Function(self, expr, exp=None):
        name = FUNCTION_TEX.get(type(expr).__name__)
        if name is None:
            return super()._print_Function(expr, exp)
        args = ", ".join(self._print(a) for a in expr.args)
        out = rf"{name}\left({args}\right)"
        return out if exp is None else rf"{out}^{{{exp}}}"


PRINTER = ReportPrinter()


def tex(expr) -> str:
    """LaTeX for a SymPy object (or anything ``sympify`` accepts) with the report's names."""
    return PRINTER.doprint(expr if isinstance(expr, sp.Basic) else sp.sympify(expr))
