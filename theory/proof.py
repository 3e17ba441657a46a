"""Exact proofs over an amplitude interval (THEORY.md section 8).

For a piecewise-linear ``sigma`` and rational parameters, ``a -> y(r, a)`` is continuous and
piecewise linear on ``A = [a_min, a_max]`` with kinks only at the amplitudes
``a* = (z* - b_c)/W_c[J]`` where a term crosses a breakpoint ``z*`` of ``sigma``. On each
piece ``y(r, a) - r`` is affine, so ``|y(r, a) - r|`` is maximal at an end of the piece:

    sup_{a in A} |y(r, a) - r| = max over a in {a_min, a_max} ∪ {kinks in A} of |y(r, a) - r|.

Evaluating ``y`` in ``Fraction`` arithmetic at those finitely many amplitudes, for every
radius (``theory.kinks.kink_sweep``, the sweep shared with the 2D proof, in integers), therefore gives the *exact* maximal error over the whole data set
``R x A``. A claim "zero loss" is *proved* when that maximum is 0 (or ``<= eps`` for "proved
within eps"), *refuted* otherwise with a counterexample ``(r, a, y)`` attaining it.

Anything this argument does not cover is *inconclusive* (never proved): an activation that is
not piecewise linear, or parameters that are not exact rationals (convert float weights with
``Params.from_floats``: every float is a dyadic rational).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from numbers import Rational

import sympy as sp

from radiuscnn.theory.activations import PiecewiseLinear, piecewise_linear
from radiuscnn.theory.config import Config
from radiuscnn.theory.kinks import integer_breakpoints, kink_sweep, kinks_between, output_at_kinks_fraction
from radiuscnn.theory.network import IntegerNetwork, Params, groups, integer_groups, integer_run_sums, output

STATUSES = ("proved", "refuted", "inconclusive")


@dataclass(frozen=True)
class RadiusError:
    """``max_{a} |y(r, a) - r|`` for one radius, the amplitude attaining it and ``y`` there."""

    r: int
    max_error: Fraction
    amplitude: Fraction
    output: Fraction


@dataclass(frozen=True)
class Verdict:
    """Outcome of an exact proof attempt.

    ``max_error`` is the exact supremum of ``|y - r|`` over ``R x A`` (``None`` when
    inconclusive); ``counterexample = (r, a, y)`` attains it when refuted; ``per_radius`` lists
    the worst error of each radius; ``points`` is the number of ``(r, a)`` evaluated.
    """

    status: str
    eps: Fraction
    max_error: Fraction | None
    counterexample: tuple[int, Fraction, Fraction] | None
    per_radius: tuple[RadiusError, ...]
    points: int
    reason: str

    @property
    def proved(self) -> bool:
        return self.status == "proved"

    @property
    def refuted(self) -> bool:
        return self.status == "refuted"

    def to_json(self) -> dict:
        return {
            "status": self.status,
            "eps": str(self.eps),
            "max_error": None if self.max_error is None else str(self.max_error),
            "counterexample": None
            if self.counterexample is None
            else [self.counterexample[0], str(self.counterexample[1]), str(self.counterexample[2])],
            "points": self.points,
            "reason": self.reason,
        }


def _inconclusive(reason: str, eps) -> Verdict:
    return Verdict("inconclusive", Fraction(eps), None, None, (), 0, reason)


def _exact(x) -> Fraction | None:
    """``x`` as a Fraction when it is an exact rational (int, Fraction, SymPy Rational)."""
    if isinstance(x, bool):
        return None
    if isinstance(x, sp.Basic):
        return Fraction(int(x.p), int(x.q)) if isinstance(x, sp.Rational) else None
    if isinstance(x, (int, Fraction)) or (isinstance(x, Rational) and not isinstance(x, float)):
        return Fraction(x)
    return None


def exact_params(params: Params) -> Params | None:
    """``params`` with every entry a Fraction, or ``None`` if some entry is not rational."""

    def row(xs):
        out = tuple(_exact(x) for x in xs)
        return None if any(x is None for x in out) else out

    w = tuple(row(r) for r in params.w)
    b, beta = row(params.b), _exact(params.beta)
    v = None if params.v is None else row(params.v)
    V = None if params.V is None else tuple(row(r) for r in params.V)
    if any(r is None for r in w) or b is None or beta is None:
        return None
    if (params.v is not None and v is None) or (V is not None and any(r is None for r in V)):
        return None
    return Params(w=w, b=b, beta=beta, v=v, V=V)


def _resolve(cfg: Config, activation) -> PiecewiseLinear | None:
    if activation is None:
        activation = cfg.activation
    if isinstance(activation, PiecewiseLinear):
        return activation
    if isinstance(activation, str):
        return piecewise_linear(activation, cfg.alpha)
    return None


def _prove(cfg, params, activation, eps, radius_errors) -> Verdict:
    """The verdict from ``radius_errors(act, exact) -> [(RadiusError, points evaluated)]``, one
    per radius of ``cfg.radii`` in order (``exact``: ``params`` as Fractions)."""
    eps = Fraction(eps)
    act = _resolve(cfg, activation)
    if act is None:
        name = activation if isinstance(activation, str) else (activation or cfg.activation)
        return _inconclusive(
            f"activation {name!r} is not piecewise linear: the interval does not reduce to "
            "finitely many amplitudes",
            eps,
        )
    exact = exact_params(params)
    if exact is None:
        return _inconclusive("parameters are not exact rationals (use Params.from_floats)", eps)
    worst, points = [], 0
    for best, count in radius_errors(act, exact):
        worst.append(best)
        points += count
    top = max(worst, key=lambda e: e.max_error)  # first radius attaining the maximum
    if top.max_error <= eps:
        what = "exact" if eps == 0 else f"within eps = {eps}"
        return Verdict(
            "proved", eps, top.max_error, None, tuple(worst), points,
            f"|y - r| <= {eps} at every endpoint and kink, hence on all of R x A ({what})",
        )
    return Verdict(
        "refuted", eps, top.max_error, (top.r, top.amplitude, top.output), tuple(worst), points,
        f"y({top.r}, {top.amplitude}) = {top.output} != {top.r} (error {top.max_error} > {eps})",
    )


def _worst(r: int, outputs) -> tuple[RadiusError, int]:
    """The first point attaining ``max |y - r|`` among ``outputs = [(a, n, d)]`` (``y = n / d``,
    ``d > 0``), and how many there are: ``|y - r| = |n - r d| / d``, compared by
    cross-multiplication, so the only Fractions are the winner's."""
    best, count = None, 0
    for a, n, d in outputs:
        e = abs(n - r * d)
        count += 1
        if best is None or e * best[2] > best[3] * d:
            best = (a, n, d, e)
    a, n, d, e = best
    return RadiusError(r, Fraction(e, d), a, Fraction(n, d)), count


