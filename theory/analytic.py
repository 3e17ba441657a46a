"""A3: analytic activations cannot be amplitude invariant (THEORY.md section 5).

Impossibility. For analytic ``sigma`` (identity, tanh, sigmoid, softplus, GELU, SiLU) the output
``a -> y(r, a)`` of any network (any width, head, padding, depth) is real-analytic on ``R``.
Zero loss on ``R x [a_min, a_max]`` makes ``y(r, .) - r`` vanish on an interval with interior,
hence everywhere (identity theorem), so ``y(r, 0) = r``. But at ``a = 0`` the input is the zero
signal whatever ``r`` is: every pre-activation equals its bias, and ``y(r, 0)`` does not depend on
``r``. Two different radii give ``r = r'``: contradiction. :func:`impossibility` returns this
argument as a list of steps, with the ``a = 0`` step checked by SymPy on the symbolic network of
the configuration (:func:`zero_amplitude_outputs`).

Not attained infimum. For tanh, sigmoid and softplus the loss can still be made arbitrarily
small: rescaling a counter drives the activation to a piecewise-constant/linear limit,

    softplus(lambda z)/lambda -> relu(z),   sigmoid(lambda z) -> step(z),   tanh(lambda z) -> sign(z),

and a one-channel counter built for the limit (background terms ``z = b > 0``, killed terms
``z <= -m < 0`` on the whole interval) is exact. :func:`loss_sequence` tabulates
``(lambda, ||theta_lambda||, loss)`` in 50-digit arithmetic (more when a recomputation with 30
more digits disagrees): losses strictly decrease to 0 (never rounding to 0), norms diverge.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache

import mpmath as mp
import sympy as sp

from radiuscnn.theory.activations import ANALYTIC, sympy_activation
from radiuscnn.theory.config import Config
from radiuscnn.theory.counter import counter_for_radii, counter_head, relu_gap
from radiuscnn.theory.network import Params
from radiuscnn.theory.runs import run_at, run_counts, run_sum

# GELU and SiLU are not configurable activations (no pieces, no torch side); the impossibility
# argument covers them too, so it takes their SymPy forms besides the registry's analytic ones.
EXTRA_ANALYTIC = {
    "gelu": lambda z: z / 2 * (1 + sp.erf(z / sp.sqrt(2))),
    "silu": lambda z: z / (1 + sp.exp(-z)),
}
ANALYTIC_ACTIVATIONS = (*ANALYTIC, *EXTRA_ANALYTIC)
NON_ANALYTIC = (sp.Max, sp.Min, sp.Abs, sp.Piecewise, sp.Heaviside, sp.sign)


@lru_cache(maxsize=32)
def sympy_form(name: str):
    """SymPy ``sigma`` for the activations of :mod:`theory.activations` plus GELU and SiLU."""
    return EXTRA_ANALYTIC[name] if name in EXTRA_ANALYTIC else sympy_activation(name)


def is_analytic_form(name: str) -> bool:
    """Whether the SymPy form of ``sigma`` is built from analytic functions only."""
    return not sympy_form(name)(sp.Symbol("z", real=True)).has(*NON_ANALYTIC)


# --------------------------------------------------------------------------------------------
# The symbolic network at a = 0
# --------------------------------------------------------------------------------------------
def symbolic_output(cfg: Config, name: str, r: int, a, channels: int | None = None, head: str | None = None):
    """``y(r, a)`` for symbolic weights: GAP ``beta + (1/|I|) sum_c v_c sum_J n_J(r) sigma(a W_c[J] + b_c)``
    or FC ``beta + sum_{c,i} V_{c,i} sigma(a W_c[J_i(r)] + b_c)``."""
    sigma = sympy_form(name)
    C = channels or cfg.channels
    head = head or cfg.head
    w = [[sp.Symbol(f"w_{{{c},{t}}}", real=True) for t in cfg.offsets] for c in range(C)]
    b = [sp.Symbol(f"b_{c}", real=True) for c in range(C)]
    terms = [sp.Symbol("beta", real=True)]
    for c in range(C):
        if head == "gap":
            v = sp.Symbol(f"v_{c}", real=True)
            terms += [v / cfg.out_size * n * sigma(a * run_sum(w[c], cfg, J) + b[c])
                      for J, n in run_counts(cfg, r).items()]
        else:
            terms += [
                sp.Symbol(f"V_{{{c},{index}}}", real=True) * sigma(a * run_sum(w[c], cfg, run_at(cfg, i, r)) + b[c])
                for index, i in enumerate(cfg.positions)
            ]
    return sp.Add(*terms)


@dataclass(frozen=True)
class ZeroAmplitude:
    """``y(r, 0)`` per radius and whether ``y(r, 0) - y(r0, 0)`` simplifies to 0 for all ``r``."""

    head: str
    outputs: dict
    independent: bool


def zero_amplitude_outputs(cfg: Config, name: str, head: str | None = None) -> ZeroAmplitude:
    """Substitute ``a = 0`` into the symbolic network and compare the radii of ``cfg.radii``.

    The network is built with ``a = 0`` in place, so each argument ``0 W_c[J] + b_c`` is
    ``b_c`` as it is formed: the same expression as building it with a symbol ``a`` and calling
    ``.subs(a, 0)`` (``tests/test_analytic_zero.py`` compares the two), 5-10x faster."""
    outs = {r: sp.expand(symbolic_output(cfg, name, r, sp.Integer(0), head=head)) for r in cfg.radii}
    r0 = cfg.radii[0]
    # at a = 0 every argument a W + b collapses to b itself, so equal terms cancel structurally
    independent = all(sp.expand(outs[r] - outs[r0]) == 0 for r in cfg.radii)
    return ZeroAmplitude(head or cfg.head, outs, independent)


@dataclass(frozen=True)
class Impossibility:
    """The A3 argument for one activation and configuration."""

    activation: str
    applies: bool
    steps: tuple[str, ...]
    checks: tuple[ZeroAmplitude, ...]

    @property
    def proved(self) -> bool:
        return self.applies and all(c.independent for c in self.checks)


@lru_cache(maxsize=4096)
def impossibility(cfg: Config, name: str, heads: tuple[str, ...] = ("gap", "fc")) -> Impossibility:
    """The analytic-continuation argument, with the ``a = 0`` step checked by SymPy for each
    head in ``heads``."""
    z = sp.Symbol("z", real=True)
    form = sympy_form(name)(z)
    if not is_analytic_form(name):
        return Impossibility(name, False, (f"sigma = {form} is not analytic (piecewise)",), ())
    if cfg.fixed_amplitude:
        return Impossibility(name, False, (
            "the amplitude set is a single value: no interval with interior, the identity "
            "theorem gives nothing (see F1 for fixed amplitude)",), ())
    if len(cfg.radii) < 2:
        return Impossibility(name, False, ("a single radius: a constant network is exact",), ())
    checks = tuple(zero_amplitude_outputs(cfg, name, head) for head in heads)
    r0, r1 = cfg.radii[0], cfg.radii[1]
    steps = (
        f"sigma(z) = {form} is real-analytic on R (no Max/Min/Abs/Piecewise in its form).",
        "For fixed parameters, a -> y(r, a) is a finite composition of affine maps and sigma, "
        "hence real-analytic on R, for every width C, head (GAP or FC), padding and depth.",
        f"Zero loss on R x [{cfg.a_min}, {cfg.a_max}] means y(r, a) - r = 0 on an interval with "
        "non-empty interior (a_min < a_max).",
        "Identity theorem: an analytic function on the connected set R vanishing on such an "
        "interval vanishes identically, so y(r, 0) = r for every r in R.",
        "At a = 0 the pulse a*1[|i| <= r] is the zero signal for every r: each pre-activation is "
        "its bias b_c (and every deeper layer sees the same input). SymPy, symbolic weights: "
        + "; ".join(
            f"{c.head.upper()} head: y(r, 0) - y({r0}, 0) = 0 for all r in R: {c.independent}"
            + (f" (y(r, 0) = {c.outputs[r0]})" if c.head == "gap" else "")
            for c in checks),
        f"Hence {r0} = y({r0}, 0) = y({r1}, 0) = {r1}: contradiction. No parameter of any size "
        "is exact on two radii over an amplitude interval.",
    )
    return Impossibility(name, True, steps, checks)


# --------------------------------------------------------------------------------------------
# Sequences with loss -> 0 and diverging norm
# --------------------------------------------------------------------------------------------
LIMITS = {"softplus": "relu", "sigmoid": "step", "tanh": "sign"}


def _mp_sigma(name: str):
    return {
        "softplus": lambda z: mp.log1p(mp.exp(z)),
        "sigmoid": lambda z: 1 / (1 + mp.exp(-z)),
        "tanh": mp.tanh,
    }[name]


def kill_margin(out_size: int, b: Fraction = Fraction(1)) -> int:
    """Smallest integer ``m > b`` with ``m - b > ln(4 |I| m / b)``: with killed pre-activations
    ``<= -m`` and background ones ``= b``, the background deviation of sigmoid/tanh dominates
    the killed ones and so does its decay, for every ``lambda >= 1``, so each radius' error is
    strictly monotone in ``lambda`` (no cancellation between the two signs)."""
    m = int(b) + 1
    while not mp.mpf(m) - float(b) > mp.log(4 * out_size * m / mp.mpf(float(b))):
        m += 1
    return m


@dataclass(frozen=True)
class LossSequence:
    """``theta_lambda`` for one activation: the exact limit network (counter) and the table
    ``rows = ((lambda, norm, loss), ...)`` as mpmath numbers; ``digits[i]`` is the working
    precision of row ``i`` (50 unless a 30-digit-finer recomputation disagreed)."""

    activation: str
    limit: str
    scaling: str
    base: Params
    margin: int
    support: tuple[int, int]
    limit_exact: bool
    rows: tuple[tuple[int, mp.mpf, mp.mpf], ...]
    digits: tuple[int, ...]

    @property
    def losses(self):
        return [row[2] for row in self.rows]

    @property
    def norms(self):
        return [row[1] for row in self.rows]

    @property
    def strictly_decreasing(self) -> bool:
        ls = self.losses
        return all(x > y > 0 for x, y in zip(ls, ls[1:]))

    def table(self) -> list[str]:
        return [f"{lam:>4}  {mp.nstr(n, 8):>12}  {mp.nstr(l, 8)}" for lam, n, l in self.rows]


def _amplitude_grid(cfg: Config, points: int) -> tuple[Fraction, ...]:
    if cfg.fixed_amplitude:
        return (cfg.a_min,)
    step = (cfg.a_max - cfg.a_min) / (points - 1)
    return tuple(cfg.a_min + g * step for g in range(points))


def _theta(name: str, base: Params, lam: int) -> Params:
    """``theta_lambda``: inner weights times lambda; for softplus also ``v / lambda``."""
    w = tuple(tuple(lam * x for x in row) for row in base.w)
    b = tuple(lam * x for x in base.b)
    v = tuple(x / lam for x in base.v) if name == "softplus" else base.v
    return Params(w=w, b=b, beta=base.beta, v=v)


def _samples(cfg: Config, p: Params, amplitudes) -> tuple:
    """For every sample ``(r, a)``: ``(r, {z: multiplicity})`` with ``z = a W[J] + b`` exact."""
    out = []
    for r in cfg.radii:
        sums = [(run_sum(p.w[0], cfg, J), n) for J, n in run_counts(cfg, r).items()]
        for a in amplitudes:
            zs: dict[Fraction, int] = {}
            for W, n in sums:
                z = a * W + p.b[0]
                zs[z] = zs.get(z, 0) + n
            out.append((r, zs))
    return tuple(out)


def _loss(cfg: Config, p: Params, samples, name: str, dps: int):
    """Mean of ``(y(r, a) - r)^2`` over the samples, and ``||theta||``, at ``dps`` digits."""
    with mp.workdps(dps):
        f = _mp_sigma(name)
        memo: dict[Fraction, mp.mpf] = {}  # the same pre-activation recurs across samples
        beta, v = _mpf(p.beta), _mpf(p.v[0])
        total = mp.mpf(0)
        for r, zs in samples:
            acc = mp.mpf(0)
            for z, n in zs.items():
                if z not in memo:
                    memo[z] = f(_mpf(z))
                acc += n * memo[z]
            total += (beta + v * acc / cfg.out_size - r) ** 2
        loss = total / len(samples)
        norm = mp.sqrt(sum(_mpf(x) ** 2 for x in _flat(p)))
        return +loss, +norm


def _mpf(x: Fraction):
    """A rational as an mpmath number at the working precision."""
    x = Fraction(x)
    return mp.mpf(x.numerator) / x.denominator


def _flat(p: Params):
    return [*[x for row in p.w for x in row], *p.b, *p.v, p.beta]


def _limit_value(limit: str, z: Fraction) -> Fraction:
    if limit == "relu":
        return max(z, Fraction(0))
    if limit == "step":
        return Fraction(int(z > 0))
    return Fraction((z > 0) - (z < 0))


@lru_cache(maxsize=128)
def loss_sequence(
    cfg: Config,
    name: str,
    lambdas: tuple[int, ...] = (1, 2, 4, 8, 16, 32, 64),
    points: int = 5,
    dps: int = 50,
) -> LossSequence | None:
    """The table ``(lambda, ||theta_lambda||, loss)`` for ``name`` in tanh/sigmoid/softplus on
    ``cfg.radii`` x ``points`` equally spaced amplitudes (endpoints included). ``None`` when no
    one-channel counter is exact on ``cfg.radii`` (then no limit network of this family is)."""
    if name not in LIMITS:
        raise ValueError(f"no limit sequence for {name!r}: expected one of {', '.join(LIMITS)}")
    cfg = relu_gap(cfg)
    margin = kill_margin(cfg.out_size)
    counter = counter_for_radii(cfg, Fraction(margin))
    if counter is None:
        return None
    limit = LIMITS[name]
    relu_params = counter.params
    beta0, q = counter.beta, counter.vb / cfg.out_size
    if limit == "relu":
        base = relu_params
    else:
        g_killed = Fraction(0) if limit == "step" else Fraction(-1)
        v, beta = counter_head(beta0, q, cfg.out_size, 1, g_killed)
        base = Params(w=relu_params.w, b=relu_params.b, beta=beta, v=(v,))
    # the limit network is exact: every pre-activation keeps a strict sign on A (affine in a,
    # same strict sign at both ends), so evaluating at the endpoints covers the interval
    limit_exact = True
    for r in cfg.radii:
        for a in (cfg.a_min, cfg.a_max):
            zs = [(n, a * run_sum(base.w[0], cfg, J) + base.b[0]) for J, n in run_counts(cfg, r).items()]
            limit_exact &= all(z != 0 for _, z in zs)
            y = base.beta + base.v[0] * sum(n * _limit_value(limit, z) for n, z in zs) / cfg.out_size
            limit_exact &= y == r
    amplitudes = _amplitude_grid(cfg, points)
    rows, digits = [], []
    for lam in lambdas:
        theta = _theta(name, base, lam)
        samples = _samples(cfg, theta, amplitudes)
        work = dps
        while True:  # raise the precision until a 30-digit-finer recomputation agrees
            loss, norm = _loss(cfg, theta, samples, name, work)
            check, _ = _loss(cfg, theta, samples, name, work + 30)
            with mp.workdps(work):
                if loss > 0 and abs(loss - check) <= abs(check) * mp.mpf(10) ** (-20):
                    break
            work += 50
            if work > 2000:
                raise ArithmeticError(f"lambda = {lam}: loss not resolved at {work} digits")
        rows.append((lam, norm, loss))
        digits.append(work)
    scaling = {
        "relu": "w, b -> lambda w, lambda b; v -> v/lambda (softplus(lambda z)/lambda -> relu z)",
        "step": "w, b -> lambda w, lambda b (sigmoid(lambda z) -> step z)",
        "sign": "w, b -> lambda w, lambda b (tanh(lambda z) -> sign z)",
    }[limit]
    return LossSequence(
        name, limit, scaling, base, margin, counter.support, limit_exact, tuple(rows), tuple(digits)
    )
