"""Train 2D networks from inside the background-counting regime (THEORY.md sections 7, 8).

PyTorch's default FC initialisation almost never starts in the ring-law regime of
:func:`verify.trained_2d_fc.compare_fc` (its filters have mixed signs, and the trained
networks keep non-background pixels alive, see ``compare_fc(...).in_regime``).
:func:`regime_init` moves an initialisation into the regime (every nonempty pattern killed:
``a W[J] + b < 0``); :func:`train_in_regime` trains from
it. While every nonempty pattern is killed the filter gets zero gradient, so training is least
squares in (head, ``b``, ``beta``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import torch

from radiuscnn.theory.config import Config
from radiuscnn.theory.disk import Offset


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
