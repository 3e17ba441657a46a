"""A4: the minimal width of an exact amplitude-invariant network (THEORY.md section 5).

Lower bound (one channel). At a bulk pair ``(r, r+1)`` the counts change only on the empty run
``E`` (``W = 0``, ``z = b``) and the full run ``F`` (``W = S``), by ``Delta n_F = -Delta n_E``.
Differencing the slope and value equations of :mod:`theory.regimes` with generic pieces
``(s_J, t_J)`` leaves

    Delta n_F v s_F S = 0,        (v/|I|) [Delta n_F (s_F b + t_F) + Delta n_E (s_E b + t_E)] = 1.

``v = 0`` contradicts the second; ``S = 0`` puts ``F`` on ``E``'s piece and the second reads
``0 = 1``; so ``s_F = 0`` with ``S != 0``: ``sigma`` must be flat (slope 0) on the
non-degenerate interval ``[a_min S + b, a_max S + b]``, with value ``!= sigma(b)``. Without a
flat piece one channel is impossible. (The generic-regime step needs kinks not to cancel; within
one channel this holds when ``sigma`` has at most one breakpoint, since all terms sharing a kink
then share ``W`` and their slope jumps have one sign.) For relu, hardtanh the flat pieces are
the unbounded ones (``PiecewiseLinear.has_flat_half_line``).

Upper bound. A counter needs a response with a flat unbounded piece. Two channels give any
``phi(z) = sigma(z) + c sigma(s z + mu)`` (second channel: taps ``s w``, bias ``s b + mu``,
output weight ``c v``). :func:`search_combinations` solves (SymPy) for ``c`` making an unbounded
slope of ``phi`` vanish, for ``s = +-1``, and tries a few ``mu`` until ``phi`` is non-constant:
leaky ReLU ``relu(z) (1 - alpha^2) = leaky(z) + alpha leaky(-z)``, abs ``|z| - |z + mu|`` (a
clamp). :func:`build_counter` turns ``phi`` into a background counter on the config's radius
set (support and ``beta, q`` from :func:`theory.counter.counter_for_radii`) and
:func:`theory.proof.prove` proves it exact. Analytic activations have no exact solution at any
width (A3, :mod:`theory.analytic`).

Every radius set (:func:`width_detail`). Where the bulk-pair argument is silent (no two
consecutive bulk radii) the width is decided by the exhaustive regime search of
:mod:`theory.regime_search` (C = 1 first, then C = 2): a construction it finds is proved by
:func:`theory.proof.prove`; a certified, complete infeasibility at C = 1 makes C = 2 exact;
otherwise the status is 'upper bound' and the reason says why (refused up front, cut, or kinks
that may cancel).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache

import sympy as sp

from radiuscnn.theory.activations import Piece, PiecewiseLinear, piecewise_linear
from radiuscnn.theory.analytic import impossibility, is_analytic_form
from radiuscnn.theory.config import ACTIVATIONS, Config
from radiuscnn.theory.counter import counter_for_radii, counter_head, counter_taps, relu_gap
from radiuscnn.theory.network import Params
from radiuscnn.theory.proof import Verdict, prove
from radiuscnn.theory.regime_search import SearchResult, search_regimes
from radiuscnn.theory.regimes import (
    bulk_pairs, count_difference, full_run, network_symbols, slope_equation, value_equation,
)
from radiuscnn.theory.runs import run_counts

MU_CANDIDATES = (Fraction(0), Fraction(1), Fraction(-1), Fraction(2), Fraction(-2))


# --------------------------------------------------------------------------------------------
# phi = sigma(z) + c sigma(s z + mu) as exact piece data
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Combination:
    """``phi(z) = sigma(z) + c sigma(s z + mu)`` (``c = 0``: one channel, ``phi = sigma``)."""

    c: Fraction
    s: int
    mu: Fraction
    phi: PiecewiseLinear

    @property
    def channels(self) -> int:
        return 1 if self.c == 0 else 2

    def describe(self) -> str:
        if self.c == 0:
            return f"phi = {self.phi.name}"
        shift = f" + {self.mu}" if self.mu > 0 else f" - {-self.mu}" if self.mu < 0 else ""
        arg = ("z" if self.s == 1 else "-z") + shift
        return f"phi(z) = sigma(z) + ({self.c}) sigma({arg})"


def combine(sigma: PiecewiseLinear, c, s: int, mu) -> PiecewiseLinear:
    """Exact pieces of ``phi(z) = sigma(z) + c sigma(s z + mu)`` (adjacent equal slopes merged)."""
    c, mu = Fraction(c), Fraction(mu)

    def phi(z):
        return sigma(z) + c * sigma(s * z + mu)

    cuts = sorted({*sigma.breakpoints, *((z - mu) / s for z in sigma.breakpoints)})
    if not cuts:
        slope = phi(Fraction(1)) - phi(Fraction(0))
        return PiecewiseLinear("phi", (Piece(None, None, slope, phi(Fraction(0))),))
    bounds = [None, *cuts, None]
    raw = []
    for lo, hi in zip(bounds[:-1], bounds[1:]):
        z0 = lo if lo is not None else hi - 1
        z1 = hi if hi is not None else lo + 1
        slope = (phi(z1) - phi(z0)) / (z1 - z0)
        raw.append([lo, hi, slope, phi(z0) - slope * z0])
    merged = [raw[0]]
    for piece in raw[1:]:
        if piece[2] == merged[-1][2]:
            merged[-1][1] = piece[1]
        else:
            merged.append(piece)
    return PiecewiseLinear("phi", tuple(Piece(*p) for p in merged))


def flat_ends(phi: PiecewiseLinear) -> tuple[tuple[str, Fraction, Fraction], ...]:
    """The unbounded flat pieces of a non-constant ``phi``: ``(side, z0, value)`` with
    ``side = 'left'`` for ``z <= z0`` and ``'right'`` for ``z >= z0``."""
    if len(phi.pieces) == 1:
        return ()
    out = []
    first, last = phi.pieces[0], phi.pieces[-1]
    if first.slope == 0:
        out.append(("left", first.hi, first.intercept))
    if last.slope == 0:
        out.append(("right", last.lo, last.intercept))
    return tuple(out)


def search_combinations(sigma: PiecewiseLinear) -> tuple[Combination, ...]:
    """Combinations with a flat unbounded piece and ``phi`` non-constant: ``c = 0`` when
    ``sigma`` already has one, else ``c`` solved by SymPy from ``slope_{+-inf}(phi) = 0``."""
    if flat_ends(sigma):
        return (Combination(Fraction(0), 1, Fraction(0), sigma),)
    c = sp.Symbol("c")
    left, right = sp.Rational(sigma.pieces[0].slope), sp.Rational(sigma.pieces[-1].slope)
    found = []
    for s in (-1, 1):
        # as z -> -inf, s z + mu -> -inf (s = 1) or +inf (s = -1); and the reverse at +inf
        at_minus = left + c * s * (left if s == 1 else right)
        at_plus = right + c * s * (right if s == 1 else left)
        for equation in (at_minus, at_plus):
            for sol in sp.solve(equation, c):
                for mu in MU_CANDIDATES:
                    phi = combine(sigma, Fraction(str(sol)), s, mu)
                    if flat_ends(phi):
                        comb = Combination(Fraction(str(sol)), s, mu, phi)
                        if comb not in found:
                            found.append(comb)
                        break
    return tuple(found)


# --------------------------------------------------------------------------------------------
# The counter built on phi, and its proof
# --------------------------------------------------------------------------------------------
def build_counter(cfg: Config, sigma: PiecewiseLinear, comb: Combination) -> Params | None:
    """A ``comb.channels``-channel network whose response ``phi`` counts background positions
    on ``cfg.radii``; ``None`` when no one-channel counter support solves the radius set.

    Flat side ``z <= z0`` (``z >= z0``): bias ``b = z0 + d`` (``z0 - d``) inside the adjacent
    non-flat piece (``d <= 1``), taps ``<= -d/a_min`` (``>= d/a_min``) so every window that sees
    the pulse lands on the flat piece, with value ``phi_flat``; background windows answer
    ``phi(b) != phi_flat``; ``v, beta`` from :func:`theory.counter.counter_head`."""
    counter = counter_for_radii(relu_gap(cfg))
    ends = flat_ends(comb.phi)
    if counter is None or not ends:
        return None
    side, z0, flat_value = ends[0]
    pieces = comb.phi.pieces
    if side == "left":
        nxt = pieces[1]
        d = Fraction(1) if nxt.hi is None else min(Fraction(1), nxt.hi - z0)
        b, sign = z0 + d, -1
    else:
        prev = pieces[-2]
        d = Fraction(1) if prev.lo is None else min(Fraction(1), z0 - prev.lo)
        b, sign = z0 - d, 1
    taps = tuple(-sign * t for t in counter_taps(cfg, counter.support, d / cfg.a_min))
    v, beta = counter_head(counter.beta, counter.vb / cfg.out_size, cfg.out_size, comb.phi(b), flat_value)
    if comb.c == 0:
        return Params(w=(taps,), b=(b,), beta=beta, v=(v,))
    return Params(
        w=(taps, tuple(comb.s * t for t in taps)),
        b=(b, comb.s * b + comb.mu),
        beta=beta,
        v=(v, comb.c * v),
    )


def prove_construction(cfg: Config, name: str, params: Params) -> Verdict:
    """Exact proof of a construction for activation ``name`` on ``cfg``'s radii and interval."""
    sigma = piecewise_linear(name, cfg.alpha)
    return prove(cfg.with_(channels=params.channels, activation=name, head="gap"), params, sigma)


