"""``radiuscnn explore``: sweeps over one design choice; ``explore kernel`` sweeps the kernel size.

``radiuscnn explore kernel --kernels LO:HI [--paddings zeros,valid,circular] [--train/--no-train]``
derives, for every kernel size ``k`` in ``LO..HI`` (odd and even) and every padding, the number
of runs and the rank of the fixed-amplitude system (F1/F2), the background counter ``beta``,
``v b`` and ``r_max`` (A1), the minimal widths per activation (A4) and the edge-case flags
(:mod:`theory.explore`); with ``--train`` (default) it also trains an ensemble per valid row
and reports its success rate, the solution families and whether every solved network passes the
verify checks (:mod:`verify.explore_train`).

Rows (derivation and training) are computed in ``--jobs`` worker processes (exact proofs and
training are CPU-bound; rows are independent). Exploration trains ``--seeds 16`` networks per row
by default (not 64 as ``radiuscnn train``; the trainer's default steps), each with one torch
thread, so that ``k = 1..9`` x 3 paddings stays at a few minutes (``--steps 2000`` for a quick look).

Output: a Rich table on stdout (progress on stderr), or ``--json`` (a list of row objects);
``--csv FILE`` and ``--plot FILE`` (PDF or PNG by suffix) in addition.

This module holds the flags and the command; the rows are computed in
:mod:`radiuscnn.commands._explore_rows`, presented in :mod:`radiuscnn.commands._explore_output`.
"""

from __future__ import annotations

from radiuscnn.commands._explore_output import LEGEND, PLOT_SUFFIXES, table, write_csv, write_plot
from radiuscnn.commands._explore_rows import SweepInterrupted, default_jobs, explore_kernels
from radiuscnn.commands._output import console, print_json, progress_console
from radiuscnn.commands._paths import path_arg

EXPLORE_SEEDS = 16
MAX_JOBS = 64
DEFAULT_KERNELS = "1:9"


def register(sub) -> None:
    from radiuscnn.cli import OneLineParser

    p = sub.add_parser(
        "explore",
        help="sweep one design choice (kernel size) and tabulate what the theory derives",
        description="Explorations over one design choice at a time. Available: kernel.",
    )
    explorations = p.add_subparsers(dest="exploration", required=True, parser_class=OneLineParser)
    register_kernel(explorations)


def register_kernel(explorations) -> None:
    from radiuscnn.cli import add_config_flags, add_train_flags

    p = explorations.add_parser(
        "kernel",
        help="edge cases in kernel size: runs, rank, counter, widths, flags (and training)",
        description="For every kernel size in --kernels and every padding in --paddings: n_runs "
        "and constraint rank (F1/F2), background counter beta, v b, r_max (A1), minimal widths "
        "(A4), edge-case flags (k=1, even-k, k>=N, window-wider-than-pulse, border, "
        "no-background, invalid); with --train also the ensemble success rate, families and "
        f"verify checks. Training defaults to --seeds {EXPLORE_SEEDS} here (trainer defaults "
        "otherwise), --threads torch threads per row (default 1). --kernel/--padding alone "
        "mean --kernels K/--paddings P; giving both forms is an error.",
    )
    add_config_flags(p)
    g = p.add_argument_group("exploration")
    g.add_argument("--kernels", default=None,
                   help=f"kernel sizes LO:HI inclusive, 1 <= LO <= HI, or K (default {DEFAULT_KERNELS})")
    g.add_argument("--paddings", default=None,
                   help="comma-separated paddings (default zeros,valid,circular)")
    g.add_argument("--train", action=argparse_bool(), default=True,
                   help="train and analyse an ensemble per row (default: --train)")
    g.add_argument("--jobs", type=int, default=None,
                   help="worker processes for the rows (default: CPU count, at most 4; 1: this process)")
    g.add_argument("--json", action="store_true", help="print the rows as a JSON list on stdout")
    g.add_argument("--csv", type=path_arg, default=None, help="also write the rows to this CSV file")
    g.add_argument("--plot", type=path_arg, default=None,
                   help="also plot rank, r_max and success rate against k (.pdf or .png)")
    add_train_flags(p, seeds=EXPLORE_SEEDS)  # exploration trains fewer networks per row
    p.set_defaults(run=run)


def argparse_bool():
    import argparse

    return argparse.BooleanOptionalAction


# --------------------------------------------------------------------------------------------
# The command
# --------------------------------------------------------------------------------------------
def _base_config(args):
    """The shared flags as a Config, validated with ``k = 1`` and zeros padding (always
    allowed) so that the sweep, not the base, decides which rows are invalid."""
    import copy

    from radiuscnn.cli import config_from_args

    base_args = copy.copy(args)
    base_args.kernel, base_args.padding = 1, "zeros"
    return config_from_args(base_args)


