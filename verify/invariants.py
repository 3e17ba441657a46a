"""I1: what training conserves (THEORY.md section 6). Numerical claims, stated with tolerances.

(a) **Balancedness.** For a positively homogeneous ``sigma`` (``sigma(l z) = l sigma(z)`` for
    ``l > 0``: relu, leaky_relu, abs, identity) scaling channel ``c``'s filter and bias by ``l``
    and its head weights by ``1/l`` leaves the output unchanged, so
    ``<w_c, dL/dw_c> + b_c dL/db_c = v_c dL/dv_c`` and under gradient flow

        q_c = ||w_c||^2 + b_c^2 - v_c^2        (GAP;  - ||V_c||^2 for the FC head)

    is conserved. A plain GD step ``theta <- theta - eta g`` changes it by exactly
    ``eta^2 (||g_w||^2 + g_b^2 - g_v^2)`` (the first-order terms cancel): the drift per step is
    ``O(eta^2)``, so over a fixed stretch of the flow (``T = tau/eta`` steps) halving ``eta``
    divides the mean drift per step by about 4 (and the accumulated drift by 2). Adam rescales
    each coordinate of the gradient differently, which breaks the cancellation: the drift per
    step is first order (a negative control, reported, not a failure).

(b) **Reflection** (odd ``k``: the padding is symmetric, ``h_l = h_r``). The data are symmetric
    under ``i -> -i``, so flipping every filter (``w_{c,t} -> w_{c,-t}``; for the FC head also
    ``V_{c,i} -> V_{c,-i}``) maps the pre-activation at ``i`` to the one at ``-i`` and leaves
    the loss unchanged; hence the flip commutes with the gradient, and GD or Adam (elementwise)
    started from symmetric filters keeps them symmetric: ``max |w_{c,t} - w_{c,-t}|`` stays at
    rounding level.

(c) **FC head, constant features.** At a position ``i`` whose window never sees the pulse for
    any radius of the data (``J_i(r) = {}`` for every ``r in R``, from :mod:`theory.runs`) the
    feature is ``u_{c,i} = sigma(b_c)`` on every sample, so ``dL/dV_{c,i}`` is the same for all
    those positions; GD and Adam (elementwise, same state) give them identical updates, and
    ``V_{c,i}(t) - V_{c,i}(0)`` is the same across them: the spread
    ``max_i - min_i`` of ``V - V0`` over those positions stays at rounding level, so trained
    weights there are the initialisation shifted by a constant.

Each check is a pure function of a recorded trajectory (so a test can feed it a perturbed
one). Training: every check uses :func:`numeric.ensemble.train` with its record hook; (b)
starts it from a *symmetrised* initial point (``train(init=...)``, see :func:`train_from`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from radiuscnn.numeric.data import make_dataset
from radiuscnn.numeric.ensemble import TrainConfig, train
from radiuscnn.numeric.model import Ensemble, forward, init_params
from radiuscnn.theory.activation_registry import HOMOGENEOUS
from radiuscnn.theory.config import Config
from radiuscnn.theory.runs import run_at
from radiuscnn.verify.atlas import one_thread


@dataclass(frozen=True)
class InvariantCheck:
    """One measured invariant: ``value`` (the largest violation seen over every member, channel
    and step) against ``tolerance``; ``expected`` is False for a negative control (the theory
    predicts a violation), so the claim holds when ``ok == expected``."""

    claim: str
    description: str
    optimizer: str
    lr: float
    steps: int
    members: int
    value: float
    tolerance: float
    expected: bool = True
    contrast: float | None = None

    @property
    def ok(self) -> bool:
        return bool(self.value <= self.tolerance)

    @property
    def as_predicted(self) -> bool:
        return self.ok == self.expected

    def to_json(self) -> dict:
        return {
            "claim": self.claim,
            "description": self.description,
            "optimizer": self.optimizer,
            "lr": self.lr,
            "steps": self.steps,
            "members": self.members,
            "value": self.value,
            "tolerance": self.tolerance,
            "ok": self.ok,
            "expected": self.expected,
            "as_predicted": self.as_predicted,
            "contrast": self.contrast,
        }


# --------------------------------------------------------------------------------------------
# (a) balancedness
# --------------------------------------------------------------------------------------------
def balancedness(cfg: Config, params: Ensemble) -> torch.Tensor:
    """``q_c = ||w_c||^2 + b_c^2 - v_c^2`` (GAP) or ``- ||V_c||^2`` (FC), shape (..., E, C) for
    parameters with any leading axes (e.g. a recorded trajectory)."""
    spatial = tuple(range(-cfg.dim, 0))
    w = params["w"].pow(2).sum(spatial)
    head = params["v"].pow(2) if cfg.head == "gap" else params["V"].pow(2).sum(spatial)
    return w + params["b"].pow(2) - head


def balance_drift(q: torch.Tensor) -> float:
    """``max_{t, e, c} |q_c(t) - q_c(0)|`` of a trajectory ``q`` (T+1, E, C)."""
    return float((q - q[0]).abs().max())


def record_balancedness(cfg: Config, tcfg: TrainConfig) -> torch.Tensor:
    """Train ``cfg`` with ``tcfg`` and return the trajectory ``q`` (steps+1, E, C)."""
    if cfg.activation not in HOMOGENEOUS:
        raise ValueError(f"balancedness needs a positively homogeneous sigma, not {cfg.activation}")
    with one_thread():
        result = train(cfg, tcfg, record=lambda step, p: {"q": balancedness(cfg, p)})
    return result.records["q"]


def balancedness_check(cfg: Config, tcfg: TrainConfig, tolerance: float) -> InvariantCheck:
    """I1a: the drift of ``q`` under ``tcfg`` (GD: expected within ``tolerance``; Adam: the
    negative control, expected above it)."""
    q = record_balancedness(cfg, tcfg)
    return InvariantCheck(
        "I1a",
        "max |q_c(t) - q_c(0)|, q_c = ||w_c||^2 + b_c^2 - " + ("v_c^2" if cfg.head == "gap" else "||V_c||^2"),
        tcfg.optimizer, tcfg.lr, tcfg.steps, tcfg.seeds, balance_drift(q), tolerance,
        expected=tcfg.optimizer == "gd", contrast=float(q[0].abs().max()),
    )


@dataclass(frozen=True)
class DriftStudy:
    """Drift of ``q`` for several step sizes ``eta`` over the same gradient-flow time
    ``tau = eta T`` (so ``T = tau / eta`` steps follow the same stretch of the flow).

    ``drifts`` are ``max_{t <= T, e, c} |q_c(t) - q_c(0)|`` and ``per_step = drift / T``. For GD
    each step adds ``eta^2 (...)`` (the first-order terms cancel), so ``per_step ~ eta^2`` and
    ``drift ~ eta`` (the global error of an order-2 local one); for Adam the first-order terms
    do not cancel: ``per_step ~ eta``. ``exponent`` is the least-squares slope of
    ``log per_step`` against ``log eta`` (GD: 2, Adam: 1) and ``ratios`` the per-step ratios
    of consecutive step sizes (halving ``eta``: GD 1/4, Adam 1/2)."""

    optimizer: str
    flow_time: float
    lrs: tuple[float, ...]
    steps: tuple[int, ...]
    drifts: tuple[float, ...]
    per_step: tuple[float, ...]
    exponent: float
    ratios: tuple[float, ...]
    members: int

    def to_json(self) -> dict:
        return {"optimizer": self.optimizer, "flow_time": self.flow_time, "lrs": list(self.lrs),
                "steps": list(self.steps), "drifts": list(self.drifts), "per_step": list(self.per_step),
                "exponent": self.exponent, "ratios": list(self.ratios), "members": self.members}


def fit_exponent(lrs, values) -> float:
    """Slope of the least-squares line through ``(log eta, log value)``."""
    xs, ys = [math.log(x) for x in lrs], [math.log(y) for y in values]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sum((x - mx) ** 2 for x in xs)


def drift_study(
    cfg: Config, tcfg: TrainConfig, lrs=(0.01, 0.005, 0.0025, 0.00125), flow_time: float = 1.0
) -> DriftStudy:
    """I1a order: train with ``tcfg.optimizer`` and each ``eta`` in ``lrs`` for
    ``round(flow_time / eta)`` steps from the same init; see :class:`DriftStudy`."""
    steps = tuple(max(1, round(flow_time / lr)) for lr in lrs)
    drifts = tuple(
        balance_drift(record_balancedness(cfg, tcfg.with_(lr=lr, steps=T))) for lr, T in zip(lrs, steps)
    )
    per_step = tuple(d / T for d, T in zip(drifts, steps))
    ratios = tuple(b / a for a, b in zip(per_step[:-1], per_step[1:]))
    return DriftStudy(tcfg.optimizer, flow_time, tuple(lrs), steps, drifts, per_step,
                      fit_exponent(lrs, per_step), ratios, tcfg.seeds)


# --------------------------------------------------------------------------------------------
# (b) reflection
# --------------------------------------------------------------------------------------------
def _need_odd(cfg: Config) -> None:
    if cfg.kernel % 2 == 0:
        raise ValueError("reflection needs odd k (symmetric padding h_l = h_r)")


def flip(cfg: Config, params: Ensemble) -> Ensemble:
    """Every filter reversed, ``w_{c,t} -> w_{c,-t}`` (and ``V_{c,i} -> V_{c,-i}`` for FC)."""
    out = dict(params)
    out["w"] = params["w"].flip(-1)
    if cfg.head == "fc":
        out["V"] = params["V"].flip(-1)
    return out


def symmetrise(cfg: Config, params: Ensemble) -> Ensemble:
    """``theta <- (theta + flip(theta)) / 2``: symmetric filters (and FC head weights)."""
    flipped = flip(cfg, params)
    return {k: (params[k] + flipped[k]) / 2 if k in ("w", "V") else params[k].clone() for k in params}


def losses(cfg: Config, params: Ensemble, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Per-member MSE on the batch ``(x, y)``, via the reference forward pass."""
    return ((forward(cfg, params, x).output - y) ** 2).mean(dim=1)


