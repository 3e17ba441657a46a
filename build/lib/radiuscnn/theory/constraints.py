"""Fixed amplitude: the zero-loss linear system and its bulk reduction (THEORY.md section 4).

With ``A = {a}`` the output depends on the parameters only through the run responses
``g_J = sum_c v_c sigma(a W_c[J] + b_c)`` and ``beta``, and zero loss is the linear system

    beta + (1/|I|) sum_J n_J(r) g_J = r        for every r in R,

one unknown ``g_J`` per distinct run of the data (:func:`theory.runs.runs_in_data`) plus
``beta``. Claim F1: its rank and identifiable combinations (a basis of the row space, read
off the reduced row echelon form, exact over QQ). Since ``sum_J n_J(r) = |I|`` for every
``r``, the *gauge* ``g_J -> g_J + c, beta -> beta - c`` changes no equation.

Bulk reduction: on the bulk radii the counts are affine in ``r`` (:func:`theory.counts.bulk_region`),
so each bulk equation is ``slope * r + intercept = 0`` with ``slope`` and ``intercept``
linear in the unknowns; two distinct bulk radii force both to vanish. Splitting the affine
equation into its ``r``-coefficient and constant gives the slope equation (THEORY.md:
``(2/|I|)(g_full - g_empty) = 1``, i.e. ``sum_c v_c [sigma(a S_c + b_c) - sigma(b_c)] = |I|/2``)
and one intercept equation; both are derived here, not typed in.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import reduce
from math import gcd, lcm

import sympy as sp
from sympy.polys.domains import QQ
from sympy.polys.matrices import DomainMatrix

from radiuscnn.theory.config import Config
from radiuscnn.theory.counts import BulkRegion, M_sym, bulk_region, r_sym
from radiuscnn.theory.runs import Run, run_counts, run_pattern, runs_in_data
from radiuscnn.theory.symbolic import network_symbols, unit

beta_sym = sp.Symbol("beta", real=True)


def pattern_label(cfg: Config, run: Run) -> str:
    """The 0/1 window content of ``run`` as a string, e.g. ``'00111'``."""
    return "".join(str(x) for x in run_pattern(cfg, run))


def g_symbol(cfg: Config, run: Run) -> sp.Symbol:
    """The unknown ``g_J``, named by the window content: ``g_00111``."""
    return sp.Symbol(f"g_{pattern_label(cfg, run)}", real=True)


@dataclass(frozen=True)
class LinearSystem:
    """``matrix @ unknowns = rhs``: one row per radius, columns ``g_J`` (runs in order) then
    ``beta``; entries ``n_J(r)/|I|`` and ``1`` in QQ, ``rhs = r``."""

    runs: tuple[Run, ...]
    unknowns: tuple[sp.Symbol, ...]
    radii: tuple[int, ...]
    matrix: DomainMatrix
    rhs: DomainMatrix

    def equations(self) -> list[sp.Eq]:
        rows = self.matrix.to_Matrix()
        return [
            sp.Eq(sum(rows[i, j] * x for j, x in enumerate(self.unknowns)), r, evaluate=False)
            for i, r in enumerate(self.radii)
        ]


def linear_system(cfg: Config) -> LinearSystem:
    """The zero-loss system of ``cfg`` (its amplitude does not enter: unknowns are ``g_J``)."""
    runs = runs_in_data(cfg)
    size = cfg.out_size
    rows = []
    for r in cfg.radii:
        counts = run_counts(cfg, r)
        rows.append([QQ(counts.get(run, 0), size) for run in runs] + [QQ(1)])
    n = len(runs) + 1
    return LinearSystem(
        runs=runs,
        unknowns=tuple(g_symbol(cfg, run) for run in runs) + (beta_sym,),
        radii=cfg.radii,
        matrix=DomainMatrix(rows, (len(rows), n), QQ),
        rhs=DomainMatrix([[QQ(r)] for r in cfg.radii], (len(rows), 1), QQ),
    )


def rank(system: LinearSystem) -> int:
    """Exact rank of the coefficient matrix (:func:`reduce_system` gives it too)."""
    return system.matrix.rank()


def _primitive(row: list) -> list[sp.Integer]:
    """Scale a rational row to coprime integers with a positive first non-zero entry."""
    q = [sp.Rational(x.numerator, x.denominator) for x in row]
    den = reduce(lcm, (int(x.q) for x in q), 1)
    ints = [int(x * den) for x in q]
    g = reduce(gcd, (abs(x) for x in ints), 0) or 1
    sign = -1 if next((x for x in ints if x), 1) < 0 else 1
    return [sp.Integer(sign * x // g) for x in ints]


@dataclass(frozen=True)
class Reduction:
    """The exact reduction of ``[A | r]``: ``rank`` of ``A``, ``consistent`` (some ``(g, beta)``
    solves every equation) and ``identifiable``, a basis of the row space of ``A`` as
    ``Eq(combination, value)`` with coprime integer coefficients (bare combinations when the
    system is inconsistent, as values are then meaningless)."""

    rank: int
    consistent: bool
    identifiable: tuple


def reduce_system(system: LinearSystem) -> Reduction:
    """One RREF of ``[A | r]`` over QQ. Its first ``n`` columns are the RREF of ``A``, so the
    pivots left of the last column count ``rank A``, and a pivot in the last column means the
    system is inconsistent."""
    n = len(system.unknowns)
    reduced, pivots = system.matrix.hstack(system.rhs).rref()
    rows = reduced.to_list()
    consistent = n not in pivots
    out = []
    for index, pivot in enumerate(pivots):
        if pivot == n:
            continue
        row = _primitive(rows[index] if consistent else rows[index][:n])
        combination = sp.Add(*(c * x for c, x in zip(row[:n], system.unknowns)))
        out.append(sp.Eq(combination, row[n], evaluate=False) if consistent else combination)
    return Reduction(rank=sum(1 for p in pivots if p < n), consistent=consistent, identifiable=tuple(out))


def gauge_direction(system: LinearSystem) -> tuple[int, ...]:
    """``+1`` on every ``g_J`` and ``-1`` on ``beta``: invisible because ``sum_J n_J(r) = |I|``."""
    return (1,) * len(system.runs) + (-1,)


def is_null(system: LinearSystem, direction) -> bool:
    """Whether ``matrix @ direction = 0`` exactly."""
    column = DomainMatrix([[QQ(x)] for x in direction], (len(direction), 1), QQ)
    return (system.matrix * column).is_zero_matrix


# --- the bulk reduction ----------------------------------------------------------------------
@dataclass(frozen=True)
class BulkEquations:
    """Slope and intercept equations on the bulk radii ``radii`` of the data.

    ``slope_g``/``intercept_g`` are in the run responses ``g_J`` and ``beta``; ``slope`` and
    ``intercept`` substitute ``g_J = sum_c v_c sigma(a W_c[J] + b_c)`` (``a`` the amplitude
    symbol). ``implied`` is True when the data hold two bulk radii, so that the bulk
    equations are *equivalent* to slope and intercept; with one bulk radius they are only
    sufficient. ``affine`` is the per-radius bulk equation ``slope*r + intercept`` (= 0).
    """

    radii: tuple[int, ...]
    slope_g: sp.Eq
    intercept_g: sp.Eq
    slope: sp.Eq
    intercept: sp.Eq
    implied: bool
    affine: sp.Expr


def _network_form(cfg: Config, coefficients: dict[Run, sp.Rational]) -> sp.Expr:
    """``sum_J coefficient_J g_J`` with ``g_J`` written out, grouped by channel:
    ``sum_c v_c sum_J coefficient_J sigma(a W_c[J] + b_c)``."""
    v = network_symbols(cfg).v
    return sp.Add(
        *(
            v[c] * sp.Add(*(coef * unit(cfg, c, run) for run, coef in coefficients.items()))
            for c in range(cfg.channels)
        )
    )


def _linear_parts(expr: sp.Expr, symbols: dict[Run, sp.Symbol]) -> tuple[dict[Run, sp.Rational], sp.Expr]:
    """``expr = sum_J coefficient_J g_J + rest``: the non-zero coefficients and the rest."""
    coefficients = {j: expr.coeff(x) for j, x in symbols.items()}
    coefficients = {j: c for j, c in coefficients.items() if c != 0}
    rest = sp.expand(expr - sp.Add(*(c * symbols[j] for j, c in coefficients.items())))
    return coefficients, rest


def bulk_equations(cfg: Config, region: BulkRegion | None = None) -> BulkEquations | None:
    """Derive the slope and intercept equations from the affine bulk counts, or ``None`` when
    no radius of the data lies in the bulk (or there is no bulk region).

    The bulk equation ``E(r) = beta + (1/|I|) sum_J n_J(r) g_J - r`` is affine in ``r``;
    ``slope = dE/dr`` and ``intercept = E(0)`` are read off as SymPy coefficients. The slope
    equation ``slope = 0`` is scaled to coprime integer coefficients on the ``g_J``."""
    region = bulk_region(cfg) if region is None else region
    if region is None or not region.radii(cfg):
        return None
    counts = {run: sp.expand(n.subs(M_sym, cfg.M)) for run, n in region.counts.items()}
    g = {run: g_symbol(cfg, run) for run in counts}
    equation = sp.expand(beta_sym + sp.Add(*(counts[j] * g[j] for j in counts)) / cfg.out_size - r_sym)
    slope, intercept = equation.coeff(r_sym, 1), equation.coeff(r_sym, 0)
    assert sp.expand(slope * r_sym + intercept - equation) == 0, "bulk equation is not affine in r"

    s, s_const = _linear_parts(slope, g)  # slope = sum_J s_J g_J + s_const
    scale = reduce(lcm, (int(x.q) for x in s.values()), 1)
    scale = sp.Rational(scale, reduce(gcd, (abs(int(x * scale)) for x in s.values()), 0) or 1)
    s = {j: x * scale for j, x in s.items()}
    s_rhs = -s_const * scale

    t, t_rest = _linear_parts(intercept, g)  # intercept = beta + sum_J t_J g_J + t_const
    t_const = sp.expand(t_rest - beta_sym)
    assert not t_const.free_symbols, "intercept must be beta + sum_J t_J g_J + constant"
    return BulkEquations(
        radii=region.radii(cfg),
        slope_g=sp.Eq(sp.Add(*(x * g[j] for j, x in s.items())), s_rhs, evaluate=False),
        intercept_g=sp.Eq(beta_sym + sp.Add(*(x * g[j] for j, x in t.items())), -t_const, evaluate=False),
        slope=sp.Eq(_network_form(cfg, s), s_rhs, evaluate=False),
        intercept=sp.Eq(beta_sym + _network_form(cfg, t), -t_const, evaluate=False),
        implied=len(region.radii(cfg)) >= 2,
        affine=equation,
    )
