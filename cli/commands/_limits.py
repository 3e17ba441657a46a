"""Checks that need both configurations: what the training dtype can represent.

The theory is exact (rationals); training casts every amplitude to ``--dtype``. An amplitude
the dtype cannot represent would silently train on another problem: ``a`` rounds to 0 or
overflows (float32: normal numbers in about ``1.2e-38 .. 3.4e38``), a pulse of mass
``a (2r+1)`` overflows, or an interval ``LO < HI`` collapses to one number.
"""

from __future__ import annotations

from fractions import Fraction

from radiuscnn.theory.config import ConfigError


def _show(a: Fraction) -> str:
    """``a`` as written when short, else to 9 significant digits (exactly, in decimal: ``a``
    may lie far outside the float range, e.g. ``--amplitude 1E400``)."""
    from decimal import Decimal, localcontext

    if len(str(a)) <= 16:
        return str(a)
    with localcontext() as ctx:
        ctx.prec = 9
        return f"{(Decimal(a.numerator) / Decimal(a.denominator)).normalize():.9g}"


def check_amplitudes_representable(cfg, dtype: str) -> None:
    """Raise :class:`ConfigError` (naming ``--amplitude``) when ``dtype`` cannot hold the data."""
    import numpy as np

    info = np.finfo(dtype)
    width = 2 * max(cfg.radii) + 1
    for a in cfg.amplitude:
        if a < Fraction(float(info.tiny)):
            raise ConfigError(f"--amplitude: {_show(a)} is below the smallest normal {dtype} "
                              f"({float(info.tiny):.3g}); training would not see this amplitude")
        if a * width * max(cfg.out_size, 1) > Fraction(float(info.max)):
            raise ConfigError(f"--amplitude: {_show(a)} overflows {dtype} (max {float(info.max):.3g}) on a "
                              f"pulse of width {width}; choose a smaller amplitude")
    lo, hi = (getattr(np, dtype)(float(a)) for a in cfg.amplitude)
    if cfg.a_min < cfg.a_max and not lo < hi:
        raise ConfigError(f"--amplitude: {_show(cfg.a_min)}:{_show(cfg.a_max)} is a single number in {dtype}; "
                          "widen the interval or use --dtype float64")


MAX_TRAIN_ELEMENTS = 5 * 10**7  # float32: 200 MB per activation tensor; autograd keeps several


def check_amplitude_grid(cfg, tcfg) -> None:
    """An interval ``a_min < a_max`` is trained on ``tcfg.amplitudes`` evenly spaced points,
    endpoints included: that needs at least 2 points (1 point would train at ``a_min`` only)."""
    if cfg.a_min < cfg.a_max and tcfg.amplitudes < 2:
        raise ConfigError(f"--amplitudes: an amplitude interval needs --amplitudes >= 2 (got {tcfg.amplitudes}; "
                          f"the interval {_show(cfg.a_min)}:{_show(cfg.a_max)} is trained with both endpoints)")


def check_training_size(cfg, tcfg) -> None:
    """Refuse an ensemble whose activations would not fit in memory: ``E * C * |samples| *
    |I|^dim`` numbers per tensor (seeds x channels x radii x amplitudes x outputs). Checks
    :func:`check_amplitude_grid` first (every caller knows both configurations here)."""
    check_amplitude_grid(cfg, tcfg)
    elements = tcfg.seeds * cfg.channels * len(cfg.radii) * tcfg.amplitudes * cfg.n_outputs
    if elements > MAX_TRAIN_ELEMENTS:
        raise ConfigError(
            f"--seeds: {tcfg.seeds} networks x {cfg.channels} channels x {len(cfg.radii) * tcfg.amplitudes} "
            f"samples x {cfg.n_outputs} outputs = {elements:.3g} numbers per activation tensor exceeds "
            f"the limit {MAX_TRAIN_ELEMENTS:.0e} (memory); use fewer --seeds, --amplitudes or radii")
