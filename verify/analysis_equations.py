"""The section-5 slope and value equations of a network in its own regime (part 2 of
:mod:`verify.analysis`): exact residuals and partial derivatives, errors rebuilt from them,
and the SymPy form of each equation for display. Residuals and display come from the one
builder :func:`theory.section5.slope_value`."""

from __future__ import annotations

import math
from bisect import bisect_left
from dataclasses import dataclass
from fractions import Fraction

from radiuscnn.theory.activations import PiecewiseLinear
from radiuscnn.theory.config import Config
from radiuscnn.theory.kinks import integer_breakpoints, integer_pieces, kinks_between, piece_at
from radiuscnn.theory.network import IntegerNetwork, Params, head_terms
from radiuscnn.theory.rational import common_denominator
from radiuscnn.theory.regimes import kink_amplitudes
from radiuscnn.theory.runs import run_sum, runs_in_data
from radiuscnn.theory.section5 import slope_value
from radiuscnn.verify.analysis_terms import _head_name, _uses, parameter_names


# --------------------------------------------------------------------------------------------
# 2. Equations with their coefficients
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Equation:
    """One equation of section 5 on the sub-interval ``[lo, hi]`` of ``A`` for radius ``r``.

    ``residual`` is its exact left side (``slope(r)`` or ``value(r)`` in the module docstring's
    form; zero when the equation holds). ``bound`` is its share of the error in output units on
    the sub-interval, centred at ``mid = (lo + hi)/2`` (the THEORY form puts the value equation
    at ``a = 0``, which on a short sub-interval between kinks would overstate it): with
    ``e(a) = y(r, a) - r = value + a slope / scale`` (``scale = |I|`` GAP, 1 FC),

        bound(value) = |e(mid)|,   bound(slope) = |slope| (hi - lo) / (2 scale),
        sup_{a in [lo, hi]} |y(r, a) - r| = bound(value) + bound(slope)      (exactly).

    ``coefficients`` are the non-zero partial derivatives ``{parameter: d residual / d
    parameter}`` with the regime fixed."""

    name: str
    kind: str
    radius: int
    lo: Fraction
    hi: Fraction
    residual: Fraction
    bound: Fraction
    coefficients: tuple[tuple[str, Fraction], ...]

    def coefficient(self, name: str) -> Fraction:
        return dict(self.coefficients).get(name, Fraction(0))

    def to_json(self) -> dict:
        return {
            "name": self.name,
            "kind": self.kind,
            "radius": self.radius,
            "interval": [str(self.lo), str(self.hi)],
            "residual": float(self.residual),
            "bound": float(self.bound),
            "coefficients": {k: float(v) for k, v in self.coefficients},
        }


def _add(acc: dict, name: str, value) -> None:
    """``acc[name] += value`` for a non-zero ``value`` (a Fraction or an integer numerator)."""
    if value:
        acc[name] = acc.get(name, 0) + value


def _slope_scale(cfg: Config) -> Fraction:
    """``slope = scale * d y / d a``: ``|I|`` for the GAP head (THEORY form), 1 for FC."""
    return Fraction(cfg.out_size) if cfg.head == "gap" else Fraction(1)


