"""One network's parameters as exact numbers, and its output through the run decomposition.

Notation of THEORY.md section 2: channel ``c`` has filter taps ``w_{c,t}`` (stored in filter
order ``t = -h_l .. h_r``) and bias ``b_c``; the GAP head has ``v_c`` and ``beta``; the FC head
has ``V_{c,i}`` (one per output position ``i``, in position order) and ``beta``.

    GAP: y(r, a) = beta + (1/|I|) sum_c v_c sum_J n_J(r) sigma(a W_c[J] + b_c)
    FC:  y(r, a) = beta + sum_{c,i} V_{c,i} sigma(a W_c[J_i(r)] + b_c)

With rational parameters, a rational amplitude and a piecewise-linear ``sigma`` this is exact.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from fractions import Fraction
from typing import Callable, Sequence

from radiuscnn.theory.config import Config
from radiuscnn.theory.rational import common_denominator
from radiuscnn.theory.runs import Run, run_at, run_counts, run_sum, runs_in_data

Exact = Fraction


@dataclass(frozen=True)
class Params:
    """Exact parameters of one 1D network; ``v`` for the GAP head, ``V`` for the FC head."""

    w: tuple[tuple[Exact, ...], ...]
    b: tuple[Exact, ...]
    beta: Exact
    v: tuple[Exact, ...] | None = None
    V: tuple[tuple[Exact, ...], ...] | None = None

    @property
    def channels(self) -> int:
        return len(self.b)

    @staticmethod
    def from_floats(w, b, beta, v=None, V=None) -> "Params":
        """Exact rationals equal to the given floats (every float is a dyadic rational)."""

        def q(x):
            return Fraction(float(x))

        return Params(
            w=tuple(tuple(q(x) for x in row) for row in w),
            b=tuple(q(x) for x in b),
            beta=q(beta),
            v=None if v is None else tuple(q(x) for x in v),
            V=None if V is None else tuple(tuple(q(x) for x in row) for row in V),
        )


def check_shapes(cfg: Config, p: Params) -> None:
    """Raise ``ValueError`` if ``p`` does not fit ``cfg`` (channels, kernel, head)."""
    if len(p.w) != p.channels or any(len(row) != cfg.kernel for row in p.w):
        raise ValueError(f"filters must be {p.channels} x {cfg.kernel}")
    if cfg.head == "gap" and (p.v is None or len(p.v) != p.channels):
        raise ValueError("GAP head needs one output weight v_c per channel")
    if cfg.head == "fc" and (
        p.V is None or len(p.V) != p.channels or any(len(row) != cfg.out_size for row in p.V)
    ):
        raise ValueError(f"FC head needs V of shape {p.channels} x {cfg.out_size}")


def output(cfg: Config, p: Params, r: int, a, sigma: Callable) -> Exact:
    """``y(r, a)`` through the run decomposition (exact when inputs and ``sigma`` are)."""
    check_shapes(cfg, p)
    total = p.beta
    if cfg.head == "gap":
        counts = run_counts(cfg, r)
        for c in range(p.channels):
            acc = 0
            for run, n in counts.items():
                acc = acc + n * sigma(a * run_sum(p.w[c], cfg, run) + p.b[c])
            total = total + p.v[c] * acc / cfg.out_size
        return total
    for c in range(p.channels):
        for index, i in enumerate(cfg.positions):
            total = total + p.V[c][index] * sigma(a * run_sum(p.w[c], cfg, run_at(cfg, i, r)) + p.b[c])
    return total


def groups(cfg: Config, p: Params, r: int) -> dict[tuple[int, Exact], Exact]:
    """``{(c, W_c[J]): total output weight}`` at radius ``r``: ``y(r, a) = beta + sum_g weight_g
    sigma(a W_g + b_c)`` (GAP weight of run ``J``: ``v_c n_J(r)/|I|``; FC: the ``V_{c,i}`` of
    the positions seeing ``J``), the form :func:`theory.kinks.output_at_kinks` evaluates."""
    check_shapes(cfg, p)
    out: dict = {}
    for c in range(p.channels):
        if cfg.head == "gap":
            for run, n in run_counts(cfg, r).items():
                key = (c, run_sum(p.w[c], cfg, run))
                out[key] = out.get(key, 0) + p.v[c] * n / cfg.out_size
            continue
        for index, i in enumerate(cfg.positions):
            key = (c, run_sum(p.w[c], cfg, run_at(cfg, i, r)))
            out[key] = out.get(key, 0) + p.V[c][index]
    return out


def outputs(cfg: Config, p: Params, amplitudes: Sequence, sigma: Callable) -> dict:
    """``{(r, a): y(r, a)}`` over the radius set and the given amplitudes."""
    return {(r, a): output(cfg, p, r, a, sigma) for r in cfg.radii for a in amplitudes}


# --------------------------------------------------------------------------------------------
# The same network in integers
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class IntegerNetwork:
    """``p`` as integer numerators over one positive denominator per tensor
    (:func:`theory.rational.common_denominator`): ``w_{c,t} = w[c][t] / Dw``, ``b_c = b[c] /
    Db``, ``beta = beta / Dbeta`` and the head ``v_c = head[c][0] / Dh`` (GAP) or ``V_{c,i} =
    head[c][i] / Dh`` (FC, position order). Sums, products and comparisons of the exact
    parameters are then integer operations; ``run_sum`` numerators share the denominator
    ``Dw``."""

    w: tuple[tuple[int, ...], ...]
    Dw: int
    b: tuple[int, ...]
    Db: int
    beta: int
    Dbeta: int
    head: tuple[tuple[int, ...], ...]
    Dh: int

    @property
    def channels(self) -> int:
        return len(self.b)

    @staticmethod
    def of(cfg: Config, p: Params) -> "IntegerNetwork":
        """The integer form of the exact parameters ``p`` (entries ``Fraction`` or ``int``)."""
        check_shapes(cfg, p)
        C, k = p.channels, cfg.kernel
        wn, Dw = common_denominator(x for row in p.w for x in row)
        bn, Db = common_denominator(p.b)
        (beta,), Dbeta = common_denominator([p.beta])
        rows = [(x,) for x in p.v] if cfg.head == "gap" else p.V
        width = len(rows[0]) if rows else 0
        hn, Dh = common_denominator(x for row in rows for x in row)
        return IntegerNetwork(
            w=tuple(wn[c * k:(c + 1) * k] for c in range(C)), Dw=Dw, b=bn, Db=Db, beta=beta, Dbeta=Dbeta,
            head=tuple(hn[c * width:(c + 1) * width] for c in range(C)), Dh=Dh)


@lru_cache(maxsize=4096)
def head_terms(cfg: Config, r: int) -> tuple[tuple[Run, int, int], ...]:
    """The head's terms of radius ``r`` per channel, in the order of :func:`groups`: ``(J,
    head column, n)`` with multiplicity ``n`` -- GAP ``(J, 0, n_J(r))`` per run (weight ``v_c
    n_J(r) / |I|``), FC ``(J_i(r), i-th position, 1)`` per position (weight ``V_{c,i}``)."""
    if cfg.head == "gap":
        return tuple((run, 0, n) for run, n in run_counts(cfg, r).items())
    return tuple((run_at(cfg, i, r), index, 1) for index, i in enumerate(cfg.positions))


def integer_run_sums(cfg: Config, q: IntegerNetwork) -> dict[tuple[int, Run], int]:
    """``{(c, J): n_W}`` with ``W_c[J] = n_W / q.Dw`` for every run ``J`` of the data."""
    return {(c, run): sum(q.w[c][t + cfg.h_l] for t in run) for c in range(q.channels) for run in runs_in_data(cfg)}


def integer_groups(cfg: Config, q: IntegerNetwork, r: int, sums: dict | None = None) -> tuple[dict[tuple[int, int], int], int]:
    """:func:`groups` in integers: ``({(c, n_W): n_weight}, D)`` with run sum ``W = n_W / q.Dw``
    and total output weight ``n_weight / D`` (``D = q.Dh |I|`` for GAP, ``q.Dh`` for FC), the
    same groups in the same order (equal run sums are equal numerators over ``q.Dw``);
    ``sums``: :func:`integer_run_sums`, when the caller has them."""
    sums = integer_run_sums(cfg, q) if sums is None else sums
    out: dict = {}
    terms = head_terms(cfg, r)
    for c in range(q.channels):
        head = q.head[c]
        for run, column, n in terms:
            key = (c, sums[c, run])
            out[key] = out.get(key, 0) + head[column] * n
    return out, q.Dh * (cfg.out_size if cfg.head == "gap" else 1)
