"""What a trained or imported 2D network computes (THEORY.md sections 7 (D1, D2) and 8).

For one 2D network (exact rational copy of its float weights, :class:`theory.disk_proof.Params2D`)
on the data of ``cfg`` (centred disks, radii ``R``, amplitudes ``A = [a_min, a_max]``):

1. **Regime.** For every channel ``c`` and every nonempty window pattern ``J`` of the data
   (:func:`theory.disk_geometry.pattern_counts`), ``z = a W_c[J] + b_c`` at ``a_min`` and ``a_max``:
   *killed* (flat lowest piece of sigma at both ends), *saturated*, *alive* (one sloped
   piece) or *crossing* (a kink inside ``A``). The background (``J`` empty) sits at ``b_c``.
2. **Family** (piecewise-linear sigma).

   - *background counter* (GAP): every used channel with the background off the killed
     piece counts background windows of its effective support ``S_c`` (taps with
     ``a_max |w| > tau |b_c|``; every pattern meeting ``S_c`` is killed on ``A``). With one
     such channel the output is ``beta + v sigma(b) #Bg_S(rho) / |I|^2`` and its RMSE is
     compared with the exact least-squares floor of ``S`` (:func:`theory.disk_floor.support_floor`,
     D1): *at its floor* within 1 %.
   - *two-channel row counter* (GAP, D2): two counter channels and the data solved (the
     difference of two background counts is affine in ``rho``: it counts rows).
   - *FC ring law* (FC): every nonempty pattern killed in every channel and some background
     alive, so ``y = beta + sum_p Vt_p 1[p in Bg(rho)]``, ``Vt = sum_c sigma(b_c) V_c``; zero
     loss forces ``mean_{ring_rho} Vt = -Δrho/|ring_rho|``; the largest relative deviation
     over the rings is reported.
   - *plateau* (unsolved): ``y ~ a f(rho) + g`` explains the outputs
     (:func:`verify.analysis.plateau_fit`); otherwise *amplitude-dependent* (solved) or *none*.
   For analytic sigma: *analytic approximation* when solved, else plateau / none.
3. **Verdict.** :func:`theory.disk_proof.prove_2d`: the exact maximum of ``|y(rho, a) - rho|`` over
   ``R x A`` (endpoints and kinks); *proved within eps* when at most ``eps`` (default 1/2),
   *refuted* otherwise; *inconclusive* for analytic sigma.

The loss and the RMSE are float64 on the amplitude grid of :func:`numeric.data.make_dataset`
(numerical; the verdict is exact).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction

import torch

from radiuscnn.theory.activations import piecewise_linear
from radiuscnn.theory.config import Config
from radiuscnn.theory.disk_floor import support_floor
from radiuscnn.theory.disk_geometry import pattern_counts
from radiuscnn.theory.disk_proof import IntervalProof, Params2D, pattern_sum, prove_2d
from radiuscnn.theory.disk_ring import rings
from radiuscnn.verify.analysis import PlateauFit, Tolerances, piece_state, plateau_fit


@dataclass(frozen=True)
class Channel2D:
    """One channel: ``used`` by the head; ``background`` state of ``b_c``; counts of the distinct
    nonempty patterns of the data per state; ``support`` (effective, number of taps) and
    ``counter`` (every pattern meeting the support killed, background not killed)."""

    channel: int
    bias: float
    used: bool
    background: str
    states: dict
    support: tuple
    counter: bool

    def to_json(self) -> dict:
        return {"channel": self.channel, "bias": self.bias, "used": self.used, "background": self.background,
                "patterns": dict(self.states), "support": [list(o) for o in self.support], "counter": self.counter}


@dataclass(frozen=True)
class NetworkAnalysis2D:
    """The 2D analysis of network ``index`` (module docstring). ``floor``: the support floor of
    a one-channel counter; ``ring_error``: the FC ring law's largest relative deviation."""

    index: int
    activation: str
    head: str
    loss: float
    rmse: float
    solved: bool
    channels: tuple[Channel2D, ...]
    family: str
    detail: str
    floor: float | None
    ring_error: float | None
    plateau: PlateauFit | None
    proof: IntervalProof | None
    tolerances: Tolerances = field(default_factory=Tolerances)

    @property
    def verdict_text(self) -> str:
        if self.proof is None:
            return "inconclusive"
        err, eps = self.proof.max_error, Fraction(self.tolerances.eps).limit_denominator(10**6)
        eps = str(eps) if eps.denominator < 1000 else f"{float(self.tolerances.eps):.3g}"
        if err <= self.tolerances.eps:
            return "proved exact" if err == 0 else f"proved: max error {float(err):.3g} <= eps {eps}"
        return f"refuted: max error {float(err):.3g} > eps {eps}"

    @property
    def proved(self) -> bool:
        return self.proof is not None and self.proof.max_error <= self.tolerances.eps

    def to_json(self) -> dict:
        return {
            "index": self.index, "dim": 2, "activation": self.activation, "head": self.head,
            "loss": self.loss, "rmse": self.rmse, "solved": self.solved, "family": self.family,
            "detail": self.detail, "floor": self.floor, "ring_error": self.ring_error,
            "verdict": self.verdict_text, "proof": None if self.proof is None else self.proof.to_json(),
            "channels": [c.to_json() for c in self.channels],
            "plateau": None if self.plateau is None else self.plateau.to_json(),
            "tolerances": self.tolerances.to_json(),
        }