def equations_fraction(cfg: Config, p: Params, act: PiecewiseLinear) -> tuple[Equation, ...]:
    """:func:`equations` in ``Fraction`` arithmetic (through :func:`theory.section5.slope_value`):
    the reference the tests and ``benchmarks/exact_analysis.py`` compare :func:`equations` with."""
    scale = _slope_scale(cfg)
    W = {(c, run): run_sum(p.w[c], cfg, run) for c in range(p.channels) for run in runs_in_data(cfg)}
    out = []
    for r in cfg.radii:
        uses = list(_uses(cfg, p, r))
        used = dict.fromkeys((c, run) for c, run, *_ in uses)  # only these terms are read below
        kinks = {k for c, run in used for k in kink_amplitudes(act, W[c, run], p.b[c], cfg.a_min, cfg.a_max)}
        cuts = (cfg.a_min, *sorted(kinks), cfg.a_max)
        split = len(cuts) > 2
        # per term, what does not depend on the sub-interval: scale m, scale m h, m h, the names
        fixed = [(c, run, head, m, scale * m, scale * m * h, m * h, [f"w[{c},{tap}]" for tap in run], f"b[{c}]")
                 for c, run, head, h, m in uses]
        for lo, hi in zip(cuts[:-1], cuts[1:]):
            mid = (lo + hi) / 2
            pieces = {key: act.pieces[act.piece_index(mid * W[key] + p.b[key[0]])] for key in used}
            slope, value = slope_value(((c, run, h, m) for c, run, _, h, m in uses),
                                       lambda c, run: (pieces[c, run].slope, pieces[c, run].intercept),
                                       lambda c, run: W[c, run], lambda c: p.b[c], p.beta, r, scale)
            slope, value = Fraction(slope), Fraction(value)
            # the partial derivatives of the same sums, with the regime fixed
            d_slope: dict[str, Fraction] = {}
            d_value: dict[str, Fraction] = {"beta": Fraction(1)}
            for c, run, head, m, sm, smh, mh, taps, bias in fixed:
                s, t = pieces[c, run].slope, pieces[c, run].intercept
                if s:
                    _add(d_slope, head, sm * s * W[c, run])
                    tap_coefficient = smh * s
                    for tap in taps:
                        _add(d_slope, tap, tap_coefficient)
                    _add(d_value, bias, mh * s)
                _add(d_value, head, m * (s * p.b[c] + t))
            where = f", a in [{lo}, {hi}]" if split else ""
            # output units: the error e(a) = value + a slope/scale is affine on [lo, hi], so
            # sup |e| = |e(mid)| + |slope| (hi - lo) / (2 scale): the value bound plus the slope bound
            for kind, res, coef, bound in (
                ("slope", slope, d_slope, abs(slope) * (hi - lo) / (2 * scale)),
                ("value", value, d_value, abs(value + mid * slope / scale)),
            ):
                coefs = tuple((k, v) for k, v in coef.items() if v != 0)
                out.append(Equation(f"{kind}[r={r}{where}]", kind, r, lo, hi, res, bound, coefs))
    return tuple(out)


