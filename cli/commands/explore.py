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
"""

from __future__ import annotations

import csv
import os
from pathlib import Path

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
# Rows: derived columns, then (optionally) trained columns; in worker processes
# --------------------------------------------------------------------------------------------
UNTRAINED = {"success_rate": None, "families": None, "checks_pass": None, "n_solved": None, "n_certified": None}


def row_json(cfg, k: int, padding: str, tcfg=None, step_progress=None, member_progress=None,
             threads: int = 1) -> dict:
    """One row as JSON: :func:`theory.explore.kernel_row`, plus
    :func:`verify.explore_train.trained_columns` when ``tcfg`` is given (``None`` columns for
    an invalid row)."""
    from radiuscnn.theory.explore import kernel_row

    row = kernel_row(cfg, k, padding)
    data = scoped(cfg, row.to_json())
    if tcfg is not None:
        if not row.valid:
            data.update(UNTRAINED)
        else:
            from radiuscnn.verify.explore_train import trained_columns

            columns = trained_columns(cfg.with_(kernel=k, padding=padding), tcfg, threads=threads,
                                      step_progress=step_progress, member_progress=member_progress)
            data.update(columns.to_json())
    return data


# derived columns of each claim: blanked (None) when the flags are outside the claim's scope
CLAIM_COLUMNS = {"F1": ("constraint_rank",), "A1": ("beta", "vb", "r_max"),
                 "A4": ("min_channels", "min_channels_status")}


def scoped(cfg, data: dict) -> dict:
    """``data`` with the columns of claims that do not support ``cfg``'s head or activation set
    to ``None``, and ``not_applicable`` naming them (:mod:`radiuscnn.commands._scope`)."""
    from radiuscnn.commands._scope import not_applicable

    entries = not_applicable(cfg)
    for entry in entries:
        for claim in entry["claims"]:
            for key in CLAIM_COLUMNS.get(claim, ()):
                if key in data:
                    data[key] = None
    data["not_applicable"] = [{k: e[k] for k in ("flag", "claims", "reason")} for e in entries]
    return data


def _row_job(cfg, k: int, padding: str, tcfg, threads: int = 1) -> dict:
    return row_json(cfg, k, padding, tcfg, threads=threads)


def default_jobs() -> int:
    return max(1, min(4, os.cpu_count() or 1))


class SweepInterrupted(KeyboardInterrupt):
    """Ctrl-C (or SIGTERM) during a sweep; ``rows`` holds the rows finished so far, in sweep
    order, out of ``total``."""

    def __init__(self, rows: list[dict], total: int, terminated: bool = False) -> None:
        super().__init__()
        self.rows, self.total, self.terminated = rows, total, terminated


def _worker_init(parent: int) -> None:
    """In each worker: ignore SIGINT (the parent decides and terminates the pool), and exit
    within half a second if the parent dies (even by SIGKILL) instead of running on."""
    import signal
    import threading
    import time

    signal.signal(signal.SIGINT, signal.SIG_IGN)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, daemon=True).start()


def _in_pool(cfg, pairs, tcfg, jobs: int, on_row, threads: int = 1) -> dict:
    """Rows in ``jobs`` spawned workers, largest ``k`` first; ``on_row(done, pair)`` after each.
    On any exception (Ctrl-C included) the workers are terminated at once; ``results`` holds
    the finished rows (attached to the exception as ``.results``)."""
    import multiprocessing
    import queue

    results: dict = {}
    finished: "queue.SimpleQueue" = queue.SimpleQueue()
    context = multiprocessing.get_context("spawn")
    pool = context.Pool(processes=min(jobs, len(pairs)), initializer=_worker_init, initargs=(os.getpid(),))
    try:
        for pair in sorted(pairs, key=lambda pair: -pair[0]):
            pool.apply_async(_row_job, (cfg, *pair, tcfg, threads),
                             callback=lambda row, pair=pair: finished.put((pair, row, None)),
                             error_callback=lambda error, pair=pair: finished.put((pair, None, error)))
        pool.close()
        while len(results) < len(pairs):
            try:
                pair, row, error = finished.get(timeout=0.2)  # a timeout keeps Ctrl-C responsive
            except queue.Empty:
                continue
            if error is not None:
                raise error
            results[pair] = row
            on_row(len(results), pair)
        pool.join()
    except BaseException as error:
        pool.terminate()
        pool.join()
        error.results = results
        raise
    return results


def explore_kernels(cfg, kernels, paddings, tcfg, jobs: int, quiet: bool = False, threads: int = 1) -> list[dict]:
    """Every row of the sweep as JSON (trained columns when ``tcfg`` is given), in sweep order,
    with a Rich progress bar on stderr (plain lines when stderr is not a terminal; none when
    ``quiet``).

    ``jobs > 1``: rows are computed in that many spawned worker processes, largest ``k`` first
    (exact proofs and training are CPU-bound and rows are independent; each worker trains with
    ``threads`` torch threads (default 1), so the results do not depend on ``jobs``). ``jobs = 1``: in this
    process, with a second bar for the training steps. Ctrl-C stops every worker at once and
    raises :class:`SweepInterrupted` with the rows finished so far."""
    from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn

    from radiuscnn.commands._runtime import progress_bar
    from radiuscnn.theory.explore import sweep

    pairs = sweep(kernels, paddings)
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TextColumn("{task.fields[label]}"), TimeElapsedColumn())
    what = "rows (derive + train)" if tcfg is not None else "rows (derive)"
    with progress_bar("explore", *columns, console=progress_console(), disable=quiet) as bar:
        task = bar.add_task(what, total=len(pairs), label="")
        if jobs <= 1 or len(pairs) <= 1:
            inner = bar.add_task("  training", total=None, label="", visible=False)
            rows = []
            try:
                for done, (k, p) in enumerate(pairs):
                    label = f"k={k} {p}"
                    bar.update(task, completed=done, label=label)

                    def steps(step, total, label=label):
                        bar.update(inner, completed=step, total=total, description="  steps", label=label,
                                   visible=True)

                    def members(m, total, label=label):
                        bar.update(inner, completed=m, total=total, description="  analysing", label=label,
                                   visible=True)

                    rows.append(row_json(cfg, k, p, tcfg, steps, members, threads))
            except KeyboardInterrupt as interrupt:
                raise SweepInterrupted(rows, len(pairs), _terminated(interrupt)) from None
            return rows

        def on_row(done, pair):
            bar.update(task, completed=done, label=f"k={pair[0]} {pair[1]}")

        try:
            results = _in_pool(cfg, pairs, tcfg, jobs, on_row, threads)
        except KeyboardInterrupt as interrupt:
            done = interrupt.results
            raise SweepInterrupted([done[pair] for pair in pairs if pair in done], len(pairs),
                                   _terminated(interrupt)) from None
        return [results[pair] for pair in pairs]


def _terminated(interrupt: BaseException) -> bool:
    from radiuscnn.cli import Terminated

    return isinstance(interrupt, Terminated)


# --------------------------------------------------------------------------------------------
# Presentation
# --------------------------------------------------------------------------------------------
PL_WIDTHS = ("relu", "leaky_relu", "abs", "hardtanh")
FLAG_SHORT = {"k=1": "k=1", "even-k": "even", "k>=N": "k>=N", "window-wider-than-pulse": "wide",
              "border": "border", "no-background": "no-bg", "invalid": "invalid"}


def widths_text(row: dict) -> str:
    """Minimal widths of relu/leaky_relu/abs/hardtanh as ``1/2/2/1`` (``?`` after the value:
    upper bound only, minimality not decided; ``-``: no construction known). The analytic activations (A3) have none and are left out."""
    widths, status = row["min_channels"], row.get("min_channels_status") or {}
    if widths is None:
        return "n/a"
    return "/".join("-" if widths.get(name) is None
                    else f"{widths[name]}{'?' if status.get(name) == 'upper bound' else ''}"
                    for name in PL_WIDTHS)


def table(rows: list[dict], trained: bool, title: str):
    from rich.table import Table

    t = Table(title=title)
    for name in ("k", "pad", "runs", "rank", "beta", "vb", "r_max", "min C r/l/a/h", "flags"):
        t.add_column(name, justify="left" if name in ("pad", "flags") else "right")
    if trained:
        for name in ("success", "families", "checks"):
            t.add_column(name, justify="right" if name == "success" else "left")

    def text(value):
        return "-" if value is None else str(value)

    for row in rows:
        cells = [str(row["kernel"]), row["padding"], text(row["n_runs"]), text(row["constraint_rank"]),
                 text(row["beta"]), text(row["vb"]), text(row["r_max"]), widths_text(row),
                 " ".join(FLAG_SHORT.get(f["flag"], f["flag"]) for f in row["flags"]) or "-"]
        if trained:
            if row.get("success_rate") is None:
                cells += ["-", "-", "-"]
            else:
                fam = row["families"]
                fams = fam if isinstance(fam, str) else ", ".join(f"{k} {v}" for k, v in fam.items())
                checks = {True: "pass", False: "FAIL", None: "-"}[row["checks_pass"]]
                cells += [f"{row['success_rate']:.0%}", fams, checks]
        t.add_row(*cells)
    return t


LEGEND = (
    "beta, vb = v b, r_max: the one-ReLU background counter (A1; r_max = -1: none). "
    "min C r/l/a/h: minimal widths (A4) for relu/leaky_relu/abs/hardtanh ('2?' = upper bound: "
    "a construction is proved but the width below is not excluded; '-' = none: impossible or no construction known); analytic activations have none (A3). "
    "Flags: k=1; even = even k (h_l != h_r); k>=N; wide = 2r+1 < k for some r; border = a window "
    "meeting the pulse leaves -M..M; no-bg = n_empty(r) = 0 for some r; invalid = no such "
    "configuration. Reasons: --json or --csv."
)


CSV_FIXED = ("kernel", "padding", "h_l", "h_r", "out_size", "n_runs", "constraint_rank", "beta", "vb", "r_max")


def write_csv(path: Path, rows: list[dict], trained: bool, incomplete: str | None = None) -> None:
    """One line per row: the derived columns, ``min_channels_<activation>``, ``flags`` (names,
    ``;``-separated), ``flag_reasons``; trained: ``success_rate``, ``families`` (``name:count``
    ``;``-separated), ``checks_pass``. An interrupted sweep (``incomplete``: why) starts with
    the comment line ``# incomplete: ...`` (``pandas.read_csv(comment="#")`` skips it)."""
    from radiuscnn.theory.config import ACTIVATIONS

    header = [*CSV_FIXED, *(f"min_channels_{a}" for a in ACTIVATIONS), "flags", "flag_reasons"]
    if trained:
        header += ["success_rate", "families", "checks_pass"]
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="") as handle:
        if incomplete is not None:
            handle.write(f"# incomplete: {incomplete}\n")
        writer = csv.writer(handle)
        writer.writerow(header)
        for row in rows:
            widths = row["min_channels"] or {}
            line = [("" if row[c] is None else row[c]) for c in CSV_FIXED]
            line += [("" if widths.get(a) is None else widths[a]) for a in ACTIVATIONS]
            line += [";".join(f["flag"] for f in row["flags"]),
                     " | ".join(f"{f['flag']}: {f['reason']}" for f in row["flags"])]
            if trained:
                fam = row.get("families")
                line += ["" if row.get("success_rate") is None else row["success_rate"],
                         "" if fam is None else fam if isinstance(fam, str)
                         else ";".join(f"{k}:{v}" for k, v in fam.items()),
                         "" if row.get("checks_pass") is None else row["checks_pass"]]
            writer.writerow(line)


