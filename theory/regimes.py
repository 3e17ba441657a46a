"""Piecewise-linear calculus over an amplitude interval (THEORY.md section 5).

For a piecewise-linear activation ``sigma`` with pieces ``sigma(z) = s_p z + t_p`` and one
(channel, run) term of the run decomposition (section 3)

    z_{c,J}(a) = a W_c[J] + b_c,        a in A = [a_min, a_max],

the pre-activation is affine in ``a``. Either it stays on one piece ``p(c,J)`` for the whole
interval (the *generic* case), or it crosses a breakpoint ``z*`` of ``sigma`` at the *kink
amplitude* ``a* = (z* - b_c) / W_c[J]`` strictly inside ``A`` (a 'crossing' term).

When every term of radius ``r`` is on one piece, ``y(r, a)`` is affine in ``a``:

    y(r, a) - r = value(r) + (a/|I|) slope(r)

with the two equations of section 5

    slope(r) = sum_c v_c sum_J n_J(r) s_{p(c,J)} W_c[J]                       (= 0)
    value(r) = beta + (1/|I|) sum_c v_c sum_J n_J(r) (s_p b_c + t_p) - r       (= 0)

so zero loss for all ``a`` is exactly ``slope(r) = value(r) = 0``. With crossing terms the
interval splits at the kinks into sub-intervals on each of which the same two equations hold
(a kink must be cancelled by other terms with the same kink to keep ``y`` affine; that is
non-generic and is reported, never assumed away).

This module gives: the regime of each term (:func:`term_regime`, :func:`network_regime`), the
two equations as SymPy expressions for symbolic weights and a per-term piece assignment
(:func:`slope_equation`, :func:`value_equation`), their exact numeric residuals for given
weights (:func:`residuals`; both through :func:`theory.section5.slope_value`), and the *bulk pairs* of consecutive radii on which the run counts
change only on the empty and the full run (:func:`bulk_pairs`), which section 5's structure
and width arguments difference.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Mapping

import sympy as sp

from radiuscnn.theory.activations import PiecewiseLinear
from radiuscnn.theory.config import Config
from radiuscnn.theory.network import Params
from radiuscnn.theory.runs import Run, run_counts, run_sum, runs_in_data
from radiuscnn.theory.section5 import slope_value
from radiuscnn.theory.symbolic import NetworkSymbols
from radiuscnn.theory.symbolic import network_symbols as symbolic_symbols

TermKey = tuple[int, Run]  # (channel c, run J)


# --------------------------------------------------------------------------------------------
# Regimes of single terms
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class TermRegime:
    """The piece of ``sigma(a W + b)`` over ``[a_min, a_max]``.

    ``piece`` is the index into ``sigma.pieces`` when the term is on one piece for the whole
    interval (``None`` when it crosses); ``kinks`` are the kink amplitudes
    ``a* = (z* - b)/W`` strictly inside ``(a_min, a_max)``.
    """

    channel: int
    run: Run
    run_sum: Fraction
    bias: Fraction
    piece: int | None
    kinks: tuple[Fraction, ...]

    @property
    def crossing(self) -> bool:
        return bool(self.kinks)

    @property
    def status(self) -> str:
        return "crossing" if self.kinks else "piece"


def kink_amplitudes(act: PiecewiseLinear, W, b, a_min, a_max) -> tuple[Fraction, ...]:
    """Amplitudes ``a* = (z* - b)/W`` in the open interval ``(a_min, a_max)``, one per
    breakpoint ``z*`` of ``sigma`` that ``z(a) = a W + b`` crosses (none when ``W = 0``)."""
    if W == 0:
        return ()
    inside = {(z - b) / W for z in act.breakpoints}
    return tuple(sorted(a for a in inside if a_min < a < a_max))


def term_regime(
    act: PiecewiseLinear, W, b, a_min, a_max, channel: int = 0, run: Run = ()
) -> TermRegime:
    """Regime of the term ``sigma(a W + b)`` for ``a`` in ``[a_min, a_max]``.

    Without a kink inside, ``z(a)`` stays in one closed piece; that piece is the one holding
    ``z`` at the midpoint amplitude (at a breakpoint touched only at an endpoint both pieces
    agree there, and the midpoint picks the piece used on the rest of the interval).
    """
    W, b = Fraction(W), Fraction(b)
    kinks = kink_amplitudes(act, W, b, a_min, a_max)
    piece = None if kinks else act.piece_index((Fraction(a_min) + Fraction(a_max)) / 2 * W + b)
    return TermRegime(channel, run, W, b, piece, kinks)


@dataclass(frozen=True)
class Regime:
    """The regime of every (channel, run) term of a network over the data's runs."""

    terms: tuple[TermRegime, ...]

    @property
    def crossings(self) -> tuple[TermRegime, ...]:
        return tuple(t for t in self.terms if t.crossing)

    @property
    def generic(self) -> bool:
        """True when no term crosses a breakpoint inside the interval."""
        return not self.crossings

    @property
    def assignment(self) -> dict[TermKey, int]:
        """``{(c, J): p(c, J)}`` for the terms that are on one piece."""
        return {(t.channel, t.run): t.piece for t in self.terms if not t.crossing}

    def term(self, channel: int, run: Run) -> TermRegime:
        for t in self.terms:
            if t.channel == channel and t.run == run:
                return t
        raise KeyError((channel, run))