# --------------------------------------------------------------------------------------------
# Lower bound for one channel
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class LowerBound:
    """Whether one channel is impossible, by the differencing argument (``applies`` False when
    the radius set has no bulk pair or kink cancellation cannot be excluded)."""

    applies: bool
    one_channel_impossible: bool
    steps: tuple[str, ...]
    reason: str


@lru_cache(maxsize=4096)
def one_channel_lower_bound(cfg: Config, name: str) -> LowerBound:
    """Derive, for PL ``sigma = name``, whether a single channel can be exact on ``cfg``."""
    sigma = piecewise_linear(name, cfg.alpha)
    if sigma is None:
        raise ValueError(f"{name!r} is not piecewise linear")
    cfg = cfg.with_(channels=1, activation=name, head="gap")
    flat = [p for p in sigma.pieces if p.slope == 0 and (p.lo is None or p.hi is None or p.hi > p.lo)]
    pairs = bulk_pairs(cfg)
    if not pairs:
        return LowerBound(False, False, (), "the radius set has no two consecutive bulk radii: the "
                          "differencing argument does not apply")
    r = pairs[0]
    E, F = (), full_run(cfg)
    sym = network_symbols(cfg, 1)
    v = sym.v[0]
    runs = set(run_counts(cfg, r)) | set(run_counts(cfg, r + 1))

    def piece_symbols(J):
        tag = "E" if J == E else "F" if J == F else ",".join(map(str, J))
        return (sp.Symbol(f"s_{{{tag}}}"), sp.Symbol(f"t_{{{tag}}}"))

    pieces = {(0, J): piece_symbols(J) for J in runs}
    S = sp.Symbol("S", real=True)
    to_S = {sym.w[0][-1]: S - sp.Add(*sym.w[0][:-1])}
    ds = slope_equation(cfg, r + 1, pieces, sym) - slope_equation(cfg, r, pieces, sym)
    ds = sp.factor(sp.expand(ds.subs(to_S)))
    dv = sp.expand(value_equation(cfg, r + 1, pieces, sym) - value_equation(cfg, r, pieces, sym))
    (sE, tE), (sF, tF) = pieces[(0, E)], pieces[(0, F)]
    dn = count_difference(cfg, r)
    steps = [
        f"bulk pair ({r}, {r + 1}): Delta n_E = {dn[E]}, Delta n_F = {dn[F]}, other runs unchanged",
        f"slope difference: {ds} = 0",
        f"value difference: {dv} = 0",
    ]
    if len(sigma.breakpoints) > 1 and not flat:
        return LowerBound(False, False, tuple(steps), "sigma has several breakpoints: kink "
                          "cancellation inside one channel is not excluded by this argument")
    steps.append(f"v = 0: value difference becomes {dv.subs(v, 0)} = 0, contradiction; so v != 0")
    steps.append(
        f"generic regime: sigma has {len(sigma.breakpoints)} breakpoint(s); terms of one channel "
        "sharing a kink a* share W = (z* - b)/a*, so their slope jumps (times v != 0) have one sign "
        "and do not cancel: y(r, .) = r affine forces every term onto one piece"
    )
    steps.append(f"slope difference with v != 0: {sp.factor(ds / v)} = 0, so S = 0 or s_F = 0")
    same = sp.simplify(dv.subs({sF: sE, tF: tE}))
    steps.append(f"S = 0: F has z = b like E, same piece; value difference becomes {same} = 0, contradiction")
    if flat:
        steps.append(f"s_F = 0 needs a flat piece of sigma on [a_min S + b, a_max S + b]: sigma has "
                     f"{len(flat)} flat piece(s) (unbounded: {sigma.has_flat_half_line()}), "
                     "so one channel is not excluded")
        return LowerBound(True, False, tuple(steps), "sigma has a flat piece")
    steps.append("s_F = 0 needs a flat piece of sigma: every piece of sigma has slope "
                 f"{sorted({str(p.slope) for p in sigma.pieces})} != 0, contradiction")
    return LowerBound(True, True, tuple(steps), "no flat piece: one channel is impossible")


