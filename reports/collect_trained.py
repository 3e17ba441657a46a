"""Collectors of the trained sections: the ensemble (T1's data), R1 on trained networks, T1
per network, and I1 (small float64 budgets).

R1, T1 and I1 are decided by the registry (:meth:`reports.context.Context.claim`); the
collectors store its numbers and tolerances and format its evidence.
"""

from __future__ import annotations

import math
import statistics

from radiuscnn.reports.context import Context, NotApplicable, Skipped

REGIME_STATES = ("killed", "alive", "saturated", "crossing")


def _balancedness_record(cfg):
    """I1(a) recorder: ``||w_c||^2 + b_c^2 - v_c^2`` (GAP) or ``- ||V_c||^2`` (FC) per channel."""
    import torch

    def record(step, params):
        w = params["w"].flatten(2)
        head = params["v"] ** 2 if cfg.head == "gap" else params["V"].flatten(2).pow(2).sum(-1)
        return {"balance": (w.pow(2).sum(-1) + params["b"] ** 2 - head).to(torch.float64)}

    return record


def collect_training(ctx: Context) -> dict:
    """The ensemble of the configuration (numeric.ensemble.train): losses, success, history."""
    import torch

    from radiuscnn.numeric import ensemble

    cfg, tcfg = ctx.cfg, ctx.tcfg
    callback = ctx.stages.training(tcfg.steps, tcfg.seeds)
    try:
        result = ensemble.train(cfg, tcfg, progress=callback, record=_balancedness_record(cfg))
    finally:
        ctx.stages.training_done()
    ctx.trained = result
    loss = result.loss.to(torch.float64)
    members = []
    for e, seed in enumerate(result.member_seeds):
        m = {"index": e, "seed": seed, "loss": float(loss[e]), "success": bool(result.success[e])}
        for name, tensor in result.params.items():
            m[name] = tensor[e].detach().to(torch.float64).tolist()
        members.append(m)
    finite = [x for x in loss.tolist() if math.isfinite(x)]
    order = sorted(range(len(members)), key=lambda e: (not math.isfinite(members[e]["loss"]), members[e]["loss"]))
    history = result.history.to(torch.float64)
    out = {
        "members": len(members),
        "successes": int(result.success.sum()),
        "success_rate": result.success_rate,
        "tolerance": result.tolerance,
        "seconds": result.seconds,
        "best_index": order[0],
        "best_loss": members[order[0]]["loss"],
        "median_loss": statistics.median(finite) if finite else None,
        "worst_loss": max(finite) if finite else None,
        "nan_members": len(members) - len(finite),
        "order": order,
        "member_data": members,
        "history": {
            "steps": list(result.history_steps),
            "min": history.nan_to_num(nan=math.inf).min(dim=1).values.tolist(),
            "median": history.nanmedian(dim=1).values.tolist(),
        },
    }
    if result.records and "balance" in result.records:
        bal = result.records["balance"]  # (steps+1, E, C)
        drift = (bal - bal[0:1]).abs().amax(dim=0)  # (E, C)
        scale = bal[0].abs().clamp_min(1e-12)
        out["balancedness"] = {
            "optimizer": tcfg.optimizer,
            "lr": tcfg.lr,
            "max_drift": float(drift.max()),
            "median_drift": float(drift.reshape(-1).median()),
            "max_relative_drift": float((drift / scale).max()),
        }
    return out


def collect_r1_check(ctx: Context) -> dict:
    """R1 on trained networks, as decided by the registry: the exact rational run
    decomposition against the float64 PyTorch forward pass on every training sample."""
    if ctx.trained is None:
        raise Skipped("no trained networks (training did not run)")
    r = ctx.claim("R1")
    return {**r.sample, "max_abs_diff": r.numbers["max_abs_diff"], "tolerance": r.tolerance["max_abs_diff"],
            "ok": r.passed, "exact": r.numbers["exact"]}


def _run_text(run) -> str:
    run = list(run)
    if not run:
        return "{}"
    if run == list(range(run[0], run[-1] + 1)):
        return f"[{run[0]},{run[-1]}]"
    return "{" + ",".join(str(t) for t in run) + "}"


