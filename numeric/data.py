"""The training data as tensors (THEORY.md section 1).

1D: a centred pulse of integer radius ``r`` and amplitude ``a`` on ``N = 2M+1`` samples at
positions ``i = -M..M``::

    x_i = a [|i| <= r]                       target y = r

2D: a centred digital disk on the ``N x N`` grid of pixel centres ``(i, j) in {-M..M}^2``::

    x_{ij} = a 1[i^2 + j^2 <= rho^2]          target y = rho

Array index ``i + M`` holds position ``i`` (``[i + M, j + M]`` in 2D).

Amplitudes. ``A`` is a single value (``a_min == a_max``) or an interval ``[a_min, a_max]``.
Training uses a FIXED grid of ``n`` evenly spaced amplitudes including both endpoints,

    a_j = a_min + j (a_max - a_min) / (n - 1),    j = 0..n-1,

kept as exact rationals in :attr:`Dataset.amplitudes` (the tensors hold the nearest float).
With ``n = 1`` or a fixed amplitude the grid is the single amplitude ``a_min``. The grid is
deterministic, so a data set (and hence training) is a pure function of the configuration.

Samples are enumerated radius-major: ``(r_0, a_0), (r_0, a_1), ..., (r_1, a_0), ...``.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import torch

from radiuscnn.theory.config import Config
from radiuscnn.theory.landscape import amplitude_grid  # noqa: F401 - the one training grid, re-exported




def pulse(cfg: Config, r: int, a: float, dtype: torch.dtype = torch.float64) -> torch.Tensor:
    """One centred pulse ``x_i = a [|i| <= r]`` (1D, shape ``(N,)``)."""
    i = torch.arange(-cfg.M, cfg.M + 1)
    return (i.abs() <= r).to(dtype) * a


def disk(cfg: Config, rho: int, a: float, dtype: torch.dtype = torch.float64) -> torch.Tensor:
    """One centred digital disk ``x_ij = a 1[i^2 + j^2 <= rho^2]`` (2D, shape ``(N, N)``)."""
    i = torch.arange(-cfg.M, cfg.M + 1)
    inside = i[:, None] ** 2 + i[None, :] ** 2 <= rho * rho
    return inside.to(dtype) * a


@dataclass(frozen=True, eq=False)
class Dataset:
    """All training samples of one configuration.

    ``samples[b] = (r, a)`` with exact rational ``a``; ``x[b]`` is the signal (``(N,)`` or
    ``(N, N)``) and ``y[b] = r``; ``radii`` and ``amplitudes`` are the two grid axes.
    """

    cfg: Config
    radii: tuple[int, ...]
    amplitudes: tuple[Fraction, ...]
    samples: tuple[tuple[int, Fraction], ...]
    x: torch.Tensor
    y: torch.Tensor

    def __len__(self) -> int:
        return len(self.samples)

    @property
    def dtype(self) -> torch.dtype:
        return self.x.dtype


def make_dataset(cfg: Config, n_amplitudes: int, dtype: torch.dtype = torch.float64) -> Dataset:
    """Radius-major data set over ``cfg.radii`` x the amplitude grid (module docstring)."""
    amplitudes = amplitude_grid(cfg, n_amplitudes)
    samples = tuple((r, a) for r in cfg.radii for a in amplitudes)
    make = pulse if cfg.dim == 1 else disk
    x = torch.stack([make(cfg, r, float(a), dtype) for r, a in samples])
    y = torch.tensor([float(r) for r, _ in samples], dtype=dtype)
    return Dataset(cfg=cfg, radii=cfg.radii, amplitudes=amplitudes, samples=samples, x=x, y=y)
