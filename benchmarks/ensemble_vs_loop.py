"""Ensemble training vs one network at a time, on the embedded default (THEORY.md section 9).

Trains ``--members`` (256) networks of ``theory.config.Config()`` (N=33, k=5, C=2, relu, zeros,
GAP, radii 0..14, amplitude [0.5, 1.5] on an 11-point grid) for ``--steps`` (500) full-batch
Adam steps in float32, two ways:

* ensemble: ``numeric.ensemble.train``, all members in one tensor program, on both engines:
  'autograd' (the reference over the window dedupe, its gradient by ``numeric.window_grad``;
  the float32 default) and 'fast'
  (``numeric.fastgrad``: closed-form gradients on the factored run decomposition);
* loop: ``numeric.ensemble.train_solo``, an ``nn.Module`` + ``torch.optim.Adam`` per network in
  a Python loop. The loop is timed on the first ``--loop`` (32) networks only and scaled, since
  every network costs the same; the data set is built once and shared (in the loop's favour).

Both timings are wall clock and include everything after the imports (data set, window plan,
init). So that both see the same machine load, the runs are interleaved in ``--rounds`` (4)
rounds, each one ensemble run and ``loop / rounds`` solo networks; the per-network times are
the totals divided by the networks trained. Prints the per-network speedup of each engine over
the loop (issue 15 target for the trainer: >= 250x), each engine's time as a multiple of its
formulation's FLOP limit (:func:`flops_per_step`, divided by the single-thread float32 matmul
rate measured in the same run, ``--matmul`` square matrices), and the peak RSS of the process after the first ensemble run (``resource.getrusage``;
it includes the interpreter and torch itself; target < 1 GiB).

    PYTHONPATH=. .venv/bin/python benchmarks/ensemble_vs_loop.py [--threads 1]

Timings depend on the machine being otherwise idle: on shared cores OpenMP's thread
hand-offs dominate these tiny ops (busy-waiting by default, sleeping with
``OMP_WAIT_POLICY=PASSIVE``), so the script prints the thread count and wait policy it ran
with; ``--threads 1`` measures the programs without that effect.
"""

from __future__ import annotations

import argparse
import os
import resource
import time

import torch

from radiuscnn.numeric.data import make_dataset
from radiuscnn.numeric.ensemble import TrainConfig, default_engine, train, train_solo
from radiuscnn.theory.config import Config


def matmul_gflops(n: int, seconds: float = 0.5) -> float:
    """Single-thread float32 ``n x n`` matmul rate (GFLOP/s, ``2 n^3`` per product), best of
    repeated products over about ``seconds``."""
    a, b = torch.randn(n, n), torch.randn(n, n)
    best, spent = 0.0, 0.0
    while spent < seconds:
        start = time.perf_counter()
        a @ b
        dt = time.perf_counter() - start
        spent += dt
        best = max(best, 2 * n**3 / dt / 1e9)
    return best


