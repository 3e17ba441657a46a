"""Two dimensions: centred disks (THEORY.md sections 1, 2, 7, claim D1; I1c of section 6).

Data. ``N x N`` images, pixel centres ``p = (i, j) in {-M..M}^2`` (``i`` = row, ``j`` =
column, both centred), the digital disk ``D_rho = {(i, j) : i^2 + j^2 <= rho^2}`` and
``x = a 1[D_rho]`` for integer radii ``rho in R`` and amplitudes ``a in [a_min, a_max]``.

Architecture. ``conv(1 -> C, k x k, bias) -> sigma -> head``, PyTorch conventions: output
pixel ``p`` sees the inputs ``p + (s, t)`` for window offsets ``(s, t) in [-h_l, h_r]^2`` and
filter tap ``w_c[s + h_l, t + h_l]`` multiplies that input (cross-correlation). Zero padding
makes inputs outside the image 0, circular padding wraps them, valid padding drops the
output pixels whose window leaves the image (output pixels ``I^2``, ``|I^2| = n_outputs``).

Patterns (the 2D runs). On a disk the window of ``p`` holds ``a`` times the indicator of the
*pattern* ``J_p(rho) = {(s, t) : p + (s, t) in D_rho}`` (a set of window offsets, stored as
the sorted tuple of offsets; ``()`` is the empty pattern), so the pre-activation is
``z_{c,p} = a W_c[J_p(rho)] + b_c`` with the pattern sum ``W_c[J] = sum_{(s,t) in J} w_c[s,t]``:

    GAP: y(rho, a) = beta + (1/n_outputs) sum_c v_c sum_J n_J(rho) sigma(a W_c[J] + b_c)
    FC:  y(rho, a) = beta + sum_{c,p} V_{c,p} sigma(a W_c[J_p(rho)] + b_c).

Background. ``Bg(rho) = {p in I^2 : J_p(rho) = ()}``, the output pixels whose window misses
the disk; ``#background(rho) = n_outputs - |(D_rho (+) T) ∩ I^2|`` with ``T`` the reflected
window. It is computed here by enumerating windows (never by a closed formula); an
independent numpy sliding-window count lives in :mod:`verify.trained_2d`. For a *support*
``S ⊆ [-h_l, h_r]^2`` (the taps that are nonzero) ``Bg_S(rho) = {p : J_p(rho) ∩ S = ∅}``.

D1, GAP head. One ReLU channel with ``b > 0`` and a filter that is ``<= -b/a_min`` on every
nonempty pattern (e.g. every tap on ``S`` strictly negative enough, taps off ``S`` zero)
outputs ``y = beta + (v b / n_outputs) #Bg_S(rho)``, independent of ``a``. ``#Bg(rho)`` is not
affine in ``rho`` (the disk area grows like ``pi rho^2``), so the least-squares affine fit of
``rho`` on ``#Bg(rho)`` over ``R`` leaves a positive residual: its RMSE is the error floor of
that family. Exact rationals throughout (normal equations); only the RMSE, a square root, is
also reported as a float next to the exact MSE.

D1, FC head (ring law). ``ring_rho = Bg(rho') \\ Bg(rho)`` for consecutive radii
``rho' < rho`` of ``R``: the pixels that leave the background. With one ReLU channel, taps
strictly negative (every nonempty pattern killed on the whole interval), ``b > 0``,
``V_p = -(rho - rho')/(b |ring_rho|)`` on ``ring_rho`` and 0 elsewhere, and
``beta = max R`` (which makes the smallest radius exact), ``y(rho, a) = rho`` exactly for every
``rho in R`` and every ``a`` in the interval; :func:`prove_2d` proves it (THEORY.md section 8:
the output is piecewise linear in ``a`` with kinks at ``a W_c[J] + b_c = `` a breakpoint of
``sigma``; it is evaluated exactly at the endpoints and every kink). The radial profile
``|V| b / Δrho = 1/|ring_rho|`` follows ``1/(2 pi d)`` at ring radius ``d = rho``
asymptotically; the Steiner formula for the dilated disk,
``area(disk_rho (+) square_{k-1}) = pi rho^2 + 4 (k-1) rho + (k-1)^2``, gives the finite-``rho``
correction ``1/(pi (rho^2 - rho'^2)/Δrho + 4 (k-1))`` reported alongside.

I1c. Pixels in ``Bg(rho)`` for every ``rho in R`` see an all-zero window on every sample, so
their feature is ``sigma(b_c)`` on every sample whatever the filter: their FC weights get
identical gradients and keep their initial pairwise differences.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache
from itertools import combinations
from typing import Callable, Sequence

from radiuscnn.theory.activations import PiecewiseLinear, piecewise_linear
from radiuscnn.theory.config import Config

Pixel = tuple[int, int]
Offset = tuple[int, int]
Pattern = tuple[Offset, ...]

# --------------------------------------------------------------------------------------------
# Geometry: disks, windows, patterns, background (exact enumeration)
# --------------------------------------------------------------------------------------------


def disk(rho: int) -> frozenset[Pixel]:
    """``D_rho = {(i, j) in Z^2 : i^2 + j^2 <= rho^2}`` (inside the image when ``rho <= M``)."""
    rho = int(rho)
    return frozenset((i, j) for i in range(-rho, rho + 1) for j in range(-rho, rho + 1) if i * i + j * j <= rho * rho)


def output_pixels(cfg: Config) -> tuple[Pixel, ...]:
    """The output pixels ``I^2`` in row-major order (index ``(i - I[0], j - I[0])`` of an array)."""
    pos = cfg.positions
    return tuple((i, j) for i in pos for j in pos)


def window_offsets(cfg: Config) -> tuple[Offset, ...]:
    """Window offsets ``(s, t) in [-h_l, h_r]^2`` in filter order (``w[s + h_l, t + h_l]``)."""
    off = cfg.offsets
    return tuple((s, t) for s in off for t in off)


def seen_pixel(cfg: Config, p: Pixel, offset: Offset) -> Pixel | None:
    """The input pixel that output pixel ``p`` sees at ``offset``; ``None`` for a zero pad."""
    i, j = p[0] + offset[0], p[1] + offset[1]
    M, n = cfg.M, cfg.size
    if cfg.padding == "circular":
        return ((i + M) % n - M, (j + M) % n - M)
    if -M <= i <= M and -M <= j <= M:
        return (i, j)
    return None


@lru_cache(maxsize=256)
def _masks(cfg: Config, rho: int) -> tuple[int, ...]:
    """Bit masks of ``J_p(rho)`` (bit ``q`` = the ``q``-th offset in filter order), per pixel."""
    d = disk(rho)
    offsets = window_offsets(cfg)
    out = []
    for p in output_pixels(cfg):
        mask = 0
        for q, off in enumerate(offsets):
            if seen_pixel(cfg, p, off) in d:
                mask |= 1 << q
        out.append(mask)
    return tuple(out)


def _mask_to_pattern(cfg: Config, mask: int) -> Pattern:
    return tuple(off for q, off in enumerate(window_offsets(cfg)) if mask >> q & 1)


def _support_mask(cfg: Config, support: Sequence[Offset] | None) -> int:
    offsets = window_offsets(cfg)
    if support is None:
        return (1 << len(offsets)) - 1
    index = {off: q for q, off in enumerate(offsets)}
    mask = 0
    for off in support:
        off = (int(off[0]), int(off[1]))
        if off not in index:
            raise ValueError(f"offset {off} is not in the {cfg.kernel}x{cfg.kernel} window")
        mask |= 1 << index[off]
    return mask


def pattern_at(cfg: Config, p: Pixel, rho: int) -> Pattern:
    """``J_p(rho)``: the window offsets of output pixel ``p`` that see the disk ``D_rho``."""
    d = disk(rho)
    return tuple(off for off in window_offsets(cfg) if seen_pixel(cfg, p, off) in d)


def patterns(cfg: Config, rho: int) -> tuple[Pattern, ...]:
    """``J_p(rho)`` for every output pixel ``p``, aligned with :func:`output_pixels`."""
    return tuple(_mask_to_pattern(cfg, m) for m in _masks(cfg, rho))


def pattern_counts(cfg: Config, rho: int) -> dict[Pattern, int]:
    """``n_J(rho)``: how many output pixels see pattern ``J`` (2D analogue of ``run_counts``)."""
    return {_mask_to_pattern(cfg, m): n for m, n in Counter(_masks(cfg, rho)).items()}


def background(cfg: Config, rho: int, support: Sequence[Offset] | None = None) -> frozenset[Pixel]:
    """``Bg_S(rho) = {p in I^2 : J_p(rho) ∩ S = ∅}`` (``S`` = whole window when ``None``)."""
    s = _support_mask(cfg, support)
    return frozenset(p for p, m in zip(output_pixels(cfg), _masks(cfg, rho)) if m & s == 0)


def background_count(cfg: Config, rho: int, support: Sequence[Offset] | None = None) -> int:
    """``#Bg_S(rho)``; for the whole window ``n_outputs - |(D_rho (+) T) ∩ I^2|``."""
    s = _support_mask(cfg, support)
    return sum(1 for m in _masks(cfg, rho) if m & s == 0)


