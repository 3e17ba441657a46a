"""Build the derivation report: collect results -> results.json -> tex -> figures -> PDF.

:func:`build_report` runs the pipeline on one configuration (THEORY section 9 by default),
single-threaded (tiny tensors: threads only add overhead):

1. **collect** (:mod:`reports.collect`): one collector per stage returning plain JSON data;
   every claim is decided once by the claim registry (``radiuscnn.verify.registry``), whose
   numbers, tolerances and samples go to ``results.json["claims"]``;
2. **figures** (:mod:`reports.figure_data`, drawn by :mod:`reports.figures`);
3. **render** (:mod:`reports.render`): the Jinja2 templates under ``reports/templates/`` are
   filled from ``results.json`` as read back, each printed number recorded with the exact text
   it is printed as (``results.json["cited"]``);
4. **compile** with latexmk.

A collector whose inputs were not produced records ``status: "skipped"``, one whose claim says
nothing about the configuration ``"not_applicable"``; one that raises records ``"error"``
with the message (listed by the CLI as a warning), so one broken part never prevents the rest.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path

from radiuscnn.reports import latex as L
from radiuscnn.reports.collect import SCHEMA, collect  # noqa: F401 - SCHEMA re-exported
from radiuscnn.reports.figure_data import make_figures
from radiuscnn.verify.registry import CLAIMS as REGISTRY

CLAIMS = tuple(c.id for c in REGISTRY)


# ------------------------------------------------------------------------------------ results
@dataclass
class ReportResult:
    """What :func:`build_report` produced."""

    out_dir: Path
    tex: Path
    results_json: Path
    pdf: Path | None
    figures: list[Path]
    results: dict
    seconds: float
    sections: dict = field(default_factory=dict)
    missing_engine: str | None = None  # the one-line message when no TeX engine was found

    @property
    def problems(self) -> dict:
        """Parts that failed: collectors that raised and sections that failed to render,
        ``{name: message}``."""
        out = {k: v["reason"] for k, v in self.sections.items() if v["status"] == "error"}
        out.update({f"render:{k}": v for k, v in (self.results.get("render_errors") or {}).items()})
        return out

    @property
    def unavailable(self) -> dict:
        """Sections skipped because their inputs were not produced in this run: ``{name: reason}``."""
        return {k: v["reason"] for k, v in self.sections.items() if v["status"] == "skipped"}

    def summary(self) -> dict:
        data = self.results
        training = data.get("training") or {}
        return {
            "out_dir": str(self.out_dir),
            "tex": str(self.tex),
            "pdf": None if self.pdf is None else str(self.pdf),
            "results": str(self.results_json),
            "figures": [str(p) for p in self.figures],
            "seconds": round(self.seconds, 2),
            "sections": self.sections,
            "claims": data.get("claims", {}),
            "success": {k: training.get(k) for k in ("successes", "members", "tolerance")} if training else None,
            "missing_engine": self.missing_engine,
        }


def build_report(cfg, tcfg, out_dir, tex_only: bool = False, progress=None, engine: str | None = "auto",
                 cfg2=None, atlas_grid=None, parallel: bool = False) -> ReportResult:
    """Collect results, write ``results.json``, generate ``derivation.tex`` from it, draw the
    figures and compile ``derivation.pdf`` (unless ``tex_only``).

    ``engine``: ``"auto"`` finds latexmk/pdflatex on PATH; ``None`` forces "no engine".
    ``cfg2``: the 2D configuration of the D1 section (see :func:`collect`).
    ``atlas_grid``: ``(base, tcfg, axes)`` of the T1 success atlas, as returned by
    ``verify.atlas.default_grid()`` (the default); small reports pass a tiny grid.
    ``parallel``: the D1 training runs in a second process beside the 1D stages (see
    :func:`collect`; the same numbers, about half the wall time on two cores).
    Raises :class:`reports.latex.TeXCompileError` when compiling fails. When no engine exists
    (and not ``tex_only``) the result's ``missing_engine`` holds the one-line message and
    ``pdf`` is ``None``; the caller decides the exit code.
    """
    from radiuscnn.reports import render

    start = time.perf_counter()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    from radiuscnn.numeric.ensemble import one_thread

    with one_thread():
        results, ctx = collect(cfg, tcfg, progress, cfg2, atlas_grid, parallel,
                               later_stages=1 if tex_only else 2)
    ctx.stages.stage("figures")
    figures = make_figures(ctx, results, out_dir)
    results["figures"] = figures
    results["sections"] = ctx.sections
    results["timing"] = {**ctx.timing, "collect_total": round(time.perf_counter() - start, 3)}
    results["timing_jobs"] = ctx.jobs
    ctx.stages.done()

    # results.json first; the .tex is generated from the JSON as read back
    results_path = out_dir / "results.json"
    results_path.write_text(json.dumps(results, indent=1, allow_nan=False) + "\n")
    data = json.loads(results_path.read_text())
    cite = L.Citations(data)
    tex = render.document(data, cite)
    data["cited"] = cite.to_json()
    results_path.write_text(json.dumps(data, indent=1, allow_nan=False) + "\n")
    tex_path = out_dir / "derivation.tex"
    tex_path.write_text(tex)

    pdf = None
    missing = None
    if not tex_only:
        ctx.stages.stage("compiling the PDF")
        found = L.find_engine() if engine == "auto" else engine
        if found is None:
            missing = L.missing_engine_message(tex_path)
        else:
            pdf = L.compile_pdf(tex_path, found)
        ctx.stages.done()
    return ReportResult(
        out_dir=out_dir, tex=tex_path, results_json=results_path, pdf=pdf,
        figures=[out_dir / f for f in figures.values()], results=data,
        seconds=time.perf_counter() - start, sections=ctx.sections, missing_engine=missing,
    )