def prove(cfg: Config, params: Params, activation=None, eps=0) -> Verdict:
    """Prove or refute ``|y(r, a) - r| <= eps`` for all ``r in cfg.radii``, ``a in A``.

    ``activation``: a :class:`PiecewiseLinear`, an activation name, or ``None`` for
    ``cfg.activation``. Evaluates exactly at ``a_min``, ``a_max`` and every kink inside
    (:func:`theory.kinks.kink_sweep` on :func:`theory.network.integer_groups`: the network
    in integers over one denominator per tensor).
    """

    def radius_errors(act, p):
        q = IntegerNetwork.of(cfg, p)
        sums = integer_run_sums(cfg, q)
        breaks, Z = integer_breakpoints(act)
        kinks = {(c, W): kinks_between(breaks, Z, q.b[c], q.Db, W, q.Dw, cfg.a_min, cfg.a_max)
                 for (c, _), W in sums.items() if W}  # every group's kinks, once for all radii
        for r in cfg.radii:
            groups, Dg = integer_groups(cfg, q, r, sums)
            yield _worst(r, kink_sweep(p.beta, q.b, q.Db, groups, q.Dw, Dg, act, cfg.a_min, cfg.a_max, kinks))

    return _prove(cfg, params, activation, eps, radius_errors)


def prove_fraction(cfg: Config, params: Params, activation=None, eps=0) -> Verdict:
    """:func:`prove` in ``Fraction`` arithmetic (:func:`theory.network.groups`,
    :func:`theory.kinks.output_at_kinks_fraction`, ``|y - r|`` as Fractions): the reference
    the tests and ``benchmarks/exact_analysis.py`` compare :func:`prove` with."""

    def radius_errors(act, p):
        for r in cfg.radii:
            best, count = None, 0
            for a, y in output_at_kinks_fraction(p.beta, p.b, groups(cfg, p, r), act, cfg.a_min, cfg.a_max):
                err = abs(y - r)
                count += 1
                if best is None or err > best.max_error:
                    best = RadiusError(r, err, a, y)
            yield best, count

    return _prove(cfg, params, activation, eps, radius_errors)


def prove_fixed(cfg: Config, params: Params, amplitude, activation=None, eps=0) -> Verdict:
    """The fixed-amplitude variant ``A = {a}``: exact evaluation at the single amplitude."""
    a = _exact(amplitude) if not isinstance(amplitude, str) else Fraction(amplitude)
    if a is None:
        return _inconclusive("the amplitude is not an exact rational", eps)
    def radius_errors(act, p):
        for r in cfg.radii:
            y = output(cfg, p, r, a, act)
            yield _worst(r, [(a, y.numerator, y.denominator)])

    return _prove(cfg, params, activation, eps, radius_errors)