def data_patterns(cfg: Config) -> tuple:
    """The distinct nonempty window patterns of the data, over all radii (sorted)."""
    return tuple(sorted({J for rho in cfg.radii for J in pattern_counts(cfg, rho) if J}))


def effective_support(cfg: Config, w_c, b: Fraction, tau: Fraction) -> tuple:
    """Taps with ``a_max |w_t| > tau |b|`` (exact), in filter order."""
    return tuple((s, t) for s in cfg.offsets for t in cfg.offsets
                 if cfg.a_max * abs(w_c[s + cfg.h_l][t + cfg.h_l]) > tau * abs(b))


def channel_states(cfg: Config, p: Params2D, tau: Fraction = Fraction(1, 10)) -> tuple[Channel2D, ...]:
    """The regime of every channel (module docstring, item 1); ``[]`` for analytic sigma."""
    act = piecewise_linear(cfg.activation, cfg.alpha)
    pats = data_patterns(cfg)
    out = []
    for c in range(p.channels):
        used = (p.v[c] != 0) if cfg.head == "gap" else any(x != 0 for row in p.V[c] for x in row)
        b = p.b[c]
        support = effective_support(cfg, p.w[c], b, tau)
        if act is None:
            out.append(Channel2D(c, float(b), used, "analytic", {}, support, False))
            continue
        states: dict[str, int] = {}
        counter = True
        sup = set(support)
        for J in pats:
            W = pattern_sum(p.w[c], cfg, J)
            lo, hi = act.piece_index(cfg.a_min * W + b), act.piece_index(cfg.a_max * W + b)
            state = "crossing" if lo != hi else piece_state(act, lo)
            states[state] = states.get(state, 0) + 1
            if sup.intersection(J) and state != "killed":
                counter = False
        background = piece_state(act, act.piece_index(b))
        out.append(Channel2D(c, float(b), used, background, states, support, counter and background != "killed"))
    return tuple(out)


def _errors(cfg: Config, params: dict, n_amplitudes: int):
    from radiuscnn.numeric.data import make_dataset
    from radiuscnn.numeric.model import forward

    data = make_dataset(cfg, n_amplitudes, torch.float64)
    with torch.no_grad():
        y = forward(cfg, {k: v.to(torch.float64) for k, v in params.items()}, data.x).output[0]
    return data.samples, y.tolist(), (y - data.y).tolist()


def ring_error(cfg: Config, p: Params2D) -> float | None:
    """``max_rho |mean_{ring_rho} Vt / (-Δrho/|ring_rho|) - 1|`` (FC), ``None`` if no ring."""
    act = piecewise_linear(cfg.activation, cfg.alpha)
    lo = cfg.positions[0]
    feat = [act(b) for b in p.b]
    worst = None
    for ring in rings(cfg):
        if not ring.size:
            continue
        total = sum((f * p.V[c][i - lo][j - lo] for c, f in enumerate(feat) for i, j in ring.pixels), Fraction(0))
        rel = abs(float(total / ring.size) / (-ring.delta / ring.size) - 1)
        worst = rel if worst is None else max(worst, rel)
    return worst


