"""A one-member float64 torch copy of exact GAP-head parameters, and its loss, for the
numerical cross-checks of claims L1-L2 (THEORY.md section 10): the torch gradient of the
mean squared error ``L = mean_{(r, a)} (y(a 1[|i| <= r]) - r)^2`` at a certified critical
point ``theta*`` must vanish up to float64 rounding."""

from __future__ import annotations

import torch

from radiuscnn.numeric.model import forward
from radiuscnn.theory.config import Config
from radiuscnn.theory.network import Params


def torch_member(p: Params):
    """``p`` as a one-member float64 ensemble with gradients."""
    t = {"w": torch.tensor([[list(map(float, row)) for row in p.w]], dtype=torch.float64),
         "b": torch.tensor([list(map(float, p.b))], dtype=torch.float64),
         "v": torch.tensor([list(map(float, p.v))], dtype=torch.float64),
         "beta": torch.tensor([float(p.beta)], dtype=torch.float64)}
    for x in t.values():
        x.requires_grad_(True)
    return t


def torch_loss(cfg: Config, member, data) -> torch.Tensor:
    return (forward(cfg, member, data.x).output[0] - data.y).pow(2).mean()
