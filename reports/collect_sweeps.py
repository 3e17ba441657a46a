"""Collectors of the sweeps: kernel sizes (theory.explore + verify.explore_train), the T1
success atlas (verify.atlas) and two dimensions (D1: theory.disk via the registry,
verify.converged_2d for trained networks)."""

from __future__ import annotations

import math
import statistics
from typing import Any

from radiuscnn.reports.context import Context

F2_KERNELS = 9  # kernel sweep: k = 1..F2_KERNELS
EXPLORE_MEMBERS = 16  # kernel sweep: members per kernel size (all training steps of the flags)
ATLAS_PLATEAU_KINDS = ("mass", "constant", "amplitude")  # verify.atlas.plateau_kind: a true plateau
D1_STEPS_FACTOR = 2  # D1 trained 2D ensembles: all --seeds members, this many times --steps, fast engine
D1_ENGINE = "fast"


def explore_kernels(ctx: Context) -> tuple[int, ...]:
    """The kernel sizes k = 1..F2_KERNELS whose configuration exists."""
    from radiuscnn.theory.config import ConfigError

    kernels = []
    for k in range(1, F2_KERNELS + 1):
        try:
            ctx.cfg.with_(kernel=k)
        except ConfigError:
            continue
        kernels.append(k)
    return tuple(kernels)


def explore_tcfg(ctx: Context):
    """The kernel sweep's training: ``EXPLORE_MEMBERS`` networks (at most --seeds) per k."""
    return ctx.tcfg.with_(seeds=min(ctx.tcfg.seeds, EXPLORE_MEMBERS))


def background_jobs(ctx: Context) -> list[tuple[str, object, tuple]]:
    """The report's independent trainings as ``(name, function, args)`` jobs, in the order the
    background worker takes them: the two long FC trainings of D1 first, then the kernel
    sweep from the largest k down, then D1's GAP trainings. The collectors here take the jobs
    from the other end (k = 1 up, GAP first) when the worker has not started them
    (``Background.run_here``): the same calls, the same numbers, wherever they run."""
    from radiuscnn.verify.explore_train import trained_row

    d1 = d1_jobs(ctx)
    jobs = [d1[p] for p in ("fc_default_init", "fc_regime_init")]
    if ctx.cfg.dim == 1:  # the kernel sweep is a 1D section
        tsweep = explore_tcfg(ctx)
        jobs += [(f"explore:{k}", trained_row, (ctx.cfg, k, tsweep)) for k in reversed(explore_kernels(ctx))]
    jobs += [d1[p] for p in reversed(list(d1)) if p.startswith("gap")]
    return jobs


def run_job(ctx: Context, name: str, fn, *args):
    """``fn(*args)`` on one thread, or the background worker's result for the job ``name``
    (:func:`background_jobs`), which must be the same call; ``ctx.jobs[name]`` records the
    process that ran it and the seconds it took there."""
    import time

    from radiuscnn.numeric.processes import torch_threads

    if ctx.background is not None and name in ctx.background:
        if ctx.background.call(name) != (fn, args):
            raise RuntimeError(f"job {name!r}: the queued call is not the one asked for")
        value = ctx.background.run_here(name)
        where, seconds = ctx.background.ran[name]
    else:
        start = time.perf_counter()
        with torch_threads(1):
            value = fn(*args)
        where, seconds = "parent", time.perf_counter() - start
    ctx.jobs[name] = {"process": where, "seconds": round(seconds, 3)}
    return value


def collect_explore(ctx: Context) -> dict:
    """Kernel sizes k = 1..F2_KERNELS with this configuration's padding: what the theory
    engine derives per k (theory.explore: runs, rank, A1 counter, A4 widths, edge-case flags)
    and what training finds per k (verify.explore_train: success, families, checks)."""
    from radiuscnn.theory.explore import kernel_rows
    from radiuscnn.verify.explore_train import trained_row

    cfg = ctx.cfg
    rows = []
    for row in kernel_rows(cfg, range(1, F2_KERNELS + 1), (cfg.padding,)):
        j = row.to_json()
        widths = j.get("min_channels") or {}
        rows.append({
            "kernel": j["kernel"], "padding": j["padding"], "valid": row.valid,
            "n_runs": j["n_runs"], "constraint_rank": j["constraint_rank"],
            "beta": j["beta"], "vb": j["vb"], "r_max": j["r_max"],
            "min_channels": widths.get(cfg.activation),
            "flags": [f["flag"] for f in j["flags"]],
            "flag_reasons": {f["flag"]: f["reason"] for f in j["flags"]},
        })
    out: dict[str, Any] = {"rows": rows, "activation": cfg.activation, "source": "radiuscnn.theory.explore.kernel_rows"}
    tsweep = explore_tcfg(ctx)
    out["sweep"] = {"status": "ok", "function": "radiuscnn.verify.explore_train.trained_columns",
                    "train_config": tsweep.to_json()}
    for row in rows:
        if not row["valid"]:
            continue
        ctx.stages.stage(f"kernel-size exploration: training k = {row['kernel']} ({tsweep.seeds} networks)")
        cols = run_job(ctx, f"explore:{row['kernel']}", trained_row, cfg, row["kernel"], tsweep)
        fam = cols.get("families")
        row.update(success_rate=cols["success_rate"], n_solved=cols.get("n_solved"),
                   n_certified=cols.get("n_certified"), checks_pass=cols.get("checks_pass"),
                   seeds=tsweep.seeds, families=fam if isinstance(fam, dict) else None)
    return out