def run(args) -> int:
    from radiuscnn.commands._paths import check_output_file
    from radiuscnn.theory.config import LIMIT_REASON, MAX_KERNEL, ConfigError
    from radiuscnn.theory.explore import parse_kernels, parse_paddings

    kernels = parse_kernels(args.kernels if args.kernels is not None
                            else str(args.kernel) if args.kernel is not None else DEFAULT_KERNELS)
    paddings = parse_paddings(args.paddings if args.paddings is not None
                              else args.padding if args.padding is not None else "zeros,valid,circular")
    if args.plot is not None and args.plot.suffix.lower() not in PLOT_SUFFIXES:
        raise ConfigError(f"--plot: expected a .pdf or .png file name, got {str(args.plot)!r}")
    if args.jobs is not None and not 1 <= args.jobs <= MAX_JOBS:
        raise ConfigError(f"--jobs: expected an integer 1..{MAX_JOBS}, got {args.jobs}")
    for single, sweep_flag in (("kernel", "kernels"), ("padding", "paddings")):
        if getattr(args, single) is not None and getattr(args, sweep_flag) is not None:
            raise ConfigError(f"--{single}: explore kernel sweeps --{sweep_flag}; give one of --{single} "
                              f"and --{sweep_flag}, not both")
    if kernels[-1] > MAX_KERNEL:
        raise ConfigError(f"--kernels: {kernels[-1]} exceeds the limit {MAX_KERNEL}: {LIMIT_REASON}")
    for path, flag in ((args.csv, "--csv"), (args.plot, "--plot")):
        if path is not None:
            check_output_file(path, flag)
    cfg = _base_config(args)
    cfg.with_(kernel=kernels[-1])  # the largest row within the engine's limits (ConfigError names --kernel)
    tcfg = None
    if args.train and cfg.dim == 2:
        progress_console().print("explore kernel --dim 2: the trained columns are 1D only; deriving only",
                                 markup=False)
    elif args.train:
        from radiuscnn.cli import train_config_from_args
        from radiuscnn.commands._limits import check_amplitudes_representable, check_training_size

        tcfg = train_config_from_args(args)
        check_amplitudes_representable(cfg, tcfg.dtype)
        check_training_size(cfg, tcfg)
    jobs = args.jobs or default_jobs()
    stopped = None
    try:
        rows, incomplete = explore_kernels(cfg, kernels, paddings, tcfg, jobs, threads=args.threads), None
    except SweepInterrupted as interrupt:
        stopped, rows = interrupt, interrupt.rows
        incomplete = f"interrupted after {len(rows)} of {interrupt.total} rows"
    title = (f"kernel sweep k = {kernels[0]}..{kernels[-1]}: N={cfg.size} C={cfg.channels} "
             f"{cfg.activation} {cfg.head}, R = {cfg.radii[0]}..{cfg.radii[-1]}, "
             f"A = [{cfg.a_min}, {cfg.a_max}]"
             + ("" if tcfg is None else f"; {tcfg.seeds} seeds x {tcfg.steps} {tcfg.optimizer} steps"))
    if args.csv is not None:
        write_csv(args.csv, rows, tcfg is not None, incomplete)
    if incomplete is not None:
        return _interrupted(args, rows, stopped, incomplete)
    if args.plot is not None:
        write_plot(args.plot, rows, paddings, tcfg is not None, title)
    if args.json:
        print_json(rows)
        return 0
    from radiuscnn.commands._scope import scope_lines

    out = console()
    out.print(table(rows, tcfg is not None, title))
    out.print(LEGEND, markup=False)
    for line in scope_lines(cfg):
        out.print(line, markup=False)
    for path, what in ((args.csv, "CSV"), (args.plot, "plot")):
        if path is not None:
            out.print(f"{what} written to {path}", markup=False)
    return 0

def _interrupted(args, rows, interrupt, incomplete: str):
    """Keep the finished rows (``--json``: an object marked ``incomplete``; ``--csv``: already
    written with its comment line) and re-raise, so ``main`` prints one line and exits 130."""
    if args.json:
        print_json({"incomplete": True, "reason": incomplete, "rows_total": interrupt.total, "rows": rows})
    elif rows:
        console().print(table(rows, args.train, f"kernel sweep (incomplete: {incomplete})"))
    kept = [what for what, flag in (("JSON on stdout", args.json), (f"CSV {args.csv}", args.csv)) if flag]
    interrupt.detail = incomplete + (f"; finished rows kept in {' and '.join(kept)} (marked incomplete)"
                                     if kept else "; no --csv or --json, nothing kept")
    raise interrupt
