"""Measures and decisions of the loss-landscape claims L1-L3 (theory/THEORY.md section 5).

Same shape as :mod:`radiuscnn.verify.registry.exact`: ``measure_X(claim, inputs) -> (numbers,
sample, evidence)`` and a pure ``decide_X(numbers, tolerances) -> (status, reason)``.

- L1 (exact): on the training grid, the linear-plateau loss ``L_plateau*`` (exact rational)
  agrees with an independent float64 least-squares fit of ``r`` on ``(1, a phi_t(r))`` and, in
  the bulk, with the SymPy formula; the dead loss is the population variance of the radii;
  on a bulk configuration with two channels the plateau valley reaches a regime boundary from
  which an exact descent direction lowers the loss.
- L2 (exact per network, on a trained ensemble): every network's certificate
  (``verify.landscape.certify``); at least ``min_assigned`` of them get a verdict other than
  ``descending``.
- L3 (tested): channels dead at initialisation stay dead with unchanged weights; the initial
  regime predicts the plateau better than chance (rates printed).
"""

from __future__ import annotations

from fractions import Fraction

from radiuscnn.verify.registry.types import Inputs, MissingInput, not_applicable

SCOPE = "a claim of the 1D GAP network with a piecewise-linear activation"


def _applies(cfg) -> bool:
    from radiuscnn.verify.landscape import applicable

    return applicable(cfg)


def _trained(inputs: Inputs, claim: str):
    if inputs.params is None or inputs.tcfg is None:
        raise MissingInput(f"{claim} needs a trained ensemble and its training configuration")
    return inputs.params, inputs.tcfg


# ---------------------------------------------------------------------------------------- L1
def measure_l1(claim, inputs: Inputs):
    import statistics

    import numpy as np

    from radiuscnn.theory.landscape import amplitude_grid
    from radiuscnn.theory.plateau import dead_loss, in_bulk, phi, plateau_escape, plateau_formula_value, plateau_loss

    cfg = inputs.cfg
    if not _applies(cfg):
        return not_applicable(SCOPE)
    n = inputs.tcfg.amplitudes if inputs.tcfg is not None else claim.sample["amplitudes"]
    amps = amplitude_grid(cfg, n)
    plateau, dead = plateau_loss(cfg, n), dead_loss(cfg, n)
    rows = np.array([[1.0] + [float(a) * phi(cfg, t, r) for t in cfg.offsets] for r in cfg.radii for a in amps])
    y = np.array([float(r) for r in cfg.radii for _ in amps])
    coef, *_ = np.linalg.lstsq(rows, y, rcond=None)
    fit = float(np.mean((rows @ coef - y) ** 2))
    numbers = {
        "plateau_loss": str(plateau), "plateau_float": float(plateau), "plateau_lstsq": fit,
        "plateau_formula_agrees": plateau_formula_value(cfg, n) == plateau if in_bulk(cfg) else None,
        "dead_loss": str(dead), "dead_is_variance": dead == statistics.pvariance([Fraction(r) for r in cfg.radii]),
    }
    evidence = {"plateau": plateau, "dead": dead}
    if in_bulk(cfg) and cfg.channels >= 2 and cfg.activation == "relu":
        from radiuscnn.theory.activations import piecewise_linear
        from radiuscnn.theory.landscape import grid_loss

        esc = plateau_escape(cfg, n)
        after = grid_loss(cfg, piecewise_linear("relu"), esc.along(esc.best_step), amps)
        numbers.update({"escape_slope": str(esc.slope), "escape_loss": str(after),
                        "escape_lowers": esc.slope < 0 and after < plateau})
        evidence["escape"] = esc
    return numbers, {"amplitudes": n, "radii": len(cfg.radii)}, evidence


