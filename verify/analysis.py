"""What a trained network computes, weight by weight (THEORY.md sections 5, 6 (T1) and 8).

For one member of a trained 1D ensemble (rational copy of its float weights, every float being
a dyadic rational) this module reads:

1. **Regime.** Every (channel, run) term ``z_{c,J}(a) = a W_c[J] + b_c`` of the run
   decomposition (section 3) over ``A = [a_min, a_max]``: the piece of ``sigma`` holding ``z``
   at ``a_min`` and at ``a_max`` and its name -- *killed* (lowest piece, flat), *saturated*
   (highest piece, flat), *alive* (a piece with slope ``s_p != 0``) -- or *crossing* (the term
   crosses a breakpoint ``z*`` at the kink amplitude ``a* = (z* - b_c)/W_c[J]`` inside ``A``).
   Each non-crossing term has a *margin*: how far ``z`` stays from the ends of its piece over
   ``A`` (the slack of the inequalities that keep it there).

2. **Equations of section 5.** On each sub-interval of ``A`` between the kinks of radius ``r``
   every term is on one piece ``p`` and ``y(r, a) - r = value(r) + a * slope(r) / |I|`` with

       GAP: slope(r) = sum_c v_c sum_J n_J(r) s_p W_c[J]                        (= 0)
            value(r) = beta + (1/|I|) sum_c v_c sum_J n_J(r) (s_p b_c + t_p) - r   (= 0)
       FC:  slope(r) = sum_{c,i} V_{c,i} s_p W_c[J_i(r)]                          (= 0)
            value(r) = beta + sum_{c,i} V_{c,i} (s_p b_c + t_p) - r               (= 0)

   (for FC, ``y - r = value + a * slope``). Each equation is evaluated exactly (its
   *residual*) together with its partial derivatives in every parameter, which are the
   Jacobian of the outputs ``y(r, a)`` on the data with the regime held fixed:
   ``d y / d theta = d value / d theta + a d slope / d theta / |I|``.

3. **Roles.** A parameter is *determined* when some equation has a non-zero coefficient in it
   (so the outputs on the data move with it; we name the equation with the largest
   coefficient), *inequality-constrained* when all its coefficients vanish but it enters a
   term ``z_{c,J}`` that the head uses (it only keeps killed/saturated runs where they are;
   slack = the smallest margin of those terms), and *free* otherwise (no effect on the loss on
   the data).

4. **Family.** For a solved network (grid loss ``<= tol.loss``): *background counter* (a
   channel whose empty run is not flat-killed while every non-empty run is killed counts the
   background positions), *saturated inside counter* (non-empty runs on the top flat piece,
   e.g. hardtanh at +1, count the inside positions), *linear cancellation* (some non-empty
   term is on a sloped piece and the amplitude dependence cancels in the slope equations);
   *analytic approximation* for an analytic ``sigma`` (A3: a small loss, never zero). For
   an unsolved network: *mass plateau* (every channel alive on one sloped piece or constant)
   or *dead* (every channel constant), else *none*. Labels hold exactly
   (:mod:`verify.families`): a counter with a non-empty run crossing the kink inside ``A`` is
   ``background counter (<run> crosses kink)``, not a strict background counter.

5. **Verdict.** :func:`theory.proof.prove` on the rational weights: the exact maximum of
   ``|y(r, a) - r|`` over ``R x A`` (endpoints and kinks); *proved within eps* when it is at
   most ``tol.eps`` (default 1/2: rounding the output then recovers ``r`` for every amplitude),
   *refuted* otherwise (with the counterexample), *inconclusive* for non piecewise-linear
   ``sigma``.

For non piecewise-linear ``sigma`` (tanh, sigmoid, softplus) there are no pieces: the regime
and equations are empty, roles come from the numerical Jacobian of the outputs on the training
grid (float64 autograd), and the verdict is inconclusive.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Callable

import numpy as np
import torch

from radiuscnn.theory.activations import PiecewiseLinear, piecewise_linear
from radiuscnn.verify.families import ALIVE, counter_kind, is_alive_channel, is_background_counter
from radiuscnn.verify.families import solved_counter_family, unsolved_family
from radiuscnn.theory.config import Config
from radiuscnn.theory.network import Params
from radiuscnn.theory.proof import Verdict, prove, prove_fraction
from radiuscnn.theory.rational import mean_square


FAMILIES = (
    "background counter",
    "saturated inside counter",
    "mixed counter",
    "linear cancellation",
    "analytic approximation",
    "mass plateau",
    "dead",
    "none",
)


@dataclass(frozen=True)
class Tolerances:
    """Thresholds of the analysis.

    ``loss``: grid MSE at or below which a network counts as solved (the trainer's default
    1e-3). ``eps``: the verdict is *proved* when ``sup |y - r| <= eps`` over ``R x A``
    (default 1/2, the rounding threshold). ``residual``: an equation holds when its share of the
    error in output units (:attr:`Equation.bound`) is at most this; the verdict's exact maximal
    error is the largest ``bound(value) + bound(slope)``, so the default equals ``eps``. ``coefficient``: a Jacobian entry counts as non-zero above this (absolute).
    ``plateau``: an unsolved network is on an amplitude-proportional plateau when the fit
    ``a f(r) + g`` leaves an RMS residual at most ``plateau * sqrt(loss)``.
    """

    loss: float = 1e-3
    eps: Fraction = Fraction(1, 2)
    residual: float = 0.5
    coefficient: float = 1e-9
    plateau: float = 0.2

    def to_json(self) -> dict:
        return {
            "loss": self.loss,
            "eps": str(self.eps),
            "residual": self.residual,
            "coefficient": self.coefficient,
            "plateau": self.plateau,
        }

from radiuscnn.verify.analysis_equations import (  # noqa: F401 - re-exported: the analysis API
    Equation, equations, equations_fraction, error_numerators, errors_from_equations,
    parameter_symbols, symbolic_equation)
from radiuscnn.verify.analysis_roles import (  # noqa: F401
    ROLES, WeightRole, _used_terms, jacobian_roles, output_jacobian, roles, roles_summary)
from radiuscnn.verify.analysis_terms import (  # noqa: F401
    TermState, parameter_names, parameter_values, piece_state, regime, regime_fraction, replace_parameters)


@dataclass(frozen=True)
class ExactEngine:
    """The exact computations of an analysis: ``regime(cfg, p, act)``, ``equations(cfg, p,
    act)`` and ``prove(cfg, p, activation, eps)``. :data:`INTEGER` (the default) does them in
    integers over common denominators; :data:`FRACTION` is the ``Fraction`` reference with the
    same results, for the tests and ``benchmarks/exact_analysis.py``."""

    regime: Callable
    equations: Callable
    prove: Callable


INTEGER = ExactEngine(regime, equations, prove)
FRACTION = ExactEngine(regime_fraction, equations_fraction, prove_fraction)

# --------------------------------------------------------------------------------------------
# 4. Families
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class PlateauFit:
    """Least-squares fit ``y(r, a) ~ a f(r) + g`` over the training grid: ``f`` per radius, the
    shared ``g``, the RMS of the fit residual and the network's own RMS error ``sqrt(loss)``.

    ``mass_loss`` is the grid MSE of the best estimator affine in the pulse mass,
    ``min_{kappa, g0} mean (kappa sum_i x_i + g0 - r)^2`` with ``sum_i x_i = a (2r+1)``: the loss of
    the amplitude-proportional plateau a network reaches when every term it uses is alive (then
    ``y = beta' + a (v S/|I|) sum_i x_i`` away from the border); ``f_mass_rms`` is the RMS
    misfit of ``f(r) ~ kappa' (2r+1)``."""

    f: tuple[float, ...]
    g: float
    fit_rms: float
    loss_rms: float
    mass_loss: float
    f_mass_rms: float

    def to_json(self) -> dict:
        return {"f": list(self.f), "g": self.g, "fit_rms": self.fit_rms, "loss_rms": self.loss_rms,
                "mass_loss": self.mass_loss, "f_mass_rms": self.f_mass_rms}


def plateau_fit(cfg: Config, samples, y) -> PlateauFit:
    """Fit ``y_b ~ a_b f(r_b) + g`` (unknowns ``f(r)`` for ``r in R`` and ``g``). NumPy's
    least squares, not torch's: MKL's ``gelsy`` behind ``torch.linalg.lstsq`` returns
    different last bits from run to run on the same inputs (measured on an AMD EPYC),
    which would make ``results.json`` differ between two runs of the same report."""
    radii = list(cfg.radii)
    A = np.zeros((len(samples), len(radii) + 1))
    for row, (r, a) in enumerate(samples):
        A[row, radii.index(r)] = float(a)
        A[row, -1] = 1.0
    target = np.array([float(v) for v in y])
    coef = np.linalg.lstsq(A, target, rcond=None)[0]
    fit_rms = float(np.sqrt(np.mean((A @ coef - target) ** 2)))
    r_true = np.array([float(r) for r, _ in samples])
    loss_rms = float(np.sqrt(np.mean((target - r_true) ** 2)))
    mass = np.array([float(a) * (2 * r + 1) for r, a in samples])
    B = np.stack([mass, np.ones_like(mass)], axis=1)
    best = B @ np.linalg.lstsq(B, r_true, rcond=None)[0]
    mass_loss = float(np.mean((best - r_true) ** 2))
    f = coef[:-1]
    odd = np.array([2.0 * r + 1 for r in radii])
    kappa = (f @ odd) / (odd @ odd)
    f_mass_rms = float(np.sqrt(np.mean((f - kappa * odd) ** 2)))
    return PlateauFit(tuple(f.tolist()), float(coef[-1]), fit_rms, loss_rms, mass_loss, f_mass_rms)


def channel_kinds(cfg: Config, p: Params, act: PiecewiseLinear, terms: tuple[TermState, ...]) -> tuple[str, ...]:
    """Per channel, from the used terms that do not cross a kink (crossing terms are the
    non-generic defects of an approximate solution, reported separately): 'alive' (every used
    term, the empty run included, on one sloped piece), 'amplitude-dependent' (otherwise a
    non-empty term on a sloped piece with ``W != 0``, or only crossing terms), 'background
    counter' (every non-empty term killed, the empty run not on the killed piece; with crossing
    non-empty runs 'background counter (<run> crosses kink)', :mod:`verify.families`), 'inside
    counter' (every non-empty term saturated), 'mixed counter', or 'constant' (the same
    contribution on every sample)."""
    used = _used_terms(cfg, p)
    kinds = []
    for c in range(p.channels):
        mine = [t for t in terms if t.channel == c and (c, t.run) in used]
        empty = [t for t in mine if not t.run]
        crossing = [t for t in mine if t.run and t.status == "crossing"]
        nonempty = [t for t in mine if t.run and t.status != "crossing"]
        if any(t.status == "alive" and t.run_sum != 0 for t in nonempty) or (crossing and not nonempty):
            alive = not crossing and is_alive_channel([t.status for t in mine], [t.piece for t in mine])
            kinds.append(ALIVE if alive else "amplitude-dependent")
            continue
        flat_pieces = {t.piece for t in nonempty}
        empty_piece = {t.piece for t in empty}
        if not nonempty or (flat_pieces <= empty_piece and len(flat_pieces | empty_piece) == 1):
            kinds.append("constant")
        elif {t.status for t in nonempty} == {"killed"}:
            kinds.append(counter_kind(t.run for t in crossing))
        elif {t.status for t in nonempty} == {"saturated"}:
            kinds.append("inside counter")
        else:
            kinds.append("mixed counter")
    return tuple(kinds)


def family_of(solved: bool, kinds: tuple[str, ...], fit: PlateauFit | None, plateau_tol: float) -> str:
    """The solution family (module docstring, item 4)."""
    if not solved:
        return unsolved_family(kinds) or "none"
    if kinds and set(kinds) == {"analytic"}:
        return "analytic approximation"
    if "amplitude-dependent" in kinds or ALIVE in kinds:
        return "linear cancellation"
    counters = {k for k in kinds if k.endswith("counter") or is_background_counter(k)}
    if solved_counter_family(counters):
        return solved_counter_family(counters)
    if counters == {"inside counter"}:
        return "saturated inside counter"
    return "mixed counter" if counters else "none"


# --------------------------------------------------------------------------------------------
# 5. The analysis of one network
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class NetworkAnalysis:
    """Everything above for member ``index``; ``loss`` is the MSE on the training grid (exact
    for piecewise-linear ``sigma``), ``max_residual`` the largest equation ``bound``."""

    index: int
    activation: str
    loss: float
    solved: bool
    terms: tuple[TermState, ...]
    equations: tuple[Equation, ...]
    max_residual: float | None
    channels: tuple[str, ...]
    family: str
    plateau: PlateauFit | None
    roles: tuple[WeightRole, ...]
    verdict: Verdict
    tolerances: Tolerances = field(default_factory=Tolerances)

    @property
    def generic(self) -> bool:
        """No term crosses a breakpoint inside ``A`` (section 5's generic case)."""
        return not any(t.status == "crossing" for t in self.terms)

    @property
    def crossings(self) -> tuple[TermState, ...]:
        return tuple(t for t in self.terms if t.status == "crossing")

    @property
    def roles_summary(self) -> dict[str, int]:
        return roles_summary(self.roles)

    @property
    def equations_hold(self) -> bool:
        return self.max_residual is not None and self.max_residual <= self.tolerances.residual

    @property
    def verdict_text(self) -> str:
        v = self.verdict
        eps = Fraction(v.eps).limit_denominator(10**6)
        eps = str(eps) if eps.denominator < 1000 else f"{float(v.eps):.3g}"
        if v.status == "proved":
            return f"proved: max error {float(v.max_error):.3g} <= eps {eps}"
        if v.status == "refuted":
            return f"refuted: max error {float(v.max_error):.3g} > eps {eps}"
        return "inconclusive"

    @property
    def certified(self) -> bool:
        """The checks pass: verdict proved and every equation within the residual tolerance
        (for piecewise-linear sigma)."""
        return self.verdict.proved and self.equations_hold

    def to_json(self) -> dict:
        return {
            "index": self.index,
            "activation": self.activation,
            "loss": self.loss,
            "solved": self.solved,
            "family": self.family,
            "channels": list(self.channels),
            "generic": self.generic,
            "verdict": self.verdict_text,
            "proof": self.verdict.to_json(),
            "max_residual": self.max_residual,
            "equations_hold": self.equations_hold,
            "roles": self.roles_summary,
            "weights": [r.to_json() for r in self.roles],
            "regime": [t.to_json() for t in self.terms],
            "equations": [e.to_json() for e in self.equations],
            "plateau": None if self.plateau is None else self.plateau.to_json(),
            "tolerances": self.tolerances.to_json(),
        }


def analyse_network(
    cfg: Config,
    p: Params,
    samples,
    tol: Tolerances = Tolerances(),
    index: int = 0,
    float_outputs=None,
    float_roles: tuple[WeightRole, ...] | None = None,
    engine: ExactEngine = INTEGER,
) -> NetworkAnalysis:
    """Analyse one network with exact parameters ``p`` (1D) on the training grid ``samples``
    (pairs ``(r, a)``, e.g. ``numeric.data.make_dataset(...).samples``).

    For piecewise-linear ``sigma`` everything is exact. Otherwise ``float_outputs`` (the
    network's float64 outputs on ``samples``) and ``float_roles`` (:func:`jacobian_roles`)
    must be given. ``engine``: :data:`INTEGER` or the reference :data:`FRACTION` (the same
    analysis).
    """
    if cfg.dim != 1:
        raise ValueError("the analysis is for 1D networks")
    act = piecewise_linear(cfg.activation, cfg.alpha)
    if act is not None:
        terms = engine.regime(cfg, p, act)
        eqs = engine.equations(cfg, p, act)
        errors, D = error_numerators(cfg, eqs, samples)  # y - r = errors[i] / D
        loss = float(mean_square(errors, D))
        # the plateau fit reads y = r + errors[i] / D as floats (the correctly rounded quotient)
        y = None if loss <= tol.loss else [(e + r * D) / D for e, (r, _) in zip(errors, samples)]
        max_residual = float(max(e.bound for e in eqs))
        rs = roles(cfg, p, terms, eqs, tol.coefficient)
        kinds = channel_kinds(cfg, p, act, terms)
    else:
        if float_outputs is None or float_roles is None:
            raise ValueError(f"{cfg.activation} is not piecewise linear: pass float_outputs and float_roles")
        y = list(float_outputs)
        loss = sum((float(yy) - r) ** 2 for yy, (r, _) in zip(y, samples)) / len(samples)
        terms, eqs, max_residual, rs = (), (), None, tuple(float_roles)
        kinds = tuple("analytic" for _ in range(p.channels))
    solved = loss <= tol.loss
    fit = None if solved else plateau_fit(cfg, samples, y)
    return NetworkAnalysis(
        index=index,
        activation=cfg.activation,
        loss=loss,
        solved=solved,
        terms=terms,
        equations=eqs,
        max_residual=max_residual,
        channels=kinds,
        family=family_of(solved, kinds, fit, tol.plateau),
        plateau=fit,
        roles=rs,
        verdict=engine.prove(cfg, p, act if act is not None else cfg.activation, eps=tol.eps),
        tolerances=tol,
    )


def analyse_ensemble(
    cfg: Config, params: dict, n_amplitudes: int, tol: Tolerances = Tolerances(), members=None,
    engine: ExactEngine = INTEGER,
) -> tuple[NetworkAnalysis, ...]:
    """:func:`analyse_network` for every member (or the given ``members``) of a trained
    ensemble ``params`` (``numeric.model`` layout) on the grid of ``n_amplitudes`` amplitudes
    (``engine``: as for :func:`analyse_network`)."""
    from radiuscnn.numeric.data import make_dataset
    from radiuscnn.numeric.model import forward, to_exact
    from radiuscnn.theory.landscape import amplitude_grid, grid_samples

    E = params["w"].shape[0]
    members = range(E) if members is None else members
    pl = piecewise_linear(cfg.activation, cfg.alpha) is not None
    # the grid's samples; the signals only for the float outputs of a sigma without pieces
    data = None if pl else make_dataset(cfg, n_amplitudes, torch.float64)
    samples = grid_samples(cfg, amplitude_grid(cfg, n_amplitudes)) if pl else data.samples
    out = []
    for e in members:
        if not all(bool(torch.isfinite(t[e]).all()) for t in params.values()):
            out.append(diverged(cfg, e, tol))
            continue
        p = to_exact(cfg, params, e)
        if pl:
            out.append(analyse_network(cfg, p, samples, tol, e, engine=engine))
            continue
        with torch.no_grad():
            member = {k: t[e : e + 1].to(torch.float64) for k, t in params.items()}
            y = forward(cfg, member, data.x).output[0].tolist()
        rs = jacobian_roles(cfg, params, e, data.x, tol.coefficient)
        out.append(analyse_network(cfg, p, data.samples, tol, e, y, rs, engine))
    return tuple(out)


def diverged(cfg: Config, index: int, tol: Tolerances = Tolerances()) -> NetworkAnalysis:
    """The analysis of a member whose weights are not finite (training diverged)."""
    verdict = Verdict("inconclusive", Fraction(tol.eps), None, None, (), 0, "non-finite weights")
    return NetworkAnalysis(index, cfg.activation, math.nan, False, (), (), None, (), "none", None, (),
                           verdict, tol)


def success_summary(analyses) -> dict:
    """Success rate and the family counts of an ensemble's analyses."""
    families: dict[str, int] = {}
    for a in analyses:
        families[a.family] = families.get(a.family, 0) + 1
    failed = [a.loss for a in analyses if not a.solved and math.isfinite(a.loss)]
    return {
        "networks": len(analyses),
        "solved": sum(a.solved for a in analyses),
        "success_rate": sum(a.solved for a in analyses) / max(1, len(analyses)),
        "families": families,
        "plateau_losses": sorted(round(x, 4) for x in failed),
    }