def background_counts(cfg: Config, support: Sequence[Offset] | None = None) -> dict[int, int]:
    """``{rho: #Bg_S(rho)}`` over the radius set ``R``."""
    return {rho: background_count(cfg, rho, support) for rho in cfg.radii}


def always_background(cfg: Config) -> frozenset[Pixel]:
    """The I1c set ``∩_{rho in R} Bg(rho)``: pixels whose window is all zero on every sample."""
    sets = [background(cfg, rho) for rho in cfg.radii]
    return frozenset.intersection(*sets)


# --------------------------------------------------------------------------------------------
# Exact least-squares affine fit and the GAP error floor
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AffineFit:
    """Least-squares ``y ≈ intercept + slope x`` (exact, from the normal equations).

    ``n alpha + (Σx) gamma = Σy`` and ``(Σx) alpha + (Σx²) gamma = Σxy``; when every ``x`` is
    equal the slope is undetermined and set to 0 (the fit is the mean).
    """

    xs: tuple[Fraction, ...]
    ys: tuple[Fraction, ...]
    intercept: Fraction
    slope: Fraction

    @property
    def residuals(self) -> tuple[Fraction, ...]:
        """``intercept + slope x - y`` per point (the network's error on that radius)."""
        return tuple(self.intercept + self.slope * x - y for x, y in zip(self.xs, self.ys))

    @property
    def sse(self) -> Fraction:
        return sum((r * r for r in self.residuals), Fraction(0))

    @property
    def mse(self) -> Fraction:
        return self.sse / len(self.xs)

    @property
    def rmse(self) -> float:
        """``sqrt(mse)`` (the only inexact number; the MSE itself is exact)."""
        return math.sqrt(self.mse)

    @property
    def max_abs_residual(self) -> Fraction:
        return max(abs(r) for r in self.residuals)

    @property
    def exact(self) -> bool:
        """Whether ``y`` is exactly affine in ``x`` (zero residual)."""
        return self.sse == 0


