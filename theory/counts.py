"""Symbolic run counts ``n_J(r)`` (THEORY.md section 3), derived from interval conditions.

Output position ``i`` ranges over ``I = [P_lo, P_hi]`` (``[-M, M]`` for zero padding,
``[-M+h_l, M-h_r]`` for valid padding) and sees the run

    J_i(r) = [max(-h_l, -r-i), min(h_r, r-i)]          (empty when the bounds cross).

For a non-empty run ``J = [lo, hi]`` inside the window ``[-h_l, h_r]`` each end gives one
condition on ``i``:

    max(-h_l, -r-i) = lo   <=>   i = -r-lo        if lo > -h_l   (the pulse edge is inside)
                                 i >= h_l-r       if lo = -h_l   (the run reaches the window edge)
    min(h_r,  r-i)  = hi   <=>   i = r-hi         if hi < h_r
                                 i <= r-h_r       if hi = h_r

so ``{i in I : J_i(r) = J}`` is the integer interval ``max(lowers) <= i <= min(uppers)`` whose
bounds are affine in ``(r, M)``, and ``n_J(r) = Max(0, Min(uppers) - Max(lowers) + 1)``.
The empty run: the bounds cross iff ``-r-i > h_r`` or ``r-i < -h_l`` (the crossings
``-h_l > h_r`` and ``-r-i > r-i`` are impossible for ``k >= 1``, ``r >= 0``), i.e. on the two
disjoint intervals ``i <= -r-h_r-1`` and ``i >= r+h_l+1`` of ``I``; ``n_∅`` is their size sum.

Run *types* (for symbolic ``r``): ``empty``; ``full`` (``J`` = the whole window);
``prefix`` (touches the left window edge ``-h_l`` only); ``suffix`` (touches the right edge
``h_r`` only); ``interior`` (touches neither: the pulse is narrower than the window); and,
for circular padding only, ``wrapped`` (two pieces, the background gap inside the window).

Circular padding: the counts are provided *numerically only*, by :func:`theory.runs.run_counts`
(runs can wrap around the ring); :func:`symbolic_counts` raises ``ValueError`` for it, and its
bulk region (:func:`bulk_region`) is found numerically for the configuration's ``N``.

Bulk region (zeros, valid). Substitute ``r = r0 + e`` and ``M = r + H + d`` with ``e, d``
non-negative integers. An affine bound is then ``p e + q d + s``, and on the whole region
``A <= B`` iff every coefficient of ``B - A`` is ``>= 0`` (let ``e`` or ``d`` grow, or set both
to 0). So a ``Min``/``Max`` is affine on the region iff one argument dominates all others, and
``Max(0, c)`` is affine iff ``c`` is ``>= 0`` or ``<= 0`` throughout. Searching upward, first
``r0`` (with a margin ``H = k+2`` large enough that the border plays no role), then ``H``,
gives the smallest region on which every ``n_J`` is Max/Min-free. The set of good ``(r0, H)``
is upward closed (a smaller region inherits every dominance); that the corner found lies
below *every* good pair of the box ``0..k+2`` is checked in ``verify/test_r1.py``. In the
bulk only empty, full, prefix and suffix runs have non-zero counts (THEORY.md section 4).
The dominance test is exact integer arithmetic on coefficients (SymPy's own ``Max``/``Min``
evaluation is far too slow for ``k ~ 30``); :func:`bulk_sympy_mismatches` repeats the
substitution literally in SymPy with non-negative integer symbols ``e, d`` as a cross-check.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import sympy as sp

from radiuscnn.theory.config import Config
from radiuscnn.theory.runs import Run, run_counts

r_sym = sp.Symbol("r", integer=True, nonnegative=True)
M_sym = sp.Symbol("M", integer=True, nonnegative=True)
e_sym = sp.Symbol("e", integer=True, nonnegative=True)
d_sym = sp.Symbol("d", integer=True, nonnegative=True)


# --- affine forms in (r, M) ------------------------------------------------------------------
class Affine(NamedTuple):
    """The affine form ``r_coef*r + M_coef*M + const`` with integer coefficients."""

    r_coef: int
    M_coef: int
    const: int

    def expr(self) -> sp.Expr:
        return self.r_coef * r_sym + self.M_coef * M_sym + self.const

    def in_region(self, r0: int, H: int) -> tuple[int, int, int]:
        """Coefficients ``(p, q, s)`` of ``p e + q d + s`` under ``r = r0+e``, ``M = r+H+d``."""
        p = self.r_coef + self.M_coef
        return (p, self.M_coef, p * r0 + self.M_coef * H + self.const)


def _nonneg(coefs: tuple[int, ...]) -> bool:
    """An affine form in non-negative integers is ``>= 0`` everywhere iff all coefficients are."""
    return all(c >= 0 for c in coefs)


def _minus(u: tuple[int, ...], v: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(x - y for x, y in zip(u, v))


def _dominant(forms: list[tuple[int, ...]], largest: bool) -> int | None:
    """Index of a form that is ``>=`` (``largest``) or ``<=`` every other form on the whole
    region, or ``None`` when none is (then the Max/Min has a kink inside the region).
    ``f`` dominates iff ``f - g`` has non-negative coefficients for every ``g``, i.e. iff ``f``
    is the coefficient-wise maximum (minimum) of the forms."""
    pick = max if largest else min
    extreme = tuple(pick(column) for column in zip(*forms))
    return forms.index(extreme) if extreme in forms else None


# --- the interval conditions ---------------------------------------------------------------
@dataclass(frozen=True)
class Interval:
    """The integers ``i`` with ``max(lowers) <= i <= min(uppers)``, bounds affine in ``(r, M)``;
    its size is ``Max(0, Min(uppers) - Max(lowers) + 1)``."""

    lowers: tuple[Affine, ...]
    uppers: tuple[Affine, ...]


def output_range(cfg: Config) -> tuple[Affine, Affine]:
    """``(P_lo, P_hi)``: the first and last output position as affine forms in ``M``."""
    if cfg.padding == "valid":
        return Affine(0, -1, cfg.h_l), Affine(0, 1, -cfg.h_r)
    if cfg.padding == "zeros":
        return Affine(0, -1, 0), Affine(0, 1, 0)
    raise ValueError("circular padding: counts are numeric only (theory.runs.run_counts)")


def out_size_expr(cfg: Config) -> sp.Expr:
    """``|I|`` as an expression in ``M``: ``P_hi - P_lo + 1``."""
    lo, hi = output_range(cfg)
    return hi.expr() - lo.expr() + 1


def all_runs(cfg: Config) -> tuple[Run, ...]:
    """Every run that can occur (zeros/valid): the empty run and every interval of offsets
    ``[lo, hi]`` inside the window, ordered by (length, offsets)."""
    lo, hi = -cfg.h_l, cfg.h_r
    runs = [()] + [tuple(range(a, b + 1)) for a in range(lo, hi + 1) for b in range(a, hi + 1)]
    return tuple(sorted(runs, key=lambda run: (len(run), run)))


def run_type(cfg: Config, run: Run) -> str:
    """``empty``, ``full``, ``prefix``, ``suffix``, ``interior`` or ``wrapped`` (see module doc)."""
    if not run:
        return "empty"
    if len(run) == cfg.kernel:
        return "full"
    if run[-1] - run[0] + 1 != len(run):
        return "wrapped"
    left, right = run[0] == -cfg.h_l, run[-1] == cfg.h_r
    if left and right:  # contiguous, both edges, not full: impossible
        raise AssertionError(f"run {run} touches both edges but is not the full window")
    return "prefix" if left else "suffix" if right else "interior"


def count_conditions(cfg: Config) -> dict[Run, tuple[Interval, ...]]:
    """For every possible run, the integer intervals of ``i`` on which ``J_i(r) = J``
    (one interval, two for the empty run), derived as in the module docstring."""
    p_lo, p_hi = output_range(cfg)
    h_l, h_r = cfg.h_l, cfg.h_r
    out: dict[Run, tuple[Interval, ...]] = {}
    for run in all_runs(cfg):
        if not run:
            left = Interval((p_lo,), (p_hi, Affine(-1, 0, -h_r - 1)))  # i <= -r-h_r-1
            right = Interval((p_lo, Affine(1, 0, h_l + 1)), (p_hi,))  # i >= r+h_l+1
            out[run] = (left, right)
            continue
        lo, hi = run[0], run[-1]
        lowers, uppers = [p_lo], [p_hi]
        if lo > -h_l:  # i = -r-lo
            lowers.append(Affine(-1, 0, -lo))
            uppers.append(Affine(-1, 0, -lo))
        else:  # i >= h_l - r
            lowers.append(Affine(-1, 0, h_l))
        if hi < h_r:  # i = r-hi
            lowers.append(Affine(1, 0, -hi))
            uppers.append(Affine(1, 0, -hi))
        else:  # i <= r - h_r
            uppers.append(Affine(1, 0, -h_r))
        out[run] = (Interval(tuple(lowers), tuple(uppers)),)
    return out


# --- SymPy expressions -----------------------------------------------------------------------
def _prune(bounds: tuple[Affine, ...], largest: bool) -> list[Affine]:
    """Drop bounds dominated by another on the whole domain ``0 <= r <= M`` (region r0=H=0)."""
    kept: list[Affine] = []
    for index, f in enumerate(bounds):
        if f in bounds[:index]:
            continue
        fc = f.in_region(0, 0)
        beaten = any(
            g != f and _nonneg(_minus(g.in_region(0, 0), fc) if largest else _minus(fc, g.in_region(0, 0)))
            for g in bounds
        )
        if not beaten:
            kept.append(f)
    return kept


def _interval_expr(iv: Interval) -> sp.Expr:
    """``Max(0, Min(uppers) - Max(lowers) + 1)``, dominated bounds removed, built unevaluated
    (SymPy's symbolic Max/Min evaluation costs milliseconds per call)."""
    lows = [f.expr() for f in _prune(iv.lowers, largest=True)]
    ups = [f.expr() for f in _prune(iv.uppers, largest=False)]
    low = lows[0] if len(lows) == 1 else sp.Max(*lows, evaluate=False)
    up = ups[0] if len(ups) == 1 else sp.Min(*ups, evaluate=False)
    size = up - low + 1
    return sp.Max(0, size) if size.is_number else sp.Max(0, size, evaluate=False)


def symbolic_counts(cfg: Config) -> dict[Run, sp.Expr]:
    """``{J: n_J(r)}`` for every possible run, SymPy expressions in ``r`` and ``M``
    (zeros and valid padding; ``ValueError`` for circular, whose counts are numeric only)."""
    return {run: sp.Add(*(_interval_expr(iv) for iv in ivs)) for run, ivs in count_conditions(cfg).items()}


def count_mismatches(cfg: Config, counts: dict[Run, sp.Expr] | None = None) -> list[str]:
    """Compare symbolic counts (default: :func:`symbolic_counts`) with the finite
    :func:`theory.runs.run_counts` at ``M = cfg.M`` for every ``r = 0..M``; ``[]`` = agree.
    Evaluation substitutes integers into the SymPy expressions (``lambdify``, plain ints)."""
    counts = symbolic_counts(cfg) if counts is None else counts
    runs = list(counts)
    values = sp.lambdify((r_sym, M_sym), [counts[run] for run in runs], modules="math")
    problems = []
    for r in range(cfg.M + 1):
        finite = run_counts(cfg, r)
        symbolic = dict(zip(runs, values(r, cfg.M)))
        for run in sorted(set(finite) | set(runs), key=lambda j: (len(j), j)):
            want, got = finite.get(run, 0), symbolic.get(run)
            if got is None:
                problems.append(f"r={r}: run {run} (count {want}) has no symbolic count")
            elif got != want:
                problems.append(f"r={r}: run {run}: symbolic {got} != finite {want}")
    return problems


# --- the bulk region -----------------------------------------------------------------------
@dataclass(frozen=True)
class BulkRegion:
    """Radii ``r >= r0`` with margin ``M - r >= H``, on which every count is affine.

    ``counts`` maps each run with a non-zero bulk count to ``n_J`` as an affine SymPy
    expression in ``r`` and ``M`` (``symbolic``) or, for circular padding, in ``r`` for this
    ``N`` only (``symbolic=False``: found numerically, ``H = M - largest bulk radius``).
    """

    r0: int
    H: int
    counts: dict[Run, sp.Expr]
    symbolic: bool

    def contains(self, r: int, M: int) -> bool:
        return r >= self.r0 and M - r >= self.H

    def radii(self, cfg: Config) -> tuple[int, ...]:
        """The bulk radii of the data set ``cfg.radii``."""
        return tuple(r for r in cfg.radii if self.contains(r, cfg.M))


def _interval_in_region(iv: Interval, r0: int, H: int) -> tuple[int, int, int] | None:
    """The size of ``iv`` as ``(p, q, s)`` (``p e + q d + s``) when it is affine on the region."""
    lows = [f.in_region(r0, H) for f in iv.lowers]
    ups = [f.in_region(r0, H) for f in iv.uppers]
    lo, up = _dominant(lows, largest=True), _dominant(ups, largest=False)
    if lo is None or up is None:
        return None
    size = tuple(u - v for u, v in zip(ups[up], lows[lo]))
    size = (size[0], size[1], size[2] + 1)
    if _nonneg(size):
        return size
    if _nonneg(tuple(-c for c in size)):
        return (0, 0, 0)
    return None


def region_counts(
    cfg: Config, r0: int, H: int, conditions: dict[Run, tuple[Interval, ...]] | None = None
) -> dict[Run, tuple[int, int, int]] | None:
    """Every ``n_J`` as ``(p, q, s)`` on the region ``(r0, H)``, or ``None`` if some count
    still has a Max/Min there (``conditions``: :func:`count_conditions`, if already built)."""
    conditions = count_conditions(cfg) if conditions is None else conditions
    out = {}
    for run, ivs in conditions.items():
        total = (0, 0, 0)
        for iv in ivs:
            part = _interval_in_region(iv, r0, H)
            if part is None:
                return None
            total = tuple(x + y for x, y in zip(total, part))
        out[run] = total
    return out


def _region_expr(coefs: tuple[int, int, int], r0: int, H: int) -> sp.Expr:
    """``p e + q d + s`` written back in ``r, M`` (``e = r - r0``, ``d = M - r - H``)."""
    p, q, s = coefs
    return sp.expand(p * (r_sym - r0) + q * (M_sym - r_sym - H) + s)


def bulk_region(cfg: Config) -> BulkRegion | None:
    """The bulk region (module docstring). Zeros/valid: symbolic, always exists. Circular:
    numeric for ``cfg.size`` (see :func:`_circular_bulk`), ``None`` without two bulk radii
    (one radius cannot show that the counts are affine)."""
    if cfg.padding == "circular":
        return _circular_bulk(cfg)
    conditions = count_conditions(cfg)
    cap = cfg.kernel + 2  # bounds have constants within [-k, k]; beyond this nothing changes
    r0 = next((x for x in range(cap + 1) if region_counts(cfg, x, cap, conditions) is not None), None)
    if r0 is None:
        raise AssertionError(f"no bulk region with r0, H <= {cap} for k={cfg.kernel}")
    H = next(h for h in range(cap + 1) if region_counts(cfg, r0, h, conditions) is not None)
    counts = region_counts(cfg, r0, H, conditions)
    return BulkRegion(
        r0=r0,
        H=H,
        counts={run: _region_expr(c, r0, H) for run, c in counts.items() if c != (0, 0, 0)},
        symbolic=True,
    )


def _circular_bulk(cfg: Config) -> BulkRegion | None:
    """Circular padding, numerically for this ``N``. Candidates: radii at which every run is
    empty, full, prefix or suffix (no interior run: the pulse is not narrower than the window
    minus one; no wrapped run: the background gap is not inside a window). They form an
    interval (plus possibly ``r = M``, where the pulse fills the ring). The bulk is the
    longest stretch of that interval, from its first radius, on which every count is affine
    in ``r`` (the line through the first two radii, exact); ``None`` with fewer than two."""

    def candidate(r: int) -> bool:
        kinds = {run_type(cfg, run) for run in run_counts(cfg, r)}
        return kinds <= {"empty", "full", "prefix", "suffix"}

    radii = [r for r in range(cfg.M + 1) if candidate(r)]
    if len(radii) < 2 or radii[1] != radii[0] + 1:
        return None
    r1 = radii[0]
    c1, c2 = run_counts(cfg, r1), run_counts(cfg, r1 + 1)
    affine = {
        run: sp.expand(c1.get(run, 0) + (c2.get(run, 0) - c1.get(run, 0)) * (r_sym - r1))
        for run in sorted(set(c1) | set(c2), key=lambda j: (len(j), j))
    }

    def on_line(r: int) -> bool:
        values = {run: int(expr.subs(r_sym, r)) for run, expr in affine.items()}
        nonzero = {run: n for run, n in values.items() if n}
        return all(n >= 0 for n in values.values()) and nonzero == run_counts(cfg, r)

    last = r1 + 1
    while last + 1 in radii and on_line(last + 1):
        last += 1
    return BulkRegion(r0=r1, H=cfg.M - last, counts=affine, symbolic=False)


def bulk_sympy_mismatches(cfg: Config, region: BulkRegion | None = None) -> list[str]:
    """Cross-check a symbolic bulk region in plain SymPy: substitute ``r = r0+e``,
    ``M = r+H+d`` (``e, d`` non-negative integer symbols) into every :func:`symbolic_counts`
    expression; each must evaluate Max/Min-free and equal the region's affine count, and the
    region must be minimal (at ``r0-1`` resp. ``H-1`` some count keeps a Max/Min).
    Slow (SymPy's Max/Min evaluation): meant for small ``k``. ``[]`` = agree."""
    region = bulk_region(cfg) if region is None else region
    counts = symbolic_counts(cfg)
    problems = []

    def substituted(r0: int, H: int) -> dict[Run, sp.Expr]:
        sub = {r_sym: r0 + e_sym, M_sym: r0 + e_sym + H + d_sym}
        return {run: sp.expand(expr.subs(sub)) for run, expr in counts.items()}

    sub = {e_sym: r_sym - region.r0, d_sym: M_sym - r_sym - region.H}
    for run, expr in substituted(region.r0, region.H).items():
        if expr.has(sp.Max, sp.Min):
            problems.append(f"run {run}: still {expr} on the region")
        elif sp.expand(expr.subs(sub) - region.counts.get(run, 0)) != 0:
            problems.append(f"run {run}: SymPy gives {expr}, region says {region.counts.get(run, 0)}")
    for name, (r0, H) in (("r0", (region.r0 - 1, region.H)), ("H", (region.r0, region.H - 1))):
        if min(r0, H) >= 0 and not any(x.has(sp.Max, sp.Min) for x in substituted(r0, H).values()):
            problems.append(f"region not minimal in {name}: ({r0}, {H}) is also Max/Min-free")
    return problems
