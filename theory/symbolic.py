"""The symbolic network output ``y(r, a)`` through the run decomposition (THEORY.md section 3).

Symbols (real): taps ``w_{c,t}`` (``t = -h_l..h_r``), biases ``b_c``, GAP weights ``v_c``,
FC weights ``V_{c,i}`` (``i`` a centred output position), the output bias ``beta`` and the
amplitude ``a > 0``. With run sums ``W_c[J] = sum_{t in J} w_{c,t}`` (``W_c[∅] = 0``):

    GAP: y(r, a) = beta + (1/|I|) sum_c v_c sum_J n_J(r) sigma(a W_c[J] + b_c)
    FC:  y(r, a) = beta + sum_{c,i} V_{c,i} sigma(a W_c[J_i(r)] + b_c)

For a numeric configuration and radius the counts ``n_J(r)`` and runs ``J_i(r)`` come from
:mod:`theory.runs`; :func:`gap_output_general` instead inserts the symbolic counts
``n_J(r)`` of :mod:`theory.counts` (expressions in ``r`` and ``M``; zeros/valid padding).
The run response ``g_J = sum_c v_c sigma(a W_c[J] + b_c)`` is the unknown of section 4.

The activation terms are built unevaluated (SymPy's symbolic ``Max`` evaluation costs
milliseconds per call); substituting numbers (:func:`evaluate`) evaluates them exactly.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache

import sympy as sp

from radiuscnn.theory.activations import sympy_activation
from radiuscnn.theory.config import Config
from radiuscnn.theory.counts import out_size_expr, symbolic_counts
from radiuscnn.theory.network import Params, check_shapes
from radiuscnn.theory.runs import Run, run_at, run_counts


@dataclass(frozen=True)
class NetworkSymbols:
    """``w[c][t + h_l]``, ``b[c]``, ``v[c]``, ``V[c][index of i]``, ``beta`` and ``a``."""

    w: tuple[tuple[sp.Symbol, ...], ...]
    b: tuple[sp.Symbol, ...]
    v: tuple[sp.Symbol, ...]
    V: tuple[tuple[sp.Symbol, ...], ...]
    beta: sp.Symbol
    a: sp.Symbol


@lru_cache(maxsize=256)
def network_symbols(cfg: Config, channels: int | None = None, compact: bool = False) -> NetworkSymbols:
    """The symbols of a network of ``cfg`` with ``channels`` channels (default ``cfg.channels``).

    The channel index is always written (``w_{0,-1}``, ``b_0``) unless ``compact`` is set, which
    drops it (``w_{-1}``, ``b``) for the one-channel derivations of A2 and A4."""
    C = cfg.channels if channels is None else channels

    def name(stem: str, c: int, rest: str = "") -> str:
        if compact:
            return f"{stem}_{{{rest}}}" if rest else stem
        return f"{stem}_{{{c},{rest}}}" if rest else f"{stem}_{c}"

    return NetworkSymbols(
        w=tuple(tuple(sp.Symbol(name("w", c, str(t)), real=True) for t in cfg.offsets) for c in range(C)),
        b=tuple(sp.Symbol(name("b", c), real=True) for c in range(C)),
        v=tuple(sp.Symbol(name("v", c), real=True) for c in range(C)),
        V=tuple(tuple(sp.Symbol(f"V_{{{c},{i}}}", real=True) for i in cfg.positions) for c in range(C)),
        beta=sp.Symbol("beta", real=True),
        a=sp.Symbol("a", positive=True),
    )


@lru_cache(maxsize=64)
def _sigma(name: str, alpha: Fraction):
    return sympy_activation(name, sp.Rational(alpha.numerator, alpha.denominator))


def run_sum_expr(cfg: Config, c: int, run: Run) -> sp.Expr:
    """``W_c[J] = sum_{t in J} w_{c,t}`` (``0`` for the empty run)."""
    w = network_symbols(cfg).w[c]
    return sp.Add(*(w[t + cfg.h_l] for t in run))


def unit(cfg: Config, c: int, run: Run, a=None) -> sp.Expr:
    """``sigma(a W_c[J] + b_c)``: channel ``c``'s activation at a position with run ``J``
    (``a`` defaults to the amplitude symbol)."""
    sym = network_symbols(cfg)
    a = sym.a if a is None else a
    z = a * run_sum_expr(cfg, c, run) + sym.b[c]
    sigma = _sigma(cfg.activation, cfg.alpha)
    with sp.evaluate(False):
        return sigma(z)


def run_response(cfg: Config, run: Run, a=None) -> sp.Expr:
    """``g_J = sum_c v_c sigma(a W_c[J] + b_c)``."""
    v = network_symbols(cfg).v
    return sp.Add(*(v[c] * unit(cfg, c, run, a) for c in range(cfg.channels)))


@lru_cache(maxsize=1024)
def output_expr(cfg: Config, r: int) -> sp.Expr:
    """``y(r, a)`` for a numeric radius ``r``, from the run decomposition (GAP or FC head)."""
    sym = network_symbols(cfg)
    if cfg.head == "gap":
        counts = run_counts(cfg, r)
        channel_sums = (
            sym.v[c] * sp.Add(*(n * unit(cfg, c, run) for run, n in counts.items()))
            for c in range(cfg.channels)
        )
        return sym.beta + sp.Add(*channel_sums) / cfg.out_size
    terms = (
        sym.V[c][index] * unit(cfg, c, run_at(cfg, i, r))
        for c in range(cfg.channels)
        for index, i in enumerate(cfg.positions)
    )
    return sym.beta + sp.Add(*terms)


def gap_output_general(cfg: Config) -> sp.Expr:
    """``y(r, a)`` of the GAP head with the symbolic counts ``n_J(r)`` in ``r`` and ``M`` and
    ``|I|`` as an expression in ``M`` (zeros/valid padding; circular raises ``ValueError``)."""
    sym = network_symbols(cfg)
    counts = symbolic_counts(cfg)
    channel_sums = (
        sym.v[c] * sp.Add(*(n * unit(cfg, c, run) for run, n in counts.items()))
        for c in range(cfg.channels)
    )
    return sym.beta + sp.Add(*channel_sums) / out_size_expr(cfg)


def _rational(x) -> sp.Rational:
    x = Fraction(x)
    return sp.Rational(x.numerator, x.denominator)


def substitution(cfg: Config, p: Params, a=None) -> dict[sp.Symbol, sp.Rational]:
    """Symbol -> exact value for the parameters ``p`` (and the amplitude ``a`` if given)."""
    check_shapes(cfg, p)
    sym = network_symbols(cfg)
    values: dict[sp.Symbol, sp.Rational] = {sym.beta: _rational(p.beta)}
    for c in range(cfg.channels):
        values.update({s: _rational(x) for s, x in zip(sym.w[c], p.w[c])})
        values[sym.b[c]] = _rational(p.b[c])
        if cfg.head == "gap":
            values[sym.v[c]] = _rational(p.v[c])
        else:
            values.update({s: _rational(x) for s, x in zip(sym.V[c], p.V[c])})
    if a is not None:
        values[sym.a] = _rational(a)
    return values


def evaluate(expr: sp.Expr, cfg: Config, p: Params, a=None, extra: dict | None = None):
    """Substitute exact rationals (parameters, amplitude ``a``, ``extra`` such as ``r, M``).
    A rational result is returned as a ``Fraction`` (always so for piecewise-linear sigma);
    otherwise the exact SymPy number (``tanh(3/2)``...), to be compared via ``evalf``."""
    values = substitution(cfg, p, a)
    values.update({k: sp.Integer(v) if isinstance(v, int) else v for k, v in (extra or {}).items()})
    value = expr.xreplace(values)
    if value.is_Rational:
        return Fraction(int(value.p), int(value.q))
    return value


def exact_output(cfg: Config, p: Params, r: int, a):
    """``y(r, a)`` by exact substitution into :func:`output_expr`."""
    return evaluate(output_expr(cfg, r), cfg, p, a)
