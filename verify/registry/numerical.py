"""Measures and decisions of the claims tested numerically: R1 (on trained networks), I1, T1.

Same shape as :mod:`radiuscnn.verify.registry.exact`: ``measure_X(claim, inputs) -> (numbers,
sample, evidence)`` and a pure ``decide_X(numbers, tolerances) -> (status, reason)``.
"""

from __future__ import annotations

import statistics

from radiuscnn.verify.registry.types import Inputs, MissingInput, not_applicable

ONE_D = "a 1D claim; the configuration is 2D"


def _need(inputs: Inputs, what: str, claim: str):
    value = getattr(inputs, what)
    if value is None:
        raise MissingInput(f"{claim} needs {what} (a trained ensemble and its training configuration)")
    return value


# ---------------------------------------------------------------------------------------- R1
def measure_r1(claim, inputs: Inputs):
    """The run decomposition ``y = beta + (1/|I|) sum_c v_c sum_J n_J(r) sigma(a W_c[J] + b_c)``
    (``theory.network.output``, exact rationals for piecewise-linear ``sigma``) against the
    PyTorch forward pass (``numeric.model.forward``, float64) for the first ``members``
    trained networks on every training sample ``(r, a)``; plus the exact count identity
    ``sum_J n_J(r) = |I|`` for every radius."""
    import torch

    from radiuscnn.numeric.data import make_dataset
    from radiuscnn.numeric.model import forward, to_exact
    from radiuscnn.theory.activations import piecewise_linear, sympy_activation
    from radiuscnn.theory.network import output
    from radiuscnn.theory.runs import run_counts

    cfg = inputs.cfg
    if cfg.dim != 1:
        return not_applicable(ONE_D)
    params, tcfg = _need(inputs, "params", "R1"), _need(inputs, "tcfg", "R1")
    sums_ok = all(sum(run_counts(cfg, r).values()) == cfg.out_size for r in cfg.radii)
    data = make_dataset(cfg, tcfg.amplitudes, torch.float64)
    params64 = {k: v.detach().to(torch.float64) for k, v in params.items()}
    members = list(range(min(claim.sample["members"], params64["w"].shape[0])))
    y_torch = forward(cfg, {k: v[members] for k, v in params64.items()}, data.x).output
    act = piecewise_linear(cfg.activation, cfg.alpha)
    exact = act is not None
    if act is None:  # analytic sigma: the decomposition in floating point through SymPy's form
        import sympy as sp

        z = sp.Symbol("z")
        f = sp.lambdify(z, sympy_activation(cfg.activation, cfg.alpha)(z), "math")
        act = lambda x: f(float(x))  # noqa: E731
    worst = 0.0
    for j, e in enumerate(members):
        p = to_exact(cfg, params64, e)
        for b, (r, a) in enumerate(data.samples):
            y = output(cfg, p, r, a if exact else float(a), act)
            worst = max(worst, abs(float(y) - float(y_torch[j, b])))
    numbers = {"max_abs_diff": worst, "exact": exact, "column_sums_equal_out_size": sums_ok}
    sample = {"networks": len(members), "samples": len(data.samples), "evaluations": len(members) * len(data.samples)}
    return numbers, sample, {}


def decide_r1(n, tol):
    if not n["column_sums_equal_out_size"]:
        return "failed", "the run counts of a radius do not sum to |I|"
    if not n["max_abs_diff"] <= tol["max_abs_diff"]:
        return "failed", f"decomposition and forward pass differ by {n['max_abs_diff']:.3g}"
    return "tested", "decomposition equals the float64 forward pass"


