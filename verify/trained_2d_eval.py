"""Evaluation helpers shared by the 2D trained-network checks (D1, I1c).

:func:`to_numpy` turns an ensemble parameter dict into float64 numpy arrays;
:func:`member_errors` evaluates every member's error ``y - rho`` in float64 on the evenly
spaced amplitude grid ``a in [a_min, a_max]`` of the training data.
"""

from __future__ import annotations

import numpy as np
import torch

from radiuscnn.theory.config import Config


def to_numpy(params: dict) -> dict[str, np.ndarray]:
    """``{name: float64 array}`` of the tensors (or array-likes) in ``params``, ``None`` dropped."""
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
