"""Build the derivation report: collect results -> results.json -> tex -> figures -> PDF.

The collectors themselves live in :mod:`reports.collect`; this module orchestrates them.

:func:`build_report` runs the pipeline on one configuration (THEORY.md section 9 by default),
single-threaded (tiny tensors: threads only add overhead):

1. **derive** (R1, F1, F2, A1-A4): the theory engine's SymPy objects (``theory.derive``,
   ``theory.symbolic``, ``theory.counter``, ``theory.structure``, ``theory.analytic``,
   ``theory.width``), rendered with ``sympy.latex`` here, at collection time, and stored as
   strings in the results; the exact proofs' verdicts (``theory.proof``);
2. **train** the ensemble (``numeric.ensemble``) and **check** it: R1 (the exact rational run
   decomposition against the float64 PyTorch forward pass on every sample), T1 (every network
   read by ``verify.analysis``), the T1 **success atlas** (``verify.atlas`` on its default
   (k, C, sigma) grid, cached training), I1 (``verify.invariants`` on small float64 budgets);
3. **explore** kernel sizes (``theory.explore`` per k; training per k with
   ``verify.explore_train``) and **2D** (D1: ``theory.disk`` exactly, ``verify.trained_2d`` on
   trained networks).

Every stage is a *collector* returning plain JSON data. A collector whose module is not in this
build records ``status: "unavailable"`` (the section then says so in the PDF), one whose claim
says nothing about the configuration ``"not_applicable"``; one that raises records
``status: "error"`` with the message (listed by the CLI as a warning), so one broken module
never prevents the rest of the report.

The results are written to ``results.json``, read back, and the ``.tex`` is generated from that
JSON data alone (:mod:`reports.sections`); each number printed is recorded with the exact text
it is printed as (``results.json["cited"]``).
"""

from __future__ import annotations

import json
import platform
import time
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

from radiuscnn.reports import latex as L
from radiuscnn.reports.collect import (
    Context,
    _Stages,
    _torch,
    collect_a1,
    collect_a2,
    collect_a3,
    collect_a4,
    collect_atlas,
    collect_d1,
    collect_derivation,
    collect_explore,
    collect_f2,
    collect_invariants,
    collect_networks,
    collect_r1_check,
    collect_runs,
    collect_training,
)

SCHEMA = "radiuscnn-report/1"
CLAIMS = ("R1", "F1", "F2", "A1", "A2", "A3", "A4", "I1", "T1", "D1")


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
        """Sections awaiting a module: ``{name: reason}``."""
        return {k: v["reason"] for k, v in self.sections.items() if v["status"] == "unavailable"}

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


