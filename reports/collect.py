"""Run every collector of the report in order and decide every claim through the registry.

:data:`PLAN` is the report's table of stages: ``(stage title, [(result name, collector,
1D only)])``. Adding a section for a new claim: a registry entry
(``radiuscnn.verify.registry.catalogue``), one collector here (a function ``ctx -> dict``,
usually reading ``ctx.claim(ID)``) and one template under ``reports/templates/sections/``
listed in :data:`reports.render.SECTIONS`.
"""

from __future__ import annotations

import platform

from radiuscnn.reports import collect_exact as E
from radiuscnn.reports import collect_sweeps as W
from radiuscnn.reports import collect_trained as T
from radiuscnn.reports.context import Context, Stages
from radiuscnn.verify.registry import CLAIMS
from radiuscnn.verify.registry.types import MissingInput

SCHEMA = "radiuscnn-report/1"
ONE_D_ONLY = "1D claim; the configuration is 2D (run with --dim 1)"

# (stage title, [(result name, collector, 1D only)]); collectors are looked up by name at call
# time (``getattr(module, name)``) so a test can replace one
PLAN = (
    ("run decomposition (R1)", [("runs", E, "collect_runs", True)]),
    ("constraints (F1, F2)", [("derivation", E, "collect_derivation", True), ("f2", E, "collect_f2", True)]),
    ("amplitude invariance (A1-A4)", [("a1", E, "collect_a1", True), ("a2", E, "collect_a2", True),
                                      ("a3", E, "collect_a3", True), ("a4", E, "collect_a4", True)]),
    ("training the ensemble", [("training", T, "collect_training", True)]),
    ("checking every trained network (R1, T1)", [("r1_check", T, "collect_r1_check", True),
                                                  ("networks", T, "collect_networks", True)]),
    ("success atlas (T1)", [("atlas", W, "collect_atlas", True)]),
    ("the loss landscape (L1-L3)", [("landscape", T, "collect_landscape", True)]),
    ("training invariants (I1)", [("invariants", T, "collect_invariants", True)]),
    ("kernel-size exploration", [("explore", W, "collect_explore", True)]),
    ("two dimensions (D1)", [("d1", W, "collect_d1", False)]),
)


def claim_results(ctx: Context) -> dict:
    """Every registry claim as decided on this report's inputs (``ClaimResult.to_json``), or
    ``{"status": "skipped" | "error", "reason": ...}`` when its check could not run (no
    training in this run; a failure)."""
    out = {}
    for claim in CLAIMS:
        try:
            out[claim.id] = ctx.claim(claim.id).to_json()
        except MissingInput as why:
            out[claim.id] = {"status": "skipped", "reason": str(why)}
        except Exception as error:  # noqa: BLE001 - reported in the table, never hidden
            out[claim.id] = {"status": "error", "reason": f"{type(error).__name__}: {error}"}
    return out


def collect(cfg, tcfg, progress=None, cfg2=None, atlas_grid=None, parallel: bool = False,
            later_stages: int = 0) -> tuple[dict, Context]:
    """Run every collector; returns the results (plain JSON) and the context. ``cfg2`` is the
    2D configuration of the D1 section (default: THEORY.md section 9 with ``cfg``'s amplitude
    interval; ``cfg`` itself when it is 2D). ``atlas_grid``: ``(base, tcfg, axes)`` of the T1
    success atlas (default: ``verify.atlas.default_grid()``). ``parallel``: the kernel sweep's and D1's trainings
    (the longest independent work, ``collect_sweeps.background_jobs``) are queued in one
    background worker from the start; it works through them beside the other stages, which take
    back the jobs it has not started when they reach them (same calls, same one-thread
    arithmetic, so the same numbers). ``later_stages``: how many stages the caller runs on the
    same progress bar after these (the report's figures and PDF), counted in its total."""
    from radiuscnn.theory.config import default_config

    stages = Stages(progress, total=len(PLAN) + later_stages)
    ctx = Context(cfg, tcfg, stages)
    ctx.atlas_grid = atlas_grid
    ctx.cfg2 = cfg if cfg.dim == 2 else (cfg2 or default_config(2).with_(amplitude=cfg.amplitude))
    try:
        if parallel:
            from radiuscnn.numeric.processes import Background

            ctx.background = Background()
            for name, fn, args in W.background_jobs(ctx):
                ctx.background.submit(name, fn, *args)
        for title, collectors in PLAN:
            stages.stage(title)
            for name, module, fn_name, one_d in collectors:
                applies = cfg.dim == 1 or not one_d
                why = "2D training belongs to the D1 section" if name == "training" else ONE_D_ONLY
                ctx.collect(name, getattr(module, fn_name), applies, "" if applies else why)
            stages.done()
    finally:
        if ctx.background is not None:
            ctx.background.close()
    results = {
        "schema": SCHEMA,
        "config": {**cfg.to_json(), "M": cfg.M, "out_size": cfg.out_size, "h_l": cfg.h_l, "h_r": cfg.h_r,
                   "offsets": list(cfg.offsets)},
        "train_config": tcfg.to_json(),
        **ctx.results,
    }
    results["sections"] = ctx.sections
    results["claims"] = claim_results(ctx)
    results["environment"] = {"python": platform.python_version(), "platform": platform.platform(terse=True)}
    return results, ctx