def collect_networks(ctx: Context) -> dict:
    """T1: every trained network read by verify.analysis (regime, section-5 equations and
    residuals, weight roles, family, exact verdict), best networks first."""
    from radiuscnn.verify import analysis

    if ctx.trained is None:
        raise Skipped("no trained networks (training did not run)")
    cfg, tcfg = ctx.cfg, ctx.tcfg
    order = ctx.results["training"]["order"]
    analyses = analysis.analyse_ensemble(cfg, ctx.trained.params, tcfg.amplitudes, members=order)
    ctx.analyses = analyses
    ctx.claim("T1")
    summary = analysis.success_summary(analyses)
    nets, rows = [], []
    for a in analyses:
        j = a.to_json()
        plateau = j.get("plateau")
        nets.append({
            "index": a.index, "loss": a.loss, "solved": a.solved, "family": a.family,
            "channels": list(a.channels), "generic": a.generic, "crossings": len(a.crossings),
            "verdict": j["proof"]["status"],
            "max_error": None if a.verdict.max_error is None else float(a.verdict.max_error),
            "max_residual": a.max_residual, "equations_hold": a.equations_hold,
            "roles": a.roles_summary,
            "plateau": None if plateau is None else {"g": plateau["g"], "fit_rms": plateau["fit_rms"],
                                                     "loss_rms": plateau["loss_rms"], "f": plateau["f"]},
        })
        rows.append({"id": a.index, "success": a.solved,
                     "codes": [REGIME_STATES.index(t["status"]) if t["status"] in REGIME_STATES else 3
                               for t in j["regime"]]})
    best = analyses[0].to_json() if analyses else None
    columns = [f"c{t['channel']} " + _run_text(t["run"]) for t in best["regime"]] if best else []
    families: dict[str, int] = dict(summary["families"])
    plateau_ratios = [n["plateau"]["fit_rms"] / n["plateau"]["loss_rms"] for n in nets
                      if n["plateau"] and n["plateau"]["loss_rms"] > 0]
    return {
        "tolerances": analyses[0].tolerances.to_json() if analyses else None,
        "summary": {
            "analysed": len(nets), "solved": summary["solved"],
            "generic": sum(n["generic"] for n in nets),
            "proved": sum(n["verdict"] == "proved" for n in nets),
            "refuted": sum(n["verdict"] == "refuted" for n in nets),
            "equations_hold": sum(bool(n["equations_hold"]) for n in nets),
            "median_plateau_ratio": statistics.median(plateau_ratios) if plateau_ratios else None,
        },
        "families": [{"family": k, "count": v} for k, v in sorted(families.items(), key=lambda x: -x[1])],
        "networks": nets,
        "best": {"index": best["index"], "family": best["family"], "weights": best["weights"],
                 "equations": sorted(best["equations"], key=lambda e: -e["bound"])[:8]} if best else None,
        "regime_map": {"labels": list(REGIME_STATES), "columns": columns, "rows": rows},
    }


def collect_invariants(ctx: Context) -> dict:
    """I1 on this configuration, small budgets in float64, as measured and decided by the
    registry (verify.invariants): (a) GD drift order and the Adam negative control,
    (b) reflection from symmetric filters, (c) FC constant-feature positions."""
    return ctx.claim("I1").evidence["invariants"]


def collect_landscape(ctx: Context) -> dict:
    """L1-L3: the registry's decisions, the critical families of the trained ensemble with their
    exact losses (every network assigned), the escape from the plateau, and the initial regime
    against the outcome."""
    from radiuscnn.numeric.model import init_params
    from radiuscnn.verify.landscape_report import report_data

    l1 = ctx.claim("L1")
    out: dict = {"l1": l1.to_json()}
    escape = l1.evidence.get("escape")
    if escape is not None:
        out["escape"] = escape.to_json()
    if ctx.trained is None:
        raise Skipped("no trained networks (training did not run)")
    l2, l3 = ctx.claim("L2"), ctx.claim("L3")
    if l2.status == "not_applicable":
        raise NotApplicable(l2.reason)
    init = init_params(ctx.cfg, ctx.tcfg.seeds, ctx.tcfg.seed, ctx.tcfg.torch_dtype)
    data = report_data(ctx.cfg, ctx.tcfg.amplitudes, l2.evidence["landscapes"], ctx.analyses, init)
    out.update({"l2": l2.to_json(), "l3": l3.to_json(), **data})
    out["networks"] = sorted(out["networks"], key=lambda n: n["index"])
    from radiuscnn.verify.atlas import default_grid
    from radiuscnn.verify.landscape_report import atlas_verdicts

    out["atlas"] = atlas_verdicts(*(ctx.atlas_grid if ctx.atlas_grid is not None else default_grid()))
    return out
