"""Checkers of the 2D derivations against the independent brute force (:mod:`verify.brute_force`).

Each returns a list of mismatch strings (empty: the claim holds):

* :func:`check_patterns`: the claimed number of distinct patterns and the claimed counts
  ``{rho: {pattern: n}}`` against windows cut from explicit images;
* :func:`check_rank`: a claimed rank of the fixed-amplitude system against
  ``numpy.linalg.matrix_rank`` (float64, numerical);
* :func:`check_exact_network`: a claimed-exact GAP network (ReLU-family activation) by a numpy
  forward pass on brute-force windows at ``n_amplitudes`` amplitudes of the interval
  (numerical, ``|y - rho| < tol``).
"""

from __future__ import annotations

import numpy as np

from radiuscnn.theory.config import Config
from radiuscnn.verify import brute_force as bf

NUMPY_SIGMA = {
    "relu": lambda z, al: np.maximum(z, 0.0),
    "leaky_relu": lambda z, al: np.where(z > 0, z, al * z),
    "abs": lambda z, al: np.abs(z),
    "hardtanh": lambda z, al: np.clip(z, -1.0, 1.0),
}


def pattern_window(cfg: Config, pattern) -> tuple[int, ...]:
    """A pattern (tuple of window offsets) as its ``k x k`` 0/1 window, row-major
    (:data:`verify.brute_force.Window`)."""
    h_l = (cfg.kernel - 1) // 2
    w = np.zeros((cfg.kernel, cfg.kernel), dtype=np.int64)
    for s, t in pattern:
        w[s + h_l, t + h_l] = 1
    return tuple(int(x) for x in w.flatten())


def check_patterns(cfg: Config, n_patterns: int, counts: dict) -> list[str]:
    out = []
    if n_patterns != len(bf.distinct_windows(cfg)):
        out.append(f"n_patterns {n_patterns} != brute force {len(bf.distinct_windows(cfg))}")
    for rho in cfg.radii:
        claimed = {pattern_window(cfg, J): n for J, n in counts[rho].items() if n}
        if claimed != dict(bf.window_counts(cfg, rho)):
            out.append(f"rho = {rho}: pattern counts differ from the brute-force windows")
    return out


def check_rank(cfg: Config, rank: int) -> list[str]:
    numeric = bf.rank(cfg)
    return [] if numeric == rank else [f"rank {rank} != numpy matrix_rank {numeric}"]


def network_errors(cfg: Config, params, name: str, n_amplitudes: int = 41) -> np.ndarray:
    """``max_a |y(rho, a) - rho|`` per radius, numpy float64 on brute-force windows."""
    amplitudes = np.linspace(float(cfg.a_min), float(cfg.a_max), n_amplitudes)
    k = cfg.kernel
    w = np.array([[[float(x) for x in row] for row in wc] for wc in params.w]).reshape(len(params.w), k * k)
    b = np.array([float(x) for x in params.b])
    v = np.array([float(x) for x in params.v])
    errors = []
    for rho in cfg.radii:
        win = bf.windows(cfg, rho).reshape(-1, k * k).astype(np.float64)
        z = amplitudes[:, None, None] * (win @ w.T)[None] + b[None, None]
        y = float(params.beta) + NUMPY_SIGMA[name](z, float(cfg.alpha)).mean(axis=1) @ v
        errors.append(float(np.max(np.abs(y - rho))))
    return np.array(errors)


def check_exact_network(cfg: Config, params, name: str, tol: float = 1e-8) -> list[str]:
    err = network_errors(cfg, params, name)
    return [] if err.max() < tol else [f"max |y - rho| = {err.max():.3g} >= {tol} (numpy, 41 amplitudes)"]
