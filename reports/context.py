"""What the report's collectors share: progress, the :class:`Context`, JSON helpers.

A collector (``reports.collect_*``) is a function ``collect_x(ctx) -> dict`` returning plain
JSON data for ``results.json``; it never formats LaTeX prose (that is the templates'
job, ``reports.render``). Claims are decided by the registry (``radiuscnn.verify.registry``)
through :meth:`Context.claim`, once per claim and report; a collector reads the decided
result and its evidence, it never re-decides a status.
"""

from __future__ import annotations

import math
import time
import traceback
from fractions import Fraction
from pathlib import Path
from typing import Any, Callable

from radiuscnn.verify.registry import ClaimResult, Inputs, get


class Stages:
    """Rich progress on stderr when ``progress`` is a ``rich.progress.Progress``; no-op else."""

    def __init__(self, progress, total: int) -> None:
        self.progress = progress
        self.task = None
        self.train_task = None
        if progress is not None:
            self.task = progress.add_task("report", total=total)

    def stage(self, text: str) -> None:
        if self.progress is not None:
            self.progress.update(self.task, description=f"report: {text}")

    def done(self) -> None:
        if self.progress is not None:
            self.progress.advance(self.task)

    def training(self, steps: int, members: int) -> Callable | None:
        if self.progress is None:
            return None
        self.train_task = self.progress.add_task(f"training {members} networks", total=max(steps, 1))

        def update(step, total, loss) -> None:
            try:
                median = float(loss.float().nanmedian())
            except Exception:  # noqa: BLE001 - progress must never break training
                median = float("nan")
            self.progress.update(
                self.train_task, completed=step,
                description=f"training {members} networks (median loss {median:.3g})",
            )

        return update

    def training_done(self) -> None:
        if self.progress is not None and self.train_task is not None:
            self.progress.remove_task(self.train_task)
            self.train_task = None


class Skipped(Exception):
    """Raised by a collector whose inputs were not produced in this run (e.g. no training)."""


class NotApplicable(Exception):
    """Raised by a collector whose claim says nothing about this configuration."""


def q(x) -> str | None:
    """An exact number as a JSON string (``Fraction``/SymPy rational/int)."""
    if x is None:
        return None
    if hasattr(x, "p") and hasattr(x, "q"):
        return str(Fraction(int(x.p), int(x.q)))
    return str(Fraction(x)) if not isinstance(x, float) else repr(x)


def jsonable(value):
    """``value`` as strict JSON data (non-finite floats as their ``repr`` strings)."""
    from radiuscnn.commands._output import to_jsonable

    def fix(v):
        if isinstance(v, float) and not math.isfinite(v):
            return repr(v)
        if isinstance(v, dict):
            return {k: fix(x) for k, x in v.items()}
        if isinstance(v, list):
            return [fix(x) for x in v]
        return v

    return fix(to_jsonable(value))


class Context:
    """What the collectors share: configurations, the trained ensemble (not JSON), results,
    and the registry's decisions (:meth:`claim`)."""

    def __init__(self, cfg, tcfg, stages: Stages):
        self.cfg = cfg
        self.tcfg = tcfg
        self.stages = stages
        self.results: dict[str, Any] = {}
        self.trained = None  # numeric.ensemble.TrainResult
        self.analyses = None  # verify.analysis.NetworkAnalysis of every member, best first (T1)
        self.sections: dict[str, dict] = {}
        self.timing: dict[str, float] = {}
        self.jobs: dict[str, dict] = {}  # collect_sweeps.run_job: {name: {"process", "seconds"}}
        self.cfg2 = None  # the 2D configuration of the D1 section
        self.atlas_grid = None  # (base, tcfg, axes) of the success atlas; None: verify.atlas.default_grid()
        self.background = None  # numeric.processes.Background holding the jobs of collect_sweeps.background_jobs
        self.claims: dict[str, ClaimResult] = {}

    def inputs(self) -> Inputs:
        params = None if self.trained is None else self.trained.params
        analyses = None if self.analyses is None else tuple(self.analyses)
        landscapes = self.claims["L2"].evidence.get("landscapes") if "L2" in self.claims else None
        return Inputs(self.cfg, self.tcfg, params=params, analyses=analyses, cfg2=self.cfg2, landscapes=landscapes)

    def claim(self, claim_id: str) -> ClaimResult:
        """The registry's decision of ``claim_id`` on this report's inputs (computed once)."""
        if claim_id not in self.claims:
            self.claims[claim_id] = get(claim_id).check(self.inputs())
        return self.claims[claim_id]

    def collect(self, name: str, fn: Callable[["Context"], dict | None], applies: bool = True,
                why_not: str = "") -> None:
        start = time.perf_counter()
        if not applies:
            self.sections[name] = {"status": "not_applicable", "reason": why_not}
            self.results[name] = None
        else:
            try:
                self.results[name] = jsonable(fn(self))
                self.sections[name] = {"status": "ok", "reason": ""}
            except Skipped as why:
                self.results[name] = None
                self.sections[name] = {"status": "skipped", "reason": str(why)}
            except NotApplicable as why:
                self.results[name] = None
                self.sections[name] = {"status": "not_applicable", "reason": str(why)}
            except Exception as error:  # noqa: BLE001 - reported, never hidden
                self.results[name] = None
                where = traceback.extract_tb(error.__traceback__)[-1]
                self.sections[name] = {
                    "status": "error",
                    "reason": f"{type(error).__name__}: {error} ({Path(where.filename).name}:{where.lineno})",
                }
        self.timing[name] = round(time.perf_counter() - start, 3)
