"""Benchmark: train a 2D ensemble (THEORY.md section 9 default: N = 33, k = 3, radii 1..12,
amplitude [1/2, 3/2], C = 2) of 64 networks with the trainer's default steps, GAP and FC heads.

Target: under 5 minutes per head on 2 cores. Prints seconds per head, the per-step cost and
the success rate; ``--steps``/``--seeds``/``--threads`` override (``--threads 0`` keeps torch's
default). Run from the repository root: ``python benchmarks/train_2d.py``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402

from radiuscnn.numeric.ensemble import TrainConfig, train  # noqa: E402
from radiuscnn.theory.config import default_config  # noqa: E402

TARGET_SECONDS = 300.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=64)
    parser.add_argument("--steps", type=int, default=None, help="default: TrainConfig's")
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0: torch default)")
    parser.add_argument("--heads", default="gap,fc")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    tcfg = TrainConfig(seeds=args.seeds) if args.steps is None else TrainConfig(seeds=args.seeds, steps=args.steps)
    base = default_config(2)
    print(f"2D ensemble: N={base.size}, k={base.kernel}, C={base.channels}, radii {base.radii[0]}..{base.radii[-1]}, "
          f"{tcfg.seeds} networks x {tcfg.steps} steps ({tcfg.optimizer}, {tcfg.dtype}, {tcfg.amplitudes} amplitudes), "
          f"torch threads {torch.get_num_threads()}")
    worst = 0.0
    full_steps = TrainConfig().steps
    for head in args.heads.split(","):
        cfg = base.with_(head=head)
        start = time.perf_counter()
        result = train(cfg, tcfg)
        seconds = time.perf_counter() - start
        projected = seconds * full_steps / max(tcfg.steps, 1)
        worst = max(worst, projected)
        note = "" if tcfg.steps == full_steps else f", projected {projected:.0f} s for the default {full_steps} steps"
        print(f"{head}: {seconds:.1f} s ({1000 * seconds / max(tcfg.steps, 1):.1f} ms/step{note}), "
              f"success {result.success_rate:.2f}, median final MSE {float(result.loss.median()):.4g}")
    print(f"target {TARGET_SECONDS:.0f} s per head at the default steps: "
          f"{'met' if worst < TARGET_SECONDS else 'MISSED'} (worst {worst:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
