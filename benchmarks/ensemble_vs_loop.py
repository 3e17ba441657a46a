"""Ensemble training vs one network at a time, on the embedded default (THEORY.md section 9).

Trains ``--members`` (256) networks of ``theory.config.Config()`` (N=33, k=5, C=2, relu, zeros,
GAP, radii 0..14, amplitude [0.5, 1.5] on an 11-point grid) for ``--steps`` (500) full-batch
Adam steps in float32, two ways:

* ensemble: ``numeric.ensemble.train``, all members in one tensor program (window dedupe);
* loop: ``numeric.ensemble.train_solo``, an ``nn.Module`` + ``torch.optim.Adam`` per network in
  a Python loop. The loop is timed on the first ``--loop`` (32) networks only and scaled, since
  every network costs the same; the data set is built once and shared (in the loop's favour).

Both timings are wall clock and include everything after the imports (data set, window plan,
init). So that both see the same machine load, the runs are interleaved in ``--rounds`` (4)
rounds, each one ensemble run and ``loop / rounds`` solo networks; the per-network times are
the totals divided by the networks trained. Prints the per-network speedup (target >= 40x on 2
cores) and the peak RSS of the process after the first ensemble run (``resource.getrusage``;
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
from radiuscnn.numeric.ensemble import TrainConfig, train, train_solo
from radiuscnn.theory.config import Config


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=256)
    parser.add_argument("--steps", type=int, default=500)
    parser.add_argument("--loop", type=int, default=32, help="networks timed in the loop (then scaled)")
    parser.add_argument("--threads", type=int, default=None, help="torch intra-op threads (default: torch's)")
    parser.add_argument("--rounds", type=int, default=4, help="interleaved ensemble/loop rounds")
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

    t_ensemble, t_loop, rss_ensemble, solos, ensemble = 0.0, 0.0, None, [], None
    per_round = args.loop // args.rounds
    for round_ in range(args.rounds):
        start = time.perf_counter()
        ensemble = train(cfg, tcfg)
        t_ensemble += time.perf_counter() - start
        rss_ensemble = rss_ensemble or peak_rss_mib()
        start = time.perf_counter()
        seeds = range(round_ * per_round, (round_ + 1) * per_round)
        solos += [train_solo(cfg, tcfg, seed, dataset=data) for seed in seeds]
        t_loop += time.perf_counter() - start

    gap = max(
        (ensemble.params[name][e] - solo.params[name][0]).abs().max().item()
        for e, solo in enumerate(solos)
        for name in solo.params
    )
    per_ensemble = t_ensemble / (args.rounds * args.members)
    per_loop = t_loop / args.loop
    print(f"ensemble: {args.rounds} x {args.members} networks in {t_ensemble:.2f} s "
          f"({1e3 * per_ensemble:.2f} ms/network, {t_ensemble / args.rounds:.2f} s per run)")
    print(f"loop:     {args.loop} networks in {t_loop:.2f} s ({1e3 * per_loop:.2f} ms/network; "
          f"{args.members} would take ~{per_loop * args.members:.1f} s, scaled)")
    print(f"max |ensemble - loop| weight difference on the {args.loop} shared seeds (float32): {gap:.2e}")
    print(f"success (MSE <= {tcfg.tolerance:g}) after {tcfg.steps} steps: "
          f"{int(ensemble.success.sum())}/{args.members} ({100 * ensemble.success_rate:.1f}%)")
    print(f"peak RSS: {rss_ensemble:.0f} MiB after the ensemble (after imports: {rss_before:.0f} MiB)")
    print(f"per-network speedup: {per_loop / per_ensemble:.1f}x")


if __name__ == "__main__":
    main()