def equations(cfg: Config, p: Params, act: PiecewiseLinear) -> tuple[Equation, ...]:
    """The slope and value equations of every radius and sub-interval (module docstring).

    In integers (:class:`theory.network.IntegerNetwork`): with ``w = n_w / Dw``, ``b = n_b / Db``,
    ``h = n_h / Dh``, ``beta = n_beta / Dbeta``, pieces ``(s, t) = (n_s, n_t) / S`` and a term's
    multiplicity ``m = n / M`` (GAP ``n = n_J(r)``, ``M = |I| = scale``; FC ``n = M = 1``), so
    ``scale m = n``:

        slope              = sum n n_h n_s n_W / SL,       SL = Dh S Dw
        d slope / d h      = n n_s n_W Dh / SL,            d slope / d w_t = n n_h n_s Dw / SL
        value              = (n_beta VA / Dbeta - r VA + f sum n n_h (n_s n_b + n_t Db)) / VA
        d value / d b_c    = f n n_h n_s Db / VA,          d value / d h = f n (n_s n_b + n_t Db) Dh / VA

    with ``VA = lcm(M Dh S Db, Dbeta)``, ``f = VA / (M Dh S Db)``; the sub-intervals' cuts are
    :func:`theory.kinks.kinks_between` of the used terms and each term's piece is the one holding
    ``z`` at the midpoint (:func:`theory.kinks.piece_at`). Exactly :func:`equations_fraction`:
    the same equations, coefficients in the same order, one Fraction per number returned."""
    scale = cfg.out_size if cfg.head == "gap" else 1
    q = IntegerNetwork.of(cfg, p)
    breaks, Z = integer_breakpoints(act)
    sn, tn, S = integer_pieces(act)
    M = scale
    SL = q.Dh * S * q.Dw
    VA = math.lcm(M * q.Dh * S * q.Db, q.Dbeta)
    f, beta = VA // (M * q.Dh * S * q.Db), q.beta * (VA // q.Dbeta)
    W = {(c, run): sum(q.w[c][t + cfg.h_l] for t in run) for c in range(p.channels) for run in runs_in_data(cfg)}
    taps = {key: [f"w[{key[0]},{t}]" for t in key[1]] for key in W}
    kinks_of = {(c, run): kinks_between(breaks, Z, q.b[c], q.Db, n_W, q.Dw, cfg.a_min, cfg.a_max) if n_W else []
                for (c, run), n_W in W.items()}
    heads = [[_head_name(cfg, c, column) for column in range(len(q.head[c]))] for c in range(p.channels)]
    out = []
    for r in cfg.radii:
        terms = [(c, run, heads[c][column], q.head[c][column], n, taps[c, run], f"b[{c}]")
                 for c in range(p.channels) for run, column, n in head_terms(cfg, r)]
        used = dict.fromkeys((c, run) for c, run, *_ in terms)
        kinks = {k for key in used for k in kinks_of[key]}
        cuts = (cfg.a_min, *sorted(Fraction(*k) for k in kinks), cfg.a_max)
        split = len(cuts) > 2
        for lo, hi in zip(cuts[:-1], cuts[1:]):
            mid = (lo + hi) / 2
            mn, md = mid.numerator, mid.denominator
            scaled = [z * md * q.Dw * q.Db for z in breaks]  # z(mid) = (mn n_W Db + n_b md Dw) / (md Dw Db)
            piece = {(c, run): piece_at(scaled, (mn * W[c, run] * q.Db + q.b[c] * md * q.Dw) * Z) for c, run in used}
            slope, value = 0, 0
            d_slope: dict[str, int] = {}
            d_value: dict[str, int] = {"beta": VA}
            for c, run, head, h, n, tap_names, bias in terms:
                k = piece[c, run]
                s, t, w = sn[k], tn[k], W[c, run]
                if s:
                    slope += n * h * s * w
                    _add(d_slope, head, n * s * w * q.Dh)
                    tap = n * h * s * q.Dw
                    for name in tap_names:
                        _add(d_slope, name, tap)
                    _add(d_value, bias, f * n * h * s * q.Db)
                u = n * (s * q.b[c] + t * q.Db)
                value += h * u
                _add(d_value, head, f * u * q.Dh)
            value = beta - r * VA + f * value
            where = f", a in [{lo}, {hi}]" if split else ""
            # output units: the error e(a) = value + a slope/scale is affine on [lo, hi], so
            # sup |e| = |e(mid)| + |slope| (hi - lo) / (2 scale): the value bound plus the slope bound
            width = hi - lo
            slope_bound = Fraction(abs(slope) * width.numerator, SL * width.denominator * 2 * scale)
            value_bound = Fraction(abs(value * SL * md * scale + mn * slope * VA), VA * SL * md * scale)
            for kind, res, den, coef, bound in (("slope", slope, SL, d_slope, slope_bound),
                                                ("value", value, VA, d_value, value_bound)):
                coefs = tuple((k, Fraction(v, den)) for k, v in coef.items() if v != 0)
                out.append(Equation(f"{kind}[r={r}{where}]", kind, r, lo, hi, Fraction(res, den), bound, coefs))
    return tuple(out)


