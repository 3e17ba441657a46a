"""The reference engine's step: ``numeric.window_grad`` against ``loss.backward()``.

Both take full-batch Adam steps (``numeric.fastgrad.Optimizer``) on the window forward of
``numeric.windows`` for the embedded default (THEORY.md section 9), from the same start, in
float32 on one thread: once with autograd recording the graph and running it, once with
``window_grad.loss_and_gradient`` (the same backward formulas called directly). The runs are
interleaved in ``--rounds`` rounds of ``--steps`` steps each, so both see the same machine
load; prints the best per-step time of each, their ratio, and whether the two trajectories
end at the same parameters bit for bit (they must: both took the same number of steps).

    PYTHONPATH=. .venv/bin/python benchmarks/reference_gradient.py [--members 16,64,256]
"""

from __future__ import annotations

import argparse
import time

import torch

from radiuscnn.numeric import fastgrad, window_grad, windows
from radiuscnn.numeric.data import make_dataset
from radiuscnn.numeric.model import init_params
from radiuscnn.numeric.train_config import TrainConfig
from radiuscnn.theory.config import Config


def steppers(cfg: Config, E: int):
    """``(autograd_step, window_grad_step, thetas)``: two optimizers from one start."""
    tcfg = TrainConfig(seeds=E)
    data = make_dataset(cfg, tcfg.amplitudes, tcfg.torch_dtype)
    plan = windows.plan(cfg, data.x)
    start = init_params(cfg, E, tcfg.seed, tcfg.torch_dtype)
    auto, direct = fastgrad.Packed(cfg, start), fastgrad.Packed(cfg, start)
    auto_opt = fastgrad.Optimizer(tcfg.optimizer, tcfg.lr, auto.theta)
    direct_opt = fastgrad.Optimizer(tcfg.optimizer, tcfg.lr, direct.theta)
    theta = auto.theta.requires_grad_(True)
    views = auto.views(theta)

    def autograd_step() -> None:
        theta.grad = None
        loss = ((windows.output(cfg, views, plan) - data.y) ** 2).mean(dim=1).sum()
        loss.backward()
        with torch.no_grad():
            auto_opt.step(theta.grad)

    def window_grad_step() -> None:
        with torch.no_grad():
            window_grad.loss_and_gradient(cfg, direct.params, plan, data.y, direct.grads)
            direct_opt.step(direct.grad)

    return autograd_step, window_grad_step, (auto.theta, direct.theta)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", default="16,64,256", help="ensemble sizes, comma-separated")
    parser.add_argument("--steps", type=int, default=200, help="steps per round and engine")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    cfg = Config()
    print(f"reference engine step, default configuration, float32, 1 thread, {args.rounds} rounds x {args.steps} steps")
    for E in (int(x) for x in args.members.split(",")):
        autograd_step, window_grad_step, (a, b) = steppers(cfg, E)
        best = {"autograd": float("inf"), "window_grad": float("inf")}
        for _ in range(args.rounds):
            for name, step in (("autograd", autograd_step), ("window_grad", window_grad_step)):
                start = time.perf_counter()
                for _ in range(args.steps):
                    step()
                best[name] = min(best[name], (time.perf_counter() - start) / args.steps)
        same = torch.equal(a.detach(), b)
        print(f"E = {E}: loss.backward() {1e6 * best['autograd']:.0f} us/step, window_grad "
              f"{1e6 * best['window_grad']:.0f} us/step, ratio {best['autograd'] / best['window_grad']:.2f}x; "
              f"same parameters bit for bit: {same}")
        if not same:
            return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