def collect_atlas(ctx: Context) -> dict:
    """T1 success atlas (``verify.atlas``): success rate over seeds per (k, C, sigma) on
    ``verify.atlas.default_grid()`` (or ``ctx.atlas_grid``: ``(base, tcfg, axes)`` in the same
    form), with the median plateau loss of each cell's failures and per-activation totals."""
    from radiuscnn.verify import atlas as atlas_mod

    base, tcfg, axes = ctx.atlas_grid if ctx.atlas_grid is not None else atlas_mod.default_grid()
    total = len(axes["kernels"]) * len(axes["channels"]) * len(axes["activations"])
    done = [0]

    def progress(cell) -> None:
        done[0] += 1
        ctx.stages.stage(f"success atlas (T1): {done[0]}/{total} cells ({cell.activation} k={cell.kernel} "
                         f"C={cell.channels}: {cell.solved}/{cell.seeds})")

    atlas = atlas_mod.success_atlas(base, tcfg, axes["kernels"], axes["channels"], axes["activations"],
                                    progress=progress)
    out = atlas.to_json()
    out["grid_default"] = ctx.atlas_grid is None
    out["axes"] = {name: list(values) for name, values in axes.items()}
    by_activation: dict[str, dict] = {}
    for cell in out["cells"]:
        losses = [x for x in cell["failure_losses"] if isinstance(x, (int, float)) and math.isfinite(x)]
        cell["failures"] = cell["seeds"] - cell["solved"]
        cell["failure_median"] = statistics.median(losses) if losses else None
        plateaus = sum(n for kind, n in cell["plateau_kinds"].items() if kind in ATLAS_PLATEAU_KINDS)
        cell["plateau_failures"] = plateaus
        agg = by_activation.setdefault(cell["activation"], {"solved": 0, "seeds": 0, "failures": 0,
                                                            "plateau_failures": 0})
        agg["solved"] += cell["solved"]
        agg["seeds"] += cell["seeds"]
        agg["failures"] += cell["failures"]
        agg["plateau_failures"] += plateaus
    for agg in by_activation.values():
        agg["success_rate"] = agg["solved"] / agg["seeds"] if agg["seeds"] else None
    out["by_activation"] = by_activation
    out["seconds"] = sum(c["seconds"] for c in out["cells"])
    return out


def collect_d2(ctx: Context) -> dict:
    """D2 on the 2D configuration: patterns and exact rank, the headline one-channel floor (the
    minimum over supports), the row counter and the minimal widths (the registry's D2 decision
    and theory.patterns / theory.disk_width)."""
    from radiuscnn.theory.disk_width import d2_json
    from radiuscnn.theory.patterns import patterns_json

    d2 = ctx.claim("D2")
    return {"claim": d2.to_json(), **patterns_json(ctx.cfg2), **d2_json(ctx.cfg2)}


def d1_tcfg(ctx: Context):
    """The D1 trained comparison's budget: every --seeds member of each variant,
    D1_STEPS_FACTOR x --steps steps (on D1_ENGINE)."""
    return ctx.tcfg.with_(steps=D1_STEPS_FACTOR * ctx.tcfg.steps)


def d1_jobs(ctx: Context) -> dict[str, tuple[str, object, tuple]]:
    """``{part: (job name, function, args)}`` of :func:`verify.converged_2d.d1_part` for every
    D1 part that applies to the 2D configuration."""
    from radiuscnn.verify.converged_2d import d1_part, d1_parts

    return {part: (f"d1:{part}", d1_part, (ctx.cfg2, d1_tcfg(ctx), part, D1_ENGINE)) for part in d1_parts(ctx.cfg2)}


def collect_d1(ctx: Context) -> dict:
    """D1 on the 2D configuration: GAP error floor and FC ring law (the registry's D1
    evidence, theory.disk, exact), and trained 2D networks compared with them
    (:func:`d1_jobs`, one job per :data:`verify.converged_2d.D1_PARTS`: numerical
    training, exact per-network verdicts; a job may run in the background worker,
    :func:`background_jobs`)."""
    cfg2 = ctx.cfg2
    evidence = ctx.claim("D1").evidence
    out = {"config": cfg2.to_json(), "M": cfg2.M, "n_outputs": cfg2.n_outputs, "gap": evidence["gap"],
           "fc": evidence["fc"], "d2": collect_d2(ctx)}
    tcfg2 = d1_tcfg(ctx)
    value: dict = {}
    try:
        for part, (name, fn, args) in d1_jobs(ctx).items():
            ctx.stages.stage(f"two dimensions (D1): training {part.replace('_', ' ')} "
                             f"({tcfg2.seeds} networks, {tcfg2.steps} steps)")
            value.update(run_job(ctx, name, fn, *args))
    except Exception as error:  # noqa: BLE001 - the exact part stands on its own
        out["trained"] = {"status": "error", "reason": f"{type(error).__name__}: {error}"}
        return out
    out["trained"] = {"status": "ok", "function": "radiuscnn.verify.converged_2d.d1_trained", "train_config": tcfg2.to_json(),
                      "engine": D1_ENGINE, "data": value}
    return out
