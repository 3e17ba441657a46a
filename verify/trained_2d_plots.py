"""Vector PDF figures of D1 on trained 2D networks (THEORY.md section 7).

:func:`plot_radial_profile`: the FC ring law, trained ring means against ``1/|ring_rho|``,
``1/(2 pi d)`` and the Steiner correction. :func:`plot_error_floor`: the per-radius residual
of the GAP background-counter floor, with trained GAP networks' signed errors.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np

from radiuscnn.theory.config import Config
from radiuscnn.theory.disk import gap_error_floor, rings
from radiuscnn.verify.trained_2d_fc import FcComparison
from radiuscnn.verify.trained_2d_gap import GapComparison


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