# --------------------------------------------------------------------------------------------
# Minimal width per activation
# --------------------------------------------------------------------------------------------
STATUSES = ("exact", "upper bound", "impossible", "not applicable")
FIXED_AMPLITUDE_REASON = "A4 concerns an amplitude interval; the amplitude is fixed (see F1)"


@dataclass(frozen=True)
class WidthDetail:
    """``min_channels`` for one activation with its evidence.

    ``status`` (:data:`STATUSES`): 'exact' (a construction of ``min_channels`` channels proved
    exact and ``min_channels - 1`` excluded: by the bulk-pair argument, by a certified
    exhaustive regime search, or trivially for 1), 'upper bound' (a construction proved, the
    width below not excluded; ``min_channels`` None when no construction with at most two
    channels was found), 'impossible' (analytic sigma, A3), 'not applicable' (fixed amplitude).
    ``construction`` is the counter's combination when the construction is a counter;
    ``searches`` are the regime searches run (:mod:`theory.regime_search`)."""

    activation: str
    min_channels: int | None
    status: str
    construction: Combination | None
    params: Params | None
    verdict: Verdict | None
    lower_bound: LowerBound | None
    reason: str
    searches: tuple[SearchResult, ...] = ()

    def to_json(self) -> dict:
        """``{"value", "status", "reason"}`` (what ``derive --json`` prints per activation)."""
        return {"value": self.min_channels, "status": self.status, "reason": self.reason}

    def sentence(self) -> str:
        """One line in words for the plain ``derive`` output."""
        if self.status == "exact":
            return f"{self.activation}: exactly {self.min_channels} channel(s) ({self.reason})"
        if self.status == "upper bound":
            if self.min_channels is None:
                return f"{self.activation}: unknown, no construction with at most 2 channels ({self.reason})"
            return f"{self.activation}: at most {self.min_channels} channel(s), minimality not decided ({self.reason})"
        if self.status == "impossible":
            return f"{self.activation}: no exact amplitude-invariant network at any width ({self.reason})"
        return f"{self.activation}: not applicable ({self.reason})"