def network_regime(cfg: Config, params: Params, act: PiecewiseLinear) -> Regime:
    """Regime of every term ``(c, J)`` with ``J`` a run of the data (``cfg.radii``)."""
    terms = []
    for c in range(params.channels):
        for run in runs_in_data(cfg):
            W = run_sum(params.w[c], cfg, run)
            terms.append(term_regime(act, W, params.b[c], cfg.a_min, cfg.a_max, c, run))
    return Regime(tuple(terms))


def radius_kinks(cfg: Config, params: Params, act: PiecewiseLinear, r: int) -> tuple[Fraction, ...]:
    """All kink amplitudes of radius ``r`` strictly inside ``(a_min, a_max)``, sorted."""
    kinks = set()
    for c in range(params.channels):
        for run in run_counts(cfg, r):
            W = run_sum(params.w[c], cfg, run)
            kinks.update(kink_amplitudes(act, W, params.b[c], cfg.a_min, cfg.a_max))
    return tuple(sorted(kinks))


# --------------------------------------------------------------------------------------------
# The slope and value equations, symbolically
# --------------------------------------------------------------------------------------------
def network_symbols(cfg: Config, channels: int = 1) -> NetworkSymbols:
    """Real symbols ``w_{c,t}``, ``b_c``, ``v_c``, ``beta`` (channel index omitted when C = 1)."""
    return symbolic_symbols(cfg, channels, compact=channels == 1)


def symbolic_run_sum(sym: NetworkSymbols, cfg: Config, c: int, run: Run) -> sp.Expr:
    """``W_c[J]`` as a sum of tap symbols (``0`` for the empty run)."""
    return sp.Add(*[sym.w[c][t + cfg.h_l] for t in run])


PieceMap = Mapping[TermKey, tuple]  # (c, J) -> (s_p, t_p), numbers or SymPy expressions


def pieces_from_assignment(act: PiecewiseLinear, assignment: Mapping[TermKey, int]) -> dict:
    """Turn ``{(c, J): piece index}`` into ``{(c, J): (s_p, t_p)}`` with SymPy rationals."""
    return {
        key: (sp.Rational(act.pieces[p].slope), sp.Rational(act.pieces[p].intercept))
        for key, p in assignment.items()
    }


def _piece(pieces: PieceMap, c: int, run: Run):
    try:
        return pieces[(c, run)]
    except KeyError:
        raise KeyError(f"no piece given for channel {c}, run {run}") from None


def _symbolic_slope_value(cfg: Config, r: int, pieces: PieceMap, sym: NetworkSymbols):
    terms = [(c, run, sym.v[c], sp.Rational(n, cfg.out_size))
             for c in range(len(sym.b)) for run, n in run_counts(cfg, r).items()]
    return slope_value(terms, lambda c, run: _piece(pieces, c, run),
                       lambda c, run: symbolic_run_sum(sym, cfg, c, run), lambda c: sym.b[c],
                       sym.beta, r, cfg.out_size)


