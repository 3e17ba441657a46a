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
the partial system (``scipy.optimize.linprog``, HiGHS). A feasible leaf is solved again in
exact rational arithmetic (:func:`theory.exact_lp.exact_point`), mapped back to a network and
*proved* by :func:`theory.proof.prove`. When no leaf is feasible, every pruned node is
re-checked exactly (a Farkas certificate checked in ``Fraction`` arithmetic,
:func:`theory.exact_lp.farkas_certificate`); only then is the search *certified*.

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
from radiuscnn.theory.network import Params
from radiuscnn.theory.proof import Verdict, prove
from radiuscnn.theory.runs import Run, run_counts

MAX_LEAVES = 1100   # exhaustive search only when sign patterns x P^terms is at most this
MAX_LPS = 2500      # floating-point LPs of an exhaustive search
FIND_LPS = 40       # LPs spent looking for a construction when exhaustion is refused up front
MAX_EXACT = 600


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


def _piece_rows(cfg, lay, sigma, c, J, p, sgn):
    """Rows ``(coef, rhs)`` of ``coef . x <= rhs`` for term ``(c, J)`` on piece ``p``."""
    piece = sigma.pieces[p]
    rows = []
    amps = (cfg.a_min,) if not J else (cfg.a_min, cfg.a_max)
    for a in amps:
        e = {lay.bias(c): Fraction(sgn)}
        for t in J:
            q = lay.tap(c, t + cfg.h_l)
            e[q] = e.get(q, 0) + sgn * a
        if piece.lo is not None:  # -e + lo nu <= 0
            row = {i: -x for i, x in e.items()}
            row[lay.nu(c)] = row.get(lay.nu(c), 0) + piece.lo
            rows.append((row, Fraction(0)))
        if piece.hi is not None:  # e - hi nu <= 0
            row = dict(e)
            row[lay.nu(c)] = row.get(lay.nu(c), 0) - piece.hi
            rows.append((row, Fraction(0)))
    return rows


def _equation_rows(cfg, lay, sigma, r, assign, signs):
    """The slope and value equations of radius ``r`` as ``(coef, rhs)`` rows."""
    slope, value = {}, {0: Fraction(1)}
    n_out = cfg.out_size
    for J, n in run_counts(cfg, r).items():
        for c in range(lay.C):
            piece = sigma.pieces[assign[(c, J)]]
            for t in J:
                q = lay.tap(c, t + cfg.h_l)
                slope[q] = slope.get(q, 0) + n * piece.slope
            b = lay.bias(c)
            value[b] = value.get(b, 0) + Fraction(n) * piece.slope / n_out
            nu = lay.nu(c)
            value[nu] = value.get(nu, 0) + Fraction(n) * piece.intercept * signs[c] / n_out
    return [(slope, Fraction(0)), (value, Fraction(r))]




class _Budget(Exception):
    pass


class _Search:
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
        self.pruned: list[tuple[list, list]] = []
        self.float_feasible_unproved = 0

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

    def feasible(self, ub, eq) -> bool:
        from scipy.optimize import linprog

        if self.lps >= self.max_lps:
            raise _Budget
        self.lps += 1
        n = self.lay.n
        bub, beq = self.bound_rows()
        A_ub, b_ub = exact_lp._dense(ub + bub, n) if ub + bub else (None, None)
        A_eq, b_eq = exact_lp._dense(eq + beq, n) if eq + beq else (None, None)
        res = linprog(np.zeros(n), A_ub=A_ub, b_ub=b_ub, A_eq=A_eq, b_eq=b_eq,
                      bounds=[(None, None)] * n, method="highs")
        return res.status == 0

    def exact_point(self, ub, eq) -> list[Fraction] | None:
        """An exact rational point of the leaf system (interior where possible, so ``nu_c > 0``
        when it can be), checked exactly; ``None`` when none is found or some ``nu_c = 0``."""
        bub, beq = self.bound_rows()
        x = exact_lp.exact_point(ub + bub, eq + beq, self.lay.n)
        if x is None or any(x[self.lay.nu(c)] <= 0 for c in range(self.C)):
            return None
        return x

    def exactly_infeasible(self, ub, eq) -> bool:
        """A Farkas certificate of the node's infeasibility, checked in exact arithmetic."""
        bub, beq = self.bound_rows()
        return exact_lp.farkas_certificate(ub + bub, eq + beq, self.lay.n) is not None

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
        for signs in sign_sets:
            found = self._dfs(0, {}, [], [], signs, P)
            if found is not None:
                return found
        return None

    def _dfs(self, i, assign, ub, eq, signs, P):
        if i == len(self.terms):
            x = self.exact_point(ub, eq)
            if x is None:
                self.float_feasible_unproved += 1
                return None
            params = self.network(x, signs)
            verdict = prove(self.cfg.with_(channels=self.C, head="gap"), params, self.sigma)
            if verdict.proved:
                return params, verdict, (signs, dict(assign))
            self.float_feasible_unproved += 1
            return None
        c, J = self.terms[i]
        for p in range(P):
            new_ub = ub + _piece_rows(self.cfg, self.lay, self.sigma, c, J, p, signs[c])
            assign[(c, J)] = p
            new_eq = list(eq)
            for r in self.after.get(i + 1, ()):
                new_eq += _equation_rows(self.cfg, self.lay, self.sigma, r, assign, signs)
            joined = len(new_eq) > len(eq) or i + 1 == len(self.terms)
            if not joined or self.feasible(new_ub, new_eq):
                out = self._dfs(i + 1, assign, new_ub, new_eq, signs, P)
                if out is not None:
                    return out
            else:
                self.pruned.append((new_ub, new_eq))
            del assign[(c, J)]
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
    bad = sum(1 for ub, eq in s.pruned if not s.exactly_infeasible(ub, eq))
    if bad:
        return SearchResult(channels, "infeasible", False, complete, s.lps, len(s.pruned), None, None,
                            None, f"{bad} pruned node(s) not confirmed infeasible in exact arithmetic")
    return SearchResult(channels, "infeasible", True, complete, s.lps, len(s.pruned), None, None, None,
                        f"every generic regime ({2 if channels == 1 else 3} sign patterns of v, "
                        f"{len(s.terms)} terms) is infeasible: {s.lps} LPs, the {len(s.pruned)} "
                        "pruned nodes confirmed infeasible by exact Farkas certificates")
