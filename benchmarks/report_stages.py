"""Time every stage of the default report's collection, and (``--compare``) what the fast
engine for float32 would change in its numbers.

Runs ``reports.build.collect`` (every collector, no figures, no LaTeX) on the embedded default
(``Config()``, ``TrainConfig()``) single-threaded and prints each collector's wall time (the
report's own ``ctx.timing``) and the total. The success atlas reads and writes the training
cache ``.cache/verify`` (keyed by the engine too), so a second run is warm: the first line
says how many atlas cells were cached.

``--float32-engine fast`` runs the collection with the fast engine as the float32 default
(``numeric.ensemble.DEFAULT_ENGINES``). ``--compare`` runs the reference and then the fast
engine, interleaving nothing else, and lists every number of the results that differs (timings
and seconds excluded), grouped by result section, plus whether the success counts and every
claim verdict are equal.

    PYTHONPATH=. .venv/bin/python benchmarks/report_stages.py [--compare]
"""

from __future__ import annotations

import argparse
import math
import time

import torch

from radiuscnn.numeric import ensemble
from radiuscnn.numeric.ensemble import TrainConfig
from radiuscnn.reports.build import collect
from radiuscnn.theory.config import Config

IGNORED = {"seconds", "timing", "timing_jobs", "train_seconds", "analysis_seconds", "environment"}


def run(engine: str) -> tuple[dict, dict, float]:
    """``(results, per-collector seconds, total seconds)`` with ``engine`` as the float32 default."""
    before = ensemble.DEFAULT_ENGINES["float32"]
    ensemble.DEFAULT_ENGINES["float32"] = engine
    torch.set_num_threads(1)
    try:
        start = time.perf_counter()
        results, ctx = collect(Config(), TrainConfig())
        return results, dict(ctx.timing), time.perf_counter() - start
    finally:
        ensemble.DEFAULT_ENGINES["float32"] = before


def differences(a, b, path: str = "") -> list[tuple[str, object, object]]:
    """Leaves of two JSON-like values that differ (keys in ``IGNORED`` skipped)."""
    if isinstance(a, dict) and isinstance(b, dict):
        out = []
        for key in sorted(set(a) | set(b), key=str):
            if key in IGNORED:
                continue
            out += differences(a.get(key), b.get(key), f"{path}.{key}")
        return out
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)) and len(a) == len(b):
        return [d for i, (x, y) in enumerate(zip(a, b)) for d in differences(x, y, f"{path}[{i}]")]
    same = a == b or (isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b))
    return [] if same else [(path, a, b)]


def show_timing(label: str, timing: dict, total: float) -> None:
    print(f"{label}: collect total {total:.1f} s")
    for name, seconds in timing.items():
        print(f"  {name:12s} {seconds:8.2f} s")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--float32-engine", choices=ensemble.ENGINES, default=ensemble.DEFAULT_ENGINES["float32"])
    parser.add_argument("--compare", action="store_true", help="reference vs fast: timings and every changed number")
    args = parser.parse_args(argv)
    if not args.compare:
        results, timing, total = run(args.float32_engine)
        show_timing(f"float32 engine {args.float32_engine}", timing, total)
        return
    ref, t_ref, total_ref = run("autograd")
    fast, t_fast, total_fast = run("fast")
    show_timing("reference (autograd)", t_ref, total_ref)
    show_timing("fast", t_fast, total_fast)
    diff = differences(ref, fast)
    sections: dict[str, int] = {}
    for path, _, _ in diff:
        sections[path.split(".")[1].split("[")[0]] = sections.get(path.split(".")[1].split("[")[0], 0) + 1
    print(f"numbers that differ: {len(diff)}; by section: {sections}")
    for path, a, b in diff[:40]:
        print(f"  {path}: {a!r} -> {b!r}")
    print("claims equal:", ref.get("claims") == fast.get("claims"))
    print("training successes:", ref["training"]["successes"], fast["training"]["successes"])
    atlas = lambda r: [c["solved"] for c in r["atlas"]["cells"]]  # noqa: E731
    print("atlas solved per cell equal:", atlas(ref) == atlas(fast))


if __name__ == "__main__":
    main()