def slope_equation(cfg: Config, r: int, pieces: PieceMap, sym: NetworkSymbols) -> sp.Expr:
    """``sum_c v_c sum_J n_J(r) s_{p(c,J)} W_c[J]`` (zero loss for all ``a`` needs it ``= 0``;
    built by :func:`theory.section5.slope_value`)."""
    return sp.expand(_symbolic_slope_value(cfg, r, pieces, sym)[0])


def value_equation(cfg: Config, r: int, pieces: PieceMap, sym: NetworkSymbols) -> sp.Expr:
    """``beta + (1/|I|) sum_c v_c sum_J n_J(r) (s_p b_c + t_p) - r`` (must be ``= 0``)."""
    return sp.expand(_symbolic_slope_value(cfg, r, pieces, sym)[1])


# --------------------------------------------------------------------------------------------
# Exact numeric residuals
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Residual:
    """The two equations of radius ``r`` on the sub-interval ``[lo, hi]`` of ``A``, evaluated
    exactly; on that sub-interval ``y(r, a) - r = value + a * slope / |I|``."""

    r: int
    lo: Fraction
    hi: Fraction
    slope: Fraction
    value: Fraction

    @property
    def zero(self) -> bool:
        return self.slope == 0 and self.value == 0


def residuals(cfg: Config, params: Params, act: PiecewiseLinear) -> tuple[Residual, ...]:
    """Slope and value residuals for every radius of ``cfg.radii`` and every sub-interval
    between consecutive kinks (one sub-interval per radius when the regime is generic).
    GAP head only."""
    if cfg.head != "gap":
        raise ValueError("the slope/value equations are stated for the GAP head")
    out = []
    for r in cfg.radii:
        cuts = (cfg.a_min, *radius_kinks(cfg, params, act, r), cfg.a_max)
        terms = [(c, run, params.v[c], Fraction(n, cfg.out_size))
                 for c in range(params.channels) for run, n in run_counts(cfg, r).items()]

        def W(c, run):
            return run_sum(params.w[c], cfg, run)

        for lo, hi in zip(cuts[:-1], cuts[1:]):
            mid = (lo + hi) / 2

            def piece(c, run, mid=mid):
                p = act.pieces[act.piece_index(mid * W(c, run) + params.b[c])]
                return p.slope, p.intercept

            slope, value = slope_value(terms, piece, W, lambda c: params.b[c], params.beta, r, cfg.out_size)
            out.append(Residual(r, lo, hi, Fraction(slope), Fraction(value)))
    return tuple(out)


# --------------------------------------------------------------------------------------------
# Bulk pairs
# --------------------------------------------------------------------------------------------
def count_difference(cfg: Config, r: int) -> dict[Run, int]:
    """``Delta n_J = n_J(r+1) - n_J(r)`` on the runs where it is non-zero."""
    before, after = run_counts(cfg, r), run_counts(cfg, r + 1)
    runs = set(before) | set(after)
    diff = {J: after.get(J, 0) - before.get(J, 0) for J in runs}
    return {J: d for J, d in sorted(diff.items(), key=lambda x: (len(x[0]), x[0])) if d}


def full_run(cfg: Config) -> Run:
    """The run of a window lying inside the pulse: all offsets ``-h_l .. h_r``."""
    return cfg.offsets


def is_bulk_pair(cfg: Config, r: int) -> bool:
    """``(r, r+1)`` is a bulk pair when the run counts change only on the empty run and the
    full run (every partial run keeps its count): the pulse is wider than the window and the
    windows straddling its edges do not reach the border. Then ``Delta n_F = -Delta n_E > 0``."""
    if r + 1 > cfg.M:
        return False
    diff = count_difference(cfg, r)
    return set(diff) == {(), full_run(cfg)} and diff[full_run(cfg)] > 0


def bulk_pairs(cfg: Config) -> tuple[int, ...]:
    """Radii ``r`` with ``r`` and ``r+1`` both in ``cfg.radii`` forming a bulk pair."""
    radii = set(cfg.radii)
    return tuple(r for r in cfg.radii if r + 1 in radii and is_bulk_pair(cfg, r))