def affine_fit(xs: Sequence, ys: Sequence) -> AffineFit:
    """The exact least-squares affine fit of ``ys`` on ``xs`` (rationals in, rationals out)."""
    xs = tuple(Fraction(x) for x in xs)
    ys = tuple(Fraction(y) for y in ys)
    if len(xs) != len(ys) or not xs:
        raise ValueError("need equally many (and at least one) x and y values")
    n = len(xs)
    sx, sy = sum(xs, Fraction(0)), sum(ys, Fraction(0))
    sxx = sum((x * x for x in xs), Fraction(0))
    sxy = sum((x * y for x, y in zip(xs, ys)), Fraction(0))
    det = n * sxx - sx * sx
    if det == 0:
        return AffineFit(xs, ys, sy / n, Fraction(0))
    slope = (n * sxy - sx * sy) / det
    intercept = (sy - slope * sx) / n
    return AffineFit(xs, ys, intercept, slope)


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
    per_radius = [Counter(_masks(cfg, rho)) for rho in cfg.radii]
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


def _solve(matrix: list[list[Fraction]], rhs: list[Fraction]) -> list[Fraction] | None:
    """Gaussian elimination over the rationals; ``None`` when ``matrix`` is singular."""
    n = len(rhs)
    a = [row[:] + [r] for row, r in zip(matrix, rhs)]
    for col in range(n):
        pivot = next((r for r in range(col, n) if a[r][col] != 0), None)
        if pivot is None:
            return None
        a[col], a[pivot] = a[pivot], a[col]
        for r in range(n):
            if r != col and a[r][col] != 0:
                f = a[r][col] / a[col][col]
                a[r] = [x - f * y for x, y in zip(a[r], a[col])]
    return [a[r][n] / a[r][r] for r in range(n)]