# ---------------------------------------------------------------------------------- figures
def _response_curves(ctx: Context, results: dict) -> list[dict]:
    """y(r, a) for a few amplitudes: the A1 counter (exact) and trained networks (float64)."""
    cfg = ctx.cfg
    amps = sorted({cfg.a_min, (cfg.a_min + cfg.a_max) / 2, cfg.a_max})
    curves = []
    a1 = results.get("a1")
    if a1 and a1.get("params"):
        from radiuscnn.theory.activations import piecewise_linear
        from radiuscnn.theory.counter import relu_gap
        from radiuscnn.theory.network import Params, output

        p = a1["params"]
        params = Params(w=tuple(tuple(Fraction(x) for x in row) for row in p["w"]), b=tuple(Fraction(x) for x in p["b"]),
                        beta=Fraction(p["beta"]), v=tuple(Fraction(x) for x in p["v"]))
        c1 = relu_gap(cfg)
        radii = list(range(0, cfg.M + 1))
        relu = piecewise_linear("relu")
        curves.append({
            "label": "A1 background counter (exact)", "radii": radii, "amplitudes": [str(a) for a in amps],
            "y": [[float(output(c1, params, r, a, relu)) for r in radii] for a in amps],
        })
    training = results.get("training")
    if ctx.trained is not None and training:
        torch = _torch()
        from radiuscnn.numeric.data import pulse
        from radiuscnn.numeric.model import forward

        params = {k: v.detach().to(torch.float64) for k, v in ctx.trained.params.items()}
        order = training["order"]
        picks = [("best trained", order[0]), ("median trained", order[len(order) // 2])]
        for label, e in picks[: 2 if len(order) > 1 else 1]:
            ys = []
            for a in amps:
                x = torch.stack([pulse(cfg, r, float(a), torch.float64) for r in cfg.radii])
                out = forward(cfg, {k: v[e:e + 1] for k, v in params.items()}, x).output[0]
                ys.append(out.tolist())
            loss = training["member_data"][e]["loss"]
            curves.append({"label": f"{label} #{e} (loss {L.fmt_float(loss, 2)})", "radii": list(cfg.radii),
                           "amplitudes": [str(a) for a in amps], "y": ys})
    return curves


def make_figures(ctx: Context, results: dict, out_dir: Path) -> dict[str, str]:
    """Draw every figure the data allow; returns ``{name: file name}``."""
    from radiuscnn.reports import figures as F

    made: dict[str, str] = {}
    cfg = ctx.cfg

    def keep(name, path):
        if path is not None:
            made[name] = Path(path).name

    a1 = results.get("a1") or {}
    training = results.get("training") or {}
    derived = None
    if a1.get("params"):
        p = a1["params"]
        derived = {"label": "A1 counter", "offsets": list(cfg.offsets),
                   "w": [[float(Fraction(x)) for x in row] for row in p["w"]], "b": [float(Fraction(x)) for x in p["b"]]}
    learned = None
    if training.get("member_data") and cfg.dim == 1:
        order = training["order"]
        members = [training["member_data"][e] for e in order[:5]]
        learned = {"offsets": list(cfg.offsets), "members": [
            {"id": m["index"], "w": m["w"], "b": m["b"], "loss": m["loss"], "success": m["success"]} for m in members]}
    keep("filters", F.filters(derived, learned, out_dir / "fig-filters.pdf"))
    try:
        keep("response", F.response(_response_curves(ctx, results), out_dir / "fig-response.pdf"))
    except Exception as error:  # noqa: BLE001
        ctx.sections.setdefault("figures", {"status": "error", "reason": ""})
        ctx.sections["figures"]["reason"] += f"response: {type(error).__name__}: {error}; "
    keep("regimes", F.regimes((results.get("networks") or {}).get("regime_map"), out_dir / "fig-regimes.pdf"))
    rates = None
    explore = results.get("explore") or {}
    if explore.get("rows"):
        rates = [{"label": f"k={row['kernel']}", "successes": row["success_rate"], "total": 1}
                 for row in explore["rows"] if row.get("success_rate") is not None] or None
    if training:
        if rates is None:
            rates = [{"label": f"k={cfg.kernel}, C={cfg.channels}, {cfg.activation}",
                      "successes": training["successes"], "total": training["members"]}]
        keep("success", F.success([m["loss"] for m in training["member_data"]], training["tolerance"], rates,
                                  out_dir / "fig-success.pdf"))
    d1 = results.get("d1")
    if d1:
        rings = [r for r in d1["fc"]["rings"] if r.get("profile") is not None]
        gap = d1["gap"]
        radii = gap["radii"]
        fit = [float(Fraction(gap["beta"])) + float(Fraction(gap["vb"])) / gap["n_outputs"] * c
               for c in gap["background_counts"]]
        keep("d1", F.series([
            {"title": "GAP: best affine background counter", "xlabel": "radius rho", "ylabel": "estimate",
             "lines": [{"x": radii, "y": radii, "label": "y = rho", "style": "--"},
                       {"x": radii, "y": fit, "label": "least-squares counter", "style": "o-"}]},
            {"title": "FC ring law", "xlabel": "ring radius d", "ylabel": "|V| b / d-rho", "logy": True,
             "lines": [{"x": [r["d"] for r in rings], "y": [r["profile"] for r in rings], "label": "1/|ring| (exact)", "style": "o"},
                       {"x": [r["d"] for r in rings], "y": [r["law"] for r in rings], "label": "1/(2 pi d)", "style": "-"},
                       {"x": [r["d"] for r in rings], "y": [r["steiner_law"] for r in rings], "label": "Steiner", "style": ":"}]},
        ], out_dir / "fig-d1.pdf"))
    return made


# ------------------------------------------------------------------------------------ claims
def claim_status(results: dict, sections: dict) -> dict:
    """One status per claim ID: ``proved`` (exact), ``derived`` (symbolic), ``tested``
    (numerical, within the stated tolerance), ``failed``, ``partial`` or the section status
    (``unavailable``, ``error``, ``not_applicable``)."""

    def st(name):
        return sections.get(name, {}).get("status") or "unavailable"

    def ok(name):
        return st(name) == "ok" and results.get(name) is not None

    out = {}
    r1 = results.get("r1_check")
    out["R1"] = ("tested" if r1["ok"] else "failed") if ok("r1_check") else ("derived" if ok("runs") else st("runs"))
    out["F1"] = "derived" if ok("derivation") else st("derivation")
    f2 = results.get("f2") or {}
    out["F2"] = ("derived" if f2.get("rank_source") else "partial") if ok("f2") else st("f2")
    a1 = results.get("a1")
    out["A1"] = a1["proof_exact"]["status"] if ok("a1") and a1.get("proof_exact") else st("a1")
    a2 = results.get("a2")
    if ok("a2"):
        check = (a2.get("a1_counter_check") or {}).get("ok", True)
        out["A2"] = ("derived" if a2["survivors"] == 1 and check else "failed") if a2["applies"] else "not_applicable"
    else:
        out["A2"] = st("a2")
    if ok("a3"):
        out["A3"] = ("proved" if results["a3"]["proved"] else "failed") if results["a3"]["applies"] else "not_applicable"
    else:
        out["A3"] = st("a3")
    if ok("a4"):
        details = results["a4"]["details"].values()
        good = all(d["status"] in ("exact", "impossible") and (d.get("verdict") or {}).get("status", "proved") == "proved"
                   for d in details)
        out["A4"] = "proved" if good else "partial"
    else:
        out["A4"] = st("a4")
    inv = results.get("invariants")
    if ok("invariants"):
        checks = []
        if "conserved" in inv.get("a", {}):
            checks += [inv["a"]["conserved"], inv["a"]["adam_breaks"]]
        for part in ("b", "c"):
            if "ok" in inv.get(part, {}):
                checks.append(inv[part]["as_predicted"])
        out["I1"] = "tested" if all(checks) else "failed"
    else:
        out["I1"] = st("invariants")
    out["T1"] = "tested" if ok("networks") else st("networks")
    d1 = results.get("d1")
    if ok("d1"):
        out["D1"] = "proved" if d1["fc"].get("exact") and d1["gap"].get("attained") else "failed"
    else:
        out["D1"] = st("d1")
    return {k: {"status": v} for k, v in out.items()}


# ---------------------------------------------------------------------------------- the build
def collect(cfg, tcfg, progress=None, cfg2=None, atlas_grid=None) -> tuple[dict, Context]:
    """Run every collector; returns the results (plain JSON) and the context. ``cfg2`` is the
    2D configuration of the D1 section (default: THEORY.md section 9 with ``cfg``'s amplitude
    interval; ``cfg`` itself when it is 2D). ``atlas_grid``: ``(base, tcfg, axes)`` of the T1
    success atlas (default: ``verify.atlas.default_grid()``)."""
    from radiuscnn.theory.config import default_config

    one_d = cfg.dim == 1
    why = "1D claim; the configuration is 2D (run with --dim 1)"
    # (stage title, [(result name, collector, applies, why not)]); looked up at call time so
    # tests can replace a collector of this module
    plan = [
        ("run decomposition (R1)", [("runs", collect_runs, one_d, why)]),
        ("constraints (F1, F2)", [("derivation", collect_derivation, one_d, why),
                                  ("f2", collect_f2, one_d, why)]),
        ("amplitude invariance (A1-A4)", [("a1", collect_a1, one_d, why), ("a2", collect_a2, one_d, why),
                                          ("a3", collect_a3, one_d, why), ("a4", collect_a4, one_d, why)]),
        ("training the ensemble", [("training", collect_training, one_d, "2D training belongs to the D1 section")]),
        ("checking every trained network (R1, T1)", [("r1_check", collect_r1_check, one_d, why),
                                                      ("networks", collect_networks, one_d, why)]),
        ("success atlas (T1)", [("atlas", collect_atlas, one_d, why)]),
        ("training invariants (I1)", [("invariants", collect_invariants, one_d, why)]),
        ("kernel-size exploration", [("explore", collect_explore, one_d, why)]),
        ("two dimensions (D1)", [("d1", collect_d1, True, "")]),
    ]
    stages = _Stages(progress, total=len(plan))
    ctx = Context(cfg, tcfg, stages)
    ctx.atlas_grid = atlas_grid
    ctx.cfg2 = cfg if cfg.dim == 2 else (cfg2 or default_config(2).with_(amplitude=cfg.amplitude))
    for title, collectors in plan:
        stages.stage(title)
        for name, fn, applies, why_not in collectors:
            ctx.collect(name, fn, applies, why_not)
        stages.done()
    results = {
        "schema": SCHEMA,
        "config": {**cfg.to_json(), "M": cfg.M, "out_size": cfg.out_size, "h_l": cfg.h_l, "h_r": cfg.h_r,
                   "offsets": list(cfg.offsets)},
        "train_config": tcfg.to_json(),
        **ctx.results,
    }
    results["sections"] = ctx.sections
    results["claims"] = claim_status(results, ctx.sections)
    results["environment"] = {"python": platform.python_version(), "platform": platform.platform(terse=True)}
    return results, ctx


def build_report(cfg, tcfg, out_dir, tex_only: bool = False, progress=None, engine: str | None = "auto",
                 cfg2=None, atlas_grid=None) -> ReportResult:
    """Collect results, write ``results.json``, generate ``derivation.tex`` from it, draw the
    figures and compile ``derivation.pdf`` (unless ``tex_only``).

    ``engine``: ``"auto"`` finds latexmk/pdflatex on PATH; ``None`` forces "no engine".
    ``cfg2``: the 2D configuration of the D1 section (see :func:`collect`).
    ``atlas_grid``: ``(base, tcfg, axes)`` of the T1 success atlas, as returned by
    ``verify.atlas.default_grid()`` (the default); small reports pass a tiny grid.
    Raises :class:`reports.latex.TeXCompileError` when compiling fails. When no engine exists
    (and not ``tex_only``) the result's ``missing_engine`` holds the one-line message and
    ``pdf`` is ``None``; the caller decides the exit code.
    """
    from radiuscnn.reports import sections as S

    start = time.perf_counter()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    from radiuscnn.numeric.ensemble import one_thread

    with one_thread():
        results, ctx = collect(cfg, tcfg, progress, cfg2, atlas_grid)
    ctx.stages.stage("figures")
    figures = make_figures(ctx, results, out_dir)
    results["figures"] = figures
    results["sections"] = ctx.sections
    results["timing"] = {**ctx.timing, "collect_total": round(time.perf_counter() - start, 3)}
    ctx.stages.done()

    # results.json first; the .tex is generated from the JSON as read back
    results_path = out_dir / "results.json"
    results_path.write_text(json.dumps(results, indent=1, allow_nan=False) + "\n")
    data = json.loads(results_path.read_text())
    cite = L.Citations(data)
    tex = S.document(data, cite)
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
    return ReportResult(
        out_dir=out_dir, tex=tex_path, results_json=results_path, pdf=pdf,
        figures=[out_dir / f for f in figures.values()], results=data,
        seconds=time.perf_counter() - start, sections=ctx.sections, missing_engine=missing,
    )
