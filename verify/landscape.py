"""Polish and certify every trained GAP network at a derived critical point (THEORY.md
section 10, claim L2).

For a trained network ``theta`` (its float weights read exactly, every float being a dyadic
rational) on the training grid:

1. read its grid regime ``rho`` (``theory.landscape.grid_regime``) and solve ``L_rho*`` and the
   optimal affine set ``x_p + null(X_rho)`` exactly;
2. *polish*: project the lifted parameters ``x(theta)`` onto the optimal set (the closest point,
   Euclidean in ``x``); if that point leaves ``Omega_rho``, look for another optimal point
   inside: with the signs of the ``v_c`` fixed, ``Omega_rho`` is an open polyhedral cone in
   ``x`` (``lo_p v_c < a U_c[J] + U_c[b] < hi_p v_c`` for ``v_c > 0``, reversed for
   ``v_c < 0``), so a linear programme (SciPy HiGHS, float) over the optimal set maximises the
   smallest slack; its solution, rounded to a rational point *of the optimal set*
   (``x_p + N c`` with rational ``c``, exact), and the segment back towards the projection give
   an exact interior optimal point close to ``theta``;
3. map back ``w_c, b_c = U_c / v_c`` (``v_c`` as in ``x*``: for activations with ``t_p = 0`` on
   every piece the ``v`` columns of ``X_rho`` vanish, so ``v_c`` stays the trained value; a
   channel with ``v_c = 0 = U_c`` keeps its trained filter);
4. certify (:func:`check_certificate`, rational arithmetic): every term of ``theta*`` strictly
   inside its piece of ``rho``; the normal equations ``X^T (X x(theta*) - r) = 0`` exactly (so
   ``x(theta*)`` minimises the convex quadratic: ``L(theta*) = L_rho*``); and the forward pass
   (``theory.landscape.grid_loss``: the run decomposition of ``theory.network.output``, summed
   in integers) gives ``L(theta*) = L_rho*`` exactly. By L1b ``theta*`` is then
   an exact local minimum of ``L``.

Verdicts: ``global minimum`` (certified and ``L_rho* = 0``; ``theta*`` may then lie on the
boundary of ``Omega_rho``, a term exactly on its kink: ``sigma`` is continuous, so the forward
pass still gives ``L(theta*) = 0``, a global minimum without L1b; the polished point is then
the exact projection onto the optimal set restricted to the constraints the LP found active),
``local minimum`` (certified strictly inside, ``L_rho* > 0``), both only when the gap
``L(theta) - L_rho*`` is at most ``gap_tol``;
``regime boundary`` (no optimal point of ``rho`` lies in ``Omega_rho``, or for ``L_rho* > 0``
only on its boundary: the network is pressed against a breakpoint; the term is named); ``descending`` (certified but the gap is above the
tolerance; the exact gradient norm at ``theta`` is reported).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

from radiuscnn.theory.activations import PiecewiseLinear, piecewise_linear
from radiuscnn.theory.config import Config
from radiuscnn.theory.landscape import (
    GridRegime,
    RegimeMinimum,
    closest_point,
    lifted_loss,
    design_matrix,
    grid_loss,
    grid_regime,
    lift,
    lifted_names,
    normal_residual,
    restrict,
    solve_regime,
    targets,
    tightest_term,
    unlift,
)
from radiuscnn.theory.network import Params
from radiuscnn.theory.rational import common_denominator

VERDICTS = ("global minimum", "local minimum", "regime boundary", "descending")
SHORT = {"global minimum": "global", "local minimum": "local", "regime boundary": "boundary",
         "descending": "descending"}


# --------------------------------------------------------------------------------------------
# The certificate check (independent of how theta* was found)
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class CertificateCheck:
    """Outcome of :func:`check_certificate`: ``ok``, the reason, ``theta*``'s margin to its
    pieces and its exact grid loss (forward pass)."""

    ok: bool
    reason: str
    margin: Fraction | None
    loss: Fraction | None


def check_certificate(cfg: Config, act: PiecewiseLinear, amplitudes, regime: GridRegime,
                      theta_star: Params, regime_loss: Fraction, closed: bool = False) -> CertificateCheck:
    """Prove in rational arithmetic that ``theta_star`` is a local minimum of ``L`` with loss
    ``regime_loss``: strictly inside ``Omega_rho``, normal equations exact, forward-pass loss
    equal. Returns the first failed condition otherwise. ``closed``: accept the closure of
    ``Omega_rho`` (margin ``>= 0``; ``sigma`` is continuous, so the loss is still the lifted
    one there, and with ``regime_loss = 0`` that is a global minimum, but L1b does not apply)."""
    worst = tightest_term(cfg, act, theta_star, amplitudes, regime)
    margin = None if worst is None else worst.margin
    if worst is not None and (worst.margin < 0 or (worst.margin == 0 and not closed)):
        where = "in the closure of" if closed else "strictly inside"
        return CertificateCheck(False, f"not {where} the regime: {worst.describe()} has margin "
                                       f"{float(worst.margin):.3g} to its piece", margin, None)
    X, y = design_matrix(cfg, act, regime, amplitudes), targets(cfg, amplitudes)
    residual = normal_residual(X, y, lift(theta_star))
    bad = [(n, g) for n, g in zip(lifted_names(cfg), residual) if g != 0]
    if bad:
        return CertificateCheck(False, f"not a regime minimum: X^T (X x - r) has {len(bad)} non-zero entries "
                                       f"(e.g. {bad[0][0]}: {float(bad[0][1]):.3g})", margin, None)
    loss = grid_loss(cfg, act, theta_star, amplitudes)
    if loss != Fraction(regime_loss):
        return CertificateCheck(False, f"the forward pass gives L(theta*) = {loss}, not {regime_loss}", margin, loss)
    where = "strictly inside" if worst is None or worst.margin > 0 else f"on the boundary ({worst.describe()}) of"
    return CertificateCheck(True, f"theta* {where} Omega_rho, X^T (X x* - r) = 0 exactly and "
                                  f"L(theta*) = {loss} by the forward pass", margin, loss)


# --------------------------------------------------------------------------------------------
# Polishing
# --------------------------------------------------------------------------------------------
def _constraints(cfg: Config, act: PiecewiseLinear, regime: GridRegime, signs):
    """Rows ``g`` with ``g . x > 0`` iff every term is strictly inside its piece (``signs[c]``
    the fixed sign of ``v_c``), plus ``signs[c] v_c > 0``; lifted coordinates."""
    k, C = cfg.kernel, cfg.channels
    n = 1 + C * (k + 2)
    rows = []
    for (c, run, a), index in zip(regime.keys, regime.pieces):
        piece = act.pieces[index]
        base, vcol = 1 + c * (k + 1), 1 + C * (k + 1) + c
        q = [Fraction(0)] * n  # q . x = a U_c[J] + U_c[b] = v_c z (a run holds each offset once)
        for t in run:
            q[base + t + cfg.h_l] = a
        q[base + k] = Fraction(1)
        for end, side in ((piece.lo, 1), (piece.hi, -1)):
            if end is None:
                continue
            sign = side * signs[c]
            g = list(q) if sign == 1 else [-v for v in q]
            g[vcol] -= sign * end
            rows.append(g)
    for c in range(C):
        g = [Fraction(0)] * n
        g[1 + C * (k + 1) + c] = Fraction(signs[c])
        rows.append(g)
    return rows


def _smallest_slack_sign(rows, x) -> int:
    """The sign of ``min_g g . x`` (``-1, 0, 1``), in integers: a row scaled by its positive
    common denominator and ``x`` by its own keep every sign."""
    xn, _ = common_denominator(x)
    sign = 1
    for g in rows:
        gn, _ = common_denominator(g)
        s = sum(a * b for a, b in zip(gn, xn) if a)
        if s < 0:
            return -1
        if s == 0:
            sign = 0
    return sign


def _float_rows(rows):
    """The constraint rows as a float array (the LP's only view of them)."""
    import numpy as np

    return np.array([[float(v) for v in g] for g in rows])


def _lp_point(base, dirs, constraints, x_near, tau: float):
    """Float LP: the optimal point ``base + N c`` nearest ``x_near`` in L1 with every slack
    ``g . x >= tau`` (``constraints``: the exact rows and their :func:`_float_rows`); returns
    ``(c, slacks)`` or ``None`` when infeasible."""
    import numpy as np
    from scipy.optimize import linprog

    G = constraints[1]
    N = np.array([[float(v) for v in u] for u in dirs]).T
    xb, xn = np.array([float(v) for v in base]), np.array([float(v) for v in x_near])
    n, m = N.shape
    eye = np.eye(n)
    A = np.vstack([np.hstack([N, -eye]), np.hstack([-N, -eye]), np.hstack([-(G @ N), np.zeros((G.shape[0], n))])])
    b = np.r_[xn - xb, xb - xn, G @ xb - tau]
    res = linprog(np.r_[np.zeros(m), np.ones(n)], A_ub=A, b_ub=b, bounds=[(None, None)] * m + [(0, None)] * n,
                  method="highs")
    if res.status != 0:
        return None
    c = res.x[:m]
    return c, G @ (xb + N @ c)


def _exact_point(base, dirs, coef):
    q = [Fraction(float(c)).limit_denominator(10**12) for c in coef]
    return tuple(b + sum((cj * u[i] for cj, u in zip(q, dirs) if cj), Fraction(0)) for i, b in enumerate(base))


def _interior_point(minimum: RegimeMinimum, rows, x_near):
    """An exact optimal point with every ``g . x > 0`` (L1-nearest ``x_near`` with a small slack,
    rounded to a rational point of the optimal set), or ``None``."""
    if not minimum.nullspace:
        return None
    scale = 1.0 + max(abs(float(v)) for v in x_near)
    for tau in (1e-7 * scale, 1e-4 * scale):
        found = _lp_point(minimum.particular, minimum.nullspace, rows, x_near, tau)
        if found is None:
            return None
        x = _exact_point(minimum.particular, minimum.nullspace, found[0])
        if _smallest_slack_sign(rows[0], x) > 0:
            return x
    return None


def _closure_point(minimum: RegimeMinimum, rows, x_near):
    """An exact optimal point in the *closure* of ``Omega_rho`` (every ``g . x >= 0``): the LP
    with slack 0 names the active constraints; the exact projection of ``x_near`` onto the
    optimal set restricted to them is checked; ``None`` when none is found."""
    found = _lp_point(minimum.particular, minimum.nullspace, rows, x_near, 0.0) if minimum.nullspace else None
    if found is None:
        return None
    scale = 1.0 + max(abs(float(v)) for v in x_near)
    active = [g for g, s in zip(rows[0], found[1]) if s <= 1e-9 * scale]
    sub = restrict(minimum.particular, minimum.nullspace, active)
    if sub is None:
        return None
    x = closest_point(*sub, x_near)
    return x if _smallest_slack_sign(rows[0], x) >= 0 else None


@dataclass(frozen=True)
class Polished:
    """The regime optimum nearest ``theta``: ``x_star`` (lifted) and ``theta_star``; ``interior``
    when ``theta_star`` is strictly inside ``Omega_rho``, else on its boundary (``theta_star``
    ``None`` when not even the closure holds an optimal point); ``violation`` names the term the
    plain projection put outside its piece."""

    regime: GridRegime
    minimum: RegimeMinimum
    x: tuple[Fraction, ...]
    x_star: tuple[Fraction, ...]
    theta_star: Params | None
    interior: bool
    method: str
    violation: str | None


def polish(cfg: Config, act: PiecewiseLinear, p: Params, amplitudes) -> Polished:
    """Steps 1-3 of the module docstring."""
    regime = grid_regime(cfg, act, p, amplitudes)
    minimum = solve_regime(cfg, act, regime, amplitudes)
    x = lift(p)
    x_star = minimum.project(x)
    theta = unlift(cfg, x_star, p)
    if theta is not None:
        worst = tightest_term(cfg, act, theta, amplitudes, regime)
        if worst is None or worst.margin > 0:
            return Polished(regime, minimum, x, x_star, theta, True, "projection", None)
        violation = worst.describe()
    else:
        violation = "some v_c* = 0 with U_c* != 0 (theta* at infinity)"
    if any(v == 0 for v in p.v):
        return Polished(regime, minimum, x, x_star, None, False, "none", violation)
    rows = _constraints(cfg, act, regime, [1 if v > 0 else -1 for v in p.v])
    rows = (rows, _float_rows(rows))
    for finder, interior, method in ((_interior_point, True, "interior point (LP)"),
                                     (_closure_point, False, "boundary point (LP)")):
        found = finder(minimum, rows, x_star)
        theta = None if found is None else unlift(cfg, found, p)
        if theta is not None:
            return Polished(regime, minimum, x, found, theta, interior, method, violation)
    return Polished(regime, minimum, x, x_star, None, False, "none", violation)


# --------------------------------------------------------------------------------------------
# The verdict
# --------------------------------------------------------------------------------------------
def gradient(cfg: Config, act: PiecewiseLinear, regime: GridRegime, p: Params, amplitudes) -> dict[str, Fraction]:
    """The exact gradient of ``L`` at ``p`` inside ``Omega_rho``: ``(2/B) X^T (X x - r)`` pulled
    back through ``U_c = v_c (w_c, b_c)`` (keys ``w[c,t]``, ``b[c]``, ``v[c]``, ``beta``)."""
    X, y = design_matrix(cfg, act, regime, amplitudes), targets(cfg, amplitudes)
    gx = [2 * g / len(y) for g in normal_residual(X, y, lift(p))]
    k, C = cfg.kernel, cfg.channels
    out = {"beta": gx[0]}
    for c in range(C):
        base, gv = 1 + c * (k + 1), gx[1 + C * (k + 1) + c]
        for j, t in enumerate(cfg.offsets):
            out[f"w[{c},{t}]"] = gx[base + j] * p.v[c]
            gv += gx[base + j] * p.w[c][j]
        out[f"b[{c}]"] = gx[base + k] * p.v[c]
        out[f"v[{c}]"] = gv + gx[base + k] * p.b[c]
    return out


def _theta_vector(p: Params) -> list[float]:
    return [float(x) for row in p.w for x in row] + [float(x) for x in p.b] + [float(x) for x in p.v] + [float(p.beta)]


@dataclass(frozen=True)
class Landscape:
    """The critical-point verdict of one network (module docstring)."""

    index: int
    verdict: str
    regime_loss: Fraction
    loss: Fraction
    gap: Fraction
    distance: float | None
    margin: Fraction | None
    trained_margin: Fraction | None
    gradient_norm: float
    proof: str
    method: str
    boundary_term: str | None
    rank: int
    nullity: int
    theta_star: Params | None
    x: tuple[Fraction, ...]
    x_star: tuple[Fraction, ...]

    @property
    def short(self) -> str:
        return SHORT[self.verdict]

    def to_json(self) -> dict:
        return {"verdict": self.verdict, "regime_loss": str(self.regime_loss), "gap": float(self.gap),
                "distance": self.distance, "margin": None if self.margin is None else float(self.margin),
                "proof": self.proof, "loss": float(self.loss), "trained_margin":
                    None if self.trained_margin is None else float(self.trained_margin),
                "gradient_norm": self.gradient_norm, "method": self.method, "boundary_term": self.boundary_term,
                "rank": self.rank, "nullity": self.nullity}


def certify(cfg: Config, p: Params, amplitudes, gap_tol: float = 1e-3, index: int = 0,
            act: PiecewiseLinear | None = None) -> Landscape:
    """Polish and certify one GAP network with exact parameters ``p`` on the grid."""
    amplitudes = tuple(Fraction(a) for a in amplitudes)
    act = act or piecewise_linear(cfg.activation, cfg.alpha)
    if act is None or cfg.head != "gap" or cfg.dim != 1:
        raise ValueError("the landscape certificate needs a piecewise-linear activation and the 1D GAP head")
    pol = polish(cfg, act, p, amplitudes)
    loss_star = pol.minimum.loss
    X, y = design_matrix(cfg, act, pol.regime, amplitudes), targets(cfg, amplitudes)
    loss = lifted_loss(X, y, pol.x)  # = the forward pass (regime_loss_at); tests check it
    gap = loss - loss_star
    tight = tightest_term(cfg, act, p, amplitudes)
    trained_margin = None if tight is None else tight.margin
    grad = gradient(cfg, act, pol.regime, p, amplitudes)
    gnorm = math.sqrt(sum(float(g) ** 2 for g in grad.values()))
    common = dict(index=index, regime_loss=loss_star, loss=loss, gap=gap, trained_margin=trained_margin,
                  gradient_norm=gnorm, method=pol.method, rank=pol.minimum.rank,
                  nullity=len(pol.minimum.nullspace), x=pol.x, x_star=pol.x_star)
    pressed = tight.describe() if tight is not None else "-"
    if pol.theta_star is None or (not pol.interior and loss_star != 0):
        return Landscape(verdict="regime boundary", distance=None, margin=None, theta_star=None, boundary_term=pressed,
                         proof=f"no minimiser of L_rho* = {loss_star} lies strictly inside Omega_rho (the projection "
                               f"leaves it at {pol.violation}); the network is pressed against the breakpoint of "
                               f"{pressed}", **common)
    check = check_certificate(cfg, act, amplitudes, pol.regime, pol.theta_star, loss_star, closed=not pol.interior)
    if not check.ok:  # the construction guarantees it; reaching this is a bug, reported, not hidden
        raise AssertionError(f"network {index}: certificate failed: {check.reason}")
    distance = math.dist(_theta_vector(p), _theta_vector(pol.theta_star))
    boundary = None if pol.interior else pol.violation
    if math.isfinite(gap_tol) and gap > Fraction(gap_tol):
        verdict = "descending"
        proof = (f"{check.reason}, but L(theta) - L_rho* = {float(gap):.3g} > {gap_tol:g}: still descending "
                 f"(|grad L| = {gnorm:.3g})")
    else:
        verdict = "global minimum" if loss_star == 0 else "local minimum"
        what = "L_rho* = 0: a global minimum of L" if loss_star == 0 else "an exact local minimum of L (L1b)"
        proof = f"{check.reason}: {what}; trained gap {float(gap):.3g} <= {gap_tol:g}, distance {distance:.3g}"
    return Landscape(verdict=verdict, distance=distance, margin=check.margin, theta_star=pol.theta_star,
                     boundary_term=boundary, proof=proof, **common)


def applicable(cfg: Config) -> bool:
    """The certificate needs the 1D GAP head and a piecewise-linear activation (section 10)."""
    return cfg.dim == 1 and cfg.head == "gap" and piecewise_linear(cfg.activation, cfg.alpha) is not None


def verdict_summary(lands) -> dict:
    """Counts per verdict (:data:`VERDICTS`), ``networks``, ``assigned_fraction`` (not
    descending), ``local_minima_inside_regime`` (every local-minimum point strictly inside
    its open regime) and ``largest_distance`` to theta*."""
    counts = {v: sum(land.verdict == v for land in lands) for v in VERDICTS}
    distances = [land.distance for land in lands if land.distance is not None]
    return {"verdicts": counts, "networks": len(lands),
            "assigned_fraction": (len(lands) - counts["descending"]) / len(lands) if lands else None,
            "local_minima_inside_regime": all(land.margin is None or land.margin > 0
                                              for land in lands if land.verdict == "local minimum"),
            "largest_distance": max(distances) if distances else None}


def certify_ensemble(cfg: Config, params: dict, n_amplitudes: int, gap_tol: float = 1e-3, members=None):
    """:func:`certify` for every member (or ``members``) of a trained 1D GAP ensemble."""
    from radiuscnn.numeric.model import to_exact
    from radiuscnn.theory.landscape import amplitude_grid

    amplitudes = amplitude_grid(cfg, n_amplitudes)
    E = int(params["beta"].shape[0])
    members = range(E) if members is None else members
    return tuple(certify(cfg, to_exact(cfg, params, e), amplitudes, gap_tol, e) for e in members)