def error_numerators(cfg: Config, eqs: tuple[Equation, ...], samples) -> tuple[list[int], int]:
    """``(n, D)``: the errors ``y(r, a) - r = value + a slope / scale`` on the sub-interval holding
    ``a`` are ``n[i] / D`` for the samples ``(r, a)`` of ``A`` (exact; ``y`` is continuous, so a
    kink may use either side: the first sub-interval holding ``a`` is used), for ``eqs`` as
    :func:`equations` gives them (per radius the slope and value equations of consecutive
    sub-intervals, in order). With ``L`` the least common multiple of the residuals'
    denominators and ``a = n_a / Da`` over the samples' common denominator, ``D = L Da scale``
    and ``n = n_v (L / d_v) Da scale + n_a n_s (L / d_s)``: integers only."""
    scale = cfg.out_size if cfg.head == "gap" else 1
    amplitudes, Da = common_denominator(a for _, a in samples)
    L = math.lcm(*(e.residual.denominator for e in eqs))
    D = L * Da * scale
    by_radius: dict[int, list[tuple[Fraction, Fraction, int, int]]] = {}
    for slope, value in zip(eqs[0::2], eqs[1::2]):
        s, v = slope.residual, value.residual
        by_radius.setdefault(slope.radius, []).append(
            (slope.lo, slope.hi, s.numerator * (L // s.denominator), v.numerator * (L // v.denominator) * Da * scale))
    ends = {r: [hi for _, hi, _, _ in pieces] for r, pieces in by_radius.items()}
    out = []
    for (r, a), n_a in zip(samples, amplitudes):
        a = a if type(a) is Fraction else Fraction(a)
        j = bisect_left(ends[r], a)  # the first sub-interval reaching a (they are consecutive)
        if j == len(ends[r]) or a < by_radius[r][j][0]:
            raise ValueError(f"amplitude {a} outside [{cfg.a_min}, {cfg.a_max}]")
        _, _, n_s, n_v = by_radius[r][j]
        out.append(n_v + n_a * n_s)
    return out, D


def errors_from_equations(cfg: Config, eqs: tuple[Equation, ...], samples) -> list[Fraction]:
    """``y(r, a) - r = value + a slope / scale`` on the sub-interval holding ``a``, for each
    sample ``(r, a)`` of ``A`` (:func:`error_numerators`, as Fractions)."""
    n, D = error_numerators(cfg, eqs, samples)
    return [Fraction(x, D) for x in n]


def parameter_symbols(cfg: Config, p: Params) -> dict:
    """``{parameter name: real SymPy symbol}``, e.g. ``w[0,-1] -> w_{0,-1}``, ``beta -> beta``."""
    import sympy as sp

    def symbol(name: str):
        if name == "beta":
            return sp.Symbol("beta", real=True)
        head, _, rest = name.partition("[")
        return sp.Symbol(f"{head}_{{{rest[:-1]}}}", real=True)

    return {name: symbol(name) for name in parameter_names(cfg, p)}


def symbolic_equation(cfg: Config, p: Params, act: PiecewiseLinear, eq: Equation):
    """The left side of ``eq`` as a SymPy expression in the parameter symbols, with every term
    on the piece it occupies at ``p`` on ``eq``'s sub-interval (section 5's equation *for that
    regime*: substituting ``p`` gives ``eq.residual``; its gradient gives ``eq.coefficients``)."""
    import sympy as sp

    sym = parameter_symbols(cfg, p)
    mid = (eq.lo + eq.hi) / 2

    def piece(c, run):
        q = act.pieces[act.piece_index(mid * run_sum(p.w[c], cfg, run) + p.b[c])]
        return sp.Rational(q.slope), sp.Rational(q.intercept)

    terms = [(c, run, sym[head], sp.Rational(m)) for c, run, head, _, m in _uses(cfg, p, eq.radius)]
    slope, value = slope_value(terms, piece, lambda c, run: sp.Add(*[sym[f"w[{c},{tap}]"] for tap in run]),
                               lambda c: sym[f"b[{c}]"], sym["beta"], eq.radius, sp.Rational(_slope_scale(cfg)))
    return sp.expand(slope if eq.kind == "slope" else value)


