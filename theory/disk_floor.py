"""D1, GAP head: the error floor of background-counting networks (THEORY.md section 7, claim D1).

One ReLU channel with ``b > 0`` and a filter that is ``<= -b/a_min`` on every nonempty
pattern (e.g. every tap on the support ``S`` strictly negative enough, taps off ``S`` zero)
outputs ``y = beta + (v b / n_outputs) #Bg_S(rho)``, independent of ``a``. ``#Bg(rho)`` is not
affine in ``rho`` (the disk area grows like ``pi rho^2``), so the least-squares affine fit of
``rho`` on ``#Bg(rho)`` over ``R`` leaves a positive residual: its RMSE is the error floor of
that family. Exact rationals throughout (:mod:`theory.exact_lstsq`); only the RMSE, a square
root, is also reported as a float next to the exact MSE. Each floor is attained: the network
is built and :func:`theory.disk_proof.prove_2d` checks it on the whole amplitude interval.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from fractions import Fraction
from itertools import combinations
from typing import Sequence

from radiuscnn.theory.config import Config
from radiuscnn.theory.disk_geometry import Offset, background_count, pattern_masks, window_offsets
from radiuscnn.theory.disk_proof import Params2D, prove_2d
from radiuscnn.theory.exact_lstsq import AffineFit, affine_fit, least_squares_exact


@dataclass(frozen=True)
class SupportFloor:
    """The error floor of the one-channel ReLU background counter with filter support ``S``.

    ``y(rho) = beta + (v b / n_outputs) #Bg_S(rho)``; the best ``beta`` and ``v b`` are the
    least-squares fit of ``rho`` on ``#Bg_S(rho)``: ``beta = fit.intercept``,
    ``v b = fit.slope * n_outputs``; the floor is ``fit.rmse``.
    """

    name: str
    support: tuple[Offset, ...]
    radii: tuple[int, ...]
    counts: tuple[int, ...]
    fit: AffineFit
    n_outputs: int

    @property
    def beta(self) -> Fraction:
        return self.fit.intercept

    @property
    def vb(self) -> Fraction:
        return self.fit.slope * self.n_outputs

    def to_json(self) -> dict:
        return {
            "name": self.name,
            "support": [list(o) for o in self.support],
            "taps": len(self.support),
            "background_counts": list(self.counts),
            "beta": str(self.beta),
            "vb": str(self.vb),
            "residuals": [str(r) for r in self.fit.residuals],
            "mse": str(self.fit.mse),
            "rmse": self.fit.rmse,
            "max_abs_residual": str(self.fit.max_abs_residual),
            "affine": self.fit.exact,
        }


def support_floor(cfg: Config, support: Sequence[Offset] | None = None, name: str = "") -> SupportFloor:
    """The floor of the background counter whose filter taps are nonzero exactly on ``support``."""
    sup = window_offsets(cfg) if support is None else tuple(sorted((int(s), int(t)) for s, t in support))
    counts = tuple(background_count(cfg, rho, sup) for rho in cfg.radii)
    fit = affine_fit(counts, cfg.radii)
    return SupportFloor(name or f"{len(sup)} taps", sup, cfg.radii, counts, fit, cfg.n_outputs)


def named_supports(cfg: Config) -> dict[str, tuple[Offset, ...]]:
    """``full`` (the whole window), ``centre`` (tap (0,0)) and, for ``k >= 3``, ``plus``
    (centre and its four neighbours) and ``row`` (the ``1 x k`` centre row)."""
    full = window_offsets(cfg)
    out = {"full": full, "centre": ((0, 0),)}
    if cfg.h_l >= 1 and cfg.h_r >= 1:
        out["plus"] = tuple(sorted({(0, 0), (-1, 0), (1, 0), (0, -1), (0, 1)}))
        out["row"] = tuple((0, t) for t in cfg.offsets)
    return out


def best_support_floor(cfg: Config, max_taps_exhaustive: int = 9) -> SupportFloor | None:
    """The lowest floor over *every* nonempty support ``S`` (exhaustive over ``2^(k^2) - 1``
    subsets; ``None`` when ``k^2 > max_taps_exhaustive``). Ties go to the smaller support."""
    offsets = window_offsets(cfg)
    if len(offsets) > max_taps_exhaustive:
        return None
    # group pixels by pattern mask per radius: #Bg_S(rho) = sum over masks m with m & S == 0
    per_radius = [Counter(pattern_masks(cfg, rho)) for rho in cfg.radii]
    best: tuple | None = None
    for size in range(1, len(offsets) + 1):
        for combo in combinations(range(len(offsets)), size):
            s = sum(1 << q for q in combo)
            counts = tuple(sum(n for m, n in cnt.items() if m & s == 0) for cnt in per_radius)
            sse = affine_fit(counts, cfg.radii).sse
            if best is None or sse < best[0]:
                best = (sse, combo)
    sup = tuple(offsets[q] for q in best[1])
    return support_floor(cfg, sup, name="best")



def two_channel_floor(cfg: Config, max_taps_exhaustive: int = 9) -> dict | None:
    """The floor of the *two-channel* ReLU background counter
    ``y = beta + gamma_1 #Bg_{S1}(rho) + gamma_2 #Bg_{S2}(rho)`` over all pairs of supports.

    The search over pairs ranks them in floating point (numpy least squares on the distinct
    count vectors); the winning pair is then refitted exactly, the network built (taps
    ``-2/a_min`` on each support, ``b_c = 1``, ``v_c = gamma_c n_outputs``) and
    :func:`prove_2d` checks it attains the fit (``attained``) and whether it is exact
    (``exact``, ``max_error``). On the default configuration the floor is 0: with
    ``S1 = {(s, t)}`` and ``S2 = {(s, t), (s, t+1)}``, ``#Bg_{S1} - #Bg_{S2}`` counts the pixels
    whose window sees the disk at ``(s, t+1)`` but not at ``(s, t)``: one per row of the
    disk, ``2 rho + 1``; so ``y = -1/2 + (#Bg_{S1} - #Bg_{S2})/2 = rho`` (a left-edge counter).
    ``None`` when ``k^2`` exceeds ``max_taps_exhaustive``."""
    import numpy as np

    offsets = window_offsets(cfg)
    if len(offsets) > max_taps_exhaustive:
        return None
    per_radius = [Counter(pattern_masks(cfg, rho)) for rho in cfg.radii]
    vectors: dict[tuple[int, ...], int] = {}
    for s in range(1, 1 << len(offsets)):
        counts = tuple(sum(n for m, n in cnt.items() if m & s == 0) for cnt in per_radius)
        vectors.setdefault(counts, s)
    keys = list(vectors)
    y = np.array(cfg.radii, dtype=float)
    best = None
    for a_index in range(len(keys)):
        for b_index in range(a_index, len(keys)):
            A = np.column_stack([np.ones(len(y)), keys[a_index], keys[b_index]]).astype(float)
            coef, *_ = np.linalg.lstsq(A, y, rcond=None)
            sse = float(((A @ coef - y) ** 2).sum())
            if best is None or sse < best[0] - 1e-12:
                best = (sse, keys[a_index], keys[b_index])
    coef, sse = least_squares_exact([best[1], best[2]], cfg.radii)
    supports = [tuple(offsets[q] for q in range(len(offsets)) if vectors[key] >> q & 1) for key in best[1:]]
    mse = sse / len(cfg.radii)
    # build the two-channel network and prove what it computes on the whole interval
    b = Fraction(1)
    tap = -2 * b / cfg.a_min
    w = tuple(
        tuple(tuple(tap if (s_, t_) in set(sup) else Fraction(0) for t_ in cfg.offsets) for s_ in cfg.offsets)
        for sup in supports
    )
    params = Params2D(w=w, b=(b, b), beta=coef[0], v=tuple(c * cfg.n_outputs / b for c in coef[1:]))
    fitted = {rho: coef[0] + coef[1] * c1 + coef[2] * c2 for rho, c1, c2 in zip(cfg.radii, best[1], best[2])}
    proof = prove_2d(cfg.with_(channels=2, head="gap", activation="relu"), params, target=fitted)
    exact = prove_2d(cfg.with_(channels=2, head="gap", activation="relu"), params)
    return {
        "supports": [[list(o) for o in sup] for sup in supports],
        "background_counts": [list(best[1]), list(best[2])],
        "coefficients": [str(c) for c in coef],
        "mse": str(mse),
        "rmse": math.sqrt(mse),
        "attained": proof.exact,
        "exact": exact.exact,
        "max_error": str(exact.max_error),
    }


def gap_error_floor(cfg: Config) -> dict:
    """D1, GAP head: ``#Bg(rho)``, its best affine fit to ``rho`` and the error floor.

    Keys: ``radii``, ``background_counts`` (``#Bg(rho) = n_outputs - |D_rho (+) window|``),
    ``second_differences`` (nonzero: ``#Bg`` is not affine in ``rho``), ``beta``, ``vb``,
    ``residuals``, ``mse`` (exact), ``rmse`` (float), ``affine`` (False: exact estimation
    fails), ``attained`` (the constructed background counter with those ``beta``, ``v b``
    reaches exactly this error at every sample and on the whole amplitude interval, proved by
    :func:`prove_2d`), ``supports`` (the same floor for smaller supports, and the best
    support found by exhaustive search when ``k^2 <= 9``) and ``two_channel`` (the floor of
    two background-counting channels with the best pair of supports, for comparison with
    wider networks; ``None`` when ``k^2 > 9``).
    """
    full = support_floor(cfg, None, "full")
    counts = full.counts
    second = [counts[n + 1] - 2 * counts[n] + counts[n - 1] for n in range(1, len(counts) - 1)]
    supports = {name: support_floor(cfg, sup, name) for name, sup in named_supports(cfg).items()}
    best = best_support_floor(cfg)
    if best is not None:
        supports["best"] = best
    two = two_channel_floor(cfg)
    # the floor is attained: build the network and evaluate it exactly on the interval
    p = background_counter_params(cfg, full)
    fitted = {rho: full.beta + full.fit.slope * c for rho, c in zip(cfg.radii, counts)}
    proof = prove_2d(cfg.with_(channels=1, head="gap", activation="relu"), p, target=fitted)
    data = full.to_json()
    data.pop("name")
    return {
        "radii": list(cfg.radii),
        "n_outputs": cfg.n_outputs,
        **data,
        "second_differences": second,
        "attained": proof.exact,
        "supports": {name: f.to_json() for name, f in supports.items()},
        "two_channel": two,
    }



def background_counter_params(cfg: Config, floor: SupportFloor, b: Fraction = Fraction(1)) -> Params2D:
    """The one-channel GAP background counter attaining ``floor``: taps ``-2 b / a_min`` on the
    support (every nonempty pattern then has ``a W + b <= -b < 0``), 0 elsewhere, bias ``b``,
    ``v = (v b) / b`` and ``beta`` from the fit."""
    k = cfg.kernel
    tap = -2 * b / cfg.a_min
    sup = set(floor.support)
    w = tuple(tuple(tap if (s, t) in sup else Fraction(0) for t in cfg.offsets) for s in cfg.offsets)
    assert len(w) == k
    return Params2D(w=(w,), b=(b,), beta=floor.beta, v=(floor.vb / b,))
