"""A2: the structure theorem for one ReLU channel (THEORY.md section 5).

Claim: a zero-loss one-channel ReLU network (GAP head) on a data set holding two consecutive
bulk radii ``r, r+1`` has ``b > 0`` and ``v b = -|I|/2``; every run of the data is *killed*
(``W[J] <= -b/a_min``) or *alive* (``W[J] >= -b/a_max``) for the whole interval; alive runs'
sums cancel per radius, ``sum_{alive J} n_J(r) W[J] = 0``; and ``#alive(r) = 2(beta - r)``.

The derivation (:func:`derive_structure`) is a case analysis on the slope and value equations
of :mod:`theory.regimes` for ReLU (pieces ``(s, t) = (0, 0)`` killed, ``(1, 0)`` alive, written
``(delta_J, 0)`` with an alive-indicator ``delta_J``):

    slope(r) = v sum_J n_J(r) delta_J W[J],     value(r) = beta + (v b/|I|) sum_J n_J(r) delta_J - r.

A run's regime depends on the weights only, not on ``r``; at a bulk pair the counts change only
on the empty run ``E`` (``W[E] = 0``, ``z = b``) and the full run ``F`` (``W[F] = S``, the filter
sum), so the differences ``slope(r+1) - slope(r)`` and ``value(r+1) - value(r)`` involve only
``delta_E``, ``delta_F``, ``b``, ``v`` and ``S``. SymPy computes those differences from the
config's run counts and then settles every case (sign of ``b`` x regime of ``E`` x regime of
``F``): all but one end in a contradiction; the survivor gives the constraints.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache

import sympy as sp

from radiuscnn.theory.activations import piecewise_linear
from radiuscnn.theory.config import Config
from radiuscnn.theory.network import Params
from radiuscnn.theory.proof import Verdict, prove
from radiuscnn.theory.regimes import (
    bulk_pairs, count_difference, full_run, network_regime, network_symbols, slope_equation,
    value_equation,
)
from radiuscnn.theory.runs import run_counts, run_sum

RELU = piecewise_linear("relu")


@dataclass(frozen=True)
class Case:
    """One branch of the case analysis: its assumptions, the equations it reduces to, and its
    outcome ``'contradiction'`` (with the reason) or ``'survives'`` (with conclusions)."""

    assumptions: tuple[str, ...]
    equations: tuple[str, ...]
    outcome: str
    reason: str
    conclusions: tuple[str, ...] = ()


@dataclass(frozen=True)
class StructureDerivation:
    """The derivation of A2 for one configuration.

    ``pairs`` are the bulk pairs ``(r, r+1)`` of the radius set (the first is differenced);
    ``slope_diff``/``value_diff`` the differenced equations (``= 0``); ``vb`` the forced value
    of ``v b``; ``alive_count`` the forced ``#alive(r)`` as an expression in ``beta`` and ``r``.
    """

    cfg: Config
    applies: bool
    pairs: tuple[int, ...]
    delta_counts: dict
    slope_diff: sp.Expr | None
    value_diff: sp.Expr | None
    preliminary: tuple[Case, ...]
    cases: tuple[Case, ...]
    vb: Fraction | None
    alive_count: sp.Expr | None
    conclusions: tuple[str, ...]
    reason: str

    @property
    def survivors(self) -> tuple[Case, ...]:
        return tuple(c for c in self.cases if c.outcome == "survives")

    def lines(self) -> list[str]:
        """A printable account of the derivation."""
        if not self.applies:
            return [f"A2 does not apply: {self.reason}"]
        r = self.pairs[0]
        out = [
            f"bulk pair (r, r+1) = ({r}, {r + 1}); count changes {self.delta_counts}",
            f"slope(r+1) - slope(r) = {self.slope_diff} = 0",
            f"value(r+1) - value(r) = {self.value_diff} = 0",
        ]
        for case in (*self.preliminary, *self.cases):
            out.append(f"case {', '.join(case.assumptions)}: {case.outcome} - {case.reason}")
            out.extend(f"    {e}" for e in case.equations)
            out.extend(f"    => {c}" for c in case.conclusions)
        out.append("conclusions: " + "; ".join(self.conclusions))
        return out


def _run_name(run) -> str:
    return ",".join(str(t) for t in run)


@lru_cache(maxsize=256)
def derive_structure(cfg: Config) -> StructureDerivation:
    """Derive A2 for ``cfg`` (one ReLU channel, GAP head, ``cfg.radii``, ``cfg.amplitude``)."""
    cfg = cfg.with_(channels=1, activation="relu", head="gap")
    pairs = bulk_pairs(cfg)
    if not pairs:
        return StructureDerivation(
            cfg, False, (), {}, None, None, (), (), None, None, (),
            "the radius set holds no two consecutive bulk radii",
        )
    r = pairs[0]
    E, F = (), full_run(cfg)
    sym = network_symbols(cfg, 1)
    v, b, beta = sym.v[0], sym.b[0], sym.beta
    runs = set(run_counts(cfg, r)) | set(run_counts(cfg, r + 1))
    delta = {J: sp.Symbol("delta_E" if J == E else "delta_F" if J == F else f"delta_{{{_run_name(J)}}}")
             for J in runs}
    pieces = {(0, J): (delta[J], 0) for J in runs}
    d_slope = slope_equation(cfg, r + 1, pieces, sym) - slope_equation(cfg, r, pieces, sym)
    d_value = value_equation(cfg, r + 1, pieces, sym) - value_equation(cfg, r, pieces, sym)
    # write the filter sum W[F] as S: substitute the last tap
    S = sp.Symbol("S", real=True)
    taps = sym.w[0]
    to_S = {taps[-1]: S - sp.Add(*taps[:-1])}
    d_slope = sp.factor(sp.expand(d_slope.subs(to_S)))
    d_value = sp.expand(d_value)
    dE, dF = count_difference(cfg, r)[E], count_difference(cfg, r)[F]
    I = cfg.out_size
    a_min, a_max = sp.Rational(cfg.a_min), sp.Rational(cfg.a_max)

    def show(expr):
        return f"{expr} = 0"

    # --- preliminary cases -----------------------------------------------------------------
    prelim = []
    at_v0 = d_value.subs(v, 0)
    prelim.append(Case(
        ("v = 0",), (show(at_v0),), "contradiction",
        f"the value difference becomes {at_v0} = 0: y = beta cannot take two values",
    ))
    N_star = sp.Symbol("N_*", integer=True, positive=True)
    W_star = sp.Symbol("W_*", real=True, nonzero=True)
    v_nz = sp.Symbol("v", real=True, nonzero=True)
    jump = v_nz * N_star * sp.Abs(W_star) / I
    prelim.append(Case(
        ("v != 0", "some term crosses z = 0 at a* = -b/W_* inside A"),
        (f"slope jump of y(r, a) at a* = {jump}",),
        "contradiction",
        "one channel: every term with kink a* has the same W = W_* = -b/a*, so their ReLU slope "
        f"jumps add up to {jump}, which SymPy finds {'non-zero' if jump.is_zero is False else 'undecided'}"
        " (v != 0, N_* >= 1, W_* != 0); but y(r, .) = r is affine",
        ("every run is killed (a W + b <= 0 on A) or alive (a W + b >= 0 on A)",),
    ))

    # --- regime cases ------------------------------------------------------------------------
    cases = []
    b_cases = (("b > 0", sp.Symbol("b", positive=True)), ("b = 0", sp.Integer(0)),
               ("b < 0", sp.Symbol("b", negative=True)))
    survivor_vb = None
    for b_text, b_val in b_cases:
        for e_alive in (True, False):
            for f_alive in (True, False):
                assumptions = (b_text, f"E {'alive' if e_alive else 'killed'}",
                               f"F {'alive' if f_alive else 'killed'}")
                # the empty run has z = b for every a
                e_ok = sp.Ge(b_val, 0) if e_alive else sp.Le(b_val, 0)
                if e_ok is sp.false:
                    cases.append(Case(assumptions, (f"z_E = b, {'b >= 0' if e_alive else 'b <= 0'}",),
                                      "contradiction", f"the empty run has z = b for all a, so it "
                                      f"is {'killed' if e_alive else 'alive'} when {b_text}"))
                    continue
                subs = {delta[E]: int(e_alive), delta[F]: int(f_alive), b: b_val}
                ds, dv = sp.simplify(d_slope.subs(subs)), sp.simplify(d_value.subs(subs))
                eqs = (show(ds), show(dv))
                if dv.free_symbols == set():
                    cases.append(Case(assumptions, eqs, "contradiction",
                                      f"the value difference reads {dv} = 0"))
                    continue
                v_sol = sp.solve(dv, v)
                if not v_sol:
                    cases.append(Case(assumptions, eqs, "contradiction", "no v solves the value difference"))
                    continue
                v_val = v_sol[0]
                ds_v = sp.simplify(ds.subs(v, v_val))
                s_sol = sp.solve(ds_v, S) if ds_v != 0 else []
                S_val = s_sol[0] if s_sol else S
                zs = tuple(dict.fromkeys((a_min * S_val + b_val, a_max * S_val + b_val)))
                f_ok = sp.And(*[sp.Ge(z, 0) if f_alive else sp.Le(z, 0) for z in zs])
                eqs = (*eqs, f"v = {v_val}") + ((f"S = {S_val}",) if s_sol else ())
                if f_ok is sp.false:
                    need = " and ".join(f"{z} {'>=' if f_alive else '<='} 0" for z in zs)
                    regime = "alive" if f_alive else "killed"
                    cases.append(Case(assumptions, eqs, "contradiction",
                                      f"F {regime} needs {need}, false when {b_text}"))
                    continue
                vb_val = sp.simplify(v_val * b_val)
                survivor_vb = vb_val
                cases.append(Case(assumptions, eqs, "survives", "consistent",
                                  (f"v b = {vb_val}", "full run killed: a S + b <= 0 on A")))
    conclusions: tuple[str, ...] = ()
    alive_count = None
    if survivor_vb is not None:
        A, rr = sp.Symbol("alive"), sp.Symbol("r")
        alive_count = sp.expand(sp.solve(beta + survivor_vb / I * A - rr, A)[0])
        conclusions = (
            "b > 0",
            f"v b = {survivor_vb} (= -|I|/2 with |I| = {I})" if survivor_vb == -sp.Rational(I, 2)
            else f"v b = {survivor_vb}",
            "every run killed (W <= -b/a_min) or alive (W >= -b/a_max) on the whole interval",
            "slope(r) = v sum_alive n_J(r) W[J] = 0 with v != 0: sum_alive n_J(r) W[J] = 0",
            f"value(r): beta + (v b/|I|) #alive(r) = r  =>  #alive(r) = {alive_count}",
        )
    return StructureDerivation(
        cfg, True, pairs, {str(J): d for J, d in ((E, dE), (F, dF))}, d_slope, d_value,
        tuple(prelim), tuple(cases),
        None if survivor_vb is None else Fraction(str(survivor_vb)), alive_count, conclusions,
        "derived at the first bulk pair",
    )


# --------------------------------------------------------------------------------------------
# Checking a given parameter against the conclusions
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class StructureCheck:
    """``ok`` when the parameter satisfies every conclusion of A2; ``violations`` says which
    fail; ``applies`` is False when the radius set has no bulk pair (then A2 claims nothing);
    ``proof`` is the exact zero-loss verdict of the parameter."""

    applies: bool
    ok: bool
    violations: tuple[str, ...]
    alive: dict
    proof: Verdict


def check_structure(cfg: Config, params: Params) -> StructureCheck:
    """Test a one-channel ReLU GAP parameter against the conclusions of A2 on ``cfg``."""
    if params.channels != 1:
        raise ValueError("A2 is about one ReLU channel")
    cfg = cfg.with_(channels=1, activation="relu", head="gap")
    d = derive_structure(cfg)
    proof = prove(cfg, params, "relu")
    bad = []
    b, v, beta = params.b[0], params.v[0], params.beta
    if not b > 0:
        bad.append(f"b = {b} is not > 0")
    if d.vb is not None and v * b != d.vb:
        bad.append(f"v b = {v * b} != {d.vb}")
    regime = network_regime(cfg, params, RELU)
    for t in regime.crossings:
        bad.append(f"run {t.run} crosses the kink inside A at a = {', '.join(map(str, t.kinks))}")
    alive_runs = {t.run for t in regime.terms if not t.crossing and RELU.pieces[t.piece].slope == 1}
    alive = {}
    for r in cfg.radii:
        counts = run_counts(cfg, r)
        n_alive = sum(n for J, n in counts.items() if J in alive_runs)
        s_alive = sum(n * run_sum(params.w[0], cfg, J) for J, n in counts.items() if J in alive_runs)
        alive[r] = (n_alive, s_alive)
        if s_alive != 0:
            bad.append(f"r = {r}: sum_alive n_J W[J] = {s_alive} != 0")
        if d.alive_count is not None:
            want = d.alive_count.subs({sp.Symbol("beta", real=True): sp.Rational(beta), sp.Symbol("r"): r})
            if sp.Rational(n_alive) != want:
                bad.append(f"r = {r}: #alive = {n_alive} != {want}")
    return StructureCheck(d.applies, not bad, tuple(bad), alive, proof)
