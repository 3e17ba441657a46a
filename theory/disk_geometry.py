"""Two dimensions: disks, windows, patterns and background counts (THEORY.md sections 1, 2, 7).

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
the sorted tuple of offsets; ``()`` is the empty pattern); ``n_J(rho)`` counts the output
pixels that see ``J``.

Background. ``Bg(rho) = {p in I^2 : J_p(rho) = ()}``, the output pixels whose window misses
the disk; ``#background(rho) = n_outputs - |(D_rho (+) T) ∩ I^2|`` with ``T`` the reflected
window. It is computed here by enumerating windows (never by a closed formula); an
independent numpy sliding-window count lives in :mod:`verify.background_count_2d`. For a *support*
``S ⊆ [-h_l, h_r]^2`` (the taps that are nonzero) ``Bg_S(rho) = {p : J_p(rho) ∩ S = ∅}``.

I1c. Pixels in ``Bg(rho)`` for every ``rho in R`` (:func:`always_background`) see an all-zero
window on every sample, so their feature is ``sigma(b_c)`` on every sample whatever the filter.
"""

from __future__ import annotations

from collections import Counter
from functools import lru_cache
from typing import Sequence

from radiuscnn.theory.config import Config

Pixel = tuple[int, int]
Offset = tuple[int, int]
Pattern = tuple[Offset, ...]


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
def pattern_masks(cfg: Config, rho: int) -> tuple[int, ...]:
    """Bit masks of ``J_p(rho)`` (bit ``q`` = the ``q``-th offset in filter order), one per
    output pixel in the order of :func:`output_pixels` (cached: every count below reads it)."""
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
    return tuple(_mask_to_pattern(cfg, m) for m in pattern_masks(cfg, rho))


def pattern_counts(cfg: Config, rho: int) -> dict[Pattern, int]:
    """``n_J(rho)``: how many output pixels see pattern ``J`` (2D analogue of ``run_counts``)."""
    return {_mask_to_pattern(cfg, m): n for m, n in Counter(pattern_masks(cfg, rho)).items()}


def background(cfg: Config, rho: int, support: Sequence[Offset] | None = None) -> frozenset[Pixel]:
    """``Bg_S(rho) = {p in I^2 : J_p(rho) ∩ S = ∅}`` (``S`` = whole window when ``None``)."""
    s = _support_mask(cfg, support)
    return frozenset(p for p, m in zip(output_pixels(cfg), pattern_masks(cfg, rho)) if m & s == 0)


def background_count(cfg: Config, rho: int, support: Sequence[Offset] | None = None) -> int:
    """``#Bg_S(rho)``; for the whole window ``n_outputs - |(D_rho (+) T) ∩ I^2|``."""
    s = _support_mask(cfg, support)
    return sum(1 for m in pattern_masks(cfg, rho) if m & s == 0)


def background_counts(cfg: Config, support: Sequence[Offset] | None = None) -> dict[int, int]:
    """``{rho: #Bg_S(rho)}`` over the radius set ``R``."""
    return {rho: background_count(cfg, rho, support) for rho in cfg.radii}


def always_background(cfg: Config) -> frozenset[Pixel]:
    """The I1c set ``∩_{rho in R} Bg(rho)``: pixels whose window is all zero on every sample."""
    sets = [background(cfg, rho) for rho in cfg.radii]
    return frozenset.intersection(*sets)