def least_squares_exact(columns: Sequence[Sequence], ys: Sequence) -> tuple[tuple[Fraction, ...], Fraction]:
    """Exact least squares of ``ys`` on ``1`` and the given columns: ``(coefficients, SSE)``.

    ``coefficients[0]`` is the intercept, then one per column; columns that are affine
    combinations of earlier ones (rank deficiency) get coefficient 0. Normal equations
    ``A^T A x = A^T y`` on the independent columns, solved over the rationals."""
    ys = [Fraction(y) for y in ys]
    cols = [[Fraction(1)] * len(ys)] + [[Fraction(x) for x in col] for col in columns]
    keep: list[int] = []
    for index in range(len(cols)):
        trial = keep + [index]
        gram = [[sum((x * y for x, y in zip(cols[i], cols[j])), Fraction(0)) for j in trial] for i in trial]
        if _solve(gram, [Fraction(0)] * len(trial)) is not None:
            keep = trial
    gram = [[sum((x * y for x, y in zip(cols[i], cols[j])), Fraction(0)) for j in keep] for i in keep]
    rhs = [sum((x * y for x, y in zip(cols[i], ys)), Fraction(0)) for i in keep]
    sol = _solve(gram, rhs)
    coef = [Fraction(0)] * len(cols)
    for i, x in zip(keep, sol):
        coef[i] = x
    sse = sum(((sum((coef[i] * cols[i][n] for i in range(len(cols))), Fraction(0)) - y) ** 2
               for n, y in enumerate(ys)), Fraction(0))
    return tuple(coef), sse


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
    per_radius = [Counter(_masks(cfg, rho)) for rho in cfg.radii]
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


# --------------------------------------------------------------------------------------------
# Exact 2D networks and the interval proof (THEORY.md section 8)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Params2D:
    """Exact parameters of one 2D network: ``w[c][s + h_l][t + h_l]``, ``b[c]``, ``beta`` and
    ``v[c]`` (GAP) or ``V[c][row][col]`` (FC, ``row = i - I[0]``, ``col = j - I[0]``)."""

    w: tuple[tuple[tuple[Fraction, ...], ...], ...]
    b: tuple[Fraction, ...]
    beta: Fraction
    v: tuple[Fraction, ...] | None = None
    V: tuple[tuple[tuple[Fraction, ...], ...], ...] | None = None

    @property
    def channels(self) -> int:
        return len(self.b)

    @staticmethod
    def from_arrays(w, b, beta, v=None, V=None) -> "Params2D":
        """Exact rationals equal to the given numbers (floats are dyadic rationals)."""

        def q(x) -> Fraction:
            return x if isinstance(x, Fraction) else Fraction(float(x))

        def grid(a):
            return tuple(tuple(q(x) for x in row) for row in a)

        return Params2D(
            w=tuple(grid(wc) for wc in w),
            b=tuple(q(x) for x in b),
            beta=q(beta),
            v=None if v is None else tuple(q(x) for x in v),
            V=None if V is None else tuple(grid(Vc) for Vc in V),
        )

    @staticmethod
    def from_ensemble(params: dict, member: int) -> "Params2D":
        """Member ``member`` of an ensemble dict ``{"w": (E,C,k,k), "b": (E,C), "v": (E,C) or
        "V": (E,C,|I|,|I|), "beta": (E,)}`` (numpy or torch arrays)."""

        def arr(x):
            x = x[member]
            x = x.detach().cpu().double().numpy() if hasattr(x, "detach") else x
            return x.tolist() if hasattr(x, "tolist") else x

        return Params2D.from_arrays(
            arr(params["w"]),
            arr(params["b"]),
            arr(params["beta"]),
            v=arr(params["v"]) if "v" in params and params["v"] is not None else None,
            V=arr(params["V"]) if "V" in params and params["V"] is not None else None,
        )


