"""Train an ensemble of independent networks in one tensor program (THEORY.md sections 6, 9).

Member ``e`` starts from ``init_params`` with seed ``seed + e`` and minimises its own mean
squared error over the data set (radii x amplitude grid, full batch)::

    L_e = (1/B) sum_b (y_e(x_b) - r_b)^2,        loss = sum_e L_e.

Each member's parameters enter only its own ``L_e``, so ``d loss / d theta_e = d L_e / d theta_e``
and, since Adam and plain GD act elementwise, every member follows exactly the trajectory it
would follow alone (``train_solo``; equal up to summation-order rounding). The forward pass is
the window-dedupe fast path (``numeric.windows``).

Success: a member succeeds when its final MSE is ``<= tolerance`` (default ``1e-3``, i.e. an
RMS error of about 0.03 radius units, far below the 0.5 that rounding would forgive). A NaN
loss never succeeds.

Defaults (the embedded config of THEORY.md section 9): Adam, lr 0.01, 10000 full-batch steps,
64 seeds, 11 amplitudes, float32; about 1 ms per step for all 64 members on one idle core.
Measured on the default config: 21/64 seeds succeed (MSE <= 1e-3); 35/64 stall at
the amplitude-proportional plateau (MSE 5.346, the output affine in the pulse mass ``a(2r+1)``),
7/64 die (constant output 7 = mean radius, MSE 18.667), 1/64 is still descending (MSE 0.002).
With 2000 steps no seed has reached 1e-3 yet (the successful ones converge slowly); 20000
steps add one success, so the plateau, not the step budget, limits the rate.

Engines: 'fast' (``numeric.fastgrad``: closed-form gradients on the factored run
decomposition, a packed in-place Adam/GD; about 4x faster per network-step at E = 256
(``benchmarks/ensemble_vs_loop.py``), and a
member's values do not depend on the other members', so it trains the same in any ensemble up
to rounding) and 'autograd' (the reference: the window forward above and the gradient
``loss.backward()`` gives for it, evaluated by ``numeric.window_grad`` with autograd's own
backward formulas but without recording the graph: bit for bit the same, about twice as fast
for small ensembles; tested against ``loss.backward()`` and ``torch.optim``). They agree to
rounding (float64: ~1e-13 relative over short runs, tested); float32 defaults to the reference
so that the default report's numbers stay as they are (see :data:`DEFAULT_ENGINES`).

Determinism: training is a pure function of (Config, TrainConfig): the init uses one private
generator per member, the data are a fixed grid, the batch is full, and training runs with
``torch.use_deterministic_algorithms(True)`` (restored afterwards), so the same configuration
gives bit-identical weights on the same machine and thread count.
"""

from __future__ import annotations

import time
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Callable, Iterator, Mapping

import torch

from radiuscnn.numeric.processes import torch_threads
import torch.nn as nn
import torch.nn.functional as F

from radiuscnn.numeric import fastgrad, window_grad, windows
from radiuscnn.numeric.activations import for_config
from radiuscnn.numeric.data import Dataset, make_dataset
from radiuscnn.numeric.model import Ensemble, even_same_padding_allowed, init_params, pad, param_shapes
from radiuscnn.theory.config import Config, ConfigError

from radiuscnn.numeric.train_config import TrainConfig  # noqa: F401 - re-exported

DTYPES = {"float32": torch.float32, "float64": torch.float64}

Progress = Callable[[int, int, torch.Tensor], None]
"""``progress(step, steps, loss)``: called at every history point with the (E,) losses."""
Record = Callable[[int, Ensemble], Mapping[str, torch.Tensor]]
"""``record(step, params) -> {name: tensor}``: called before every update and after the last
(``steps + 1`` calls) with the detached parameters; each name's values are stacked into
``TrainResult.records[name]`` of shape ``(steps + 1, ...)``. E.g. the I1 balancedness
``||w_c||^2 + b_c^2 - v_c^2``."""


@dataclass(frozen=True, eq=False)
class TrainResult:
    """Trained ``params`` (E members, detached); ``loss`` (E,) final MSE on the data set;
    ``history`` (H, E) the loss after ``history_steps[h]`` updates; ``success`` (E,) bool,
    ``loss <= tolerance``; ``records`` from the record hook or ``None``; wall ``seconds``."""

    params: Ensemble
    loss: torch.Tensor
    history_steps: tuple[int, ...]
    history: torch.Tensor
    success: torch.Tensor
    tolerance: float
    member_seeds: tuple[int, ...]
    seconds: float
    records: dict[str, torch.Tensor] | None = None

    @property
    def success_rate(self) -> float:
        return float(self.success.to(torch.float64).mean())

    def to_json(self) -> dict:
        """The metrics of ``run.json`` (:func:`numeric.checkpoint.metrics_of`)."""
        from radiuscnn.numeric.checkpoint import metrics_of

        return metrics_of(self)

    def __repr__(self) -> str:
        E = int(self.loss.shape[0])
        return (f"TrainResult({E} networks, {int(self.success.sum())} solved (MSE <= {self.tolerance:g}), "
                f"median loss {float(self.loss.double().nanmedian()):.3g}, {self.seconds:.1f} s)")


