"""D1 on trained networks: two dimensions, centred disks (THEORY.md sections 6 (I1c), 7, 8).

Library code (usable outside pytest); every function returns plain frozen dataclasses or
dicts so the report can consume them. Notation of :mod:`theory.disk`: output pixels ``p``,
patterns ``J_p(rho)``, background ``Bg(rho)``, rings ``ring_rho = Bg(rho') \\ Bg(rho)``.

- :func:`brute_force_background_counts` counts all-zero windows with numpy (an image array,
  ``np.pad``, ``sliding_window_view``), independently of the enumeration in
  :mod:`theory.disk`; :func:`check_background_counts` compares any counts with it.
- :func:`compare_gap`: trained GAP networks' RMSE (float64, on an amplitude grid) against the
  one-channel background-counter floor. The floor is a theorem for the counter family only
  (``b > 0``, every window meeting the filter's support killed on the whole interval, output
  independent of ``a``); a one-channel network below the full-support floor is explained
  either by its *effective support* (taps with ``a_max |w_t| <= tau |b|`` count as zero; it is
  then a counter with a smaller support, whose floor it must respect) or by leaving the family
  (alive non-background windows: the output then depends on ``a``, and an RMSE over an
  amplitude grid is not bound by the invariant family's floor). A numerical claim: tolerance
  and sample are in the result.
- :func:`compare_fc`: trained FC networks in the ring-law regime (every nonempty pattern in
  the data killed on the whole interval, ``a W_c[J] + b_c <= 0`` at ``a_min`` and ``a_max``,
  and the background alive in some channel, ``b_c > 0``). Then ``y = beta + sum_p Vt_p
  1[p in Bg(rho)]`` with ``Vt_p = sum_c sigma(b_c) V_{c,p}``, and zero loss forces
  ``mean_{ring_rho} Vt = -Δrho/|ring_rho|``: compared ring by ring (relative error).
- :func:`train_fc_in_regime`: networks started inside that regime (PyTorch's default FC
  initialisation almost never is: its filters have mixed signs, and the trained networks keep
  non-background pixels alive, see ``compare_fc(...).in_regime``).
- :func:`i1c_background_differences`: FC weights on pixels that are background on every
  sample keep their initial pairwise differences, ``V - V0 = const`` there (GD and Adam).
- :func:`plot_radial_profile`, :func:`plot_error_floor`: vector PDF figures.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Sequence

import numpy as np
import torch

from radiuscnn.theory.config import Config
from radiuscnn.theory.disk import (
    Offset,
    always_background,
    gap_error_floor,
    rings,
    support_floor,
    window_offsets,
)

# --------------------------------------------------------------------------------------------
# Independent brute-force background count (numpy)
# --------------------------------------------------------------------------------------------


def disk_image(cfg: Config, rho: int, a: float = 1.0) -> np.ndarray:
    """``x = a 1[D_rho]`` as an ``N x N`` array, index ``[i + M, j + M]``."""
    i = np.arange(-cfg.M, cfg.M + 1)
    return a * ((i[:, None] ** 2 + i[None, :] ** 2) <= rho * rho).astype(float)


def brute_force_background_counts(cfg: Config) -> dict[int, int]:
    """``{rho: number of k x k windows that are all zero}``: pad the image (zeros: ``h_l``
    top/left and ``h_r`` bottom/right; circular: wrap; valid: none), slide a ``k x k`` window,
    count the windows whose entries are all 0."""
    out = {}
    for rho in cfg.radii:
        x = disk_image(cfg, rho)
        if cfg.padding == "zeros":
            x = np.pad(x, ((cfg.h_l, cfg.h_r), (cfg.h_l, cfg.h_r)))
        elif cfg.padding == "circular":
            x = np.pad(x, ((cfg.h_l, cfg.h_r), (cfg.h_l, cfg.h_r)), mode="wrap")
        win = np.lib.stride_tricks.sliding_window_view(x, (cfg.kernel, cfg.kernel))
        out[rho] = int(np.all(win == 0, axis=(-1, -2)).sum())
    return out


def check_background_counts(cfg: Config, counts: dict[int, int]) -> dict[int, tuple[int, int]]:
    """Mismatches ``{rho: (given, brute force)}`` (empty when ``counts`` is right)."""
    truth = brute_force_background_counts(cfg)
    return {rho: (counts.get(rho), truth[rho]) for rho in cfg.radii if counts.get(rho) != truth[rho]}


# --------------------------------------------------------------------------------------------
# Evaluation helpers
# --------------------------------------------------------------------------------------------


def _numpy(params: dict) -> dict[str, np.ndarray]:
    return {k: (v.detach().cpu().double().numpy() if hasattr(v, "detach") else np.asarray(v, float))
            for k, v in params.items() if v is not None}


def member_errors(cfg: Config, params: dict, n_amplitudes: int = 21) -> np.ndarray:
    """Errors ``y - rho`` (E, |R|, n_amplitudes) in float64 on the evenly spaced amplitude grid
    of :func:`numeric.data.make_dataset` (reference forward pass :func:`numeric.model.forward`)."""
    from radiuscnn.numeric.data import make_dataset
    from radiuscnn.numeric.model import forward

    data = make_dataset(cfg, n_amplitudes, torch.float64)
    p64 = {k: v.detach().to(torch.float64) for k, v in params.items()}
    with torch.no_grad():
        y = forward(cfg, p64, data.x).output
    err = (y - data.y).numpy()
    return err.reshape(err.shape[0], len(cfg.radii), -1)


def pattern_sums(cfg: Config, w: np.ndarray) -> dict[tuple[Offset, ...], np.ndarray]:
    """``{J: W_c[J] for every channel}`` over the nonempty patterns of the data (float64)."""
    from radiuscnn.theory.disk import pattern_counts

    pats = {J for rho in cfg.radii for J in pattern_counts(cfg, rho) if J}
    return {J: sum(w[:, s + cfg.h_l, t + cfg.h_l] for s, t in J) for J in pats}


def effective_support(cfg: Config, w_c: np.ndarray, b: float, tau: float = 0.1) -> tuple[Offset, ...]:
    """Taps with ``a_max |w_t| > tau |b|``, in filter order: the others change the
    pre-activation by at most ``tau |b|`` over the interval and count as zero."""
    bound = tau * abs(b)
    return tuple(
        (s, t) for s, t in window_offsets(cfg) if float(cfg.a_max) * abs(w_c[s + cfg.h_l, t + cfg.h_l]) > bound
    )


# --------------------------------------------------------------------------------------------
# GAP head: trained RMSE against the error floor
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GapNet:
    """One trained GAP network against the floor.

    ``rmse`` over radii x amplitude grid; ``per_radius`` RMS error per radius;
    ``mean_error`` the signed error per radius averaged over the amplitude grid; ``spread`` the
    largest change of the output over the amplitude grid at a fixed radius (0 for an
    amplitude-invariant network); ``beats_floor``: ``rmse < best_floor - tol`` (the family floor, minimum over supports). One channel only:
    ``support`` (effective support: taps with ``a_max |w_t| > tau |b|``; the others cannot
    move the pre-activation by more than ``tau |b|``), ``near_zero_taps`` (``k^2 - |support|``),
    ``support_floor`` (the floor of that support), ``in_family`` (``b > 0`` and every pattern
    of the data that meets the support is killed on the whole interval: the network is a
    background counter with that support, up to the near-zero taps), ``alive_windows``
    (non-background windows, summed over radii, that are alive somewhere on the interval and
    meet the support). ``reason`` explains the verdict; ``explained`` is False only when a
    network beats the floor of its own effective support while in the family."""

    member: int
    seed: int | None
    rmse: float
    per_radius: tuple[float, ...]
    mean_error: tuple[float, ...]
    spread: float
    beats_floor: bool
    support: tuple[Offset, ...] | None
    near_zero_taps: int | None
    support_floor: float | None
    in_family: bool | None
    alive_windows: int | None
    reason: str
    explained: bool


@dataclass(frozen=True)
class GapComparison:
    """``floor`` (full support, one channel), ``best_floor`` (best single support),
    ``two_channel_floor``; ``nets``; ``tolerance``, ``tau`` and the sample
    (``n_radii`` x ``n_amplitudes``)."""

    cfg: Config
    channels: int
    floor: float
    best_floor: float | None
    two_channel_floor: float | None
    nets: tuple[GapNet, ...]
    tolerance: float
    tau: float
    n_radii: int
    n_amplitudes: int

    @property
    def beating(self) -> tuple[GapNet, ...]:
        return tuple(n for n in self.nets if n.beats_floor)

    @property
    def unexplained(self) -> tuple[GapNet, ...]:
        return tuple(n for n in self.nets if not n.explained)

    def summary(self) -> dict:
        rm = [n.rmse for n in self.nets]
        return {
            "channels": self.channels,
            "floor": self.floor,
            "best_floor": self.best_floor,
            "two_channel_floor": self.two_channel_floor,
            "networks": len(self.nets),
            "rmse_min": min(rm),
            "rmse_median": float(np.median(rm)),
            "beating_floor": len(self.beating),
            "beating_reasons": [n.reason for n in self.beating],
            "unexplained": len(self.unexplained),
            "tolerance": self.tolerance,
            "sample": f"{self.n_radii} radii x {self.n_amplitudes} amplitudes",
        }


def _counter_family(cfg: Config, w_c: np.ndarray, b: float, support: tuple[Offset, ...]) -> tuple[bool, int]:
    """``(in_family, alive_windows)`` for one channel (see :class:`GapNet`)."""
    from radiuscnn.theory.disk import pattern_counts

    a0, a1 = float(cfg.a_min), float(cfg.a_max)
    sup = set(support)
    alive = 0
    for rho in cfg.radii:
        for J, n in pattern_counts(cfg, rho).items():
            if not sup.intersection(J):
                continue
            W = sum(w_c[s + cfg.h_l, t + cfg.h_l] for s, t in J)
            if a0 * W + b > 0 or a1 * W + b > 0:
                alive += n
    return b > 0 and alive == 0, alive


def compare_gap(
    cfg: Config,
    params: dict,
    seeds: Sequence[int] | None = None,
    n_amplitudes: int = 21,
    tolerance: float = 1e-6,
    tau: float = 0.1,
) -> GapComparison:
    """Compare trained GAP networks (ensemble dict) with the D1 floors (module docstring)."""
    floors = gap_error_floor(cfg)
    floor = floors["rmse"]
    best = floors["supports"].get("best", {}).get("rmse")
    two = floors["two_channel"]["rmse"] if floors.get("two_channel") else None
    family_floor = best if best is not None else floor  # the floor of the family: the minimum over supports
    err = member_errors(cfg, params, n_amplitudes)
    p = _numpy(params)
    nets = []
    for e in range(err.shape[0]):
        rmse = float(np.sqrt((err[e] ** 2).mean()))
        per_radius = tuple(float(x) for x in np.sqrt((err[e] ** 2).mean(axis=1)))
        mean_error = tuple(float(x) for x in err[e].mean(axis=1))
        spread = float((err[e].max(axis=1) - err[e].min(axis=1)).max())
        beats = rmse < family_floor - tolerance
        support = near = sfloor = fam = alive = None
        explained = True
        reason = f"not below the floor ({rmse:.6g} >= {family_floor:.6g} - {tolerance:g})"
        if cfg.channels == 1:
            w_c, b = p["w"][e, 0], float(p["b"][e, 0])
            support = effective_support(cfg, w_c, b, tau)
            near = cfg.kernel**2 - len(support)
            sfloor = support_floor(cfg, support).fit.rmse if support else float(np.std(cfg.radii))
            fam, alive = _counter_family(cfg, w_c, b, support)
            if beats and fam:
                explained = rmse >= sfloor - tolerance
                reason = (
                    f"effective support of {len(support)} taps ({near} near-zero): its floor "
                    f"{sfloor:.6g} <= rmse {rmse:.6g}" if explained else
                    f"UNEXPLAINED: background counter with support {support} below its floor {sfloor:.6g}"
                )
            elif beats:
                reason = (
                    f"outside the background-counter family: {alive} non-background windows alive on "
                    f"the interval, output varies by {spread:.3g} over the amplitude grid"
                )
        elif beats:
            reason = f"{cfg.channels} channels: the one-channel floor does not apply (two-channel floor {two})"
        nets.append(GapNet(e, None if seeds is None else seeds[e], rmse, per_radius, mean_error, spread, beats,
                           support, near, sfloor, fam, alive, reason, explained))
    return GapComparison(cfg, cfg.channels, floor, best, two, tuple(nets), tolerance, tau,
                         len(cfg.radii), n_amplitudes)


# --------------------------------------------------------------------------------------------
# FC head: the ring law on trained networks
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RingFit:
    """One ring: ``derived = -Δrho/|ring|``, ``trained = mean_{ring} Vt`` (``Vt = sum_c
    sigma(b_c) V_c``), ``rel_error = trained/derived - 1``, ``law = Δrho/(2 pi d)``."""

    rho_prev: int
    rho: int
    size: int
    derived: float
    trained: float
    rel_error: float
    law: float


@dataclass(frozen=True)
class FcNet:
    """One trained FC network: ``loss`` (MSE on the grid), ``in_regime`` (every nonempty
    pattern killed over the interval in every channel, some ``b_c > 0``), ``alive_patterns``
    (nonempty patterns alive somewhere on the interval, summed over channels), ``rings``
    (only in the regime) and ``max_rel_error`` over rings."""

    member: int
    loss: float
    in_regime: bool
    alive_patterns: int
    background_feature: tuple[float, ...]
    rings: tuple[RingFit, ...] = ()

    @property
    def max_rel_error(self) -> float:
        return max((abs(r.rel_error) for r in self.rings), default=float("nan"))


@dataclass(frozen=True)
class FcComparison:
    cfg: Config
    nets: tuple[FcNet, ...]
    n_amplitudes: int

    @property
    def in_regime(self) -> tuple[FcNet, ...]:
        return tuple(n for n in self.nets if n.in_regime)

    def summary(self) -> dict:
        reg = self.in_regime
        return {
            "networks": len(self.nets),
            "in_regime": len(reg),
            "max_rel_error": max((n.max_rel_error for n in reg), default=None),
            "median_rel_error": float(np.median([abs(r.rel_error) for n in reg for r in n.rings])) if reg else None,
            "losses": [n.loss for n in reg],
            "median_loss_all": float(np.median([n.loss for n in self.nets])),
            "alive_windows": [n.alive_patterns for n in self.nets],
        }


def fc_regime(cfg: Config, w: np.ndarray, b: np.ndarray) -> tuple[bool, int]:
    """``(in_regime, alive)`` for one network's filters ``w`` (C, k, k) and biases ``b`` (C,):
    a nonempty pattern ``J`` of channel ``c`` is killed on the interval iff
    ``a W_c[J] + b_c <= 0`` at both ends; in the regime all are killed and some ``b_c > 0``."""
    a0, a1 = float(cfg.a_min), float(cfg.a_max)
    alive = 0
    for W in pattern_sums(cfg, w).values():
        alive += int(np.sum((a0 * W + b > 0) | (a1 * W + b > 0)))
    return alive == 0 and bool(np.any(b > 0)), alive


def compare_fc(cfg: Config, params: dict, n_amplitudes: int = 21) -> FcComparison:
    """Ring-by-ring comparison of trained FC weights with the ring law (module docstring)."""
    p = _numpy(params)
    err = member_errors(cfg, params, n_amplitudes)
    lo = cfg.positions[0]
    rs = rings(cfg)
    nets = []
    for e in range(p["w"].shape[0]):
        ok, alive = fc_regime(cfg, p["w"][e], p["b"][e])
        feat = np.maximum(p["b"][e], 0.0)  # sigma(b_c) for ReLU
        rows: list[RingFit] = []
        if ok:
            Vt = np.tensordot(feat, p["V"][e], axes=(0, 0))  # (|I|, |I|)
            for r in rs:
                if not r.size:
                    continue
                trained = float(np.mean([Vt[i - lo, j - lo] for i, j in r.pixels]))
                derived = -r.delta / r.size
                rows.append(RingFit(r.rho_prev, r.rho, r.size, derived, trained, trained / derived - 1,
                                    r.delta / (2 * math.pi * r.rho)))
        loss = float((err[e] ** 2).mean())
        nets.append(FcNet(e, loss, ok, alive, tuple(float(x) for x in feat), tuple(rows)))
    return FcComparison(cfg, tuple(nets), n_amplitudes)


def regime_init(cfg: Config, params: dict, support: Sequence[Offset] | None = None, margin: float = 1.0) -> dict:
    """Move an initialisation into the background-counting regime: ``b <- |b|``, taps
    ``w <- -|w| - margin/a_min`` on ``support`` (default: the whole window) and 0 off it, so
    that ``a W[J] + b <= -margin + b < 0`` for every pattern meeting the support while
    ``b < margin``. A GAP head also gets ``v <- -|v|`` (the sign the counter needs,
    ``v b < 0``), ``b <- |b| + 1/2`` and ``beta <- mean(R)``: otherwise the first steps raise
    the output by lowering ``b`` through 0, which kills the background for good. FC weights
    and ``beta`` are unchanged. While every nonempty pattern is killed, the filter gets
    zero gradient and training is least squares in (head, ``b``, ``beta``)."""
    out = {k: v.detach().clone() for k, v in params.items()}
    out["b"] = out["b"].abs()
    w = -out["w"].abs() - margin / float(cfg.a_min)
    if support is not None:
        keep = torch.zeros(cfg.kernel, cfg.kernel, dtype=torch.bool)
        for s, t in support:
            keep[s + cfg.h_l, t + cfg.h_l] = True
        w = torch.where(keep, w, torch.zeros_like(w))
    out["w"] = w
    if "v" in out:
        out["v"] = -out["v"].abs()
        out["b"] = out["b"] + 0.5
        out["beta"] = torch.full_like(out["beta"], float(np.mean(cfg.radii)))
    return out


@dataclass(frozen=True, eq=False)
class RegimeTrainResult:
    """``params`` after training from ``init`` (both ensemble dicts) and final ``loss`` (E,)."""

    params: dict
    init: dict
    loss: torch.Tensor
    seconds: float


def train_in_regime(
    cfg: Config, tcfg, support: Sequence[Offset] | None = None, margin: float = 1.0, engine: str | None = None
) -> RegimeTrainResult:
    """Train ``tcfg.seeds`` networks (GAP or FC head) from :func:`regime_init` of PyTorch's
    default init (seeds ``tcfg.seed + e``) with :func:`numeric.ensemble.train` (``init=``)."""
    from radiuscnn.numeric.ensemble import train
    from radiuscnn.numeric.model import init_params

    init = regime_init(cfg, init_params(cfg, tcfg.seeds, tcfg.seed, tcfg.torch_dtype), support, margin)
    run = train(cfg, tcfg, init=init, engine=engine)
    return RegimeTrainResult(run.params, init, run.loss, run.seconds)


train_fc_in_regime = train_in_regime


# --------------------------------------------------------------------------------------------
# I1c: background pixels keep their initial pairwise differences
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class I1cReport:
    """Per member: ``deviation`` = max over channels of ``max - min`` of ``V - V0`` over the
    always-background pixels (0 when the differences are kept); ``contrast`` = the same over
    the other pixels (what an unconstrained pixel does); ``pixels`` = size of the set."""

    pixels: int
    deviation: tuple[float, ...]
    contrast: tuple[float, ...]
    initial_spread: tuple[float, ...]

    @property
    def max_deviation(self) -> float:
        return max(self.deviation)


def background_mask(cfg: Config) -> np.ndarray:
    """Boolean ``(|I|, |I|)`` mask of the I1c set (background on every sample)."""
    lo, n = cfg.positions[0], cfg.out_size
    mask = np.zeros((n, n), dtype=bool)
    for i, j in always_background(cfg):
        mask[i - lo, j - lo] = True
    return mask


def i1c_background_differences(cfg: Config, V, V0) -> I1cReport:
    """Measure ``V - V0`` (arrays (E, C, |I|, |I|)) on the I1c set and off it."""
    V, V0 = _numpy({"V": V})["V"], _numpy({"V": V0})["V"]
    mask = background_mask(cfg)
    d = V - V0
    dev, con, spread = [], [], []
    for e in range(V.shape[0]):
        on = d[e][:, mask]
        off = d[e][:, ~mask]
        dev.append(float((on.max(axis=1) - on.min(axis=1)).max()) if on.size else 0.0)
        con.append(float((off.max(axis=1) - off.min(axis=1)).max()) if off.size else 0.0)
        spread.append(float((V0[e][:, mask].max(axis=1) - V0[e][:, mask].min(axis=1)).max()) if on.size else 0.0)
    return I1cReport(int(mask.sum()), tuple(dev), tuple(con), tuple(spread))


# --------------------------------------------------------------------------------------------
# Figures (vector PDF)
# --------------------------------------------------------------------------------------------


def _save(fig, path: str | Path) -> Path:
    """Lay out, write (vector PDF by suffix) and close a matplotlib figure."""
    import matplotlib.pyplot as plt

    fig.tight_layout()
    path = Path(path)
    fig.savefig(path)
    plt.close(fig)
    return path


def plot_radial_profile(cfg: Config, comparison: FcComparison | None, path: str | Path) -> Path:
    """Radial profile ``|mean_{ring} Vt| / Δrho`` against ``d = rho``: trained networks in the
    regime (dots), the derived ring law ``1/|ring|`` (line), ``1/(2 pi d)`` (dashed) and the
    Steiner correction (dotted)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rs = [r for r in rings(cfg) if r.size]
    d = np.array([r.rho for r in rs], float)
    fig, ax = plt.subplots(figsize=(5, 3.4))
    ax.plot(d, [1 / r.size for r in rs], "o-", color="k", label=r"derived $1/|\mathrm{ring}_\rho|$")
    dd = np.linspace(d.min(), d.max(), 200)
    ax.plot(dd, 1 / (2 * np.pi * dd), "--", color="tab:blue", label=r"$1/(2\pi d)$")
    ax.plot(d, [r.steiner_law(cfg.kernel) for r in rs], ":", color="tab:green", label="Steiner correction")
    if comparison is not None:
        first = True
        for net in comparison.in_regime:
            ax.plot([f.rho for f in net.rings], [abs(f.trained) / (f.rho - f.rho_prev) for f in net.rings],
                    ".", color="tab:red", alpha=0.6, label="trained (ring mean)" if first else None)
            first = False
    ax.set_xlabel(r"ring radius $d=\rho$")
    ax.set_ylabel(r"$|\bar V|\,\sigma(b)/\Delta\rho$")
    ax.set_title(f"FC ring law, N={cfg.size}, k={cfg.kernel}")
    ax.legend(fontsize=7)
    return _save(fig, path)


