"""Sharded, resumable training sweeps (issue 15): a grid too large for one run, in pieces.

A sweep is a list of cells ``(cfg, tcfg)``. Each cell's seeds ``tcfg.seed .. tcfg.seed +
tcfg.seeds - 1`` are cut into shards of at most ``per_shard`` consecutive seeds; a shard (one
configuration, one seed range) trains as one ensemble on the fast engine and writes one JSON
file (its members' seeds, final losses, successes and weights) named by the cell, the seed
range and a hash of both configurations; a shard whose file exists is skipped, so an
interrupted sweep resumes where it stopped and shards can run anywhere that shares the folder
(``select=(i, n)`` runs every n-th shard from i: one task of an n-task job array).

Why the fast engine: a member's values there do not depend on the other members'
(``numeric.fastgrad``), so the merged shards equal the unsharded ensemble up to rounding
(tested; the same shards rerun are bit for bit the same). Shards run in ``jobs`` worker
processes through joblib when it is installed (``pip install joblib``), else the standard
library's process pool; each worker trains with one torch thread. Never one task per network:
a shard is a whole ensemble.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from dataclasses import dataclass
from pathlib import Path

from radiuscnn.numeric.train_config import TrainConfig
from radiuscnn.theory.config import Config, ConfigError


@dataclass(frozen=True)
class Shard:
    """Cell ``cell`` of the sweep, seeds ``tcfg.seed .. tcfg.seed + tcfg.seeds - 1``."""

    cell: int
    cfg: Config
    tcfg: TrainConfig

    @property
    def name(self) -> str:
        data = json.dumps({"config": self.cfg.to_json(), "train": self.tcfg.to_json()}, sort_keys=True)
        digest = hashlib.sha256(data.encode()).hexdigest()[:12]
        last = self.tcfg.seed + self.tcfg.seeds - 1
        return f"cell{self.cell:04d}-seeds{self.tcfg.seed}-{last}-{digest}.json"


def shards(cells, per_shard: int) -> list[Shard]:
    """Every shard of ``cells`` (cell order, then seed order)."""
    if isinstance(per_shard, bool) or not isinstance(per_shard, int) or per_shard < 1:
        raise ConfigError(f"--shard-seeds: expected an integer >= 1, got {per_shard!r}")
    out = []
    for index, (cfg, tcfg) in enumerate(cells):
        for start in range(tcfg.seed, tcfg.seed + tcfg.seeds, per_shard):
            count = min(per_shard, tcfg.seed + tcfg.seeds - start)
            out.append(Shard(index, cfg, tcfg.with_(seed=start, seeds=count)))
    return out


def _finite(x: float) -> float | None:
    return x if math.isfinite(x) else None


def run_shard(shard: Shard, out: str | os.PathLike) -> Path:
    """Train ``shard`` unless its file exists in ``out``; returns the file."""
    path = Path(out) / shard.name
    if path.exists():
        return path
    import torch

    from radiuscnn.numeric.ensemble import one_thread, train

    with one_thread():
        result = train(shard.cfg, shard.tcfg, engine="fast")
    data = {
        "cell": shard.cell,
        "config": shard.cfg.to_json(),
        "train": shard.tcfg.to_json(),
        "member_seeds": list(result.member_seeds),
        "loss": [_finite(x) for x in result.loss.to(torch.float64).tolist()],
        "success": [bool(s) for s in result.success.tolist()],
        "params": {k: v.to(torch.float64).tolist() for k, v in result.params.items()},
    }
    tmp = path.with_name(path.name + f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data, allow_nan=True))
    os.replace(tmp, path)
    return path


def pending(cells, out, per_shard: int, select: tuple[int, int] | None = None) -> list[Shard]:
    """The shards (of ``select = (i, n)``: every n-th from i) whose file is missing."""
    todo = shards(cells, per_shard)
    if select is not None:
        i, n = select
        if not (isinstance(n, int) and n >= 1 and isinstance(i, int) and 0 <= i < n):
            raise ConfigError(f"--shard: expected I/N with 0 <= I < N, got {i}/{n}")
        todo = todo[i::n]
    return [s for s in todo if not (Path(out) / s.name).exists()]


def run(cells, out, per_shard: int, jobs: int = 1, select: tuple[int, int] | None = None) -> int:
    """Train every pending shard (module docstring); returns how many were trained."""
    todo = pending(cells, out, per_shard, select)  # validates per_shard and select first
    Path(out).mkdir(parents=True, exist_ok=True)  # only then create anything
    if jobs <= 1 or len(todo) <= 1:
        for shard in todo:
            run_shard(shard, out)
        return len(todo)
    try:
        from joblib import Parallel, delayed
    except ImportError:
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(max_workers=jobs) as pool:
            list(pool.map(run_shard, todo, [out] * len(todo)))
    else:
        Parallel(n_jobs=jobs)(delayed(run_shard)(shard, out) for shard in todo)
    return len(todo)


def merge(cells, out, per_shard: int) -> list[dict]:
    """Per cell: its shards' results concatenated in seed order (``member_seeds``, ``loss``,
    ``success``, ``params``); raises ConfigError naming the first missing shard."""
    merged = [{"member_seeds": [], "loss": [], "success": [], "params": {}} for _ in cells]
    for shard in shards(cells, per_shard):
        path = Path(out) / shard.name
        if not path.exists():
            raise ConfigError(f"sweep: shard {path.name} has not been run yet")
        data = json.loads(path.read_text())
        cell = merged[shard.cell]
        for key in ("member_seeds", "loss", "success"):
            cell[key] += data[key]
        for name, values in data["params"].items():
            cell["params"].setdefault(name, []).extend(values)
    for cell, (cfg, tcfg) in zip(merged, cells):
        cell["config"], cell["train"] = cfg.to_json(), tcfg.to_json()
        cell["successes"] = sum(cell["success"])
    return merged
