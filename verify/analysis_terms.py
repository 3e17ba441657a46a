"""The parameters of a network and the regime of its terms over the amplitude interval
(part 1 of :mod:`verify.analysis`): parameter names and values, and for every (channel, run)
term ``z_{c,J}(a) = a W_c[J] + b_c`` its piece of ``sigma`` at ``a_min`` and ``a_max`` (killed,
saturated, alive or crossing a kink) and its margin."""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

from radiuscnn.theory.activations import PiecewiseLinear
from radiuscnn.theory.config import Config
from radiuscnn.theory.kinks import integer_breakpoints, kinks_between, piece_at
from radiuscnn.theory.network import IntegerNetwork, Params
from radiuscnn.theory.regimes import term_regime
from radiuscnn.theory.runs import Run, run_at, run_counts, run_sum, runs_in_data


# --------------------------------------------------------------------------------------------
# Parameter names
# --------------------------------------------------------------------------------------------
def parameter_names(cfg: Config, p: Params) -> tuple[str, ...]:
    """``w[c,t]`` (tap offset ``t``), ``b[c]``, ``v[c]`` or ``V[c,i]`` (position ``i``), ``beta``,
    in the order of the ensemble tensors ``w, b, v|V, beta``."""
    names = [f"w[{c},{t}]" for c in range(p.channels) for t in cfg.offsets]
    names += [f"b[{c}]" for c in range(p.channels)]
    if cfg.head == "gap":
        names += [f"v[{c}]" for c in range(p.channels)]
    else:
        names += [f"V[{c},{i}]" for c in range(p.channels) for i in cfg.positions]
    return (*names, "beta")


def parameter_values(cfg: Config, p: Params) -> dict[str, Fraction]:
    """``{name: exact value}`` in :func:`parameter_names` order."""
    values = [x for row in p.w for x in row] + list(p.b)
    values += list(p.v) if cfg.head == "gap" else [x for row in p.V for x in row]
    return dict(zip(parameter_names(cfg, p), [*values, p.beta]))


def replace_parameters(cfg: Config, p: Params, changes: dict) -> Params:
    """``p`` with the named parameters (:func:`parameter_names`) set to new exact values."""
    values = parameter_values(cfg, p)
    unknown = set(changes) - set(values)
    if unknown:
        raise KeyError(f"unknown parameters {sorted(unknown)}")
    values.update({k: Fraction(v) for k, v in changes.items()})
    C = p.channels
    w = tuple(tuple(values[f"w[{c},{t}]"] for t in cfg.offsets) for c in range(C))
    b = tuple(values[f"b[{c}]"] for c in range(C))
    if cfg.head == "gap":
        return Params(w=w, b=b, beta=values["beta"], v=tuple(values[f"v[{c}]"] for c in range(C)))
    V = tuple(tuple(values[f"V[{c},{i}]"] for i in cfg.positions) for c in range(C))
    return Params(w=w, b=b, beta=values["beta"], V=V)


def _head_name(cfg: Config, c: int, index: int | None) -> str:
    return f"v[{c}]" if cfg.head == "gap" else f"V[{c},{cfg.positions[index]}]"


def _uses(cfg: Config, p: Params, r: int):
    """The terms of radius ``r`` as ``(c, J, head weight name, head weight, multiplicity)``:
    GAP ``(c, J, v_c, n_J(r)/|I|)`` per run, FC ``(c, J_i(r), V_{c,i}, 1)`` per position."""
    for c in range(p.channels):
        if cfg.head == "gap":
            for run, n in run_counts(cfg, r).items():
                yield c, run, f"v[{c}]", p.v[c], Fraction(n, cfg.out_size)
        else:
            for index, i in enumerate(cfg.positions):
                yield c, run_at(cfg, i, r), _head_name(cfg, c, index), p.V[c][index], Fraction(1)


# --------------------------------------------------------------------------------------------
# 1. Regime
# --------------------------------------------------------------------------------------------
def piece_state(act: PiecewiseLinear, piece: int) -> str:
    """'alive' (slope != 0), 'killed' (flat, lowest piece), 'saturated' (flat, higher piece)."""
    if act.pieces[piece].slope != 0:
        return "alive"
    return "killed" if piece == 0 else "saturated"


def _margin(act: PiecewiseLinear, piece: int, zs) -> Fraction | None:
    """``min_z min(z - lo_p, hi_p - z)`` over the given pre-activations (None: unbounded)."""
    lo, hi = act.pieces[piece].lo, act.pieces[piece].hi
    gaps = [z - lo for z in zs if lo is not None] + [hi - z for z in zs if hi is not None]
    return min(gaps) if gaps else None


