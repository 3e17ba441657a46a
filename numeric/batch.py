"""Batched sweeps: many configurations' ensembles trained as few tensor programs.

Configurations that differ only in the activation ``sigma`` (and the leaky-ReLU slope) share
the data set, the run plan and every parameter shape, so the fast engine trains all their
seeds as one ensemble: members ``j S .. (j+1) S - 1`` are configuration ``j``'s seeds
``tcfg.seed .. tcfg.seed + S - 1`` and use its ``sigma`` (``fastgrad.Segments``). A member's
values on the fast engine do not depend on the other members', so every configuration's
result is the one ``train(cfg, tcfg)`` gives alone up to rounding (tested; a rerun of the same
batch is bit for bit the same); only ``seconds`` is
the batch's time shared out per configuration. With the reference engine (autograd, the
float32 default) members do interact through the summation order, so the configurations are
trained one after another, exactly as unbatched.
"""

from __future__ import annotations

import json
import time

import torch

from radiuscnn.numeric import fastgrad
from radiuscnn.numeric.data import make_dataset
from radiuscnn.numeric.ensemble import TrainConfig, TrainResult, _run_fast, default_engine, train
from radiuscnn.numeric.model import init_params
from radiuscnn.theory.config import Config


def shape_key(cfg: Config) -> str:
    """Everything of ``cfg`` but the activation: configurations with equal keys batch."""
    data = cfg.to_json()
    data.pop("activation", None)
    data.pop("alpha", None)
    return json.dumps(data, sort_keys=True)


def groups(cfgs) -> list[list[int]]:
    """Indices of ``cfgs`` grouped by :func:`shape_key`, in first-seen order."""
    out: dict[str, list[int]] = {}
    for index, cfg in enumerate(cfgs):
        out.setdefault(shape_key(cfg), []).append(index)
    return list(out.values())


def _split(big: TrainResult, tcfg: TrainConfig, e0: int, e1: int, share: float) -> TrainResult:
    return TrainResult(
        params={k: v[e0:e1].clone() for k, v in big.params.items()},
        loss=big.loss[e0:e1].clone(),
        history_steps=big.history_steps,
        history=big.history[:, e0:e1].clone(),
        success=big.success[e0:e1].clone(),
        tolerance=big.tolerance,
        member_seeds=tcfg.member_seeds,
        seconds=big.seconds * share,
    )


def train_many(cfgs, tcfg: TrainConfig, engine: str | None = None) -> list[TrainResult]:
    """``[train(cfg, tcfg, engine=engine) for cfg in cfgs]``, batched (module docstring)."""
    cfgs = list(cfgs)
    engine = engine or default_engine(tcfg)
    if engine != "fast":
        return [train(cfg, tcfg, engine=engine) for cfg in cfgs]
    results: list[TrainResult | None] = [None] * len(cfgs)
    S = tcfg.seeds
    for members in groups(cfgs):
        base = cfgs[members[0]]
        rplan = fastgrad.plan(base, make_dataset(base, tcfg.amplitudes, tcfg.torch_dtype))
        if rplan is None or len(members) == 1:
            for i in members:
                results[i] = train(cfgs[i], tcfg, engine=engine)
            continue
        start = time.perf_counter()
        inits = [init_params(cfgs[i], S, tcfg.seed, tcfg.torch_dtype) for i in members]
        params = {k: torch.cat([p[k] for p in inits]) for k in inits[0]}
        segments = tuple((cfgs[i], j * S, (j + 1) * S) for j, i in enumerate(members))
        with torch.no_grad():
            big = _run_fast(base, tcfg, rplan, params, None, None, tcfg.member_seeds * len(members), segments)
        big = TrainResult(big.params, big.loss, big.history_steps, big.history, big.success, big.tolerance,
                          big.member_seeds, time.perf_counter() - start)
        for j, i in enumerate(members):
            results[i] = _split(big, tcfg, j * S, (j + 1) * S, 1 / len(members))
    return results  # type: ignore[return-value]