def flip_loss_gap(cfg: Config, params: Ensemble, n_amplitudes: int = 11) -> float:
    """``max_e |L_e(flip theta) - L_e(theta)|`` on the data set, float64."""
    _need_odd(cfg)
    data = make_dataset(cfg, n_amplitudes, torch.float64)
    p = {k: t.detach().to(torch.float64) for k, t in params.items()}
    with torch.no_grad():
        return float((losses(cfg, flip(cfg, p), data.x, data.y) - losses(cfg, p, data.x, data.y)).abs().max())


def asymmetry(cfg: Config, w: torch.Tensor) -> float:
    """``max |w_{c,t} - w_{c,-t}|`` over every leading index of a filter tensor (..., k)."""
    return float((w - w.flip(-1)).abs().max())


def train_from(cfg: Config, tcfg: TrainConfig, params: Ensemble, record) -> dict[str, torch.Tensor]:
    """Full-batch training of ``params`` (any starting point) with ``tcfg``: the trainer
    itself (``numeric.ensemble.train(init=params)``); ``record(step, params)`` is called before
    every update and after the last. Returns the stacked records."""
    with one_thread():
        return train(cfg, tcfg, record=record, init=params).records


def symmetry_check(cfg: Config, tcfg: TrainConfig, tolerance: float) -> InvariantCheck:
    """I1b: train from symmetrised initial filters; ``value`` = the largest asymmetry over
    training; ``contrast`` = the same from the unsymmetrised init (it is not conserved)."""
    _need_odd(cfg)
    start = symmetrise(cfg, init_params(cfg, tcfg.seeds, tcfg.seed, tcfg.torch_dtype))
    w = train_from(cfg, tcfg, start, lambda step, p: {"w": p["w"]})["w"]
    raw = init_params(cfg, tcfg.seeds, tcfg.seed, tcfg.torch_dtype)["w"]
    return InvariantCheck(
        "I1b", "max over training of |w_{c,t} - w_{c,-t}| from symmetric filters",
        tcfg.optimizer, tcfg.lr, tcfg.steps, tcfg.seeds, asymmetry(cfg, w), tolerance,
        contrast=asymmetry(cfg, raw),
    )


