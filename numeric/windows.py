"""The training fast path: window dedupe, an exact form of the run decomposition (R1).

The network sees an input only through ``z_{c,i} = <w_c, window_i> + b_c``. Over the whole
data set there are few distinct windows: on a pulse the window of position ``i`` holds
``a 1[J_i(r)]`` (THEORY.md section 3), so distinct windows are distinct pairs (run ``J``,
amplitude ``a``), whose pre-activation is ``z = a W_c[J] + b_c``. We list the distinct windows
``U`` (P, k^dim) once, with an index map ``index[b, i] = p`` (``window_i(x_b) = U_p``) and the
count matrix ``counts[b, p] = #{i : index[b, i] = p}``, which is ``n_J(r)``. Then for every
member

    z = U w^T + b                       E*C*P values instead of E*B*C*|I|^dim
    GAP: y_b = beta + (1/|I|^dim) sum_p counts[b, p] sum_c v_c sigma(z_{c,p})
             = beta + (1/|I|) sum_c v_c sum_J n_J(r) sigma(a W_c[J] + b_c)          (R1)

The FC head weighs each position separately, so its unit is the distinct pair
``q = (position i_q, window p_q)`` occurring in the data (on pulses most positions see few
distinct windows, mostly the empty run), with the 0/1 incidence matrix
``incidence[b, q] = [index[b, i_q] = p_q]`` (each row has ``|I|^dim`` ones):

    FC:  y_b = beta + sum_q incidence[b, q] sum_c V_{c, i_q} sigma(z_{c, p_q})

Both are the same function as ``numeric.model.forward`` (only the summation order differs),
in 1D and, with ``k x k`` windows, in 2D. Internally the window axis comes first, (P, E, C),
so that gathering windows or pairs copies contiguous rows.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from radiuscnn.numeric.activations import for_config
from radiuscnn.numeric.model import Ensemble, windows
from radiuscnn.theory.config import Config


@dataclass(frozen=True, eq=False)
class WindowPlan:
    """Distinct windows of one batch: ``U`` (P, k^dim); ``index`` (B, *out) into the rows of
    ``U``; ``counts`` (B, P); the FC pairs ``pair_position``/``pair_window`` (Q,) (flat output
    position, row of ``U``) and ``incidence`` (B, Q). Matrices are in the batch dtype."""

    cfg: Config
    U: torch.Tensor
    index: torch.Tensor
    counts: torch.Tensor
    pair_position: torch.Tensor
    pair_window: torch.Tensor
    incidence: torch.Tensor

    @property
    def distinct(self) -> int:
        """P, the number of distinct windows."""
        return self.U.shape[0]


def _occurrences(keys: torch.Tensor, width: int, dtype: torch.dtype) -> torch.Tensor:
    """``m[b, key] = #{j : keys[b, j] = key}`` for ``keys`` (B, n) with values in ``0..width-1``."""
    batch = keys.shape[0]
    codes = (torch.arange(batch)[:, None] * width + keys).flatten()
    return torch.bincount(codes, minlength=batch * width).reshape(batch, width).to(dtype)


def plan(cfg: Config, x: torch.Tensor) -> WindowPlan:
    """List the distinct windows (and FC position-window pairs) of the batch ``x`` once."""
    win = windows(cfg, x)  # (B, *out, *kernel)
    batch, out_shape = x.shape[0], win.shape[1 : 1 + cfg.dim]
    U, inverse = torch.unique(win.reshape(-1, cfg.kernel**cfg.dim), dim=0, return_inverse=True)
    P = U.shape[0]
    inverse = inverse.reshape(batch, cfg.n_outputs)
    pairs, pair_inverse = torch.unique(torch.arange(cfg.n_outputs) * P + inverse, return_inverse=True)
    return WindowPlan(
        cfg=cfg,
        U=U.contiguous(),
        index=inverse.reshape(batch, *out_shape),
        counts=_occurrences(inverse, P, x.dtype),
        pair_position=pairs // P,
        pair_window=pairs % P,
        incidence=_occurrences(pair_inverse, pairs.numel(), x.dtype),
    )


@dataclass(frozen=True, eq=False)
class WindowIntermediates:
    """``pre`` z (E, C, P) and ``act`` sigma(z) per distinct window; ``pooled`` (E, B, C) GAP
    features or ``None``; ``output`` y (E, B)."""

    pre: torch.Tensor
    act: torch.Tensor
    pooled: torch.Tensor | None
    output: torch.Tensor


