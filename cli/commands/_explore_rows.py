"""``radiuscnn explore kernel``: the rows of the sweep, in this process or in worker processes.

A row is :func:`theory.explore.kernel_row` as JSON, its claim columns blanked outside the
claims' scope, plus :func:`verify.explore_train.trained_columns` when training. Rows are
independent and CPU-bound (exact proofs and training), so ``jobs > 1`` computes them in that
many spawned workers, largest ``k`` first, each training with ``threads`` torch threads: the
results do not depend on ``jobs``. Ctrl-C stops every worker at once and raises
:class:`SweepInterrupted` with the rows finished so far.
"""

from __future__ import annotations

import os

from radiuscnn.commands._output import progress_console
from radiuscnn.numeric.processes import worker_init

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


def _in_pool(cfg, pairs, tcfg, jobs: int, on_row, threads: int = 1) -> dict:
    """Rows in ``jobs`` spawned workers, largest ``k`` first; ``on_row(done, pair)`` after each.
    On any exception (Ctrl-C included) the workers are terminated at once; ``results`` holds
    the finished rows (attached to the exception as ``.results``)."""
    import multiprocessing
    import queue

    results: dict = {}
    finished: "queue.SimpleQueue" = queue.SimpleQueue()
    context = multiprocessing.get_context("spawn")
    pool = context.Pool(processes=min(jobs, len(pairs)), initializer=worker_init, initargs=(os.getpid(),))
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