PLOT_SUFFIXES = (".pdf", ".png")
STYLES = {"zeros": ("o", "-"), "valid": ("s", "--"), "circular": ("^", ":")}  # overlaps stay visible


def write_plot(path: Path, rows: list[dict], paddings, trained: bool, title: str) -> None:
    """Constraint rank, r_max (and success rate) against ``k``, one line per padding
    (matplotlib Agg; invalid rows are gaps)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = [("constraint_rank", "constraint rank (F1/F2)"), ("r_max", "background counter r_max (A1)")]
    if trained:
        panels.append(("success_rate", "success rate (T1)"))
    fig, axes = plt.subplots(1, len(panels), figsize=(4.2 * len(panels), 3.4), squeeze=False)
    for ax, (key, label) in zip(axes[0], panels):
        for padding in paddings:
            mine = [r for r in rows if r["padding"] == padding]
            ks = [r["kernel"] for r in mine]
            ys = [float("nan") if r.get(key) is None else float(r[key]) for r in mine]
            marker, style = STYLES.get(padding, ("o", "-"))
            ax.plot(ks, ys, marker=marker, linestyle=style, markersize=4, label=padding, alpha=0.85)
        ax.set_xlabel("kernel size k")
        ax.set_title(label, fontsize=10)
        ax.grid(alpha=0.3)
    axes[0][0].legend(title="padding", fontsize=8)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)


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