def check_shapes_2d(cfg: Config, p: Params2D) -> None:
    """Raise ``ValueError`` unless ``p`` fits ``cfg`` (kernel, head, output size)."""
    k, n = cfg.kernel, cfg.out_size
    if any(len(wc) != k or any(len(row) != k for row in wc) for wc in p.w) or len(p.w) != p.channels:
        raise ValueError(f"filters must be {p.channels} x {k} x {k}")
    if cfg.head == "gap" and (p.v is None or len(p.v) != p.channels):
        raise ValueError("GAP head needs one output weight v_c per channel")
    if cfg.head == "fc" and (
        p.V is None or len(p.V) != p.channels or any(len(Vc) != n or any(len(r) != n for r in Vc) for Vc in p.V)
    ):
        raise ValueError(f"FC head needs V of shape {p.channels} x {n} x {n}")


def pattern_sum(w_c, cfg: Config, pattern: Pattern) -> Fraction:
    """``W_c[J] = sum_{(s,t) in J} w_c[s + h_l][t + h_l]`` (``W_c[()] = 0``)."""
    total = Fraction(0)
    for s, t in pattern:
        total += w_c[s + cfg.h_l][t + cfg.h_l]
    return total


def _groups(cfg: Config, p: Params2D, rho: int) -> dict[tuple[int, Fraction], Fraction]:
    """``{(c, W_c[J]): total output weight}``: the output is ``beta + sum_g weight_g sigma(a W_g + b_c)``.

    GAP weight of a pixel: ``v_c / n_outputs``; FC: ``V_{c,p}``. Pixels with equal pattern sums
    share the activation value, so they are merged (exactly)."""
    out: dict[tuple[int, Fraction], Fraction] = {}
    masks = _masks(cfg, rho)
    offsets = window_offsets(cfg)
    lo = cfg.positions[0]
    for c in range(p.channels):
        taps = [p.w[c][s + cfg.h_l][t + cfg.h_l] for s, t in offsets]
        sums: dict[int, Fraction] = {}
        for (i, j), m in zip(output_pixels(cfg), masks):
            if m not in sums:
                sums[m] = sum((taps[q] for q in range(len(offsets)) if m >> q & 1), Fraction(0))
            weight = p.v[c] / cfg.n_outputs if cfg.head == "gap" else p.V[c][i - lo][j - lo]
            key = (c, sums[m])
            out[key] = out.get(key, Fraction(0)) + weight
    return out


def output_2d(cfg: Config, p: Params2D, rho: int, a, sigma: Callable | None = None) -> Fraction:
    """``y(rho, a)`` of a 2D network (exact for rational inputs and a piecewise-linear sigma)."""
    check_shapes_2d(cfg, p)
    sigma = sigma or _sigma(cfg)
    a = Fraction(a)
    total = p.beta
    for (c, W), weight in _groups(cfg, p, rho).items():
        total += weight * sigma(a * W + p.b[c])
    return total


def _sigma(cfg: Config) -> PiecewiseLinear:
    sigma = piecewise_linear(cfg.activation, cfg.alpha)
    if sigma is None:
        raise ValueError(f"the interval proof needs a piecewise-linear activation, not {cfg.activation!r}")
    return sigma


@dataclass(frozen=True)
class IntervalProof:
    """The result of :func:`prove_2d`: ``exact`` iff ``y(rho, a) = target(rho)`` at every
    evaluation point, hence (piecewise linearity) on the whole interval for every radius.

    ``max_error`` is ``max |y - target|`` over the interval (attained at an evaluation point,
    since ``y`` is piecewise linear in ``a``); ``worst = (rho, a)`` where it is attained;
    ``points`` counts the evaluation points (endpoints + kinks) over all radii.
    """

    exact: bool
    max_error: Fraction
    worst: tuple[int, Fraction]
    points: int
    per_radius: tuple[tuple[int, Fraction], ...]

    def to_json(self) -> dict:
        return {
            "exact": self.exact,
            "max_error": str(self.max_error),
            "worst": [self.worst[0], str(self.worst[1])],
            "points": self.points,
        }


