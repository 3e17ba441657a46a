"""Kernel-size rows in 2D (``radiuscnn explore kernel --dim 2``), the columns of the 1D sweep
(:mod:`theory.explore`) where they apply:

* ``n_runs`` is the number of distinct ``k x k`` window patterns over the data and
  ``constraint_rank`` the exact rank of the fixed-amplitude system (:mod:`theory.patterns`);
* ``beta``, ``vb``, ``r_max``: the full-support ReLU background counter
  ``y = beta + (v b / |I|^2) #Bg(rho)`` solved exactly at the first two radii of ``R`` and its
  largest exact prefix of ``R`` (``r_max`` = the last radius of that prefix; ``-1``: singular,
  no counter). In 2D ``#Bg`` is not affine (D1), so the prefix is short;
* ``min_channels`` / ``min_channels_status``: D2 per activation (:func:`theory.disk_width.width_2d`);
* ``flags``: ``k=1``, ``even-k``, ``k>=N`` (:func:`theory.explore.kernel_flags`), ``no-background``
  (some ``rho`` with ``#Bg(rho) = 0``) and ``invalid``.
"""

from __future__ import annotations

from fractions import Fraction

from radiuscnn.theory.config import ACTIVATIONS, Config, ConfigError
from radiuscnn.theory.explore import Flag, KernelRow, invalid_row, kernel_flags


def counter_prefix(cfg: Config) -> tuple[Fraction | None, Fraction | None, int]:
    """``(beta, v b, r_max)`` of the full-support background counter on ``R`` (module docstring)."""
    from radiuscnn.theory.disk_geometry import background_count

    radii = cfg.radii
    counts = [background_count(cfg, rho) for rho in radii]
    if len(radii) < 2 or counts[0] == counts[1]:
        return None, None, -1
    q = Fraction(radii[1] - radii[0], counts[1] - counts[0])
    beta = radii[0] - q * counts[0]
    r_max = radii[0]
    for rho, n in zip(radii, counts):
        if beta + q * n != rho:
            break
        r_max = rho
    return beta, q * cfg.n_outputs, r_max


def kernel_row_2d(cfg: Config, k: int, padding: str) -> KernelRow:
    """The derived row of the 2D ``cfg.with_(kernel=k, padding=padding)``."""
    from radiuscnn.theory.disk_geometry import background_count
    from radiuscnn.theory.disk_width import width_2d
    from radiuscnn.theory.patterns import pattern_system

    try:
        c = cfg.with_(kernel=k, padding=padding)
    except ConfigError as error:
        return invalid_row(k, padding, cfg.size, error)
    system = pattern_system(c)
    beta, vb, r_max = counter_prefix(c)
    flags = list(kernel_flags(k, c.size, padding))
    empty = [rho for rho in c.radii if background_count(c, rho) == 0]
    if empty:
        flags.append(Flag("no-background", f"#Bg(rho) = 0 for rho in {empty}: every output pixel sees the disk"))
    widths = None if c.fixed_amplitude else [width_2d(c, name) for name in ACTIVATIONS]
    return KernelRow(
        kernel=k, padding=padding, h_l=c.h_l, h_r=c.h_r, out_size=c.out_size,
        n_runs=system.n_patterns, constraint_rank=system.rank, beta=beta, vb=vb, r_max=r_max,
        min_channels=None if widths is None else tuple((w.activation, w.value) for w in widths),
        min_channels_status=None if widths is None else tuple((w.activation, w.status) for w in widths),
        flags=tuple(flags),
    )
