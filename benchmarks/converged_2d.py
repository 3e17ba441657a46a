"""Converged 2D ensembles (issue 14): GAP C = 1, GAP C = 2 and FC on the 2D default (N = 33,
k = 3, radii 1..12, A = [1/2, 3/2]), 64 networks each, every network analysed
(:func:`verify.converged_2d.converged_2d`: flatness of the loss curve, success rate, families,
exact verdicts, floor / row counter / ring-law comparisons). Prints one JSON object (members
omitted) with the budget and the wall time per variant. Run from the repository root:
``python benchmarks/converged_2d.py [--steps 20000] [--seeds 64]``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from radiuscnn.numeric.train_config import TrainConfig  # noqa: E402
from radiuscnn.theory.config import default_config  # noqa: E402
from radiuscnn.verify.converged_2d import converged_2d  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=64)
    parser.add_argument("--steps", type=int, default=20000)
    args = parser.parse_args(argv)
    out = converged_2d(default_config(2), TrainConfig(seeds=args.seeds, steps=args.steps))
    for variant in out.values():
        variant.pop("members", None)
    print(json.dumps(out, indent=1, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
