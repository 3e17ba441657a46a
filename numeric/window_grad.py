"""The reference engine's gradient, without the autograd graph (THEORY.md section 6).

The reference engine (``ensemble.train(..., engine='autograd')``) minimises
``loss = sum_e L_e``, ``L_e = (1/B) sum_b (y_e(x_b) - r_b)^2``, with ``y`` the window forward
of ``numeric.windows``. Its gradient is the one ``loss.backward()`` gives: here the same
backward formulas PyTorch's autograd applies to that forward, node by node and in the same
order (its ``derivatives.yaml``), are called directly. The values are bit for bit those of
``loss.backward()`` (``tests/test_window_grad.py``: every activation, both heads, 1D and 2D,
float32 and float64, single steps and whole trajectories); what goes is the cost of recording
the graph and of running it, about half of a small ensemble's step.

With ``d = y - r`` (E, B), the nodes backwards from the loss:

    mean, pow:   g_y = (1/B) (2 d)                       (PyTorch: grad * (2 d^1))
    addmm:       dL/dbeta = sum_b g_y
      GAP        g_s = (counts^T g_y^T) / |I|^dim         (P, E)
                 dL/dv = sum_p g_s sigma(z),   g_act = g_s v
      FC         g_s = incidence^T g_y^T                 (Q, E)
                 dL/dV = index_add over pairs of g_s act_pair,   g_act = index_add of g_s V_pos
    sigma:       g_z = sigma'(z) g_act, PyTorch's own backward kernel of each activation
    addmm:       dL/db = sum_p g_z,   dL/dw = g_z^T U

Every product is the same BLAS call on the same (transposed) views as in autograd's formulas,
and every reduction runs over the same axis, so each rounding is the same.
"""

from __future__ import annotations

from typing import Callable

import torch

from radiuscnn.numeric.activations import for_config
from radiuscnn.numeric.model import Ensemble
from radiuscnn.numeric.windows import WindowPlan, head_terms, pre
from radiuscnn.theory.config import Config

_aten = torch.ops.aten

ActivationBackward = Callable[[Config, torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor]
"""``backward(cfg, g, z, u)``: ``dL/dz`` from ``g = dL/du`` at ``u = sigma(z)``."""

ACTIVATION_BACKWARD: dict[str, ActivationBackward] = {
    "relu": lambda cfg, g, z, u: _aten.threshold_backward(g, u, 0),
    "leaky_relu": lambda cfg, g, z, u: _aten.leaky_relu_backward(g, z, float(cfg.alpha), False),
    "abs": lambda cfg, g, z, u: g * z.sgn(),
    "hardtanh": lambda cfg, g, z, u: _aten.hardtanh_backward(g, z, -1.0, 1.0),
    "identity": lambda cfg, g, z, u: g,
    "tanh": lambda cfg, g, z, u: _aten.tanh_backward(g, u),
    "sigmoid": lambda cfg, g, z, u: _aten.sigmoid_backward(g, u),
    "softplus": lambda cfg, g, z, u: _aten.softplus_backward(g, z, 1.0, 20.0),
}
"""PyTorch's backward of each activation of ``numeric.activations.TORCH`` (the kernel its
autograd node calls, so sigma' at the kinks is PyTorch's choice)."""


def _over_channels(g: torch.Tensor, C: int) -> torch.Tensor:
    """``g`` (n, E) repeated over a new last axis of C channels, contiguous (n, E, C); a copy,
    so bit for bit. For C = 2 as the real and imaginary parts of one complex tensor, which
    PyTorch writes about 5x faster than an expanded copy onto an axis of length 2."""
    if C == 2:
        g = g.contiguous()  # torch.complex keeps its input's layout; the products below need (n, E, C) rows
        return torch.view_as_real(torch.complex(g, g))
    return g.unsqueeze(-1).expand(*g.shape, C).contiguous()


def losses(cfg: Config, params: Ensemble, p: WindowPlan, target: torch.Tensor) -> torch.Tensor:
    """``L_e`` (E,) on the planned batch with targets ``target`` (B,)."""
    yT, _ = head_terms(cfg, params, p, for_config(cfg)(pre(params, p)))
    return ((yT.T - target) ** 2).mean(dim=1)


def loss_and_gradient(cfg: Config, params: Ensemble, p: WindowPlan, target: torch.Tensor,
                      grads: Ensemble) -> torch.Tensor:
    """``L_e`` (E,), and ``dL_e/dtheta_e`` written into ``grads`` (tensors named and shaped as
    ``params``), as ``sum_e L_e``'s ``backward()`` would accumulate them (module docstring)."""
    E, C = params["b"].shape
    z = pre(params, p)  # (P, E, C)
    act = for_config(cfg)(z)
    yT, terms = head_terms(cfg, params, p, act)  # (B, E)
    d = yT.T - target  # (E, B), laid out as yT: the loss's reduction order is autograd's
    out = (d**2).mean(dim=1)
    # mean's and pow's backward, (1/B) (2 d), into a contiguous (E, B) as autograd's product is
    # (its layout decides the summation order of dL/dbeta and the BLAS call below)
    g_y = torch.mul(d, 2.0, out=torch.empty(d.shape, dtype=d.dtype)).mul_(torch.ones((), dtype=d.dtype) / d.shape[1])
    g_yT = g_y.t()  # (B, E), a transposed view as in autograd
    torch.sum(g_yT, 0, keepdim=True, out=grads["beta"].view(1, E))
    # g_s broadcast over channels, written out once: the same products as autograd's, on
    # contiguous operands (a broadcast over the short channel axis is slow)
    if cfg.head == "gap":
        g_s = _over_channels(p.counts.t().mm(g_yT).mul_(1.0 / cfg.n_outputs), C)  # (P, E, C)
        torch.sum(g_s * act, [0], keepdim=True, out=grads["v"].view(1, E, C))
        g_act = g_s.mul_(params["v"])
    else:
        g_s = _over_channels(p.incidence.t().mm(g_yT), C)  # (Q, E, C)
        g_V = torch.zeros_like(terms.V).index_add_(0, p.pair_position, g_s * terms.act_pair)
        grads["V"].copy_(g_V.permute(1, 2, 0).reshape(grads["V"].shape))
        g_act = torch.zeros_like(act).index_add_(0, p.pair_window, g_s.mul_(terms.V_pos))
    g_z = ACTIVATION_BACKWARD[cfg.activation](cfg, g_act, z, act).reshape(-1, E * C)  # (P, EC)
    torch.sum(g_z, 0, keepdim=True, out=grads["b"].view(1, E * C))
    grads["w"].view(E * C, -1).copy_(g_z.t().mm(p.U))
    return out