# ---------------------------------------------------------------------------------------- I1
def measure_i1(claim, inputs: Inputs):
    """``verify.invariants`` on small float64 budgets: (a) the GD drift of the balancedness
    ``q_c = ||w_c||^2 + b_c^2 - v_c^2`` has per-step order ``eta^2`` (Adam's, the negative
    control, order ``eta``); (b) symmetric filters stay symmetric; (c) FC weights of positions
    that never see the pulse keep their initial differences."""
    from radiuscnn.verify import invariants as inv

    cfg = inputs.cfg
    if cfg.dim != 1:
        return not_applicable(ONE_D)
    tcfg, s, tol = _need(inputs, "tcfg", "I1"), claim.sample, claim.tolerances
    base = tcfg.with_(seeds=min(tcfg.seeds, s["members"]), dtype="float64", amplitudes=s["amplitudes"], optimizer="gd")
    band = tol["gd_exponent_band"]
    out: dict = {"members": base.seeds, "budget_note": "small budgets: members x steps in float64"}
    numbers: dict = {"gd_exponent": None, "adam_exponent": None, "symmetry": None, "offsets": None,
                     "as_predicted": []}
    if cfg.activation in inv.HOMOGENEOUS:
        gd = inv.drift_study(cfg, base, s["lrs"], flow_time=s["flow_time"])
        adam = inv.drift_study(cfg, base.with_(optimizer="adam"), s["lrs"], flow_time=s["flow_time"])
        out["a"] = {"gd": gd.to_json(), "adam": adam.to_json(), "exponent_band": list(band),
                    "adam_below": tol["adam_exponent_below"],
                    "conserved": band[0] <= gd.exponent <= band[1],
                    "adam_breaks": adam.exponent < tol["adam_exponent_below"]}
        numbers.update(gd_exponent=gd.exponent, adam_exponent=adam.exponent)
    else:
        out["a"] = {"not_applicable": f"{cfg.activation} is not positively homogeneous"}
    if cfg.kernel % 2 == 1:
        sym = inv.symmetry_check(cfg, base.with_(optimizer="adam", lr=0.01, steps=s["steps"]), tol["symmetry"])
        out["b"] = sym.to_json()
        numbers["symmetry"] = sym.value
        numbers["as_predicted"].append(sym.as_predicted)
    else:
        out["b"] = {"not_applicable": "even k: the padding is not symmetric"}
    try:
        fc = cfg.with_(head="fc")
        if len(inv.constant_positions(fc)) < 2:
            raise ValueError("fewer than two positions never see the pulse")
        chk = inv.fc_offset_check(fc, base.with_(optimizer="adam", lr=0.01, steps=s["steps"]), tol["offsets"])
        out["c"] = chk.to_json()
        out["c"]["positions"] = len(inv.constant_positions(fc))
        numbers["offsets"] = chk.value
        numbers["as_predicted"].append(chk.as_predicted)
    except ValueError as why:
        out["c"] = {"not_applicable": str(why)}
    return numbers, {"members": base.seeds, "dtype": "float64", "amplitudes": base.amplitudes,
                     "lrs": list(s["lrs"]), "steps": s["steps"]}, {"invariants": out}


def decide_i1(n, tol):
    lo, hi = tol["gd_exponent_band"]
    if n["gd_exponent"] is not None and not lo <= n["gd_exponent"] <= hi:
        return "failed", f"GD drift order {n['gd_exponent']:.3g} outside [{lo}, {hi}]"
    if n["adam_exponent"] is not None and not n["adam_exponent"] < tol["adam_exponent_below"]:
        return "failed", f"Adam drift order {n['adam_exponent']:.3g} not below {tol['adam_exponent_below']}"
    if not all(n["as_predicted"]):
        return "failed", "a reflection or FC-offset invariant is broken"
    return "tested", "every applicable invariant holds within its tolerance"


# ---------------------------------------------------------------------------------------- T1
def measure_t1(claim, inputs: Inputs):
    """``verify.analysis`` on every trained network (best loss first): regime, section-5
    equations and residuals, family, weight roles and the exact verdict over ``R x A``."""
    import math

    from radiuscnn.verify.analysis import analyse_ensemble

    cfg = inputs.cfg
    if cfg.dim != 1:
        return not_applicable(ONE_D)
    tcfg = _need(inputs, "tcfg", "T1")
    analyses = inputs.analyses
    if analyses is None:
        params = _need(inputs, "params", "T1")
        from radiuscnn.verify.analysis import Tolerances

        analyses = analyse_ensemble(cfg, params, tcfg.amplitudes, Tolerances(loss=tcfg.tolerance))
    solved = [a for a in analyses if a.solved]
    bad = [a.index for a in solved if not (a.equations_hold and a.verdict.status == "proved")]
    numbers = {"analysed": len(analyses), "solved": len(solved), "solved_not_certified": len(bad),
               "proved": sum(a.verdict.status == "proved" for a in analyses),
               "largest_solved_residual": max((a.max_residual for a in solved
                                               if a.max_residual is not None and math.isfinite(a.max_residual)),
                                              default=None)}
    sample = {"members": len(analyses), "steps": tcfg.steps, "amplitudes": tcfg.amplitudes}
    if solved:
        sample["median_solved_loss"] = statistics.median(a.loss for a in solved)
    return numbers, sample, {"analyses": tuple(analyses), "uncertified": bad}


def decide_t1(n, tol):
    if n["solved_not_certified"]:
        return "failed", f"{n['solved_not_certified']} solved networks fail their equations or exact verdict"
    return "tested", f"all {n['solved']} solved networks certified"
