"""The report's figures: the data each figure shows, drawn by :mod:`reports.figures`.

:func:`make_figures` reads the results (and the trained ensemble in the context, not JSON)
and returns ``{name: file name}`` of the figures it drew.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

from radiuscnn.reports import latex as L
from radiuscnn.reports.context import Context


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
        import torch

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
    land = results.get("landscape") or {}
    if land.get("histogram"):
        marks = [{"label": m["label"].replace("L_plateau*", "plateau L*").replace("Var(r) (dead)", "dead: Var(r)"),
                  "value": m["value"]} for m in land["histogram"]["marks"]]
        keep("landscape", F.landscape(land["histogram"]["losses"], marks, out_dir / "fig-landscape.pdf"))
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
