"""The section-5 slope and value equations of a network in its own regime (part 2 of
:mod:`verify.analysis`): exact residuals and partial derivatives, errors rebuilt from them,
and the SymPy form of each equation for display. Residuals and display come from the one
builder :func:`theory.section5.slope_value`."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from radiuscnn.theory.activations import PiecewiseLinear
from radiuscnn.theory.config import Config
from radiuscnn.theory.network import Params
from radiuscnn.theory.regimes import kink_amplitudes
from radiuscnn.theory.runs import run_sum, runs_in_data
from radiuscnn.theory.section5 import slope_value
from radiuscnn.verify.analysis_terms import _uses, parameter_names


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


def _add(acc: dict, name: str, value: Fraction) -> None:
    if value:
        acc[name] = acc.get(name, Fraction(0)) + value


def _slope_scale(cfg: Config) -> Fraction:
    """``slope = scale * d y / d a``: ``|I|`` for the GAP head (THEORY form), 1 for FC."""
    return Fraction(cfg.out_size) if cfg.head == "gap" else Fraction(1)


def equations(cfg: Config, p: Params, act: PiecewiseLinear) -> tuple[Equation, ...]:
    """The slope and value equations of every radius and sub-interval (module docstring)."""
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


def errors_from_equations(cfg: Config, eqs: tuple[Equation, ...], samples) -> list[Fraction]:
    """``y(r, a) - r = value + a slope / scale`` on the sub-interval holding ``a``, for each
    sample ``(r, a)`` of ``A`` (exact; ``y`` is continuous, so a kink may use either side)."""
    scale = _slope_scale(cfg)
    by_radius: dict[int, list[tuple[Fraction, Fraction, Fraction, Fraction]]] = {}
    for slope, value in zip(eqs[0::2], eqs[1::2]):
        by_radius.setdefault(slope.radius, []).append((slope.lo, slope.hi, slope.residual, value.residual))
    out = []
    for r, a in samples:
        a = Fraction(a)
        for lo, hi, s, v in by_radius[r]:
            if lo <= a <= hi:
                out.append(v + a * s / scale)
                break
        else:
            raise ValueError(f"amplitude {a} outside [{cfg.a_min}, {cfg.a_max}]")
    return out


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


