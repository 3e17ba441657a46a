"""``radiuscnn train``: train an ensemble of seeds at once, save checkpoint and metrics."""

from __future__ import annotations

import json
import math
from pathlib import Path

from radiuscnn.commands._output import console, print_json, progress_console
from radiuscnn.commands._paths import path_arg


def register(sub) -> None:
    from radiuscnn.cli import add_config_flags, add_train_flags

    p = sub.add_parser(
        "train",
        help="train an ensemble of networks (one per seed) in one tensor program",
        description="Train E networks of one configuration at once (member e from seed+e), "
        "full batch on the radius x amplitude grid; write params.safetensors, run.json and "
        "metrics.json to --out.",
    )
    add_config_flags(p)
    add_train_flags(p)
    p.add_argument("--out", type=path_arg, default=None,
                   help="run directory (default runs/<configuration>-<hash of both configurations>)")
    p.add_argument("--overwrite", action="store_true",
                   help="replace the run already in --out (otherwise refused)")
    p.add_argument("--json", action="store_true", help="print the metrics as JSON on stdout")
    p.add_argument("--details", action="store_true",
                   help=f"one row per network even above {MAX_MEMBER_ROWS} networks")
    p.set_defaults(run=run)


def default_run_dir(cfg, tcfg) -> Path:
    """``runs/<dim>d-N..-k..-C..-<activation>-<padding>-<head>-<optimizer>-s<seed>-<hash>``: the
    hash (8 hex digits of SHA-256 of both configurations' JSON) tells apart runs that differ in
    radii, amplitude, seeds, steps or any other field the readable part leaves out."""
    import hashlib

    data = json.dumps({"config": cfg.to_json(), "train": tcfg.to_json()}, sort_keys=True)
    digest = hashlib.sha256(data.encode()).hexdigest()[:8]
    return Path("runs") / (
        f"{cfg.dim}d-N{cfg.size}-k{cfg.kernel}-C{cfg.channels}-{cfg.activation}-"
        f"{cfg.padding}-{cfg.head}-{tcfg.optimizer}-s{tcfg.seed}-{digest}"
    )


def train_with_progress(cfg, tcfg, quiet: bool = False, **kwargs):
    """``numeric.ensemble.train`` under a Rich progress bar on stderr (plain lines when stderr
    is not a terminal; silent when ``quiet``)."""
    from rich.progress import BarColumn, TextColumn, TimeElapsedColumn

    from radiuscnn.commands._runtime import progress_bar
    from radiuscnn.numeric.ensemble import import_deterministic_mode, train

    import_deterministic_mode()  # before the bar says "training": a Ctrl-C then never lands in it
    if quiet:
        return train(cfg, tcfg, **kwargs)
    columns = (TextColumn("training {task.fields[members]} networks"), BarColumn(),
               TextColumn("step {task.completed}/{task.total}"),
               TextColumn("median loss {task.fields[median]}"), TimeElapsedColumn())
    with progress_bar("train", *columns, console=progress_console()) as bar:
        task = bar.add_task(f"training {tcfg.seeds} networks, step", total=tcfg.steps,
                            members=tcfg.seeds, median="-")

        def progress(step, steps, loss):
            bar.update(task, completed=step, median=f"{float(loss.float().nanmedian()):.3g}")

        return train(cfg, tcfg, progress=progress, **kwargs)


def _finite_or_none(x: float) -> float | None:
    """Strict JSON has no NaN: a diverged member's loss is written as null."""
    return x if math.isfinite(x) else None


def metrics_json(cfg, tcfg, result) -> dict:
    return {
        "config": cfg.to_json(),
        "train": tcfg.to_json(),
        "tolerance": result.tolerance,
        "success_rate": result.success_rate,
        "diverged": int((~result.loss.isfinite()).sum()),
        "seconds": result.seconds,
        "members": [
            {"index": e, "seed": seed, "loss": _finite_or_none(float(result.loss[e])),
             "success": bool(result.success[e])}
            for e, seed in enumerate(result.member_seeds)
        ],
    }


MAX_MEMBER_ROWS = 16  # above this, a line of loss quantiles instead of one row per network


def print_summary(cfg, tcfg, result, out_dir, details: bool = False) -> None:
    out = console()
    if tcfg.seeds > MAX_MEMBER_ROWS and not details:
        finite = sorted(float(x) for x in result.loss.tolist() if math.isfinite(x))
        if finite:
            q = [finite[round(f * (len(finite) - 1))] for f in (0.0, 0.5, 1.0)]
            out.print(f"{tcfg.seeds} networks, {tcfg.steps} {tcfg.optimizer} steps: final MSE min {q[0]:.3e}, "
                      f"median {q[1]:.3e}, max {q[2]:.3e} (one row per network: --details)", markup=False)
    else:
        _member_table(tcfg, result, out)
    out.print(f"success rate: {result.success_rate:.1%} (final MSE <= {result.tolerance:g}; "
              f"{int(result.success.sum())}/{tcfg.seeds}), {result.seconds:.1f} s; saved to {out_dir}", markup=False)
    diverged = int((~result.loss.isfinite()).sum())
    if diverged:
        progress_console().print(f"warning: {diverged} of {tcfg.seeds} networks diverged (non-finite loss); "
                                 f"try a smaller --lr (now {tcfg.lr:g}); `radiuscnn check` reports them as diverged")


def _member_table(tcfg, result, out) -> None:
    from rich.table import Table

    table = Table(title=f"{tcfg.seeds} networks, {tcfg.steps} {tcfg.optimizer} steps "
                        f"(success: final MSE <= {result.tolerance:g})")
    for name in ("member", "seed", "final MSE", "success"):
        table.add_column(name, justify="right")
    for e, seed in enumerate(result.member_seeds):
        ok = bool(result.success[e])
        table.add_row(str(e), str(seed), f"{float(result.loss[e]):.3e}", "yes" if ok else "no")
    out.print(table)


def run(args) -> int:
    from radiuscnn.cli import config_from_args, train_config_from_args
    from radiuscnn.commands._limits import check_amplitudes_representable, check_training_size
    from radiuscnn.commands._paths import check_output_dir
    from radiuscnn.commands._runtime import deferred_interrupt
    from radiuscnn.numeric.processes import torch_threads

    cfg = config_from_args(args)
    tcfg = train_config_from_args(args)
    check_amplitudes_representable(cfg, tcfg.dtype)
    check_training_size(cfg, tcfg)
    out_dir = check_output_dir(args.out or default_run_dir(cfg, tcfg), "--out")
    if (out_dir / "run.json").exists() and not getattr(args, "overwrite", False):
        from radiuscnn.theory.config import ConfigError

        raise ConfigError(f"--out: {str(out_dir)!r} already holds a run (run.json); "
                          "pass --overwrite to replace it, or choose another --out")
    try:
        from radiuscnn.numeric.checkpoint import save_run  # imports torch

        with torch_threads(args.threads):
            result = train_with_progress(cfg, tcfg, quiet=args.json)
    except KeyboardInterrupt as interrupt:
        interrupt.detail = f"nothing written to {out_dir}"
        raise
    metrics = metrics_json(cfg, tcfg, result)
    with deferred_interrupt():  # a checkpoint is written whole or not at all
        save_run(out_dir, cfg, tcfg, result,
                 extra={"metrics.json": (json.dumps(metrics, indent=2) + "\n").encode()})
    if args.json:
        print_json({**metrics, "out": str(out_dir)})
    else:
        print_summary(cfg, tcfg, result, out_dir, details=args.details)
    return 0
