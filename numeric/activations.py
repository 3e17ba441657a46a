"""Activations as torch functions, by name (THEORY.md section 2): the torch side of
``theory.activation_registry``, one :class:`TorchActivation` per registry name in :data:`TORCH`.

``relu`` max(0, z); ``leaky_relu`` max(alpha z, z) with alpha = ``cfg.alpha``; ``abs`` |z|;
``hardtanh`` min(1, max(-1, z)); ``identity`` z; ``tanh``; ``sigmoid`` 1/(1+e^-z);
``softplus`` log(1+e^z) (PyTorch's, which returns z itself above z = 20).

Each entry gives

* ``value(z, alpha)``: ``sigma(z)``, PyTorch's function (its autograd backward is the
  reference gradient); the ensemble and the solo trainer use it, so their outputs agree to
  rounding;
* ``derivative(z, u, alpha)``: ``sigma'(z)`` given ``u = sigma(z)``, with PyTorch's own choice
  at kinks: relu 0 at 0 (``sign(relu z)``), leaky_relu alpha at 0, hardtanh 0 at +-1, abs
  ``sign z`` (0 at 0), softplus 1 above z = 20 (where PyTorch returns z) and ``e^z/(e^z+1)``
  below (the closed-form engine ``numeric.fastgrad``);
* ``definition(z, alpha)``: ``sigma`` written from its definition, float64 reference of
  ``verify.checks_runs`` (differs from ``value`` only for softplus: ``log1p(exp z)``, no threshold);
* ``module``: the ``torch.nn`` module class (``None`` for abs, which has none), used to read
  and rebuild imported models.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from types import MappingProxyType
from typing import Callable, Mapping

import torch
import torch.nn.functional as F
from torch import nn

from radiuscnn.theory.config import ACTIVATIONS, Config

Activation = Callable[[torch.Tensor], torch.Tensor]


def _one(z: torch.Tensor) -> torch.Tensor:
    return torch.ones((), dtype=z.dtype)


def _log1p_exp(z: torch.Tensor, alpha: float) -> torch.Tensor:
    return torch.log1p(torch.exp(z))


def _softplus_derivative(z: torch.Tensor, u: torch.Tensor, alpha: float) -> torch.Tensor:
    e = torch.exp(z)
    return torch.where(z > 20, _one(z), e / (e + 1))


@dataclass(frozen=True)
class TorchActivation:
    """``sigma`` of one activation in torch (module docstring); ``alpha`` is the leaky slope."""

    value: Callable[[torch.Tensor, float], torch.Tensor]
    derivative: Callable[[torch.Tensor, torch.Tensor, float], torch.Tensor]
    module: type[nn.Module] | None
    reference: Callable[[torch.Tensor, float], torch.Tensor] | None = None  # None: ``value``

    def definition(self, z: torch.Tensor, alpha: float) -> torch.Tensor:
        """``sigma`` written from its definition (``value`` unless ``reference`` is given)."""
        return (self.reference or self.value)(z, alpha)


TORCH: Mapping[str, TorchActivation] = MappingProxyType({
    "relu": TorchActivation(lambda z, al: torch.relu(z), lambda z, u, al: torch.sign(u), nn.ReLU),
    "leaky_relu": TorchActivation(lambda z, al: F.leaky_relu(z, negative_slope=al),
                                  lambda z, u, al: torch.where(z > 0, _one(z), torch.full((), al, dtype=z.dtype)),
                                  nn.LeakyReLU),
    "abs": TorchActivation(lambda z, al: torch.abs(z), lambda z, u, al: z.sign(), None),
    "hardtanh": TorchActivation(lambda z, al: F.hardtanh(z), lambda z, u, al: ((z > -1) & (z < 1)).to(z.dtype),
                                nn.Hardtanh),
    "identity": TorchActivation(lambda z, al: z, lambda z, u, al: torch.ones_like(z), nn.Identity),
    "tanh": TorchActivation(lambda z, al: torch.tanh(z), lambda z, u, al: 1 - u * u, nn.Tanh),
    "sigmoid": TorchActivation(lambda z, al: torch.sigmoid(z), lambda z, u, al: (1 - u) * u, nn.Sigmoid),
    "softplus": TorchActivation(lambda z, al: F.softplus(z), _softplus_derivative, nn.Softplus, _log1p_exp),
})


def torch_spec(name: str) -> TorchActivation:
    """The torch entry of ``name`` (``ValueError`` naming the known activations otherwise)."""
    if name not in TORCH:
        raise ValueError(f"unknown activation {name!r}; expected one of {', '.join(ACTIVATIONS)}")
    return TORCH[name]


def activation(name: str, alpha: Fraction | float = Fraction(1, 10)) -> Activation:
    """The elementwise activation ``sigma`` called ``name``."""
    value, slope = torch_spec(name).value, float(alpha)
    return lambda z: value(z, slope)


def for_config(cfg: Config) -> Activation:
    """``sigma`` of a configuration (leaky-ReLU slope ``cfg.alpha``)."""
    return activation(cfg.activation, cfg.alpha)
