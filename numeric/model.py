"""The model family ``conv(1->C, k, bias) -> sigma -> head`` for an ensemble (THEORY.md section 2).

An ensemble of ``E`` members is a dict of plain tensors with a leading member axis, named as
in THEORY.md (1D shapes; 2D in brackets)::

    "w"    (E, C, k)       [(E, C, k, k)]   filter taps w_{c,t}, t = -h_l..h_r in filter order
    "b"    (E, C)                            biases b_c
    "v"    (E, C)                            GAP head weights v_c
    "V"    (E, C, |I|)     [(E, C, |I|, |I|)] FC head weights V_{c,i}, positions in order
    "beta" (E,)                              output bias

and member ``e`` computes, with PyTorch conventions (cross-correlation, ``'same'`` padding
``h_l = (k-1)//2`` left and ``h_r = k-1-h_l`` right)::

    z_{c,i} = b_c + sum_{t=-h_l}^{h_r} w_{c,t} x_{i+t}      (x outside the signal: 0 for
                                                            zeros, x_{(i+t) mod N} circular)
    u_{c,i} = sigma(z_{c,i})
    GAP: y = beta + sum_c v_c mean_{i in I} u_{c,i}
    FC:  y = beta + sum_{c,i} V_{c,i} u_{c,i}

:func:`forward` is the readable reference: explicit padding, then a correlation written as an
``einsum`` over the windows. The training fast path is ``numeric.windows``.
"""

from __future__ import annotations

import math
import warnings
from contextlib import contextmanager
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from radiuscnn.numeric.activations import for_config
from radiuscnn.theory.config import Config
from radiuscnn.theory.network import Params

Ensemble = dict[str, torch.Tensor]


def param_shapes(cfg: Config, members: int) -> dict[str, tuple[int, ...]]:
    """Shapes of every parameter tensor of an ``members``-member ensemble of ``cfg``."""
    E, C, k, n = members, cfg.channels, cfg.kernel, cfg.out_size
    spatial = (k,) * cfg.dim
    shapes = {"w": (E, C, *spatial), "b": (E, C)}
    if cfg.head == "gap":
        shapes["v"] = (E, C)
    else:
        shapes["V"] = (E, C, *((n,) * cfg.dim))
    shapes["beta"] = (E,)
    return shapes


def init_params(cfg: Config, members: int, seed: int, dtype: torch.dtype = torch.float32) -> Ensemble:
    """PyTorch's default initialisation for every member, member ``e`` from its own generator.

    Member ``e`` draws from ``torch.Generator().manual_seed(seed + e)``, in float32 and in the
    order of ``nn.ConvNd(1, C, k)`` then ``nn.Linear(fan, 1)`` (weight, bias each), so
    ``w, b ~ U(-1/sqrt(k^dim), 1/sqrt(k^dim))`` and the head weights and ``beta``
    ``~ U(-1/sqrt(F), 1/sqrt(F))`` with ``F = C`` (GAP) or ``C |I|^dim`` (FC). The values equal
    those of the modules built after ``torch.manual_seed(seed + e)`` and are then cast to
    ``dtype`` (so float32 and float64 runs start from the same point).
    """
    shapes = param_shapes(cfg, 1)
    fan_head = math.prod(shapes["v" if cfg.head == "gap" else "V"][1:])
    per_member: list[Ensemble] = []
    for e in range(members):
        g = torch.Generator().manual_seed(seed + e)
        conv_w = torch.empty(cfg.channels, 1, *shapes["w"][2:])  # nn.ConvNd weight layout
        torch.nn.init.kaiming_uniform_(conv_w, a=math.sqrt(5), generator=g)
        bound = 1 / math.sqrt(math.prod(conv_w.shape[1:]))
        conv_b = torch.empty(cfg.channels).uniform_(-bound, bound, generator=g)
        head_w = torch.empty(1, fan_head)  # nn.Linear(fan_head, 1) weight layout
        torch.nn.init.kaiming_uniform_(head_w, a=math.sqrt(5), generator=g)
        bound = 1 / math.sqrt(fan_head)
        head_b = torch.empty(1).uniform_(-bound, bound, generator=g)
        head_name = "v" if cfg.head == "gap" else "V"
        per_member.append(
            {
                "w": conv_w[:, 0],
                "b": conv_b,
                head_name: head_w.reshape(shapes[head_name][1:]),
                "beta": head_b[0],
            }
        )
    return {
        name: torch.stack([m[name] for m in per_member]).to(dtype).reshape(shape)
        for name, shape in param_shapes(cfg, members).items()
    }