@dataclass(frozen=True)
class TermState:
    """Regime of the term ``sigma(a W_c[J] + b_c)`` over ``A`` (module docstring, item 1).

    ``piece_min``/``piece_max`` index ``sigma.pieces`` at ``a_min``/``a_max`` and
    ``at_min``/``at_max`` name them; ``status`` is the name of the piece used on the whole
    interval or ``'crossing'``; ``kinks`` are the kink amplitudes inside ``A``; ``margin`` the
    slack of the inequalities keeping the term on its piece (0 when crossing, None when the
    piece is the whole line)."""

    channel: int
    run: Run
    run_sum: Fraction
    piece_min: int
    piece_max: int
    at_min: str
    at_max: str
    status: str
    piece: int | None
    kinks: tuple[Fraction, ...]
    margin: Fraction | None

    def to_json(self) -> dict:
        return {
            "channel": self.channel,
            "run": list(self.run),
            "run_sum": float(self.run_sum),
            "at_a_min": self.at_min,
            "at_a_max": self.at_max,
            "piece_min": self.piece_min,
            "piece_max": self.piece_max,
            "status": self.status,
            "kinks": [str(k) for k in self.kinks],
            "margin": None if self.margin is None else float(self.margin),
        }


def regime(cfg: Config, p: Params, act: PiecewiseLinear) -> tuple[TermState, ...]:
    """The regime of every (channel, run) term with ``J`` a run of the data.

    In integers (:class:`theory.network.IntegerNetwork`): over ``Dz = A Dw Db Z`` (``A`` the
    denominators of ``a_min, a_max``, ``Z`` sigma's breakpoints') both ``z(a_min)``, ``z(a_max)``
    and the breakpoints are integers, so the pieces (:func:`theory.kinks.piece_at`) and the
    margins are integer comparisons and differences; the kinks are
    :func:`theory.kinks.kinks_between`, and the piece of a term without kink the one holding
    ``z`` at the midpoint amplitude (as :func:`theory.regimes.term_regime`). Exactly
    :func:`regime_fraction`."""
    q = IntegerNetwork.of(cfg, p)
    breaks, Z = integer_breakpoints(act)
    lo, hi = cfg.a_min, cfg.a_max
    mid = (lo + hi) / 2
    A = math.lcm(lo.denominator, hi.denominator, mid.denominator)
    at = [x.numerator * (A // x.denominator) for x in (lo, hi, mid)]  # a_min, a_max, mid over A
    scale = A * q.Dw * q.Db  # z(a) = (a_A n_W Db + n_b A Dw) / scale
    scaled = [z * scale for z in breaks]  # the breakpoints over scale Z
    ends = list(zip([None, *scaled], [*scaled, None]))  # piece p is [breakpoint p - 1, breakpoint p]
    out = []
    for c in range(p.channels):
        bias = q.b[c] * A * q.Dw
        for run in runs_in_data(cfg):
            n_W = sum(q.w[c][t + cfg.h_l] for t in run)
            z_min, z_max, z_mid = ((x * n_W * q.Db + bias) * Z for x in at)
            pmin, pmax = piece_at(scaled, z_min), piece_at(scaled, z_max)
            kinks = () if not n_W else tuple(Fraction(*k) for k in kinks_between(breaks, Z, q.b[c], q.Db, n_W, q.Dw, lo, hi))
            if kinks:
                status, piece, margin = "crossing", None, Fraction(0)
            else:
                piece = piece_at(scaled, z_mid)
                e_lo, e_hi = ends[piece]
                gaps = ([z - e_lo for z in (z_min, z_max)] if e_lo is not None else []) + \
                       ([e_hi - z for z in (z_min, z_max)] if e_hi is not None else [])
                status, margin = piece_state(act, piece), (Fraction(min(gaps), scale * Z) if gaps else None)
            out.append(TermState(c, run, Fraction(n_W, q.Dw), pmin, pmax, piece_state(act, pmin), piece_state(act, pmax),
                                 status, piece, kinks, margin))
    return tuple(out)


def regime_fraction(cfg: Config, p: Params, act: PiecewiseLinear) -> tuple[TermState, ...]:
    """:func:`regime` in ``Fraction`` arithmetic (:func:`theory.regimes.term_regime`): the
    reference the tests and ``benchmarks/exact_analysis.py`` compare :func:`regime` with."""
    out = []
    for c in range(p.channels):
        for run in runs_in_data(cfg):
            W = run_sum(p.w[c], cfg, run)
            t = term_regime(act, W, p.b[c], cfg.a_min, cfg.a_max, c, run)
            zs = (cfg.a_min * W + p.b[c], cfg.a_max * W + p.b[c])
            pmin, pmax = act.piece_index(zs[0]), act.piece_index(zs[1])
            if t.crossing:
                status, margin = "crossing", Fraction(0)
            else:
                status, margin = piece_state(act, t.piece), _margin(act, t.piece, zs)
            out.append(
                TermState(c, run, W, pmin, pmax, piece_state(act, pmin), piece_state(act, pmax),
                          status, t.piece, t.kinks, margin)
            )
    return tuple(out)


