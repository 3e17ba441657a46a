"""A1: the background counter (THEORY.md section 5).

One ReLU channel, GAP head. If every non-empty run sum is at most ``-b/a_min`` and ``b > 0``,
every window that sees the pulse is *killed* (``a W[J] + b <= 0`` for all ``a in A``) and every
window that misses it (the empty run, ``W[∅] = 0``) answers ``relu(b) = b``:

    y(r, a) = beta + (v b / |I|) n_∅(r)          for every a in A,

so the network counts *background positions* ``n_∅(r)``, whatever the amplitude. It is exact on
the radii where ``beta + q n_∅(r) = r`` with ``q = v b/|I|``. This module

* derives ``n_∅(r)`` for ``r = 0..M`` from the run counts (any padding, any ``k``);
* solves the exactness equations at the first two radii for ``beta`` and ``q`` (exact
  rationals; singular when ``n_∅(0) = n_∅(1)``) and finds ``r_max``, the largest ``R`` with the
  counter exact on ``0..R`` (``-1`` when there is no counter);
* builds rational parameters (every tap strictly negative, ``b > 0``) and proves them exact on
  ``0..r_max`` and refuted at ``r_max + 1`` with :mod:`theory.proof`; past ``r_max`` the error
  per radius is ``beta + q n_∅(r) - r``;
* derives the same symbolically in ``M`` and ``k`` for zeros and valid padding from the run
  interval ``J_i(r) = [max(-h_l, -r-i), min(h_r, r-i)]`` (:mod:`theory.counter_symbolic`,
  re-exported here);
* tries reduced filter supports (outer taps zero): a run that misses the support has
  ``W[J] = 0`` and counts as background, which is how "unless the outer weights vanish" extends
  the exact radius range (:func:`reduced_support_counters`, :func:`counter_for_radii`).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache

from radiuscnn.theory.config import Config
from radiuscnn.theory.counter_symbolic import (  # re-exported: importers of theory.counter use them
    K_, M_, R_, Agreement, SymbolicCounter, symbolic_agreement, symbolic_background_counter,
)
from radiuscnn.theory.network import Params
from radiuscnn.theory.proof import Verdict, prove
from radiuscnn.theory.runs import run_counts

__all__ = [
    "Agreement", "BackgroundCounter", "K_", "M_", "R_", "RMaxCheck", "Support", "SymbolicCounter",
    "background_counter", "background_counts", "counter_for_radii", "counter_head", "counter_params",
    "counter_taps", "exact_prefix", "full_support", "reduced_support_counters", "relu_gap",
    "solve_counter", "supports", "symbolic_agreement", "symbolic_background_counter", "verify_r_max",
]

Support = tuple[int, int]  # inclusive window offsets (t0, t1) whose taps may be non-zero


# --------------------------------------------------------------------------------------------
# Counting background positions and solving the exactness equations
# --------------------------------------------------------------------------------------------
def relu_gap(cfg: Config, radii=None) -> Config:
    """``cfg`` as a one-channel ReLU network with GAP head (optionally other radii)."""
    changes = dict(channels=1, activation="relu", head="gap")
    if radii is not None:
        changes["radii"] = tuple(radii)
    return cfg.with_(**changes)


def full_support(cfg: Config) -> Support:
    return (-cfg.h_l, cfg.h_r)


def background_counts(cfg: Config, support: Support | None = None) -> tuple[int, ...]:
    """``n_∅(r)`` for ``r = 0..M``: output positions whose run misses ``support`` (by default
    the whole window, i.e. the empty run ``J = ∅``)."""
    t0, t1 = support or full_support(cfg)
    return tuple(
        sum(n for run, n in run_counts(cfg, r).items() if not any(t0 <= t <= t1 for t in run))
        for r in range(cfg.M + 1)
    )


def solve_counter(counts, radii) -> tuple[Fraction, Fraction] | None:
    """``(beta, q)`` solving ``beta + q n(r) = r`` at the first two radii of ``radii``, or
    ``None`` when there are fewer than two radii or the 2x2 system is singular."""
    radii = sorted(radii)
    if len(radii) < 2:
        return None
    r0, r1 = radii[0], radii[1]
    n0, n1 = counts[r0], counts[r1]
    if n0 == n1:
        return None
    q = Fraction(r1 - r0, n1 - n0)
    return (r0 - q * n0, q)


def exact_prefix(counts, beta: Fraction, q: Fraction) -> int:
    """Largest ``R`` with ``beta + q n(r) = r`` for every ``r = 0..R`` (``-1`` if none)."""
    R = -1
    for r, n in enumerate(counts):
        if beta + q * n != r:
            break
        R = r
    return R


def counter_head(beta0: Fraction, q: Fraction, out_size: int, g_bg, g_killed):
    """Output weights of a counter whose background terms answer ``g_bg`` and whose killed
    terms answer ``g_killed``: ``y = beta + (v/|I|)[n g_bg + (|I| - n) g_killed]`` equals
    ``beta0 + q n`` iff ``v = q |I| / (g_bg - g_killed)`` and ``beta = beta0 - v g_killed``.
    (ReLU: ``g_bg = b``, ``g_killed = 0``, so ``v b = q |I|``.)"""
    g_bg, g_killed = Fraction(g_bg), Fraction(g_killed)
    if g_bg == g_killed:
        raise ValueError("background and killed responses coincide: nothing to count")
    v = q * out_size / (g_bg - g_killed)
    return v, beta0 - v * g_killed


def counter_taps(cfg: Config, support: Support | None, bound: Fraction) -> tuple[Fraction, ...]:
    """Filter taps: zero outside ``support``; inside, ``-bound (1 + j/k)`` (tap ``j`` in filter
    order), so each tap, hence each non-empty run sum, is ``<= -bound`` and the first support
    tap meets the bound with equality."""
    t0, t1 = support or full_support(cfg)
    return tuple(
        -bound * (1 + Fraction(j, cfg.kernel)) if t0 <= t <= t1 else Fraction(0)
        for j, t in enumerate(cfg.offsets)
    )


def counter_params(
    cfg: Config, beta: Fraction, q: Fraction, support: Support | None = None,
    b: Fraction = Fraction(1), margin: Fraction = Fraction(0),
) -> Params:
    """Rational ReLU counter: bias ``b > 0``, taps ``<= -(b + margin)/a_min`` (so killed runs
    have ``a W + b <= -margin``), ``v = q |I| / b``, ``beta``."""
    w = counter_taps(cfg, support, (Fraction(b) + margin) / cfg.a_min)
    v, beta = counter_head(beta, q, cfg.out_size, b, 0)
    return Params(w=(w,), b=(Fraction(b),), beta=beta, v=(v,))


# --------------------------------------------------------------------------------------------
# The background counter of a configuration
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class BackgroundCounter:
    """A1 for one configuration (one ReLU channel, GAP head, radii ``0..M``).

    ``counts[r] = n_∅(r)``; ``beta`` and ``vb = v b`` solve the exactness equations at
    ``r = 0, 1``; ``r_max`` is the largest exact prefix (``-1``: no counter). ``params`` is a
    concrete rational counter (``None`` when ``r_max = -1``), ``proof_exact`` its proof on
    ``0..r_max``, ``proof_next`` the refutation on ``0..r_max+1`` (``None`` when
    ``r_max = M``), ``past`` the signed error ``y - r`` for ``r = r_max+1..M``.
    """

    cfg: Config
    support: Support
    counts: tuple[int, ...]
    beta: Fraction | None
    vb: Fraction | None
    r_max: int
    params: Params | None
    proof_exact: Verdict | None
    proof_next: Verdict | None
    past: tuple[tuple[int, Fraction], ...]
    reason: str

    def to_json(self) -> dict:
        return {
            "beta": None if self.beta is None else str(self.beta),
            "vb": None if self.vb is None else str(self.vb),
            "r_max": self.r_max,
        }

    def describe(self) -> str:
        """A few lines for a report."""
        if self.r_max < 0:
            return f"no background counter: {self.reason}"
        lines = [
            f"n_empty(r), r = 0..{self.cfg.M}: {list(self.counts)}",
            f"beta = {self.beta}, v b = {self.vb} (|I| = {self.cfg.out_size}), r_max = {self.r_max}",
            f"exact on 0..{self.r_max}: {self.proof_exact.status}",
        ]
        if self.proof_next is not None:
            lines.append(
                f"on 0..{self.r_max + 1}: {self.proof_next.status}, counterexample "
                f"(r, a, y) = {tuple(str(x) for x in self.proof_next.counterexample)}"
            )
            lines.append("past r_max, y - r = " + ", ".join(f"{r}: {e}" for r, e in self.past))
        return "\n".join(lines)


def _build(cfg: Config, support: Support, counts, solution, refute_next: bool = True) -> BackgroundCounter:
    cfg = relu_gap(cfg)
    if solution is None:
        reason = (
            "no background positions" if not any(counts)
            else "singular exactness system: n_empty(0) = n_empty(1)"
        )
        return BackgroundCounter(cfg, support, counts, None, None, -1, None, None, None, (), reason)
    beta, q = solution
    r_max = exact_prefix(counts, beta, q)
    params = counter_params(cfg, beta, q, support)
    proof_exact = prove(relu_gap(cfg, range(0, r_max + 1)), params, "relu")
    proof_next = None
    if refute_next and r_max < cfg.M:
        proof_next = prove(relu_gap(cfg, range(0, r_max + 2)), params, "relu")
    past = tuple((r, beta + q * counts[r] - r) for r in range(r_max + 1, cfg.M + 1))
    return BackgroundCounter(
        cfg, support, counts, beta, q * cfg.out_size, r_max, params, proof_exact, proof_next,
        past, "solved at r = 0, 1",
    )


@lru_cache(maxsize=512)
def background_counter(cfg: Config) -> BackgroundCounter:
    """Derive ``n_∅``, ``beta``, ``v b`` and ``r_max`` for ``cfg``'s size, kernel, padding and
    amplitude interval, and prove a concrete counter exact on ``0..r_max``."""
    counts = background_counts(cfg)
    return _build(cfg, full_support(cfg), counts, solve_counter(counts, (0, 1)))


@dataclass(frozen=True)
class RMaxCheck:
    ok: bool
    reason: str
    exact: Verdict | None
    next: Verdict | None


def verify_r_max(cfg: Config, claimed: int) -> RMaxCheck:
    """Check a claimed ``r_max``: the counter must be proved exact on ``0..claimed`` and refuted
    on ``0..claimed+1`` (unless ``claimed = M``)."""
    bc = background_counter(cfg)
    if bc.params is None:
        ok = claimed == -1
        return RMaxCheck(ok, "no counter exists" + ("" if ok else f"; claimed {claimed}"), None, None)
    if not 0 <= claimed <= cfg.M:
        return RMaxCheck(False, f"claimed r_max = {claimed} outside 0..M", None, None)
    exact = prove(relu_gap(cfg, range(0, claimed + 1)), bc.params, "relu")
    nxt = prove(relu_gap(cfg, range(0, claimed + 2)), bc.params, "relu") if claimed < cfg.M else None
    if not exact.proved:
        return RMaxCheck(False, f"not exact on 0..{claimed}: {exact.reason}", exact, nxt)
    if nxt is not None and not nxt.refuted:
        return RMaxCheck(False, f"still exact at r = {claimed + 1}: r_max is larger", exact, nxt)
    return RMaxCheck(True, "exact up to the claim and refuted just past it", exact, nxt)


# --------------------------------------------------------------------------------------------
# Reduced supports ("unless the outer weights vanish")
# --------------------------------------------------------------------------------------------
def supports(cfg: Config) -> tuple[Support, ...]:
    """All sub-windows ``[t0, t1]`` of ``[-h_l, h_r]``, widest first, then closest to centre."""
    subs = [(t0, t1) for t0 in cfg.offsets for t1 in cfg.offsets if t0 <= t1]
    return tuple(sorted(subs, key=lambda s: (-(s[1] - s[0]), abs(s[0] + s[1]), s)))


@lru_cache(maxsize=512)
def reduced_support_counters(cfg: Config) -> tuple[BackgroundCounter, ...]:
    """The background counter with the taps outside each sub-window set to zero; its
    ``r_max`` is the radius range ``0..r_max`` a one-channel ReLU solves with that support
    (proved exact there; the refutation past ``r_max`` is only built for the full kernel)."""
    out = []
    for s in supports(cfg):
        counts = background_counts(cfg, s)
        out.append(_build(cfg, s, counts, solve_counter(counts, (0, 1)), refute_next=s == full_support(cfg)))
    return tuple(out)


@lru_cache(maxsize=512)
def counter_for_radii(cfg: Config, margin: Fraction = Fraction(0)) -> BackgroundCounter | None:
    """A counter exact on ``cfg.radii`` (solved at the two smallest radii), trying the whole
    kernel first and then smaller supports; ``None`` when no support works. ``margin`` makes
    killed pre-activations ``<= -margin`` (strict, for the limits of A3)."""
    radii = cfg.radii
    for s in supports(cfg):
        counts = background_counts(cfg, s)
        sol = solve_counter(counts, radii)
        if sol is None or any(sol[0] + sol[1] * counts[r] != r for r in radii):
            continue
        beta, q = sol
        params = counter_params(cfg, beta, q, s, margin=margin)
        proof = prove(relu_gap(cfg, radii), params, "relu")
        return BackgroundCounter(
            relu_gap(cfg, radii), s, counts, beta, q * cfg.out_size,
            exact_prefix(counts, beta, q), params, proof, None, (), f"support {s} solved on the radii",
        )
    return None
