"""A4 by exhaustive search over regimes (THEORY.md sections 5 and 10).

For a piecewise-linear ``sigma`` (pieces ``sigma(z) = s_p z + t_p`` on ``[lo_p, hi_p]``), ``C``
channels and the GAP head, a *regime* assigns every (channel, run) term ``(c, J)`` of the data
one piece ``p(c, J)`` for the whole interval ``A = [a_min, a_max]``, and every channel a sign
``sgn_c`` of its output weight ``v_c = sgn_c nu_c`` (``nu_c > 0``). In the lifted parameters of
section 10, ``U_c = v_c (w_c, b_c)`` (``U_c[J] = v_c W_c[J]``, ``U_c[b] = v_c b_c``), the
regime's conditions are *linear* in ``x = (beta, U_1, nu_1, .., U_C, nu_C)``:

    piece:  lo_p nu_c <= sgn_c (a U_c[J] + U_c[b]) <= hi_p nu_c     for a in {a_min, a_max}
    slope:  sum_c sum_J n_J(r) s_p U_c[J] = 0                                         (r in R)
    value:  beta + (1/|I|) sum_c sum_J n_J(r) (s_p U_c[b] + t_p sgn_c nu_c) = r       (r in R)

(the piece conditions are ``z = a W + b in [lo_p, hi_p]`` multiplied by ``v_c``; ``z`` is
affine in ``a`` so the two endpoints suffice). Conversely a solution with ``nu_c > 0`` maps
back to ``v_c = sgn_c nu_c``, ``(w_c, b_c) = U_c / v_c``, a network exact on ``R x A``. For a
positively homogeneous ``sigma`` (relu, leaky_relu, abs: breakpoint 0, intercepts 0) ``nu_c``
drops out and is set to 1 (the gauge ``(w, b, v) -> (lambda w, lambda b, v/lambda)``).

The search is a depth-first enumeration of the terms (radius by radius, so each radius's two
equations join as soon as its runs are assigned), pruned by the floating-point feasibility of
the partial system (HiGHS: one model per search whose rows follow the depth-first stack,
:class:`theory.float_lp.IncrementalLP`). Floating point only prunes and proposes. A feasible
leaf is solved again in exact rational arithmetic (:func:`theory.exact_lp.exact_point`), mapped
back to a network and *proved* by :func:`theory.proof.prove`. When no leaf is feasible, every
pruned node is re-checked exactly (a Farkas certificate checked in ``Fraction`` arithmetic,
:func:`theory.exact_lp.farkas_certificate`); only then is the search *certified*.

All coefficients are integer multiples of ``1/L`` (:func:`_denominator`), so the rows are
kept as integers: the equations of an assignment are exact integer sums of per-term parts,
the float rows are the correctly rounded rationals, and the exact ``Fraction`` rows of a node
are rebuilt from its assignment only where exact work happens (leaves and pruned nodes).

Completeness. The search covers the *generic* regimes (each term on one piece). For one
channel and a ``sigma`` with a single breakpoint (relu, leaky_relu, abs) these are all exact
solutions: terms crossing the breakpoint inside ``A`` make ``y(r, .)`` kink with slope jumps
``v n_J(r) |W[J]| (s_right - s_left)`` of one sign, which do not cancel, while ``y(r, .) = r``
is constant. With several breakpoints (hardtanh) or several channels, kinks can cancel and the
search gives constructions (upper bounds) only.

Budget: at most ``max_lps`` floating-point LPs and ``max_exact`` exact re-checks; a search
that hits either says so (``status = 'cut'``) and proves nothing about infeasibility.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache

import numpy as np

from radiuscnn.theory import exact_lp
from radiuscnn.theory.activations import PiecewiseLinear
from radiuscnn.theory.config import Config
from radiuscnn.theory.float_lp import IncrementalLP, RowBlock
from radiuscnn.theory.network import Params
from radiuscnn.theory.proof import Verdict, prove
from radiuscnn.theory.rational import common_denominator
from radiuscnn.theory.runs import Run, run_counts

MAX_LEAVES = 1100   # exhaustive search only when sign patterns x P^terms is at most this
MAX_LPS = 2500      # floating-point LPs of an exhaustive search
FIND_LPS = 40       # LPs spent looking for a construction when exhaustion is refused up front
MAX_EXACT = 600
INT64_SAFE = 2**62  # integer rows stay int64 while every sum is below this, else Python ints
FLOAT_EXACT = 2**53  # integers up to this are exact in float64


@dataclass(frozen=True)
class SearchResult:
    """Outcome of :func:`search_regimes` at width ``channels``.

    ``status``: 'found' (a construction proved exact: ``params``, ``verdict``, ``pattern``),
    'infeasible' (every generic regime infeasible; ``certified`` when every pruned node was
    re-checked in exact arithmetic), 'cut' (budget exhausted). ``complete``: generic regimes are
    all solutions (one channel, one breakpoint), so 'infeasible' and certified excludes width
    ``channels``."""

    channels: int
    status: str
    certified: bool
    complete: bool
    lps: int
    exact_checks: int
    params: Params | None
    verdict: Verdict | None
    pattern: tuple | None
    reason: str

    @property
    def found(self) -> bool:
        return self.status == "found"

    @property
    def excludes(self) -> bool:
        """Whether this search proves that no network of this width is exact."""
        return self.status == "infeasible" and self.certified and self.complete


def homogeneous(sigma: PiecewiseLinear) -> bool:
    """Breakpoints all 0 and intercepts all 0: ``sigma(lambda z) = lambda sigma(z)``, ``lambda > 0``."""
    return all(z == 0 for z in sigma.breakpoints) and all(p.intercept == 0 for p in sigma.pieces)


class _Layout:
    """Variable indices of ``x = (beta, U_1[taps], U_1[b], nu_1, ...)``."""

    def __init__(self, cfg: Config, channels: int):
        self.k, self.C = cfg.kernel, channels
        self.per = cfg.kernel + 2
        self.n = 1 + channels * self.per

    def tap(self, c: int, q: int) -> int:
        return 1 + c * self.per + q

    def bias(self, c: int) -> int:
        return 1 + c * self.per + self.k

    def nu(self, c: int) -> int:
        return 1 + c * self.per + self.k + 1


def _term_order(cfg: Config, channels: int) -> tuple[list[tuple[int, Run]], dict[int, int]]:
    """Terms ``(c, J)`` radius by radius; ``done[r]`` = number of terms after which every run
    of radius ``r`` is assigned (the radius's equations join there)."""
    terms, seen, done = [], set(), {}
    for r in cfg.radii:
        for J in sorted(run_counts(cfg, r), key=lambda j: (len(j), j)):
            if J not in seen:
                seen.add(J)
                terms += [(c, J) for c in range(channels)]
        done[r] = len(terms)
    return terms, done


def _denominator(cfg: Config, sigma: PiecewiseLinear) -> int:
    """``L``: every coefficient and right-hand side of the search's rows is an integer multiple
    of ``1/L``. The piece rows combine ``1``, ``a_min``, ``a_max`` and the breakpoints with
    integer weights; the equations ``n s_p``, ``n s_p / |I|``, ``n t_p / |I|``, ``1`` and the
    radius ``r``. So ``L`` = lcm of the denominators of ``a_min``, ``a_max``, the breakpoints and
    ``s_p / |I|``, ``t_p / |I|``."""
    values = [Fraction(cfg.a_min), Fraction(cfg.a_max)]
    for piece in sigma.pieces:
        values += [Fraction(x) for x in (piece.lo, piece.hi) if x is not None]
        values += [Fraction(piece.slope) / cfg.out_size, Fraction(piece.intercept) / cfg.out_size]
    return common_denominator(values)[1]


def _integer(x, L: int) -> int:
    """``L x`` for a rational ``x`` with ``L x`` an integer (:func:`_denominator`)."""
    q = Fraction(x) * L
    if q.denominator != 1:
        raise AssertionError(f"{x} is not a multiple of 1/{L}")
    return q.numerator


def _piece_rows(cfg, lay, sigma, c, J, p, sgn, L):
    """Rows ``coef . x <= 0`` for term ``(c, J)`` on piece ``p``, each as ``{column: L coef}``:
    ``lo nu_c - sgn (a U_c[J] + U_c[b]) <= 0`` and ``sgn (a U_c[J] + U_c[b]) - hi nu_c <= 0`` at
    ``a = a_min`` and (for a nonempty run) ``a = a_max``, in that order."""
    piece = sigma.pieces[p]
    rows = []
    amps = (cfg.a_min,) if not J else (cfg.a_min, cfg.a_max)
    for a in amps:
        e = {lay.bias(c): sgn * L}
        for t in J:
            q = lay.tap(c, t + cfg.h_l)
            e[q] = e.get(q, 0) + sgn * _integer(a, L)
        if piece.lo is not None:  # -e + lo nu <= 0
            row = {i: -x for i, x in e.items()}
            row[lay.nu(c)] = row.get(lay.nu(c), 0) + _integer(piece.lo, L)
            rows.append(row)
        if piece.hi is not None:  # e - hi nu <= 0
            row = dict(e)
            row[lay.nu(c)] = row.get(lay.nu(c), 0) - _integer(piece.hi, L)
            rows.append(row)
    return rows


def _equation_parts(cfg, lay, sigma, r, terms, L) -> np.ndarray:
    """``parts[j, p, s]``: term ``terms[j] = (c, J)``'s share, on piece ``p`` with sign
    ``sgn_c = (1, -1)[s]``, of radius ``r``'s (slope, value) equations, times ``L``:
    ``n_J(r) s_p`` on the taps of ``J``; ``n_J(r) s_p / |I|`` on ``U_c[b]`` and
    ``n_J(r) t_p sgn_c / |I|`` on ``nu_c``. Shape ``(len(terms), P, 2, 2, n)``, integers, so
    the equations of an assignment are an exact integer sum (:meth:`_Search.equation_sums`)."""
    counts = run_counts(cfg, r)
    # per piece and sign: L s_p, L s_p / |I| and L t_p sgn / |I|, integers by the choice of L
    per = [[(_integer(piece.slope, L), _integer(Fraction(piece.slope) / cfg.out_size, L),
             _integer(Fraction(piece.intercept) * sgn / cfg.out_size, L)) for sgn in (1, -1)]
           for piece in sigma.pieces]
    # int64 while every sum of parts (and the beta coefficient L) stays far below 2^63; beyond
    # that (huge denominators: amplitudes like 1/(2^61 - 1)) Python integers, never a wrap-around
    biggest = max(abs(x) for signed in per for triple in signed for x in triple)
    bound = L + biggest * sum(counts[J] for _, J in terms)
    parts = np.zeros((len(terms), len(sigma.pieces), 2, 2, lay.n), dtype=np.int64 if bound < INT64_SAFE else object)
    for j, (c, J) in enumerate(terms):
        n = counts[J]
        for p, signed in enumerate(per):
            for s, (slope, slope_b, intercept_nu) in enumerate(signed):
                for t in J:
                    parts[j, p, s, 0, lay.tap(c, t + cfg.h_l)] += n * slope
                parts[j, p, s, 1, lay.bias(c)] += n * slope_b
                parts[j, p, s, 1, lay.nu(c)] += n * intercept_nu
    return parts


def _rounded(values, L: int) -> np.ndarray:
    """``v / L`` for integers ``v`` as float64, each the correctly rounded rational
    (``float(Fraction(v, L))``): one float division when ``v`` and ``L`` are exact in float64,
    else Python's ``int / int`` (itself correctly rounded)."""
    values = np.asarray(values)
    if values.dtype != object and L <= FLOAT_EXACT and (values.size == 0 or np.abs(values).max() <= FLOAT_EXACT):
        return values.astype(np.float64) / L
    return np.array([int(v) / L for v in values.tolist()], dtype=np.float64)


def _float_rows(rows: list[dict], L: int) -> RowBlock:
    """Integer rows ``{column: L coef}`` of ``coef . x <= 0`` as float rows (:func:`_rounded`)."""
    starts, index, value = [], [], []
    for row in rows:
        starts.append(len(index))
        for j, v in row.items():
            if v:
                index.append(j)
                value.append(v)
    return RowBlock(np.full(len(rows), -np.inf), np.zeros(len(rows)), starts, index,
                    _rounded(np.array(value, dtype=object), L))


def _exact_rows(rows: list[dict], rhs: list[int], L: int) -> list[tuple[dict, Fraction]]:
    """Integer rows as the exact rows ``({column: Fraction}, Fraction)`` of :mod:`theory.exact_lp`."""
    return [({j: Fraction(v, L) for j, v in row.items() if v}, Fraction(b, L)) for row, b in zip(rows, rhs)]


class _Budget(Exception):
    pass


class _Search:
    """One regime search. The rows are kept as integers (coefficients times ``L``,
    :func:`_denominator`); a depth-first node is its piece assignment, its float rows live in
    one :class:`theory.float_lp.IncrementalLP`, and its exact ``Fraction`` rows are rebuilt
    from the assignment only where exact work happens (leaves and pruned nodes)."""

    def __init__(self, cfg, sigma, channels, max_lps, max_exact):
        self.cfg, self.sigma, self.C = cfg, sigma, channels
        self.lay = _Layout(cfg, channels)
        self.homog = homogeneous(sigma)
        self.terms, self.done = _term_order(cfg, channels)
        self.after = {}
        for r, i in self.done.items():
            self.after.setdefault(i, []).append(r)
        self.max_lps, self.max_exact = max_lps, max_exact
        self.lps = 0
        self.pruned: list[tuple[tuple[int, ...], tuple[int, ...]]] = []  # (assignment, signs)
        self.float_feasible_unproved = 0
        self.L = _denominator(cfg, sigma)
        self._pieces: dict[tuple[int, int, int], tuple[list[dict], RowBlock, list]] = {}
        self._radius_terms, self._parts = {}, {}
        for r in cfg.radii:
            runs = run_counts(cfg, r)
            idx = [i for i, (c, J) in enumerate(self.terms) if J in runs]
            self._radius_terms[r] = np.array(idx, dtype=np.intp)
            self._parts[r] = _equation_parts(cfg, self.lay, sigma, r, [self.terms[i] for i in idx], self.L)

    def piece_rows(self, i: int, p: int, sgn: int):
        """``(integer rows, float block, exact rows)`` of term ``i`` on piece ``p`` (cached: they
        do not depend on the rest of the assignment)."""
        key = (i, p, sgn)
        if key not in self._pieces:
            c, J = self.terms[i]
            rows = _piece_rows(self.cfg, self.lay, self.sigma, c, J, p, sgn, self.L)
            zeros = [0] * len(rows)
            self._pieces[key] = (rows, _float_rows(rows, self.L),
                                 _exact_rows(rows, zeros, self.L))
        return self._pieces[key]

    def equation_sums(self, r: int, pieces, signs) -> np.ndarray:
        """Radius ``r``'s slope and value equations for the assignment ``pieces`` (term ``i``
        on piece ``pieces[i]``), as the integer rows ``L coef`` (shape ``(2, n)``; right-hand
        sides ``(0, L r)``), an exact integer sum of the terms' parts:

            slope:  sum_c sum_J n_J(r) s_p U_c[J] = 0
            value:  beta + (1/|I|) sum_c sum_J n_J(r) (s_p U_c[b] + t_p sgn_c nu_c) = r"""
        idx = self._radius_terms[r]
        assigned = np.asarray(pieces, dtype=np.intp)[idx]
        sign_index = np.array([0 if signs[self.terms[i][0]] == 1 else 1 for i in idx], dtype=np.intp)
        sums = self._parts[r][np.arange(len(idx)), assigned, sign_index].sum(axis=0)
        sums[1, 0] += self.L  # beta
        return sums

    def equation_rows(self, r: int, pieces, signs) -> tuple[list[dict], list[int]]:
        """:meth:`equation_sums` as integer rows ``{column: L coef}`` and ``(0, L r)``."""
        sums = self.equation_sums(r, pieces, signs)
        return [{int(j): int(row[j]) for j in np.flatnonzero(row)} for row in sums], [0, r * self.L]

    def float_equations(self, r: int, pieces, signs) -> RowBlock:
        """:meth:`equation_sums` as float equality rows (``v / L``: the rounded rationals,
        :func:`_rounded`)."""
        sums = self.equation_sums(r, pieces, signs)
        rows, cols = np.nonzero(sums)
        rhs = np.array([0.0, float(r)])
        return RowBlock(rhs, rhs, np.searchsorted(rows, [0, 1]), cols, _rounded(sums[rows, cols], self.L))

    def exact_system(self, pieces, signs) -> tuple[list, list]:
        """The exact rows ``(ub, eq)`` of the node with assignment ``pieces`` (its first
        ``len(pieces)`` terms), bound rows last, in the order the search adds them: the piece
        rows term by term, each radius's equations once all its runs are assigned."""
        ub, eq = [], []
        for i, p in enumerate(pieces):
            ub += self.piece_rows(i, p, signs[self.terms[i][0]])[2]
            for r in self.after.get(i + 1, ()):
                eq += _exact_rows(*self.equation_rows(r, pieces, signs), self.L)
        bub, beq = self.bound_rows()
        return ub + bub, eq + beq

    def bound_rows(self):
        """``nu_c = 1`` (homogeneous sigma) or ``0 <= nu_c <= 1``, as rows."""
        ub, eq = [], []
        for c in range(self.C):
            nu = self.lay.nu(c)
            if self.homog:
                eq.append(({nu: Fraction(1)}, Fraction(1)))
            else:
                ub += [({nu: Fraction(-1)}, Fraction(0)), ({nu: Fraction(1)}, Fraction(1))]
        return ub, eq

    def incremental_lp(self) -> IncrementalLP:
        """The float model: every variable free but ``nu_c`` (the bound rows as column bounds)."""
        lower, upper = np.full(self.lay.n, -np.inf), np.full(self.lay.n, np.inf)
        for c in range(self.C):
            lower[self.lay.nu(c)] = 1.0 if self.homog else 0.0
            upper[self.lay.nu(c)] = 1.0
        return IncrementalLP(lower, upper)

    def feasible(self) -> bool:
        if self.lps >= self.max_lps:
            raise _Budget
        self.lps += 1
        return self.lp.feasible()

    def exact_point(self, pieces, signs) -> list[Fraction] | None:
        """An exact rational point of the leaf system (interior where possible, so ``nu_c > 0``
        when it can be), checked exactly; ``None`` when none is found or some ``nu_c = 0``."""
        ub, eq = self.exact_system(pieces, signs)
        x = exact_lp.exact_point(ub, eq, self.lay.n)
        if x is None or any(x[self.lay.nu(c)] <= 0 for c in range(self.C)):
            return None
        return x

    def exactly_infeasible(self, pieces, signs) -> bool:
        """A Farkas certificate of the node's infeasibility, checked in exact arithmetic."""
        ub, eq = self.exact_system(pieces, signs)
        return exact_lp.farkas_certificate(ub, eq, self.lay.n) is not None

    def network(self, x, signs) -> Params:
        lay, k = self.lay, self.lay.k
        w, b, v = [], [], []
        for c in range(self.C):
            vc = signs[c] * x[lay.nu(c)]
            w.append(tuple(x[lay.tap(c, q)] / vc for q in range(k)))
            b.append(x[lay.bias(c)] / vc)
            v.append(vc)
        return Params(w=tuple(w), b=tuple(b), beta=x[0], v=tuple(v))

    def run(self):
        P = len(self.sigma.pieces)
        sign_sets = [(1,), (-1,)] if self.C == 1 else [(1, 1), (1, -1), (-1, -1)]
        self.lp = self.incremental_lp()
        for signs in sign_sets:
            found = self._dfs(0, [], signs, P)
            if found is not None:
                return found
        return None

    def _dfs(self, i, pieces, signs, P):
        if i == len(self.terms):
            x = self.exact_point(pieces, signs)
            if x is None:
                self.float_feasible_unproved += 1
                return None
            params = self.network(x, signs)
            verdict = prove(self.cfg.with_(channels=self.C, head="gap"), params, self.sigma)
            if verdict.proved:
                return params, verdict, (signs, dict(zip(self.terms, pieces)))
            self.float_feasible_unproved += 1
            return None
        c, J = self.terms[i]
        radii = self.after.get(i + 1, ())
        joined = bool(radii) or i + 1 == len(self.terms)
        for p in range(P):
            pieces.append(p)
            self.lp.push(self.piece_rows(i, p, signs[c])[1],
                         *(self.float_equations(r, pieces, signs) for r in radii))
            if not joined or self.feasible():
                out = self._dfs(i + 1, pieces, signs, P)
                if out is not None:
                    return out
            else:
                self.pruned.append((tuple(pieces), signs))
            self.lp.pop()
            pieces.pop()
        return None


def regime_count(sigma: PiecewiseLinear, channels: int, runs: int) -> int:
    """Number of generic regimes: sign patterns of ``v`` (2 for one channel, 3 for two up to
    swapping the channels) times ``P^(C * runs)`` piece assignments."""
    return (2 if channels == 1 else 3) * len(sigma.pieces) ** (channels * runs)


@lru_cache(maxsize=1024)
def search_regimes(cfg: Config, sigma: PiecewiseLinear, channels: int,
                   max_lps: int = MAX_LPS, max_exact: int = MAX_EXACT) -> SearchResult:
    """Search the generic regimes of ``channels`` channels of ``sigma`` on ``cfg`` (module
    docstring); the first proved construction is returned."""
    complete = channels == 1 and len(sigma.breakpoints) == 1
    s = _Search(cfg, sigma, channels, max_lps, max_exact)
    leaves = regime_count(sigma, channels, len(s.terms) // channels)
    refused = leaves > MAX_LEAVES
    if refused:
        s.max_lps = min(max_lps, FIND_LPS)
    try:
        found = s.run()
    except _Budget:
        found = None
        if refused:
            why = (f"exhaustive search refused up front: {leaves} regimes (sign patterns x "
                   f"{len(sigma.pieces)}^{len(s.terms)} piece assignments) exceed the budget of {MAX_LEAVES}; "
                   f"a depth-first look for a construction ({s.lps} LPs) found none")
        else:
            why = (f"search cut after {s.lps} LPs (budget {max_lps}) before every regime of "
                   f"{len(s.terms)} terms was decided")
        return SearchResult(channels, "cut", False, complete, s.lps, 0, None, None, None, why)
    if found is not None:
        params, verdict, pattern = found
        return SearchResult(channels, "found", True, complete, s.lps, 0, params, verdict, pattern,
                            f"regime search: an LP-feasible regime solved exactly (rational interior point) "
                            f"and proved on R x A after {s.lps} LPs")
    if s.float_feasible_unproved:
        return SearchResult(channels, "cut", False, complete, s.lps, 0, None, None, None,
                            f"{s.float_feasible_unproved} floating-point feasible regime(s) could not "
                            "be turned into a proved exact construction")
    if len(s.pruned) > max_exact:
        return SearchResult(channels, "infeasible", False, complete, s.lps, 0, None, None, None,
                            f"all regimes infeasible in floating point ({s.lps} LPs); "
                            f"{len(s.pruned)} pruned nodes exceed the exact re-check budget {max_exact}")
    bad = sum(1 for pieces, signs in s.pruned if not s.exactly_infeasible(pieces, signs))
    if bad:
        return SearchResult(channels, "infeasible", False, complete, s.lps, len(s.pruned), None, None,
                            None, f"{bad} pruned node(s) not confirmed infeasible in exact arithmetic")
    return SearchResult(channels, "infeasible", True, complete, s.lps, len(s.pruned), None, None, None,
                        f"every generic regime ({2 if channels == 1 else 3} sign patterns of v, "
                        f"{len(s.terms)} terms) is infeasible: {s.lps} LPs, the {len(s.pruned)} "
                        "pruned nodes confirmed infeasible by exact Farkas certificates")
