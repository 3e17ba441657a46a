"""The FC head at a trained network (THEORY.md section 10, L2 for the FC head).

Given the filters ``(w_c, b_c)`` the FC output ``y = beta + sum_{c,i} V_{c,i} u_{c,i}`` is linear
in the head ``h = (beta, V)`` with the exact features ``u_{c,i}(r, a) = sigma(a W_c[J_i(r)] +
b_c)`` (rational for piecewise-linear ``sigma`` and float weights read exactly). So

    L_head* = min_h ||Phi h - r||^2 / B        (Phi: one row per grid sample (r, a))

is an exact rational (``theory.landscape.regime_minimum``, DomainMatrix over QQ, after merging
identical feature columns, which span the same space), the optimal heads form an affine set,
and :func:`head_certificate` reports the trained gap ``L - L_head*`` and the distance from the
trained head to the optimal set (exact projection). Second-order optimality of the whole
network is only *tested numerically*: :func:`hessian_spectrum` gives the float64 eigenvalues of
the Hessian of ``L`` in every parameter (torch autograd).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

from radiuscnn.theory.activations import piecewise_linear
from radiuscnn.theory.config import Config
from radiuscnn.theory.landscape import grid_samples, lifted_loss, regime_minimum, solve_square, targets
from radiuscnn.theory.network import Params
from radiuscnn.theory.runs import run_at, run_sum


def features(cfg: Config, p: Params, amplitudes) -> tuple[tuple[Fraction, ...], ...]:
    """``Phi``: ``(1, u_{c,i} for c, i in position order)`` per grid sample (exact)."""
    act = piecewise_linear(cfg.activation, cfg.alpha)
    rows = []
    for r, a in grid_samples(cfg, amplitudes):
        row = [Fraction(1)]
        for c in range(p.channels):
            row += [act(a * run_sum(p.w[c], cfg, run_at(cfg, i, r)) + p.b[c]) for i in cfg.positions]
        rows.append(tuple(row))
    return tuple(rows)


@dataclass(frozen=True)
class HeadCertificate:
    """``head_loss = L_head*`` (exact), the trained ``loss`` (exact), ``gap``, the distance of
    the trained head to the optimal set, and ``optimal`` (gap within ``tol``)."""

    head_loss: Fraction
    loss: Fraction
    gap: Fraction
    distance: float
    rank: int
    optimal: bool
    tol: float

    def to_json(self) -> dict:
        return {"head_loss": str(self.head_loss), "head_loss_float": float(self.head_loss), "loss": float(self.loss),
                "gap": float(self.gap), "distance": self.distance, "rank": self.rank, "optimal": self.optimal,
                "tol": self.tol}


def head_certificate(cfg: Config, p: Params, amplitudes, tol: float = 1e-3) -> HeadCertificate:
    """Exact least squares of the FC head given ``p``'s filters (module docstring)."""
    if cfg.head != "fc" or piecewise_linear(cfg.activation, cfg.alpha) is None:
        raise ValueError("the head certificate is for the FC head with a piecewise-linear activation")
    Phi, y = features(cfg, p, amplitudes), targets(cfg, amplitudes)
    h = (p.beta, *(x for row in p.V for x in row))
    columns: dict[tuple, list[int]] = {}
    for j, col in enumerate(zip(*Phi)):
        columns.setdefault(col, []).append(j)
    groups = list(columns.values())
    reduced = [tuple(row[g[0]] for g in groups) for row in Phi]
    m = regime_minimum(reduced, y)
    # the optimality of a head depends only on its group sums s_g; the closest optimal head
    # changes each group evenly, at cost (s_g - s0_g)^2 / |g|: a weighted projection, exact
    s0 = [sum((h[j] for j in g), Fraction(0)) for g in groups]
    weights = [Fraction(1, len(g)) for g in groups]
    N = m.nullspace
    diff = [a - b for a, b in zip(s0, m.particular)]
    if N:
        gram = [[sum((w * a * b for w, a, b in zip(weights, u, v) if a and b), Fraction(0)) for v in N] for u in N]
        rhs = [sum((w * a * d for w, a, d in zip(weights, u, diff) if a), Fraction(0)) for u in N]
        coef = solve_square(gram, rhs)
        diff = [d - sum((c * u[i] for c, u in zip(coef, N)), Fraction(0)) for i, d in enumerate(diff)]
    dist2 = sum(float(w * d * d) for w, d in zip(weights, diff))
    loss = lifted_loss(Phi, y, h)
    gap = loss - m.loss
    return HeadCertificate(m.loss, loss, gap, math.sqrt(dist2), m.rank, float(gap) <= tol, tol)


def hessian_spectrum(cfg: Config, params: dict, e: int, n_amplitudes: int):
    """Float64 eigenvalues (ascending) of the Hessian of the grid loss of member ``e`` in all
    its parameters (``w, b, V|v, beta``), by torch autograd."""
    import torch

    from radiuscnn.numeric.data import make_dataset
    from radiuscnn.numeric.model import forward

    data = make_dataset(cfg, n_amplitudes, torch.float64)
    names = ["w", "b", "v" if cfg.head == "gap" else "V", "beta"]
    shapes = [params[k][e : e + 1].shape for k in names]
    flat = torch.cat([params[k][e : e + 1].detach().to(torch.float64).reshape(-1) for k in names])

    def loss(x):
        parts, at = {}, 0
        for k, s in zip(names, shapes):
            n = math.prod(s)
            parts[k] = x[at : at + n].reshape(s)
            at += n
        return (forward(cfg, parts, data.x).output[0] - data.y).pow(2).mean()

    H = torch.autograd.functional.hessian(loss, flat)
    return torch.linalg.eigvalsh((H + H.T) / 2)
