"""How the theory engine's cost grows with the kernel size k (claims R1, F1, F2).

For every k = 1..31 with N = 65 (M = 32), zero padding and all radii 0..32, runs
``theory.derive.derive(cfg)``: the distinct runs and their counts, the symbolic counts n_J(r)
(k(k+1)/2 + 1 expressions), the bulk-region search, the exact rank / RREF over QQ of the
33-equation zero-loss system, and the slope and intercept equations. Prints per-k wall and CPU
time, the number of runs and the rank, then the total (target: under 30 s) and a log-log
slope of time against k fitted on k >= 8 (how cost grows: ~k^p).

Wall time is what the target refers to; CPU time is printed too because a loaded machine
inflates wall time.

    PYTHONPATH=. .venv/bin/python benchmarks/derive_scaling.py
"""

from __future__ import annotations

import math
import time

from radiuscnn.theory.config import Config
from radiuscnn.theory.derive import derive

N, KERNELS, TARGET = 65, range(1, 32), 30.0


def main() -> int:
    wall0, cpu0 = time.perf_counter(), time.process_time()
    rows = []
    print(f"{'k':>3} {'wall s':>8} {'cpu s':>7} {'runs':>5} {'rank':>5} {'bulk r0,H':>10}")
    for k in KERNELS:
        cfg = Config(size=N, kernel=k, padding="zeros", radii=tuple(range(0, N // 2 + 1)))
        w, c = time.perf_counter(), time.process_time()
        d = derive(cfg)
        wall, cpu = time.perf_counter() - w, time.process_time() - c
        region = d.bulk_region
        bulk = f"{region.r0},{region.H}" if region else "-"
        print(f"{k:>3} {wall:>8.3f} {cpu:>7.3f} {d.n_runs:>5} {d.constraint_rank:>5} {bulk:>10}", flush=True)
        rows.append((k, wall, cpu))
    total_wall, total_cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    big = [(math.log(k), math.log(max(cpu, 1e-6))) for k, _, cpu in rows if k >= 8]
    mx, my = sum(x for x, _ in big) / len(big), sum(y for _, y in big) / len(big)
    slope = sum((x - mx) * (y - my) for x, y in big) / sum((x - mx) ** 2 for x, _ in big)
    print(f"total: {total_wall:.2f} s wall, {total_cpu:.2f} s CPU (target < {TARGET:.0f} s)")
    print(f"growth: CPU time ~ k^{slope:.2f} for k >= 8 (k={rows[-1][0]} costs "
          f"{rows[-1][2] / max(rows[7][2], 1e-6):.1f}x k={rows[7][0]})")
    return 0 if total_wall < TARGET else 1


if __name__ == "__main__":
    raise SystemExit(main())
