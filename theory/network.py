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
from fractions import Fraction
from typing import Callable, Sequence

from radiuscnn.theory.config import Config
from radiuscnn.theory.runs import run_at, run_counts, run_sum

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