def pre(params: Ensemble, p: WindowPlan) -> torch.Tensor:
    """``z = U w^T + b`` for every window, member and channel: (P, E, C)."""
    E, C = params["b"].shape
    z = torch.addmm(params["b"].reshape(1, E * C), p.U, params["w"].reshape(E * C, -1).T)
    return z.reshape(-1, E, C)


def channel_sum(x: torch.Tensor) -> torch.Tensor:
    """``x.sum(-1)`` over the channel axis, bit for bit: the sum starts from +0, and for C <= 2
    ``(0 + x_0) + x_1 = (x_0 + x_1) + 0`` in IEEE arithmetic (one rounding of the same sum; the
    ``+ 0`` turns the -0 of ``-0 + -0`` into sum's +0). That avoids a reduction over a short
    inner axis, which costs more than the rest of the forward. For C > 2 ``sum(-1)`` itself
    (its order of summation is its own)."""
    C = x.shape[-1]
    if C == 1:
        return x[..., 0] + 0.0
    if C == 2:
        return torch.add(*x.unbind(-1)).add_(0.0)
    return x.sum(-1)


@dataclass(frozen=True, eq=False)
class HeadTerms:
    """The head's operands for the gradient (``numeric.window_grad``): FC's ``V`` as
    (|I|^dim, E, C) and the gathered pair operands ``V_pos`` = V[i_q], ``act_pair`` = sigma(z[p_q])
    (Q, E, C); all ``None`` for GAP."""

    V: torch.Tensor | None = None
    V_pos: torch.Tensor | None = None
    act_pair: torch.Tensor | None = None


def head_terms(cfg: Config, params: Ensemble, p: WindowPlan, act: torch.Tensor) -> tuple[torch.Tensor, HeadTerms]:
    """``(y^T (B, E), terms)`` from the activations (P, E, C), contracting channels first
    (module docstring)."""
    beta = params["beta"][None, :]
    if cfg.head == "gap":
        s = channel_sum(act * params["v"])  # (P, E): sum_c v_c sigma(z_{c,p})
        return torch.addmm(beta, p.counts, s, alpha=1.0 / cfg.n_outputs), HeadTerms()
    V = params["V"].flatten(2).permute(2, 0, 1).contiguous()  # (|I|^dim, E, C)
    V_pos, act_pair = V.index_select(0, p.pair_position), act.index_select(0, p.pair_window)
    s = channel_sum(V_pos * act_pair)  # (Q, E)
    return torch.addmm(beta, p.incidence, s), HeadTerms(V, V_pos, act_pair)


def _head(cfg: Config, params: Ensemble, p: WindowPlan, act: torch.Tensor) -> torch.Tensor:
    """y (E, B) from the activations (P, E, C) (:func:`head_terms`)."""
    return head_terms(cfg, params, p, act)[0].T


def output(cfg: Config, params: Ensemble, p: WindowPlan) -> torch.Tensor:
    """Every member's output y (E, B) on the planned batch (the training path)."""
    return _head(cfg, params, p, for_config(cfg)(pre(params, p)))


def forward(cfg: Config, params: Ensemble, p: WindowPlan) -> WindowIntermediates:
    """Every stage on the planned batch (same values as ``model.forward``); ``pooled`` is
    ``mean_i u_{c,i} = (1/|I|^dim) sum_p counts[b, p] sigma(z_{c,p})``."""
    z = pre(params, p)
    act = for_config(cfg)(z)
    pooled = None
    if cfg.head == "gap":
        P, E, C = act.shape
        pooled = (p.counts @ act.reshape(P, E * C)).reshape(-1, E, C).transpose(0, 1) / cfg.n_outputs
    return WindowIntermediates(z.permute(1, 2, 0), act.permute(1, 2, 0), pooled, _head(cfg, params, p, act))


def expand(p: WindowPlan, per_window: torch.Tensor) -> torch.Tensor:
    """Spread a per-window tensor (E, C, P) back to positions: (E, B, C, *out)."""
    E, C = per_window.shape[:2]
    out = per_window.index_select(2, p.index.flatten()).reshape(E, C, *p.index.shape)
    return out.movedim(2, 1)