# --------------------------------------------------------------------------------------------
# (c) FC head: positions with a constant feature
# --------------------------------------------------------------------------------------------
def constant_positions(cfg: Config) -> tuple[int, ...]:
    """Indices (into ``cfg.positions``) of the output positions whose run is empty for every
    radius of the data: their feature is ``sigma(b_c)`` on every sample."""
    return tuple(
        index for index, i in enumerate(cfg.positions) if all(run_at(cfg, i, r) == () for r in cfg.radii)
    )


def offset_spread(V: torch.Tensor, positions) -> float:
    """``max_{t, e, c} (max_i - min_i) (V_{c,i}(t) - V_{c,i}(0))`` over ``positions``, for a
    trajectory ``V`` (T+1, E, C, |I|)."""
    d = (V - V[0])[..., list(positions)]
    return float((d.max(-1).values - d.min(-1).values).max())


def fc_offset_check(cfg: Config, tcfg: TrainConfig, tolerance: float) -> InvariantCheck:
    """I1c: the spread of ``V - V0`` across the constant-feature positions over training;
    ``contrast`` = the same spread across the other positions (which do learn)."""
    if cfg.head != "fc":
        raise ValueError("I1c is about the FC head")
    fixed = constant_positions(cfg)
    if len(fixed) < 2:
        raise ValueError("I1c needs at least two positions whose window never sees the pulse")
    with one_thread():
        result = train(cfg, tcfg, record=lambda step, p: {"V": p["V"]})
    V = result.records["V"]
    others = [i for i in range(cfg.out_size) if i not in fixed]
    return InvariantCheck(
        "I1c", f"spread of V - V0 across the {len(fixed)} constant-feature positions",
        tcfg.optimizer, tcfg.lr, tcfg.steps, tcfg.seeds, offset_spread(V, fixed), tolerance,
        contrast=offset_spread(V, others) if len(others) >= 2 else None,
    )
