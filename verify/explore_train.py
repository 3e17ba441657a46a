"""Trained columns of the kernel exploration (THEORY.md section 6, claim T1).

For one configuration (one ``(k, padding)`` row of ``radiuscnn explore kernel``) an ensemble of
``tcfg.seeds`` networks is trained at once (:func:`numeric.ensemble.train`, full batch on the
radius x amplitude grid) and every member is analysed with :mod:`verify.analysis`:

* ``success_rate``: the trainer's success rate (final grid MSE ``<= tcfg.tolerance``);
* ``families``: how many members fall in each solution family (background counter, saturated
  inside counter, linear cancellation, ..., plateau, none) -- from
  :func:`verify.analysis.analyse_ensemble`;
* ``checks_pass``: whether every *solved* member (analysis: exact grid MSE ``<= tolerance``)
  passes the verify checks (:attr:`~verify.analysis.NetworkAnalysis.certified`: the exact
  interval proof :func:`theory.proof.prove` within ``eps = 1/2`` and every section-5 equation
  within its residual tolerance); ``None`` when no member is solved (there is nothing to
  check).

Training runs single-threaded by default (``threads=1``): the tensors are tiny, threads only
add overhead (and contention on a busy machine), and the weights then do not depend on the core
count. The previous torch thread count is restored afterwards.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable

from radiuscnn.numeric.processes import torch_threads
from radiuscnn.theory.config import Config

StepProgress = Callable[[int, int], None]
"""``progress(step, steps)`` during training."""
MemberProgress = Callable[[int, int], None]
"""``progress(done, total)`` during the analysis of the members."""


@dataclass(frozen=True)
class TrainedColumns:
    """The trained columns of one row (module docstring); ``families`` is a tuple of
    ``(family, count)`` pairs."""

    seeds: int
    steps: int
    success_rate: float
    n_solved: int
    n_certified: int
    families: tuple[tuple[str, int], ...]
    checks_pass: bool | None
    train_seconds: float
    analysis_seconds: float

    def to_json(self) -> dict:
        return {
            "success_rate": self.success_rate,
            "families": dict(self.families),
            "checks_pass": self.checks_pass,
            "n_solved": self.n_solved,
            "n_certified": self.n_certified,
            "train_seconds": round(self.train_seconds, 3),
            "analysis_seconds": round(self.analysis_seconds, 3),
        }

    def families_text(self) -> str:
        return ", ".join(f"{name} {n}" for name, n in self.families) or "-"


def summarise(analyses) -> tuple[tuple[tuple[str, int], ...], int, int, bool | None]:
    """``(families, n_solved, n_certified, checks_pass)`` of per-network analyses (each with
    ``family``, ``solved`` and ``certified``). Families in first-seen order, most frequent first."""
    counts: dict[str, int] = {}
    for a in analyses:
        counts[a.family] = counts.get(a.family, 0) + 1
    families = tuple(sorted(counts.items(), key=lambda item: -item[1]))
    solved = [a for a in analyses if a.solved]
    certified = sum(bool(a.certified) for a in solved)
    return families, len(solved), certified, (None if not solved else certified == len(solved))


def trained_columns(
    cfg: Config,
    tcfg,
    threads: int | None = 1,
    step_progress: StepProgress | None = None,
    member_progress: MemberProgress | None = None,
) -> TrainedColumns:
    """Train ``tcfg.seeds`` networks of ``cfg`` and analyse every member (module docstring)."""
    from radiuscnn.numeric.ensemble import train

    def on_step(step, steps, _loss):
        if step_progress is not None:
            step_progress(step, steps)

    start = time.perf_counter()
    with torch_threads(threads):
        result = train(cfg, tcfg, progress=on_step)
    train_seconds = time.perf_counter() - start
    from radiuscnn.verify import analysis

    start = time.perf_counter()
    tol = analysis.Tolerances(loss=tcfg.tolerance)
    analyses = []
    with torch_threads(threads):
        for e in range(tcfg.seeds):
            analyses.extend(analysis.analyse_ensemble(cfg, result.params, tcfg.amplitudes, tol, [e]))
            if member_progress is not None:
                member_progress(e + 1, tcfg.seeds)
    families, n_solved, n_certified, checks_pass = summarise(analyses)
    return TrainedColumns(tcfg.seeds, tcfg.steps, result.success_rate, n_solved, n_certified,
                          families, checks_pass, train_seconds, time.perf_counter() - start)


def trained_row(cfg: Config, kernel: int, tcfg) -> dict:
    """``trained_columns(cfg with kernel k, tcfg).to_json()`` on one thread: one row of the
    kernel sweep's training as one call (the report may run it in a background worker)."""
    return trained_columns(cfg.with_(kernel=kernel), tcfg, threads=1).to_json()