def decide_l1(numbers, tolerances):
    rel = abs(numbers["plateau_float"] - numbers["plateau_lstsq"]) / max(1.0, numbers["plateau_lstsq"])
    if rel > tolerances["lstsq_rel"]:
        return "failed", f"L_plateau* = {numbers['plateau_loss']} differs from the float fit by {rel:.3g} relative"
    if numbers.get("plateau_formula_agrees") is False:
        return "failed", "the exact plateau loss differs from the SymPy formula"
    if not numbers["dead_is_variance"]:
        return "failed", "the dead loss is not Var(r)"
    if numbers.get("escape_lowers") is False:
        return "failed", "the derived direction from the plateau boundary does not lower the loss"
    escape = f"; exact descent from the boundary to {numbers['escape_loss']}" if "escape_loss" in numbers else ""
    return "proved", (f"plateau loss {numbers['plateau_loss']}, dead loss {numbers['dead_loss']} = Var(r)"
                      f"{escape}")


# ---------------------------------------------------------------------------------------- L2
def measure_l2(claim, inputs: Inputs):
    from radiuscnn.verify.landscape import certify_ensemble, verdict_summary

    cfg = inputs.cfg
    if not _applies(cfg):
        return not_applicable(SCOPE)
    params, tcfg = _trained(inputs, "L2")
    lands = certify_ensemble(cfg, params, tcfg.amplitudes, tcfg.tolerance)
    summary = verdict_summary(lands)
    numbers = {**{v.replace(" ", "_"): n for v, n in summary.pop("verdicts").items()}, **summary}
    return numbers, {"members": len(lands), "amplitudes": tcfg.amplitudes}, {"landscapes": lands}


def decide_l2(numbers, tolerances):
    if not numbers["local_minima_inside_regime"]:
        return "failed", "a local-minimum certificate has its point outside the open regime"
    if not numbers["networks"]:
        return "failed", "no networks to certify"
    if numbers["assigned_fraction"] < tolerances["min_assigned"]:
        return "failed", (f"only {numbers['assigned_fraction']:.1%} of the networks sit at a certified critical "
                          f"point or boundary (need {tolerances['min_assigned']:.0%})")
    return "proved", (f"{numbers['global_minimum']} global, {numbers['local_minimum']} local minima, "
                      f"{numbers['regime_boundary']} at a boundary, {numbers['descending']} descending")


# ---------------------------------------------------------------------------------------- L3
def measure_l3(claim, inputs: Inputs):
    import torch

    from radiuscnn.numeric.model import init_params
    from radiuscnn.verify.landscape_report import initial_regime_outcome

    cfg = inputs.cfg
    if not _applies(cfg):
        return not_applicable(SCOPE)
    params, tcfg = _trained(inputs, "L3")
    lands = inputs.landscapes
    if lands is None:
        from radiuscnn.verify.landscape import certify_ensemble

        lands = certify_ensemble(cfg, params, tcfg.amplitudes, tcfg.tolerance)
    init = init_params(cfg, tcfg.seeds, tcfg.seed, tcfg.torch_dtype)
    out = initial_regime_outcome(cfg, tcfg.amplitudes, init, lands)
    unchanged = all(torch.equal(params[k][e, c], init[k][e, c]) for e, c in out["dead_at_init"] for k in ("w", "b", "v"))
    rates = out["rates"]
    stall = {p: r["stall_rate"] for p, r in rates.items()}
    numbers = {"dead_at_init": len(out["dead_at_init"]), "dead_unchanged": unchanged,
               "predicted_stall": rates["plateau/dead"]["networks"], "observed_stall_rate": stall["plateau/dead"],
               "predicted_solve": rates["solves"]["networks"], "stall_rate_when_solve_predicted": stall["solves"]}
    return numbers, {"members": len(lands)}, {"outcome": out}


def decide_l3(numbers, tolerances):
    if not numbers["dead_unchanged"]:
        return "failed", "a channel dead at initialisation moved during training"
    if numbers["predicted_stall"] and numbers["observed_stall_rate"] <= numbers["stall_rate_when_solve_predicted"]:
        return "failed", "the initial regime does not predict the plateau"
    return "tested", (f"{numbers['dead_at_init']} dead-at-init channels unchanged; predicted stalls observed in "
                      f"{numbers['observed_stall_rate']:.0%} vs {numbers['stall_rate_when_solve_predicted']:.0%} "
                      "otherwise")
