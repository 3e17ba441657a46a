"""Closed-form gradients on the factored run decomposition (R1), THEORY.md sections 3, 6.

The data set is the grid radii ``R`` x amplitudes ``A`` and every window of the sample
``(r, a)`` is ``a 1[J]`` for a run ``J`` (a 0/1 pattern over the ``K = k^dim`` taps). So the
count matrix of ``numeric.windows`` factors: ``counts[(r, a), (J, a')] = n_J(r) [a = a']``
with the unit-amplitude run counts ``n_J(r)`` (R x nJ, the same for every amplitude). With the
run sums ``W_c[J] = sum_{t in J} w_{c,t}`` (``mask`` nJ x K)::

    z_{c,a,J} = a W_c[J] + b_c = sum_t w_{c,t} (a mask[J,t]) + b_c,        u = sigma(z)
    GAP: y(r, a) = beta + sum_J (n_J(r)/|I|) s_{a,J},       s_{a,J} = sum_c v_c u_{c,a,J}
    FC:  y(r, a) = beta + sum_{c,J} U_{c,r,J} u_{c,a,J},     U_{c,r,J} = sum_{i: J(r,i) = J} V_{c,i}

(FC: ``J(r, i)`` is the run seen at output position ``i`` for radius ``r``; ``U`` collects the
head weights by run, so the activation is evaluated once per run, not once per position.)
With ``L_e = (1/B) sum_{r,a} d^2``, ``d = y - r``, ``B = |R||A|``:

    g_y = 2 d / B,   dL/dbeta = sum g_y
    GAP: g_s = g_y n / |I|,  dL/dv_c = sum_{a,J} g_s u_c,   g_u = g_s v_c
    FC:  g_U_{c,r,J} = sum_a g_y u_{c,a,J},  dL/dV_{c,i} = sum_r g_U_{c,r,J(r,i)},
         g_u_{c,a,J} = sum_r g_y U_{c,r,J}
    g_z = g_u sigma'(z),  dL/db_c = sum_{a,J} g_z,  dL/dw_{c,t} = sum_J mask[J,t] sum_a a g_z

``sigma'`` is PyTorch's own choice at kinks (relu 0 at 0, hardtanh 0 at +-1, abs sign(z),
softplus 1 above z = 20). Every tensor has the member axis first and every contraction is a
product over (member, ...) rows or a reduction within one member, so a member's values do not
depend on the other members' values: a member trains the same alone or in any ensemble up to
rounding (tested), which lets sweeps batch many configurations' seeds together. Not bit for
bit in general: BLAS and PyTorch's reductions choose kernels, and so summation orders, by the
number of rows (MKL on an AMD EPYC with AVX-512 changes a row's float64 product with its
position in a fixed 64-row block; measured), so only a rerun of the same ensemble is bit for
bit the same.

The update is torch.optim.Adam's (single-tensor path, same operations in the same order: lerp,
mul/addcmul, bias corrections in Python floats, sqrt / sqrt(bc2) + eps, addcdiv) or plain GD
``theta -= lr g``, applied in place to one packed buffer holding every parameter (elementwise
ops, so packing changes nothing). Autograd's gradient over ``numeric.windows`` stays the
reference (``ensemble.train(..., engine='autograd')``, evaluated by ``numeric.window_grad``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from radiuscnn.numeric.activations import torch_spec
from radiuscnn.numeric.data import Dataset, disk, pulse
from radiuscnn.numeric.model import Ensemble, param_shapes, windows
from radiuscnn.theory.config import Config

BETA1, BETA2, EPS = 0.9, 0.999, 1e-8  # torch.optim.Adam defaults


@dataclass(frozen=True, eq=False)
class RunPlan:
    """The factored data: ``mask`` (nJ, K) run patterns; ``amps`` (A,) amplitudes; ``target``
    (R,) radii; GAP ``weights`` (R, nJ) = n_J(r)/|I|. FC: output positions with the same runs
    for every radius form one group (``position_group`` (|I|,), G groups: most positions see
    the empty or the full run throughout); ``cell_run`` (R G,) is the code ``r nJ + J(r, g)`` of
    each (radius, group) cell, radius-major. The sums over groups and runs are sparse 0/1
    products (CSR, terms added in index order): ``pool`` (G x |I|: positions into groups),
    ``spread`` (R nJ x G: group g into run ``J(r, g)`` of every radius) and ``gather``
    (G x R nJ: the gradient's way back, summed over radii)."""

    cfg: Config
    mask: torch.Tensor
    amps: torch.Tensor
    target: torch.Tensor
    weights: torch.Tensor | None
    cell_run: torch.Tensor | None
    position_group: torch.Tensor | None = None
    scaled: torch.Tensor | None = None
    mask_T: torch.Tensor | None = None
    weights_T: torch.Tensor | None = None
    cell_group: torch.Tensor | None = None
    amp_cells: torch.Tensor | None = None
    pool: torch.Tensor | None = None
    spread: torch.Tensor | None = None
    gather: torch.Tensor | None = None

    def __post_init__(self) -> None:
        scaled = self.amps[None, :, None] * self.mask.T[:, None, :]  # (K, A, nJ): a mask[J, t]
        object.__setattr__(self, "scaled", scaled.reshape(self.mask.shape[1], -1).contiguous())
        object.__setattr__(self, "mask_T", self.mask.T.contiguous())
        A, nJ = self.amps.numel(), self.mask.shape[0]
        # a per (amplitude, run) cell, laid out like g_z's rows: broadcasting over a short inner
        # axis is what costs, an elementwise product of equal shapes does not (same values)
        object.__setattr__(self, "amp_cells", self.amps[:, None].expand(A, nJ).contiguous())
        if self.weights is not None:
            object.__setattr__(self, "weights", self.weights.contiguous())
            object.__setattr__(self, "weights_T", self.weights.T.contiguous())
        if self.cell_run is not None:
            groups = self.cell_run.numel() // self.target.numel()
            object.__setattr__(self, "cell_group", torch.arange(groups).repeat(self.target.numel()))
            P, RnJ, dtype = self.position_group.numel(), self.target.numel() * self.mask.shape[0], self.mask.dtype
            object.__setattr__(self, "pool", _csr(self.position_group, torch.arange(P), (groups, P), dtype))
            object.__setattr__(self, "spread", _csr(self.cell_run, self.cell_group, (RnJ, groups), dtype))
            object.__setattr__(self, "gather", _csr(self.cell_group, self.cell_run, (groups, RnJ), dtype))

    @property
    def samples(self) -> int:
        return self.amps.numel() * self.target.numel()


def unit_shapes(cfg: Config, radii, dtype: torch.dtype) -> torch.Tensor:
    """The unit-amplitude pulses (or disks) of ``radii``: (R, N) or (R, N, N)."""
    make = pulse if cfg.dim == 1 else disk
    return torch.stack([make(cfg, r, 1.0, dtype) for r in radii])


def plan(cfg: Config, data: Dataset) -> RunPlan | None:
    """The factored plan of ``data``, or ``None`` if ``data`` is not the radius-major grid
    ``x = a 1[shape_r]`` (then only the reference applies)."""
    dtype = data.dtype
    radii, amplitudes = tuple(data.radii), tuple(data.amplitudes)
    if tuple(data.samples) != tuple((r, a) for r in radii for a in amplitudes):
        return None
    unit = unit_shapes(cfg, radii, dtype)
    amps = torch.tensor([float(a) for a in amplitudes], dtype=dtype)
    grid = unit[:, None] * amps.reshape(1, -1, *(1,) * cfg.dim)
    target = torch.tensor([float(r) for r in radii], dtype=dtype)
    if not (torch.equal(grid.reshape(data.x.shape), data.x) and torch.equal(target.repeat_interleave(len(amplitudes)), data.y)):
        return None
    win = windows(cfg, unit).reshape(len(radii), cfg.n_outputs, -1)
    mask, run = torch.unique(win.reshape(-1, win.shape[-1]), dim=0, return_inverse=True)
    run = run.reshape(len(radii), cfg.n_outputs)
    nJ = mask.shape[0]
    codes = (torch.arange(len(radii))[:, None] * nJ + run).flatten()
    if cfg.head == "gap":
        weights = torch.bincount(codes, minlength=len(radii) * nJ).reshape(len(radii), nJ).to(dtype) / cfg.n_outputs
        return RunPlan(cfg, mask.to(dtype).contiguous(), amps, target, weights, None)
    profiles, group = torch.unique(run.T, dim=0, return_inverse=True)  # (G, R): runs per group
    cell_run = (torch.arange(len(radii))[:, None] * nJ + profiles.T).flatten()
    return RunPlan(cfg, mask.to(dtype).contiguous(), amps, target, None, cell_run, group)


def _csr(rows: torch.Tensor, cols: torch.Tensor, shape: tuple[int, int], dtype: torch.dtype) -> torch.Tensor:
    """The 0/1 matrix with ones at ``(rows[i], cols[i])`` as CSR, columns ascending in each row:
    ``csr @ X`` sums the rows of ``X`` named in a row, one after another in column order."""
    import warnings

    order = torch.argsort(rows * shape[1] + cols, stable=True)
    rows, cols = rows[order], cols[order]
    crow = torch.zeros(shape[0] + 1, dtype=torch.int64)
    crow[1:] = torch.cumsum(torch.bincount(rows, minlength=shape[0]), 0)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Sparse CSR tensor support is in beta")
        return torch.sparse_csr_tensor(crow, cols, torch.ones(len(cols), dtype=dtype), shape, check_invariants=True)

def _mm(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """``a @ b`` for a contiguous ``b`` (a transposed operand changes BLAS's summation order),
    with at least two rows (a one-row product goes to another kernel)."""
    if a.shape[0] >= 2:
        return a @ b
    return (torch.cat([a, torch.zeros_like(a)]) @ b)[:1]


def _activation(cfg: Config, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """``(sigma(z), sigma'(z))`` with PyTorch's derivative conventions (module docstring,
    ``numeric.activations.TORCH``)."""
    act, alpha = torch_spec(cfg.activation), float(cfg.alpha)
    u = act.value(z, alpha)
    return u, act.derivative(z, u, alpha)


class Packed:
    """Every parameter of an ensemble in one flat buffer ``theta`` (and its gradient ``grad``),
    with views named and shaped as in ``numeric.model`` (``params`` / ``grads``).

    ``positions_first``: the FC head ``V`` (E, C, *positions) is stored positions-major, as the
    contiguous (|I|, E C) matrix the head's sums over position groups read and the gradient's
    scatter back writes (the view keeps the model's shape; only its strides differ). The update
    is elementwise, so the layout changes no value; it saves a transposed copy of ``V`` and of
    its gradient per step."""

    def __init__(self, cfg: Config, params: Ensemble, positions_first: bool = False):
        E = params["b"].shape[0]
        self.shapes = param_shapes(cfg, E)
        self.positions_first = positions_first and "V" in self.shapes
        dtype = params["b"].dtype
        self.theta = torch.empty(sum(math.prod(s) for s in self.shapes.values()), dtype=dtype)
        self.grad = torch.zeros_like(self.theta)
        self.params: Ensemble = self.views(self.theta)
        self.grads: Ensemble = self.views(self.grad)
        for name, view in self.params.items():
            view.copy_(params[name])

    def snapshot(self) -> Ensemble:
        """A contiguous copy of every parameter (whatever the packed layout)."""
        return {name: t.clone(memory_format=torch.contiguous_format) for name, t in self.params.items()}

    def views(self, buffer: torch.Tensor) -> Ensemble:
        """``buffer`` (laid out like ``theta``, e.g. ``theta`` itself requiring grad) as named,
        shaped views: autograd through them accumulates one packed gradient."""
        out, offset = {}, 0
        for name, shape in self.shapes.items():
            size = math.prod(shape)
            flat = buffer[offset : offset + size]
            if name == "V" and self.positions_first:
                E, C, *positions = shape
                out[name] = flat.view(math.prod(positions), E, C).permute(1, 2, 0).view(shape)
            else:
                out[name] = flat.view(shape)
            offset += size
        return out


Segments = tuple[tuple[Config, int, int], ...]
"""``((cfg_g, e0, e1), ...)``: members ``e0 <= e < e1`` use ``cfg_g``'s activation (several
configurations that differ only in ``sigma`` train as one ensemble)."""


def _activations(cfg: Config, z: torch.Tensor, segments: Segments | None):
    """``_activation`` per member segment (elementwise, so each member's values are the ones
    it would get alone)."""
    if not segments:
        return _activation(cfg, z)
    u, du = torch.empty_like(z), torch.empty_like(z)
    for seg_cfg, e0, e1 in segments:
        u[e0:e1], du[e0:e1] = _activation(seg_cfg, z[e0:e1])
    return u, du


def _run_head(p: RunPlan, V: torch.Tensor, E: int, C: int) -> torch.Tensor:
    """FC: the head weights collected by run, ``U_{c,r,J}`` as (E, R, C nJ)."""
    R, nJ = p.target.numel(), p.mask.shape[0]
    # (G, EC): sum of V over a group; V as (|I|, E C) is a view when packed positions-first
    groups = torch.sparse.mm(p.pool, V.reshape(E * C, -1).T.contiguous())
    U = torch.sparse.mm(p.spread, groups)  # (R nJ, EC)
    return U.reshape(R, nJ, E, C).permute(2, 0, 3, 1).contiguous().reshape(E, R, C * nJ)  # contiguous: bmm is slow on strides


def residual(cfg: Config, p: RunPlan, params: Ensemble, segments: Segments | None = None):
    """Forward pass: ``d = y - r`` (E, A, R) and the intermediates the gradient needs.

    ``z`` comes out of one product with the amplitude-scaled run masks
    (``scaled[t, (a, J)] = a mask[J, t]``), so every later elementwise operation runs on
    contiguous (member, channel)-rows: broadcasting over short inner axes is what costs."""
    w, b, beta = params["w"], params["b"], params["beta"]
    E, C = b.shape
    A, nJ = p.amps.numel(), p.mask.shape[0]
    z = _mm(w.reshape(E * C, -1), p.scaled).add_(b.reshape(E * C, 1)).reshape(E, C, A, nJ)
    u, du = _activations(cfg, z, segments)
    if cfg.head == "gap":
        head = params["v"].reshape(E, C, 1)
        channels, weights = u.reshape(E, C, A * nJ).unbind(1), head.unbind(1)
        s = channels[0] * weights[0]
        for c in range(1, C):
            s.addcmul_(channels[c], weights[c])
        d = _mm(s.reshape(E * A, -1), p.weights_T).reshape(E, A, -1)
    else:
        head = _run_head(p, params["V"], E, C)  # (E, R, C nJ)
        u_by_a = u.permute(0, 2, 1, 3).reshape(E, A, C * nJ)
        d = torch.bmm(u_by_a, head.transpose(1, 2).contiguous())  # (E, A, R)
        u = u_by_a
    d.add_(beta.reshape(E, 1, 1)).sub_(p.target)
    return d, (u, du, head)


def loss(d: torch.Tensor) -> torch.Tensor:
    """Per-member MSE (E,) from the residual (E, A, R)."""
    return (d * d).reshape(d.shape[0], -1).mean(dim=1)


def gradient(cfg: Config, p: RunPlan, params: Ensemble, d, saved, out: Ensemble) -> None:
    """Write ``dL_e/dtheta_e`` (module docstring) into the tensors ``out`` (named as params).
    Long contractions are sums within a member's row, not BLAS products: BLAS's summation
    order over a long inner dimension depends on the number of rows (float64, measured)."""
    u, du, head = saved
    E, C = params["b"].shape
    A, nJ = p.amps.numel(), p.mask.shape[0]
    g_y = d * (2.0 / p.samples)
    torch.sum(g_y.reshape(E, -1), dim=1, out=out["beta"])
    if cfg.head == "gap":
        g_s = _mm(g_y.reshape(E * A, -1), p.weights).reshape(E, 1, A * nJ)
        torch.sum(g_s * u.reshape(E, C, A * nJ), dim=-1, out=out["v"])
        g_z = du.reshape(E, C, A * nJ) * head
        g_z.mul_(g_s)
    else:
        R = p.target.numel()
        g_U = torch.bmm(g_y.transpose(1, 2), u)  # (E, R, C nJ): sum_a g_y u
        by_run = g_U.reshape(E, R, C, nJ).permute(1, 3, 0, 2).contiguous().reshape(R * nJ, E * C)
        g_group = torch.sparse.mm(p.gather, by_run)  # (G, EC)
        g_V = out["V"].reshape(E * C, -1).T  # (|I|, E C): contiguous when packed positions-first
        if g_V.is_contiguous():
            torch.index_select(g_group, 0, p.position_group, out=g_V)
        else:
            g_V.copy_(g_group[p.position_group])
        g_u = torch.bmm(g_y, head)  # (E, A, C nJ): sum_r g_y U
        g_z = g_u.reshape(E, A, C, nJ).permute(0, 2, 1, 3).mul(du).reshape(E, C, A * nJ)
    torch.sum(g_z, dim=-1, out=out["b"])
    g_WJ = (g_z.reshape(E * C, A, nJ) * p.amp_cells).sum(dim=1)  # sum_a a g_z: (EC, nJ)
    torch.sum(g_WJ.reshape(E * C, 1, nJ) * p.mask_T, dim=-1, out=out["w"].reshape(E * C, -1))


class Optimizer:
    """torch.optim.Adam (default betas, eps) or SGD without momentum on a packed buffer."""

    def __init__(self, name: str, lr: float, theta: torch.Tensor):
        self.name, self.lr, self.theta = name, lr, theta
        self.step_count = 0
        if name == "adam":
            self.exp_avg = torch.zeros_like(theta)
            self.exp_avg_sq = torch.zeros_like(theta)
            self.denom = torch.empty_like(theta)  # reused: a fresh large buffer per step costs page faults

    def step(self, grad: torch.Tensor) -> None:
        if self.name != "adam":
            self.theta.add_(grad, alpha=-self.lr)
            return
        self.step_count += 1
        step = float(self.step_count)
        self.exp_avg.lerp_(grad, 1 - BETA1)
        self.exp_avg_sq.mul_(BETA2).addcmul_(grad, grad, value=1 - BETA2)
        bias_correction1 = 1 - BETA1**step
        bias_correction2 = 1 - BETA2**step
        step_size = self.lr / bias_correction1
        bias_correction2_sqrt = bias_correction2**0.5
        denom = torch.sqrt(self.exp_avg_sq, out=self.denom).div_(bias_correction2_sqrt).add_(EPS)
        self.theta.addcdiv_(self.exp_avg, denom, value=-step_size)