def flops_per_step(cfg: Config, amplitudes: int, engine: str) -> int:
    """Arithmetic of one network's training step (forward, gradient, Adam ~10 per parameter)
    in each engine's formulation. K = k^dim taps, C channels, A amplitudes, R radii, B = A R.

    fast (factored): run sums 2CKnJ, z 2CAnJ, sigma and sigma' 2CAnJ, head s 2CAnJ, y 2ARnJ,
    residual and g_y 3AR; back: g_s 2ARnJ, g_v 2CAnJ, g_z 2CAnJ, g_b CAnJ, a-weighted sum
    2CAnJ, g_w 2CnJK (nJ distinct runs).
    autograd (window dedupe, gradient by ``numeric.window_grad``): z 2PKC, sigma CP, s 2PC,
    y 2BP, loss 3B; back: the transposed products 2BP (g_s) + 2PKC (g_w), 2PC (g_v, g_act),
    CP (relu mask), CP (g_b) (P distinct windows)."""
    from radiuscnn.numeric import fastgrad, windows
    from radiuscnn.numeric.model import param_shapes
    import math as _m

    data = make_dataset(cfg, amplitudes, torch.float64)
    n_params = sum(_m.prod(s) for s in param_shapes(cfg, 1).values())
    K, C, A, R = cfg.kernel**cfg.dim, cfg.channels, amplitudes, len(cfg.radii)
    if engine == "fast":
        nJ = fastgrad.plan(cfg, data).mask.shape[0]
        fwd = 2 * C * K * nJ + 6 * C * A * nJ + 2 * A * R * nJ + 3 * A * R
        back = 2 * A * R * nJ + 7 * C * A * nJ + 2 * C * nJ * K
    else:
        P, B = windows.plan(cfg, data.x).distinct, A * R
        fwd = 2 * P * K * C + 3 * C * P + 2 * B * P + 3 * B
        back = 2 * B * P + 2 * P * K * C + 4 * C * P
    return fwd + back + 10 * n_params


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=256)
    parser.add_argument("--steps", type=int, default=500)
    parser.add_argument("--loop", type=int, default=32, help="networks timed in the loop (then scaled)")
    parser.add_argument("--threads", type=int, default=None, help="torch intra-op threads (default: torch's)")
    parser.add_argument("--rounds", type=int, default=4, help="interleaved ensemble/loop rounds")
    parser.add_argument("--matmul", type=int, default=512, help="matrix size of the matmul rate measurement")
    args = parser.parse_args(argv)
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    if args.loop % args.rounds:
        parser.error("--loop must be a multiple of --rounds")

    cfg = Config()
    tcfg = TrainConfig(seeds=args.members, steps=args.steps, lr=0.01, optimizer="adam", dtype="float32")
    print(f"config: N={cfg.size} k={cfg.kernel} C={cfg.channels} {cfg.activation} {cfg.padding} {cfg.head} "
          f"radii {cfg.radii[0]}..{cfg.radii[-1]} amplitude [{cfg.a_min}, {cfg.a_max}] x {tcfg.amplitudes} grid points")
    print(f"training: {tcfg.steps} Adam steps lr={tcfg.lr} {tcfg.dtype}; torch {torch.__version__}, "
          f"{torch.get_num_threads()} threads, OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY', 'unset')}")
    rss_before = peak_rss_mib()
    data = make_dataset(cfg, tcfg.amplitudes, tcfg.torch_dtype)

    engines = ("autograd", "fast")
    t_engine = {e: 0.0 for e in engines}
    t_loop, rss_ensemble, solos, results, rates = 0.0, None, [], {}, []
    per_round = args.loop // args.rounds
    for round_ in range(args.rounds):
        rates.append(matmul_gflops(args.matmul))
        for engine in engines:
            start = time.perf_counter()
            results[engine] = train(cfg, tcfg, engine=engine)
            t_engine[engine] += time.perf_counter() - start
            rss_ensemble = rss_ensemble or peak_rss_mib()
        start = time.perf_counter()
        seeds = range(round_ * per_round, (round_ + 1) * per_round)
        solos += [train_solo(cfg, tcfg, seed, dataset=data) for seed in seeds]
        t_loop += time.perf_counter() - start

    per_loop = t_loop / args.loop
    rate = sorted(rates)[len(rates) // 2] * 1e9
    print(f"loop:     {args.loop} networks in {t_loop:.2f} s ({1e3 * per_loop:.2f} ms/network; "
          f"{args.members} would take ~{per_loop * args.members:.1f} s, scaled)")
    print(f"matmul:   {rate / 1e9:.1f} GFLOP/s single-thread float32 ({args.matmul}^2, median of {len(rates)} rounds)")
    default = default_engine(tcfg)
    for engine in engines:
        ensemble = results[engine]
        gap = max(
            (ensemble.params[name][e] - solo.params[name][0]).abs().max().item()
            for e, solo in enumerate(solos)
            for name in solo.params
        )
        per_ensemble = t_engine[engine] / (args.rounds * args.members)
        per_step = per_ensemble / tcfg.steps
        limit = flops_per_step(cfg, tcfg.amplitudes, engine) / rate
        label = engine + (" (default for " + tcfg.dtype + ")" if engine == default else "")
        print(f"ensemble [{label}]: {args.rounds} x {args.members} networks in {t_engine[engine]:.2f} s "
              f"({1e6 * per_step:.2f} us per network-step)")
        print(f"  per-network speedup over the loop: {per_loop / per_ensemble:.1f}x")
        print(f"  time / FLOP limit of its formulation: {per_step / limit:.1f}x "
              f"({flops_per_step(cfg, tcfg.amplitudes, engine)} FLOP per network-step)")
        print(f"  max |ensemble - loop| weight difference on the {args.loop} shared seeds: {gap:.2e}; "
              f"success after {tcfg.steps} steps: {int(ensemble.success.sum())}/{args.members}")
    print(f"peak RSS: {rss_ensemble:.0f} MiB after the first ensembles (after imports: {rss_before:.0f} MiB)")


if __name__ == "__main__":
    main()
