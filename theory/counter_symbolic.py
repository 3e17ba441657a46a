"""A1 in closed form: the background counter in ``M`` and ``k`` (THEORY.md section 5).

For zeros and valid padding the run of output position ``i`` at radius ``r`` is the interval
``J_i(r) = [max(-h_l, -r-i), min(h_r, r-i)]`` with ``h_l = h`` and ``h_r = h`` (odd ``k``) or
``h + 1`` (even ``k``). It is empty iff a lower bound exceeds an upper one, which leaves two
tails of output positions, one on each side of the pulse; SymPy counts them (``n_∅(r)``),
solves the exactness equations ``beta + q n_∅(r) = r`` at ``r = 0, 1`` and simplifies
``beta + q n_∅(r) - r`` to 0 on the linear region ``r <= r_max`` and to a nonzero expression
past it (:func:`symbolic_background_counter`). :func:`symbolic_agreement` compares the closed
form with the numeric counter of :func:`theory.counter.background_counter`.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache

import sympy as sp

from radiuscnn.theory.config import Config

M_, K_ = sp.symbols("M k", integer=True, positive=True)
R_ = sp.Symbol("r", integer=True, nonnegative=True)


@dataclass(frozen=True)
class SymbolicCounter:
    """The counter in closed form for one padding and kernel parity, valid when ``condition``
    holds (the first two radii lie where both background tails are non-empty).

    ``n_empty`` is in ``r, M, k``; ``beta``, ``vb``, ``r_max`` in ``M, k``; ``past_error`` is
    ``y - r`` at ``r = r_max + 1 + j`` (``j >= 0``)."""

    padding: str
    parity: str
    n_empty: sp.Expr
    beta: sp.Expr
    vb: sp.Expr
    r_max: sp.Expr
    past_error: sp.Expr
    condition: sp.Basic
    steps: tuple[str, ...]
    j: sp.Symbol

    def evaluate(self, M: int, k: int) -> dict:
        subs = {M_: M, K_: k}

        def at(expr, extra=None):  # xreplace: plain substitution, no assumption-driven rewriting
            return expr.xreplace({**subs, **(extra or {})})

        return {
            "condition": bool(at(self.condition)),
            "beta": Fraction(str(at(self.beta))),
            "vb": Fraction(str(at(self.vb))),
            "r_max": int(at(self.r_max)),
            "counts": tuple(int(at(self.n_empty, {R_: r})) for r in range(M + 1)),
        }

    def past_errors(self, M: int, k: int, count: int) -> tuple[tuple[int, Fraction], ...]:
        """``(r, y - r)`` for ``r = r_max+1 .. r_max+count``."""
        subs = {M_: M, K_: k}
        r_max = int(self.r_max.xreplace(subs))
        return tuple(
            (r_max + 1 + jj, Fraction(str(self.past_error.xreplace({**subs, self.j: jj}))))
            for jj in range(count)
        )


def _integer_count(lo, hi):
    """Number of integers in ``[lo, hi]``."""
    return sp.Max(0, hi - lo + 1)


@lru_cache(maxsize=8)
def symbolic_background_counter(padding: str, parity: str) -> SymbolicCounter:
    """Derive ``n_∅(r)``, ``beta``, ``v b``, ``r_max`` and the error past ``r_max`` in ``M``
    and ``k`` from the run interval, for ``padding`` in {zeros, valid}, ``parity`` in {odd, even}."""
    if padding not in ("zeros", "valid") or parity not in ("odd", "even"):
        raise ValueError("symbolic counter: padding zeros/valid, parity odd/even")
    M, r = sp.Symbol("M", integer=True, positive=True), sp.Symbol("r", integer=True, nonnegative=True)
    i = sp.Symbol("i", integer=True)
    h = sp.Symbol("h", integer=True, nonnegative=True)
    m, s, j = sp.symbols("m s j", integer=True, nonnegative=True)
    h_l, h_r = h, (h if parity == "odd" else h + 1)
    k_of_h = h_l + h_r + 1
    p_lo, p_hi = (-M, M) if padding == "zeros" else (-M + h_l, M - h_r)
    steps = [f"{parity} k = {k_of_h}: h_l = {h_l}, h_r = {h_r}; output positions i in [{p_lo}, {p_hi}]"]

    # J_i(r) = [max(-h_l, -r-i), min(h_r, r-i)] is empty iff some lower bound exceeds some upper one
    lows, highs = (-h_l, -r - i), (h_r, r - i)
    conditions = [sp.StrictGreaterThan(lo, hi) for lo in lows for hi in highs]
    live = [c for c in conditions if c is not sp.false]
    steps.append(
        "J_i(r) empty iff " + " or ".join(str(c) for c in live)
        + f" (the other {len(conditions) - len(live)} comparisons are false for r, h >= 0)"
    )
    pieces = []
    for cond in live:
        diff = sp.expand(cond.lhs - cond.rhs)  # > 0, linear in i with coefficient +-1
        coeff = diff.coeff(i)
        bound = sp.solve(diff, i)[0]
        lo, hi = (bound + 1, p_hi) if coeff > 0 else (p_lo, bound - 1)
        pieces.append((sp.Max(p_lo, lo), sp.Min(p_hi, hi)))
    # the two sets of positions are disjoint: one lies right of the pulse, one left
    assert (pieces[0][0] - pieces[1][1]).is_positive or (pieces[1][0] - pieces[0][1]).is_positive
    n = sp.Add(*[_integer_count(lo, hi) for lo, hi in pieces])
    steps.append(f"n_empty(r) = {n}")

    # thresholds where each tail empties, and the linear region 0 <= r <= A_min
    thresholds = [sp.solve(arg, r)[0] for mx in n.atoms(sp.Max) for arg in mx.args if arg != 0]
    a_min = sp.Min(*thresholds)
    out_size = p_hi - p_lo + 1
    region = {M: sp.solve(a_min - 1 - m, M)[0]}  # A_min = 1 + m >= 1
    n_r = n.subs(region)
    beta_s, q_s = sp.symbols("beta q")
    equations = [beta_s + q_s * n_r.subs(r, 0), beta_s + q_s * n_r.subs(r, 1) - 1]
    sol = sp.solve(equations, [beta_s, q_s], dict=True)[0]
    beta, q = sp.simplify(sol[beta_s]), sp.simplify(sol[q_s])
    steps.append(f"exactness at r = 0, 1 (needs {a_min} >= 1): beta = {beta}, q = v b/|I| = {q}")

    inside = sp.simplify((beta + q * n_r - r).subs(r, 1 + m - s))
    if inside != 0:
        raise AssertionError(f"counter not exact in the linear region: {inside}")
    steps.append(f"for r = {a_min} - s (s >= 0): beta + q n_empty(r) - r simplifies to 0")
    past = sp.simplify((beta + q * n_r - r).subs(r, 2 + m + j))
    if past.has(sp.Max, sp.Min) or past.is_zero is not False:
        raise NotImplementedError(f"error past the linear region not resolved: {past}")
    steps.append(f"for r = {sp.simplify(a_min + 1)} + j (j >= 0): y - r = {past} != 0, so r_max = {a_min}")

    back = {m: a_min - 1}
    to_k = {h: sp.solve(k_of_h - K_, h)[0]}

    def final(e):
        return sp.simplify(sp.sympify(e).subs(back).subs(to_k).subs(M, M_))

    return SymbolicCounter(
        padding=padding, parity=parity,
        n_empty=sp.simplify(n.subs(to_k).subs({M: M_, r: R_})),
        beta=final(beta), vb=final(q * out_size.subs(region)), r_max=final(a_min),
        past_error=final(past), condition=sp.Ge(final(a_min), 1),
        steps=tuple(steps), j=j,
    )


@dataclass(frozen=True)
class Agreement:
    ok: bool
    closed_form_applies: bool
    symbolic: dict
    numeric: dict


def symbolic_agreement(cfg: Config) -> Agreement:
    """Compare the symbolic counter (zeros/valid padding) with the numeric one for ``cfg``:
    the counts always, ``beta``, ``v b``, ``r_max`` and the errors past ``r_max`` when the
    closed form's condition holds."""
    from radiuscnn.theory.counter import background_counter  # counter re-exports this module

    parity = "odd" if cfg.kernel % 2 else "even"
    sym = symbolic_background_counter(cfg.padding, parity)
    ev = sym.evaluate(cfg.M, cfg.kernel)
    bc = background_counter(cfg)
    numeric = {"counts": bc.counts, "beta": bc.beta, "vb": bc.vb, "r_max": bc.r_max}
    ok = ev["counts"] == bc.counts
    if ev["condition"]:
        ev["past"] = sym.past_errors(cfg.M, cfg.kernel, cfg.M - ev["r_max"])
        numeric["past"] = bc.past
        ok = ok and all(ev[key] == numeric[key] for key in ("beta", "vb", "r_max", "past"))
    return Agreement(ok, ev["condition"], ev, numeric)