def prove_2d(cfg: Config, p: Params2D, target: dict | Callable | None = None) -> IntervalProof:
    """Prove (or refute) ``y(rho, a) = target(rho)`` for all ``rho in R``, ``a in [a_min, a_max]``.

    ``y`` is continuous and piecewise linear in ``a``; its kinks are the ``a`` inside the open
    interval where some ``a W_c[J] + b_c`` equals a breakpoint ``z*`` of sigma, i.e.
    ``a = (z* - b_c) / W_c[J]``. Evaluating exactly at both endpoints and every kink therefore
    decides the claim on the whole interval, and gives the exact maximum error. ``target``
    defaults to ``rho`` (the radius).
    """
    check_shapes_2d(cfg, p)
    sigma = _sigma(cfg)
    if target is None:
        goal = lambda rho: Fraction(rho)  # noqa: E731
    elif isinstance(target, dict):
        goal = lambda rho: Fraction(target[rho])  # noqa: E731
    else:
        goal = lambda rho: Fraction(target(rho))  # noqa: E731
    lo, hi = cfg.a_min, cfg.a_max
    max_error, worst, points, per = Fraction(-1), (cfg.radii[0], lo), 0, []
    for rho in cfg.radii:
        groups = _groups(cfg, p, rho)
        amps = {lo, hi}
        for (c, W) in groups:
            if W != 0:
                for z in sigma.breakpoints:
                    a = (z - p.b[c]) / W
                    if lo < a < hi:
                        amps.add(a)
        radius_error = Fraction(0)
        for a in sorted(amps):
            y = p.beta + sum((g * sigma(a * W + p.b[c]) for (c, W), g in groups.items()), Fraction(0))
            err = abs(y - goal(rho))
            radius_error = max(radius_error, err)
            if err > max_error:
                max_error, worst = err, (rho, a)
        points += len(amps)
        per.append((rho, radius_error))
    return IntervalProof(max_error == 0, max_error, worst, points, tuple(per))


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


# --------------------------------------------------------------------------------------------
# The FC ring law
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Ring:
    """``ring_rho = Bg(rho_prev) \\ Bg(rho)`` for consecutive radii ``rho_prev < rho`` of ``R``."""

    rho_prev: int
    rho: int
    pixels: tuple[Pixel, ...]

    @property
    def delta(self) -> int:
        return self.rho - self.rho_prev

    @property
    def size(self) -> int:
        return len(self.pixels)

    def weight(self, b: Fraction = Fraction(1)) -> Fraction:
        """``V = -Δrho / (b |ring_rho|)`` on the ring (``ZeroDivisionError`` if the ring is empty)."""
        return Fraction(-self.delta) / (b * self.size)

    def law(self) -> float:
        """The asymptotic radial law ``1/(2 pi d)`` at ``d = rho`` (per unit of ``Δrho``)."""
        return 1.0 / (2 * math.pi * self.rho)

    def steiner_law(self, kernel: int) -> float:
        """The continuum ring area from Steiner's formula (per unit ``Δrho``):
        ``1 / (pi (rho^2 - rho_prev^2)/Δrho + 4 (k - 1))``."""
        area = math.pi * (self.rho**2 - self.rho_prev**2) / self.delta + 4 * (kernel - 1)
        return 1.0 / area


def rings(cfg: Config) -> tuple[Ring, ...]:
    """The rings between consecutive radii of ``R`` (pixels in row-major order)."""
    out = []
    for r0, r1 in zip(cfg.radii, cfg.radii[1:]):
        bg0, bg1 = background(cfg, r0), background(cfg, r1)
        out.append(Ring(r0, r1, tuple(p for p in output_pixels(cfg) if p in bg0 and p not in bg1)))
    return tuple(out)