def plot_error_floor(cfg: Config, path: str | Path, comparison: GapComparison | None = None) -> Path:
    """Per-radius residual of the best affine fit of ``rho`` on ``#Bg(rho)`` (full support,
    centre tap, best support) and, if given, trained GAP networks' signed error per radius
    (averaged over the amplitude grid)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    floors = gap_error_floor(cfg)
    fig, ax = plt.subplots(figsize=(5, 3.4))
    for name, style in (("full", "o-"), ("centre", "s--"), ("best", "^:")):
        f = floors["supports"].get(name)
        if f:
            ax.plot(cfg.radii, [float(Fraction(r)) for r in f["residuals"]], style,
                    label=f"{name} support (RMSE {f['rmse']:.3f})")
    if comparison is not None:
        first = True
        for net in comparison.nets:
            ax.plot(cfg.radii, net.mean_error, "-", color="grey", alpha=0.4, lw=0.8,
                    label="trained (mean error over a)" if first else None)
            first = False
    ax.axhline(0, color="k", lw=0.5)
    ax.set_xlabel(r"radius $\rho$")
    ax.set_ylabel("error")
    ax.set_title(f"GAP background-counter floor, N={cfg.size}, k={cfg.kernel}")
    ax.legend(fontsize=7)
    return _save(fig, path)