def _family(cfg, p, chans, solved, rmse) -> tuple[str, str, float | None, float | None]:
    used = [c for c in chans if c.used]
    counters = [c for c in used if c.counter]
    constant = [c for c in used if not c.counter and set(c.states) <= {"killed"} and c.background == "killed"]
    if not used or len(counters) + len(constant) != len(used):
        return "", "", None, None
    if cfg.head == "fc":
        if any(set(c.states) - {"killed"} for c in used):
            return "", "", None, None
        err = ring_error(cfg, p)
        return "FC ring law", f"every nonempty pattern killed; ring means vs -Δrho/|ring|: max rel. error {err:.3g}", None, err
    if len(counters) == 1:
        (c,) = counters
        floor = support_floor(cfg, c.support).fit.rmse if c.support else float(torch.tensor(cfg.radii, dtype=torch.float64).std(correction=0))
        where = "at its floor" if abs(rmse - floor) <= 0.01 * floor + 1e-6 else (
            "above its floor" if rmse > floor else "below its floor (near-zero taps make it amplitude-dependent)")
        return ("one-channel background counter", f"support of {len(c.support)} taps; RMSE {rmse:.4g} vs floor "
                f"{floor:.4g}: {where}", floor, None)
    if len(counters) == 2 and solved:
        return "two-channel row counter", f"supports of {len(counters[0].support)} and {len(counters[1].support)} taps", None, None
    return f"{len(counters)}-channel background counter", "", None, None


def analyse_network_2d(cfg: Config, params: dict, index: int = 0, n_amplitudes: int = 21,
                       tol: Tolerances = Tolerances()) -> NetworkAnalysis2D:
    """Analyse member ``index`` of a 2D ensemble ``params`` (``numeric.model`` layout)."""
    if cfg.dim != 2:
        raise ValueError("analyse_network_2d is for 2D networks")
    member = {k: v[index : index + 1] for k, v in params.items()}
    if not all(bool(torch.isfinite(t).all()) for t in member.values()):
        return NetworkAnalysis2D(index, cfg.activation, cfg.head, math.nan, math.nan, False, (), "none",
                                 "non-finite weights", None, None, None, None, tol)
    p = Params2D.from_ensemble(params, index)
    samples, y, err = _errors(cfg, member, n_amplitudes)
    loss = sum(e * e for e in err) / len(err)
    rmse = math.sqrt(loss)
    solved = loss <= tol.loss
    chans = channel_states(cfg, p)
    pl = piecewise_linear(cfg.activation, cfg.alpha) is not None
    family, detail, floor, ring = _family(cfg, p, chans, solved, rmse) if pl else ("", "", None, None)
    fit = None
    if not family:
        if solved:
            family = "amplitude-dependent" if pl else "analytic approximation"
        else:
            fit = plateau_fit(cfg, samples, y)
            family = "plateau" if fit.fit_rms <= tol.plateau * fit.loss_rms else "none"
            detail = f"fit y ~ a f(rho) + g: residual RMS {fit.fit_rms:.3g} vs error RMS {fit.loss_rms:.3g}"
    proof = prove_2d(cfg, p) if pl else None
    return NetworkAnalysis2D(index, cfg.activation, cfg.head, loss, rmse, solved, chans, family, detail, floor,
                             ring, fit, proof, tol)


def analyse_ensemble_2d(cfg: Config, params: dict, n_amplitudes: int = 21, tol: Tolerances = Tolerances(),
                        members=None) -> tuple[NetworkAnalysis2D, ...]:
    """:func:`analyse_network_2d` for every member (or the given ``members``)."""
    members = range(int(params["beta"].shape[0])) if members is None else members
    return tuple(analyse_network_2d(cfg, params, e, n_amplitudes, tol) for e in members)