def pad(cfg: Config, x: torch.Tensor) -> torch.Tensor:
    """Pad the last ``cfg.dim`` axes: ``h_l`` before and ``h_r`` after (zeros or circular);
    'valid' pads nothing. Circular padding is index arithmetic modulo ``N``, so it wraps as
    often as needed (``k > N`` is legal; ``F.pad`` cannot wrap more than once)."""
    if cfg.padding == "valid":
        return x
    if cfg.padding == "zeros":
        return F.pad(x, (cfg.h_l, cfg.h_r) * cfg.dim)
    index = torch.arange(-cfg.h_l, cfg.size + cfg.h_r) % cfg.size
    for axis in range(cfg.dim):
        x = x.index_select(x.dim() - 1 - axis, index)
    return x


def windows(cfg: Config, x: torch.Tensor) -> torch.Tensor:
    """The window of every output position: ``(B, |I|, k)`` in 1D, ``(B, |I|, |I|, k, k)`` in 2D,
    with ``windows[b, i, t] = x_{i+t}`` (offsets in filter order ``t = -h_l..h_r``)."""
    xp = pad(cfg, x)
    if cfg.dim == 1:
        return xp.unfold(-1, cfg.kernel, 1)
    return xp.unfold(-2, cfg.kernel, 1).unfold(-2, cfg.kernel, 1)


@dataclass(frozen=True, eq=False)
class Intermediates:
    """Every stage of the forward pass; ``*out`` is ``(|I|,)`` in 1D and ``(|I|, |I|)`` in 2D.

    ``pre`` z (E, B, C, *out); ``act`` sigma(z), same shape; ``pooled`` the GAP features
    ``mean_i u_{c,i}`` (E, B, C), or ``None`` for the FC head; ``output`` y (E, B).
    """

    pre: torch.Tensor
    act: torch.Tensor
    pooled: torch.Tensor | None
    output: torch.Tensor


@contextmanager
def even_same_padding_allowed():
    """Silence PyTorch's notice that ``padding='same'`` with an even kernel pads a copy of the
    input (it pads ``h_l = (k-1)//2`` before and ``h_r = k//2`` after, as THEORY.md section 2
    says; the notice is about memory, not about the result)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Using padding='same' with even kernel lengths")
        yield


def forward(cfg: Config, params: Ensemble, x: torch.Tensor) -> Intermediates:
    """The reference forward pass of every member on a batch ``x`` (B, N) or (B, N, N)."""
    sigma = for_config(cfg)
    win = windows(cfg, x)
    if cfg.dim == 1:
        pre = torch.einsum("bit,ect->ebci", win, params["w"])
    else:
        pre = torch.einsum("bijst,ecst->ebcij", win, params["w"])
    pre = pre + params["b"].reshape(*params["b"].shape[:1], 1, -1, *(1,) * cfg.dim)
    act = sigma(pre)
    beta = params["beta"][:, None]
    if cfg.head == "gap":
        pooled = act.flatten(3).mean(-1)
        return Intermediates(pre, act, pooled, beta + torch.einsum("ebc,ec->eb", pooled, params["v"]))
    output = beta + torch.einsum("ebcp,ecp->eb", act.flatten(3), params["V"].flatten(2))
    return Intermediates(pre, act, None, output)


def member(params: Ensemble, e: int) -> Ensemble:
    """Member ``e`` as a one-member ensemble (leading axis of size 1, a copy)."""
    return {name: t[e : e + 1].detach().clone() for name, t in params.items()}


def to_exact(cfg: Config, params: Ensemble, e: int) -> Params:
    """Member ``e`` of a 1D ensemble as exact rationals (each float is a dyadic rational)."""
    if cfg.dim != 1:
        raise ValueError("radiuscnn.theory.network.Params describes 1D networks only")
    p = {name: t[e].detach().to(torch.float64).tolist() for name, t in params.items()}
    return Params.from_floats(p["w"], p["b"], p["beta"], v=p.get("v"), V=p.get("V"))