def history_steps(steps: int, points: int) -> tuple[int, ...]:
    """Every ``max(1, steps // points)``-th step from 0, plus the last step."""
    every = max(1, steps // points)
    return tuple(sorted(set(range(0, steps + 1, every)) | {steps}))


def succeeded(loss: torch.Tensor, tolerance: float) -> torch.Tensor:
    """``loss <= tolerance`` elementwise (NaN fails)."""
    return loss <= tolerance


def import_deterministic_mode() -> None:
    """Import what ``torch.use_deterministic_algorithms`` imports on its first call
    (``torch._inductor.config``, about 1 s on these machines). Commands call this before they
    announce training, so that a Ctrl-C after the announcement cannot land inside that import,
    where torch's own ``except`` clauses may swallow it (training then runs on) or leave the
    module half imported (the restore then fails with an ImportError)."""
    import torch._inductor.config  # noqa: F401


@contextmanager
def deterministic(fill_uninitialized: bool = False) -> Iterator[None]:
    """Run with ``torch.use_deterministic_algorithms(True)``, restoring the previous settings.

    That mode also fills every new uninitialised tensor (``torch.empty``) with NaN
    (``torch.utils.deterministic.fill_uninitialized_memory``), a guard against reading memory
    before writing it. The engines write every buffer they allocate before they read it, so
    the fill only costs time (about 5% of a 2D FC step of the fast engine) and is off unless
    ``fill_uninitialized``; ``tests/test_ensemble.py`` trains both ways (``train`` and the
    batched ``train_many``) and checks that weights and losses are the same bit for bit,
    which they could not be if a buffer allocated during training were read before written
    (NaN with the fill). Buffers made before the context (the packed parameters, the
    optimizer's state) are filled with ``copy_`` or zeros and are not covered by that test."""
    import torch.utils.deterministic as flags

    enabled = torch.are_deterministic_algorithms_enabled()
    warn_only = torch.is_deterministic_algorithms_warn_only_enabled()
    fill, wanted = flags.fill_uninitialized_memory, bool(fill_uninitialized)
    # outside the try: the first call imports torch._inductor (import_deterministic_mode); a
    # Ctrl-C landing in that import must not reach the restore below, which would re-enter it
    torch.use_deterministic_algorithms(True)
    flags.fill_uninitialized_memory = wanted
    try:
        yield
    finally:
        flags.fill_uninitialized_memory = fill
        torch.use_deterministic_algorithms(enabled, warn_only=warn_only)


def one_thread():
    """Run torch on one thread for the block (:func:`numeric.processes.torch_threads`)."""
    return torch_threads(1)


def make_optimizer(tcfg: TrainConfig, parameters) -> torch.optim.Optimizer:
    """``torch.optim.Adam(lr)`` or plain GD ``torch.optim.SGD(lr, momentum=0)``.

    torch.optim imports torch._dynamo on its first step (about 1 s); a Ctrl-C or SIGTERM
    arriving during that import can land in one of its bare ``except:`` clauses and be
    swallowed, and training then runs on. Importing it here, before the loop starts, closes
    that window (``train`` itself uses ``fastgrad.Optimizer`` and never imports it)."""
    import torch._dynamo  # noqa: F401
    if tcfg.optimizer == "adam":
        return torch.optim.Adam(parameters, lr=tcfg.lr)
    return torch.optim.SGD(parameters, lr=tcfg.lr, momentum=0.0)


def _run(
    tcfg: TrainConfig,
    losses: Callable[[bool], torch.Tensor],
    update: Callable[[], None],
    snapshot: Callable[[], Ensemble],
    progress: Progress | None,
    record: Record | None,
    member_seeds: tuple[int, ...],
) -> TrainResult:
    """The training loop shared by ``train``'s reference engine and ``train_solo``:
    ``losses(gradient)`` gives the (E,) MSEs at the current parameters, and with ``gradient``
    also leaves their gradient where ``update()`` (one optimizer step) reads it."""
    start = time.perf_counter()
    marks = set(history_steps(tcfg.steps, tcfg.history))
    history: list[torch.Tensor] = []
    records: dict[str, list[torch.Tensor]] = {}
    with deterministic():
        for step in range(tcfg.steps + 1):
            last = step == tcfg.steps
            per_member = losses(not last)
            if step in marks:
                history.append(per_member.detach().clone())
                if progress is not None:
                    progress(step, tcfg.steps, history[-1])
            if record is not None:
                for name, value in record(step, snapshot()).items():
                    records.setdefault(name, []).append(value.detach().clone())
            if last:
                break
            update()
    return _result(snapshot(), history, marks, tcfg, member_seeds, start, records if record is not None else None)


def _result(params, history, marks, tcfg, member_seeds, start, records) -> "TrainResult":
    """The :class:`TrainResult` of a finished run (both engines)."""
    loss = history[-1]
    return TrainResult(
        params=params, loss=loss, history_steps=tuple(sorted(marks)), history=torch.stack(history),
        success=succeeded(loss, tcfg.tolerance), tolerance=tcfg.tolerance, member_seeds=member_seeds,
        seconds=time.perf_counter() - start,
        records={k: torch.stack(v) for k, v in records.items()} if records is not None else None,
    )


ENGINES = ("fast", "autograd")


def _run_fast(
    cfg: Config,
    tcfg: TrainConfig,
    rplan: "fastgrad.RunPlan",
    start_params: Ensemble,
    progress: Progress | None,
    record: Record | None,
    member_seeds: tuple[int, ...],
    segments: "fastgrad.Segments | None" = None,
) -> TrainResult:
    """``_run`` on the closed-form gradients and the packed in-place optimizer of
    ``numeric.fastgrad`` (same hooks, same history points, same result)."""
    start = time.perf_counter()
    packed = fastgrad.Packed(cfg, start_params, positions_first=True)
    optimizer = fastgrad.Optimizer(tcfg.optimizer, tcfg.lr, packed.theta)
    marks = set(history_steps(tcfg.steps, tcfg.history))
    history: list[torch.Tensor] = []
    records: dict[str, list[torch.Tensor]] = {}
    with deterministic(), torch.no_grad():
        for step in range(tcfg.steps + 1):
            last = step == tcfg.steps
            d, saved = fastgrad.residual(cfg, rplan, packed.params, segments)
            if step in marks:
                history.append(fastgrad.loss(d))
                if progress is not None:
                    progress(step, tcfg.steps, history[-1])
            if record is not None:
                for name, value in record(step, packed.snapshot()).items():
                    records.setdefault(name, []).append(value.detach().clone())
            if last:
                break
            fastgrad.gradient(cfg, rplan, packed.params, d, saved, packed.grads)
            optimizer.step(packed.grad)
    return _result(packed.snapshot(), history, marks, tcfg, member_seeds, start,
                   records if record is not None else None)


DEFAULT_ENGINES = {"float64": "fast", "float32": "autograd"}
"""float32 keeps the reference: the fast path sums in another order, and on the default
ensemble (64 seeds, 10000 Adam steps) that moves the final losses of the converging members;
two slow seeds (11, 44: MSE 3.3e-4 and 6.0e-4 on the reference) end just above the 1e-3
tolerance (1.2e-3, 2.3e-3), so 19 instead of 21 succeed. The plateaus stay the same. In
float64 the engines agree to ~1e-13 relative over the report's short invariant runs."""


def default_engine(tcfg: TrainConfig) -> str:
    """The engine ``train`` uses unless told (:data:`DEFAULT_ENGINES`, by dtype)."""
    return DEFAULT_ENGINES[tcfg.dtype]


def train(
    cfg: Config,
    tcfg: TrainConfig,
    progress: Progress | None = None,
    record: Record | None = None,
    dataset: Dataset | None = None,
    init: Ensemble | None = None,
    engine: str | None = None,
) -> TrainResult:
    """Train ``tcfg.seeds`` members of ``cfg`` at once (module docstring) on ``dataset``
    (default ``make_dataset(cfg, tcfg.amplitudes, tcfg.torch_dtype)``); ``progress`` and
    ``record`` are the optional hooks described at :data:`Progress` and :data:`Record`.

    ``init``: the starting point (a params dict of ``tcfg.seeds`` members, cast to
    ``tcfg.dtype``; default ``init_params(cfg, tcfg.seeds, tcfg.seed)``). ``engine``: 'fast'
    (closed-form gradients, ``numeric.fastgrad``) or 'autograd' (the reference); default
    :func:`default_engine`. The fast engine needs the radius x amplitude grid data set; on any
    other data set ``train`` uses the reference."""
    engine = engine or default_engine(tcfg)
    if engine not in ENGINES:
        raise ConfigError(f"engine: expected one of {', '.join(ENGINES)}, got {engine!r}")
    data = dataset if dataset is not None else make_dataset(cfg, tcfg.amplitudes, tcfg.torch_dtype)
    if init is None:
        params = init_params(cfg, tcfg.seeds, tcfg.seed, tcfg.torch_dtype)
    else:
        shapes = param_shapes(cfg, tcfg.seeds)
        if set(init) != set(shapes) or any(tuple(init[k].shape) != s for k, s in shapes.items()):
            raise ConfigError(f"init: expected parameters {shapes}, got "
                              f"{ {k: tuple(v.shape) for k, v in init.items()} }")
        params = {k: init[k].detach().to(tcfg.torch_dtype).clone() for k in shapes}
    if engine == "fast":
        rplan = fastgrad.plan(cfg, data)
        if rplan is not None:
            with torch.no_grad():
                return _run_fast(cfg, tcfg, rplan, params, progress, record, tcfg.member_seeds)
    plan = windows.plan(cfg, data.x)
    packed = fastgrad.Packed(cfg, params)
    optimizer = fastgrad.Optimizer(tcfg.optimizer, tcfg.lr, packed.theta)

    def losses(gradient: bool) -> torch.Tensor:
        if gradient:
            return window_grad.loss_and_gradient(cfg, packed.params, plan, data.y, packed.grads)
        return window_grad.losses(cfg, packed.params, plan, data.y)

    with torch.no_grad():
        return _run(tcfg, losses, lambda: optimizer.step(packed.grad), packed.snapshot, progress, record,
                    tcfg.member_seeds)


class SoloNet(nn.Module):
    """One network as a plain ``nn.Module``: ``nn.ConvNd(1, C, k)`` with PyTorch's own padding
    ('same', ``padding_mode='circular'``) where PyTorch supports it (explicit modulo padding when
    circular padding must wrap more than once), ``sigma``, then ``nn.Linear`` on the GAP
    features or the flattened activations."""

    def __init__(self, cfg: Config, params: Ensemble):
        super().__init__()
        self.cfg = cfg
        self.sigma = for_config(cfg)
        conv = nn.Conv1d if cfg.dim == 1 else nn.Conv2d
        self.prepad = cfg.padding == "circular" and cfg.h_r > cfg.size
        if cfg.padding == "valid" or self.prepad:
            self.conv = conv(1, cfg.channels, cfg.kernel)
        else:
            mode = "zeros" if cfg.padding == "zeros" else "circular"
            self.conv = conv(1, cfg.channels, cfg.kernel, padding="same", padding_mode=mode)
        features = cfg.channels * (1 if cfg.head == "gap" else cfg.n_outputs)
        self.head = nn.Linear(features, 1)
        dtype = params["w"].dtype
        self.to(dtype)
        with torch.no_grad():
            self.conv.weight.copy_(params["w"][0].unsqueeze(1))
            self.conv.bias.copy_(params["b"][0])
            self.head.weight.copy_(params["v" if cfg.head == "gap" else "V"][0].reshape(1, -1))
            self.head.bias.copy_(params["beta"])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.unsqueeze(1)
        if self.prepad:
            x = pad(self.cfg, x)
        with even_same_padding_allowed():
            u = self.sigma(self.conv(x))
        features = u.flatten(2).mean(-1) if self.cfg.head == "gap" else u.flatten(1)
        return self.head(features)[:, 0]

    def params(self) -> Ensemble:
        """The weights as a one-member ensemble (THEORY.md names)."""
        cfg = self.cfg
        head = "v" if cfg.head == "gap" else "V"
        shape = (1, cfg.channels, *((cfg.out_size,) * cfg.dim)) if head == "V" else (1, cfg.channels)
        return {
            "w": self.conv.weight.detach()[:, 0].unsqueeze(0).clone(),
            "b": self.conv.bias.detach().unsqueeze(0).clone(),
            head: self.head.weight.detach().reshape(shape).clone(),
            "beta": self.head.bias.detach().clone(),
        }


def train_solo(cfg: Config, tcfg: TrainConfig, member_seed: int, dataset: Dataset | None = None) -> TrainResult:
    """Train one network alone (``tcfg.seeds`` and ``tcfg.seed`` ignored) as an ``nn.Module``
    with its own optimizer; it starts from ``init_params(cfg, 1, member_seed)``, so it must end
    where member ``e`` of ``train(cfg, tcfg)`` ends when ``member_seed = tcfg.seed + e``."""
    data = dataset if dataset is not None else make_dataset(cfg, tcfg.amplitudes, tcfg.torch_dtype)
    net = SoloNet(cfg, init_params(cfg, 1, member_seed, tcfg.torch_dtype))

    optimizer = make_optimizer(tcfg, net.parameters())

    def losses(gradient: bool) -> torch.Tensor:
        with torch.set_grad_enabled(gradient):
            loss = F.mse_loss(net(data.x), data.y).reshape(1)
        if gradient:
            optimizer.zero_grad(set_to_none=True)
            loss.sum().backward()
        return loss.detach()

    return _run(tcfg, losses, optimizer.step, net.params, None, None, (member_seed,))
