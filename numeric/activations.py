"""Activations as torch functions, by name (THEORY.md section 2).

``relu`` max(0, z); ``leaky_relu`` max(alpha z, z) with alpha = ``cfg.alpha``; ``abs`` |z|;
``hardtanh`` min(1, max(-1, z)); ``identity`` z; ``tanh``; ``sigmoid`` 1/(1+e^-z);
``softplus`` log(1+e^z) (PyTorch's, which returns z itself above z = 20).

These are the numeric twins of ``theory.activations``; the ensemble and the solo trainer use
the same functions so that their outputs agree to rounding.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Callable

import torch
import torch.nn.functional as F

from radiuscnn.theory.config import ACTIVATIONS, Config

Activation = Callable[[torch.Tensor], torch.Tensor]


def activation(name: str, alpha: Fraction | float = Fraction(1, 10)) -> Activation:
    """The elementwise activation ``sigma`` called ``name``."""
    slope = float(alpha)
    table: dict[str, Activation] = {
        "relu": torch.relu,
        "leaky_relu": lambda z: F.leaky_relu(z, negative_slope=slope),
        "abs": torch.abs,
        "hardtanh": F.hardtanh,
        "identity": lambda z: z,
        "tanh": torch.tanh,
        "sigmoid": torch.sigmoid,
        "softplus": F.softplus,
    }
    if name not in table:
        raise ValueError(f"unknown activation {name!r}; expected one of {', '.join(ACTIVATIONS)}")
    return table[name]


def for_config(cfg: Config) -> Activation:
    """``sigma`` of a configuration (leaky-ReLU slope ``cfg.alpha``)."""
    return activation(cfg.activation, cfg.alpha)