def ring_law_params(cfg: Config, b: Fraction = Fraction(1), tap: Fraction | None = None) -> Params2D:
    """The one-channel ReLU FC network of the ring law.

    Taps ``tap`` (default ``-2 b / a_min``, strictly negative: every nonempty pattern has
    ``a W[J] + b <= -b`` on the interval, so it is killed), bias ``b > 0`` (background feature
    ``b``), ``V_p = -Δrho / (b |ring_rho|)`` on ``ring_rho``, 0 elsewhere, and ``beta`` chosen so
    the smallest radius is exact: ``beta = rho_0 - b sum_{p in Bg(rho_0)} V_p`` (``= max R``).
    """
    b = Fraction(b)
    tap = Fraction(-2 * b / cfg.a_min) if tap is None else Fraction(tap)
    n, lo = cfg.out_size, cfg.positions[0]
    V = [[Fraction(0)] * n for _ in range(n)]
    for ring in rings(cfg):
        weight = ring.weight(b)
        for i, j in ring.pixels:
            V[i - lo][j - lo] = weight
    bg0 = background(cfg, cfg.radii[0])
    beta = Fraction(cfg.radii[0]) - b * sum((V[i - lo][j - lo] for i, j in bg0), Fraction(0))
    w = tuple(tuple(tap for _ in range(cfg.kernel)) for _ in range(cfg.kernel))
    return Params2D(w=(w,), b=(b,), beta=beta, V=(tuple(tuple(row) for row in V),))


def fc_ring_law(cfg: Config) -> dict:
    """D1, FC head: construct the ring-law network and prove it exact on the data set and the
    whole amplitude interval; report the radial profile against ``1/(2 pi d)``.

    Keys: ``exact`` (bool), ``max_error`` (exact, as a string), ``beta``, ``points``
    (evaluation points of the proof), ``empty_rings`` (radii whose ring is empty: then no
    network of this family is exact), ``always_background`` (size of the I1c set, where
    ``V = 0``), ``profile_mean_abs_rel_error`` and ``steiner_mean_abs_rel_error`` (mean over
    rings of ``|rel_error|``, ``|steiner_rel_error|``) and ``rings``: per ring ``rho_prev``, ``rho``, ``d``, ``size``, ``weight``
    (exact ``V b``), ``profile`` (``|V| b / Δrho = 1/|ring|``), ``law`` (``1/(2 pi d)``),
    ``rel_error`` (``profile/law - 1``), ``steiner_law`` and ``steiner_rel_error``.
    """
    fc = cfg.with_(channels=1, head="fc", activation="relu")
    rs = rings(fc)
    empty = [r.rho for r in rs if r.size == 0]
    ring_rows = []
    for r in rs:
        row = {"rho_prev": r.rho_prev, "rho": r.rho, "d": r.rho, "size": r.size}
        if r.size:
            profile = 1.0 / r.size
            row.update(
                weight=str(r.weight()),
                profile=profile,
                law=r.law(),
                rel_error=profile / r.law() - 1,
                steiner_law=r.steiner_law(cfg.kernel),
                steiner_rel_error=profile / r.steiner_law(cfg.kernel) - 1,
            )
        ring_rows.append(row)
    rel = [abs(row["rel_error"]) for row in ring_rows if "rel_error" in row]
    srel = [abs(row["steiner_rel_error"]) for row in ring_rows if "steiner_rel_error" in row]
    base = {
        "always_background": len(always_background(fc)),
        "empty_rings": empty,
        "profile_mean_abs_rel_error": sum(rel) / len(rel) if rel else None,
        "steiner_mean_abs_rel_error": sum(srel) / len(srel) if srel else None,
        "rings": ring_rows,
    }
    if empty:
        return {"exact": False, "max_error": "undefined (empty ring)", "beta": None, "points": 0, **base}
    params = ring_law_params(fc)
    proof = prove_2d(fc, params)
    return {
        "exact": proof.exact,
        "max_error": str(proof.max_error),
        "beta": str(params.beta),
        "points": proof.points,
        **base,
    }


def d1_json(cfg: Config) -> dict:
    """What ``radiuscnn derive --dim 2 --json`` prints for D1 (plain JSON, exact as strings)."""
    ring = fc_ring_law(cfg)
    return {
        "gap_error_floor": gap_error_floor(cfg),
        "fc_ring_law": {"exact": ring["exact"], "max_error": ring["max_error"]},
    }