def _proved_counters(cfg: Config, name: str, sigma: PiecewiseLinear) -> dict[int, tuple]:
    """``{channels: (comb, params, verdict)}`` for the first proved counter of each width."""
    out: dict[int, tuple] = {}
    for comb in search_combinations(sigma):
        if comb.channels in out:
            continue
        params = build_counter(cfg, sigma, comb)
        if params is None:
            continue
        verdict = prove_construction(cfg, name, params)
        if verdict.proved:
            out[comb.channels] = (comb, params, verdict)
    return out


@lru_cache(maxsize=4096)  # a sweep: kernels x paddings x activations
def width_detail(cfg: Config, name: str) -> WidthDetail:
    """Derive the minimal width for activation ``name`` on ``cfg`` (interval amplitudes).

    C = 1: a proved one-channel counter, else an exhaustive regime search at C = 1; C = 1 is
    exact as soon as a construction is proved (C >= 1). C = 2: the two-channel counter
    ``phi = sigma(z) + c sigma(+-z + mu)``, else a regime search at C = 2; exact when C = 1 is
    excluded by the bulk-pair argument (A4 in THEORY.md section 5) or by a certified, complete
    C = 1 search."""
    if cfg.fixed_amplitude:
        return WidthDetail(name, None, "not applicable", None, None, None, None, FIXED_AMPLITUDE_REASON)
    if len(cfg.radii) < 2:
        return WidthDetail(name, 1, "exact", None, None, None, None,
                           "a single radius: a constant network (v = 0, beta = r) is exact")
    if is_analytic_form(name):
        imp = impossibility(cfg, name, (cfg.head,))
        if imp.proved:
            return WidthDetail(name, None, "impossible", None, None, None, None,
                               "A3: " + " ".join(imp.steps[-2:]))
    sigma = piecewise_linear(name, cfg.alpha)
    if sigma is None:
        return WidthDetail(name, None, "upper bound", None, None, None, None,
                           "not piecewise linear and A3 not proved: no construction")
    lower = one_channel_lower_bound(cfg, name)
    counters = _proved_counters(cfg, name, sigma)
    if 1 in counters:
        comb, params, verdict = counters[1]
        return WidthDetail(name, 1, "exact", comb, params, verdict, lower,
                           f"{comb.describe()} has a flat unbounded piece: one-channel counter proved exact")
    searches = []
    if lower.one_channel_impossible:
        excluded, why = True, "one channel excluded by the bulk-pair argument: " + lower.reason
    else:
        s1 = search_regimes(cfg, sigma, 1)
        searches.append(s1)
        if s1.found:
            return WidthDetail(name, 1, "exact", None, s1.params, s1.verdict, lower,
                               "one channel: " + s1.reason, tuple(searches))
        excluded = s1.excludes
        if excluded:
            why = "one channel excluded by a certified exhaustive regime search: " + s1.reason
        elif s1.status == "infeasible" and not s1.complete:
            why = (f"one channel not excluded: {s1.reason}, but with {len(sigma.breakpoints)} breakpoints "
                   "kinks can cancel, so non-generic regimes remain")
        else:
            why = "one channel not excluded: " + s1.reason
    if 2 in counters:
        comb, params, verdict = counters[2]
        found = (comb, params, verdict, f"{comb.describe()} counter proved exact")
    else:
        s2 = search_regimes(cfg, sigma, 2)
        searches.append(s2)
        found = (None, s2.params, s2.verdict, "two channels: " + s2.reason) if s2.found else None
    if found is None:
        return WidthDetail(name, None, "upper bound", None, None, None, lower,
                           f"no construction with at most 2 channels found; {why}", tuple(searches))
    comb, params, verdict, text = found
    status = "exact" if excluded else "upper bound"
    return WidthDetail(name, 2, status, comb, params, verdict, lower, f"{text}; {why}", tuple(searches))


def min_channels(cfg: Config) -> dict[str, int | None] | None:
    """``{activation: smallest C with an exact amplitude-invariant solution}`` (the value only;
    ``None``: none or unknown, see :func:`width_entries`); ``None`` as a whole for a fixed
    amplitude, where A4 says nothing (:data:`FIXED_AMPLITUDE_REASON`)."""
    if cfg.fixed_amplitude:
        return None
    return {name: width_detail(cfg, name).min_channels for name in ACTIVATIONS}


def width_entries(cfg: Config) -> dict[str, dict]:
    """``{activation: {"value", "status", "reason"}}`` for every activation (``derive --json``);
    for a fixed amplitude every entry has status 'not applicable'."""
    return {name: width_detail(cfg, name).to_json() for name in ACTIVATIONS}


def min_width_details(cfg: Config) -> dict[str, WidthDetail]:
    return {name: width_detail(cfg, name) for name in ACTIVATIONS}
