"""The report's collectors: one function per stage, each returning plain JSON data.

A collector reads the engine (``theory``), the trainer (``numeric``) and the checks
(``verify``) for one configuration and returns data for ``results.json``; it never formats
LaTeX prose (that is :mod:`reports.sections`). A collector whose module is missing raises
:class:`Unavailable`, one whose claim says nothing about the configuration raises
:class:`NotApplicable`; :class:`Context` turns both, and any other error, into a status so one
broken module never prevents the rest of the report. Orchestration is :mod:`reports.build`.
"""

from __future__ import annotations

import importlib
import importlib.util
import math
import statistics
import time
import traceback
from fractions import Fraction
from pathlib import Path
from typing import Any, Callable


R1_TOLERANCE = 1e-9  # |exact decomposition - float64 forward| allowed (float64 rounding)
EXAMPLE_LINE_CHARS = 140  # LaTeX source characters per line of the expanded y(r, a)
F2_KERNELS = 9  # F2 table: k = 1..F2_KERNELS (and k = N, N+1 when larger)


class _Stages:
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




def _module(name: str):
    """The module ``name`` when it exists in this build, else ``None`` (an existing module that
    fails to import raises: that is a bug to report, not a missing feature)."""
    try:
        if importlib.util.find_spec(name) is None:
            return None
    except ModuleNotFoundError:
        return None
    return importlib.import_module(name)


class Unavailable(Exception):
    """Raised by a collector whose inputs are not in this build."""


class NotApplicable(Exception):
    """Raised by a collector whose claim says nothing about this configuration."""


def _need(name: str):
    mod = _module(name)
    if mod is None:
        raise Unavailable(f"module {name} is not available in this build")
    return mod


def _need_attr(module_name: str, *names: str):
    mod = _need(module_name)
    for n in names:
        if hasattr(mod, n):
            return getattr(mod, n)
    raise Unavailable(f"{module_name} has no {' / '.join(names)} in this build")


def _q(x) -> str:
    """An exact number as a JSON string (``Fraction``/SymPy rational/int)."""
    if x is None:
        return None
    if hasattr(x, "p") and hasattr(x, "q"):
        return str(Fraction(int(x.p), int(x.q)))
    return str(Fraction(x)) if not isinstance(x, float) else repr(x)


def _tex(expr) -> str:
    """SymPy's LaTeX for a SymPy object (or anything sympify accepts)."""
    import sympy as sp

    return sp.latex(expr if isinstance(expr, sp.Basic) else sp.sympify(expr))


def _jsonable(value):
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


# --------------------------------------------------------------------------------- collectors
class Context:
    """What the collectors share: configurations, the trained ensemble (not JSON), results."""

    def __init__(self, cfg, tcfg, stages: _Stages):
        self.cfg = cfg
        self.tcfg = tcfg
        self.stages = stages
        self.results: dict[str, Any] = {}
        self.trained = None  # numeric.ensemble.TrainResult
        self.sections: dict[str, dict] = {}
        self.timing: dict[str, float] = {}
        self.cfg2 = None  # the 2D configuration of the D1 section
        self.atlas_grid = None  # (base, tcfg, axes) of the success atlas; None: verify.atlas.default_grid()

    def collect(self, name: str, fn: Callable[["Context"], dict | None], applies: bool = True,
                why_not: str = "") -> None:
        start = time.perf_counter()
        if not applies:
            self.sections[name] = {"status": "not_applicable", "reason": why_not}
            self.results[name] = None
        else:
            try:
                self.results[name] = _jsonable(fn(self))
                self.sections[name] = {"status": "ok", "reason": ""}
            except Unavailable as missing:
                self.results[name] = None
                self.sections[name] = {"status": "unavailable", "reason": str(missing)}
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


def _run_label(run, cfg=None) -> dict:
    run = list(run)
    contiguous = bool(run) and run == list(range(run[0], run[-1] + 1))
    out = {"offsets": run, "contiguous": contiguous, "length": len(run)}
    if cfg is not None:
        members = set(run)
        out["pattern"] = "".join("1" if t in members else "0" for t in cfg.offsets)
    return out


def collect_runs(ctx: Context) -> dict:
    """R1 (finite form): the runs of the data and their counts n_J(r), from theory.runs."""
    from radiuscnn.theory.runs import run_counts, runs_in_data

    cfg = ctx.cfg
    runs = runs_in_data(cfg)
    table = [[run_counts(cfg, r).get(run, 0) for r in cfg.radii] for run in runs]
    out = {
        "radii": list(cfg.radii),
        "runs": [_run_label(run, cfg) for run in runs],
        "counts": table,
        "n_runs": len(runs),
        "out_size": cfg.out_size,
        "column_sums_equal_out_size": all(sum(col) == cfg.out_size for col in zip(*table)),
    }
    out["decomposition"] = _decomposition_latex(cfg)
    return out


def _decomposition_latex(cfg) -> dict:
    """The GAP/FC output through runs, as SymPy objects: the general formula (abstract sums)
    and y(r, a) of one bulk radius with the configuration's counts, both via sympy.latex."""
    import sympy as sp

    from radiuscnn.theory.activations import sympy_activation
    from radiuscnn.theory.runs import run_counts

    symbolic = _module("radiuscnn.theory.symbolic")
    out = {"source": "radiuscnn.theory.symbolic.unit" if symbolic is not None else "radiuscnn.theory.regimes symbols"}
    # the general identity (GAP head), as a SymPy equation: m distinct runs J_1..J_m
    a, beta = sp.symbols("a beta", real=True)
    r = sp.Symbol("r", integer=True, nonnegative=True)
    c, j = sp.symbols("c j", integer=True)
    C = sp.Symbol("C", integer=True, positive=True)
    m = sp.Symbol("m", integer=True, positive=True)
    I = sp.Symbol("|I|", positive=True)  # noqa: E741
    sigma, n_j = sp.Function("sigma"), sp.Function("n_{J_j}")
    Jj = sp.Symbol("J_j")
    inner = sp.Sum(n_j(r) * sigma(a * sp.Indexed("W", c, Jj) + sp.Indexed("b", c)), (j, 1, m))
    general = sp.Eq(sp.Symbol("y(r, a)"), beta + sp.Sum(sp.Indexed("v", c) * inner / I, (c, 1, C)))
    out["general"] = sp.latex(general)
    # y(r, a) at one radius for this configuration: counts inserted, symbolic weights
    try:
        r0 = cfg.radii[len(cfg.radii) // 2]
        if cfg.head == "gap":
            if symbolic is not None:  # the verifier's own symbols and activation terms
                sym = symbolic.network_symbols(cfg)
                v, beta = sym.v, sym.beta

                def term(ch, run):
                    return symbolic.unit(cfg, ch, run)
            else:
                from radiuscnn.theory.regimes import network_symbols, symbolic_run_sum

                sym = network_symbols(cfg, cfg.channels)
                v, beta = sym.v, sym.beta
                act = sympy_activation(cfg.activation, cfg.alpha)

                def term(ch, run):
                    return act(a * symbolic_run_sum(sym, cfg, ch, run) + sym.b[ch])

            expr = beta
            lines = [rf"y({r0}, a) &= {sp.latex(beta)}"]
            for ch in range(cfg.channels):
                terms = []
                inner = sp.Integer(0)
                for run, count in sorted(run_counts(cfg, r0).items(), key=lambda x: (len(x[0]), x[0])):
                    t = term(ch, run)
                    inner += count * t
                    terms.append((f"{count} " if count != 1 else "") + sp.latex(t))
                expr += v[ch] * inner / cfg.out_size
                head = rf"+ \frac{{{sp.latex(v[ch])}}}{{{cfg.out_size}}}\bigl["
                chunks, current = [], []
                for t in terms:  # greedy: about one line width of LaTeX source per line
                    if current and sum(len(x) for x in current) + len(t) > EXAMPLE_LINE_CHARS:
                        chunks.append(current)
                        current = []
                    current.append(t)
                chunks.append(current)
                for j, chunk in enumerate(chunks):
                    lead = head if j == 0 else "+ "
                    tail = r"\bigr]" if j == len(chunks) - 1 else ""
                    lines.append(("&\\quad " if j == 0 else "&\\qquad ") + lead + " + ".join(chunk) + tail)
            if symbolic is not None:
                difference = sp.expand(expr - symbolic.output_expr(cfg, r0))
                out["example_matches_engine"] = difference == 0
            out["example_radius"] = r0
            out["example_lines"] = lines
    except Exception as error:  # noqa: BLE001
        out["example_error"] = f"{type(error).__name__}: {error}"
    return out


def collect_derivation(ctx: Context) -> dict:
    """F1/F2 (and the engine's own LaTeX) from theory.derive."""
    derive = _need_attr("radiuscnn.theory.derive", "derive")
    d = derive(ctx.cfg)
    data = d.to_json() if hasattr(d, "to_json") else {}
    tex = {}
    if hasattr(d, "latex"):
        tex = {str(k): str(v) for k, v in d.latex().items()}
    data.pop("config", None)
    return {"json": data, "latex": tex}


def collect_f2(ctx: Context) -> dict:
    """F2: number of distinct runs (theory.runs) and the exact rank of the fixed-amplitude
    system (theory.constraints) for k = 1..F2_KERNELS and k >= N, every padding, this N, R."""
    from radiuscnn.theory.config import ConfigError
    from radiuscnn.theory.runs import runs_in_data

    cfg = ctx.cfg
    constraints = _module("radiuscnn.theory.constraints")
    kernels = sorted(set(range(1, F2_KERNELS + 1)) | {cfg.size, cfg.size + 1})
    rows = []
    for k in kernels:
        row = {"kernel": k}
        for padding in ("zeros", "valid", "circular"):
            try:
                c = cfg.with_(kernel=k, padding=padding)
            except ConfigError:
                row[padding] = None
                continue
            entry = {"n_runs": len(runs_in_data(c))}
            if constraints is not None:
                entry["rank"] = constraints.rank(constraints.linear_system(c))
            row[padding] = entry
        rows.append(row)
    return {"rows": rows, "rank_source": "radiuscnn.theory.constraints" if constraints else None,
            "unknowns_note": "unknowns: one g_J per run plus beta"}


def collect_a1(ctx: Context) -> dict:
    """A1: the background counter, its proof, reduced supports, and the closed form in M, k."""
    counter = _need("radiuscnn.theory.counter")
    cfg = ctx.cfg
    bc = counter.background_counter(cfg)
    out = {
        **bc.to_json(),
        "counts": list(bc.counts),
        "reason": bc.reason,
        "out_size": bc.cfg.out_size,
        "M": cfg.M,
        "proof_exact": None if bc.proof_exact is None else bc.proof_exact.to_json(),
        "proof_next": None if bc.proof_next is None else bc.proof_next.to_json(),
        "past": [[r, str(e)] for r, e in bc.past],
    }
    if bc.params is not None:
        p = bc.params
        out["params"] = {"w": [[str(x) for x in row] for row in p.w], "b": [str(x) for x in p.b],
                         "v": [str(x) for x in p.v], "beta": str(p.beta)}
    # on the configuration's own radii (possibly with a reduced support)
    try:
        fr = counter.counter_for_radii(cfg)
        out["for_radii"] = None if fr is None else {
            "support": list(fr.support), "beta": _q(fr.beta), "vb": _q(fr.vb),
            "proof": fr.proof_exact.to_json() if fr.proof_exact is not None else None,
        }
    except Exception as error:  # noqa: BLE001
        out["for_radii_error"] = f"{type(error).__name__}: {error}"
    try:
        out["supports"] = [
            {"support": list(s.support), "beta": _q(s.beta), "vb": _q(s.vb), "r_max": s.r_max}
            for s in counter.reduced_support_counters(cfg)
        ]
    except Exception as error:  # noqa: BLE001
        out["supports_error"] = f"{type(error).__name__}: {error}"
    if cfg.padding in ("zeros", "valid"):
        parity = "odd" if cfg.kernel % 2 else "even"
        sym = counter.symbolic_background_counter(cfg.padding, parity)
        out["symbolic"] = {
            "padding": cfg.padding,
            "parity": parity,
            **{name: _tex(getattr(sym, name)) for name in ("n_empty", "beta", "vb", "r_max", "past_error", "condition")},
            "j": _tex(sym.j),
            "steps": list(sym.steps),
        }
        agreement = counter.symbolic_agreement(cfg)
        out["agreement"] = {"ok": agreement.ok, "closed_form_applies": agreement.closed_form_applies}
    return out


def collect_a2(ctx: Context) -> dict:
    """A2: the case analysis of theory.structure (equations via sympy.latex), and the A1
    counter checked against its conclusions."""
    structure = _need("radiuscnn.theory.structure")
    d = structure.derive_structure(ctx.cfg)
    out = {
        "applies": d.applies,
        "reason": d.reason,
        "pairs": list(d.pairs),
        "delta_counts": d.delta_counts,
        "slope_diff": None if d.slope_diff is None else _tex(d.slope_diff),
        "value_diff": None if d.value_diff is None else _tex(d.value_diff),
        "alive_count": None if d.alive_count is None else _tex(d.alive_count),
        "vb": _q(d.vb),
        "conclusions": list(d.conclusions),
        "cases": [
            {"assumptions": list(c.assumptions), "equations": list(c.equations), "outcome": c.outcome,
             "reason": c.reason, "conclusions": list(c.conclusions)}
            for c in (*d.preliminary, *d.cases)
        ],
        "survivors": len(d.survivors),
    }
    counter = _module("radiuscnn.theory.counter")
    if d.applies and counter is not None:
        bc = counter.background_counter(ctx.cfg)
        if bc.params is not None and max(ctx.cfg.radii) <= bc.r_max:
            chk = structure.check_structure(ctx.cfg, bc.params)
            out["a1_counter_check"] = {"ok": chk.ok, "violations": list(chk.violations),
                                       "proof": chk.proof.status}
    return out


def collect_a3(ctx: Context) -> dict:
    """A3: impossibility for every analytic activation (the a = 0 step checked by SymPy) and
    the loss -> 0 sequences with diverging norms (mpmath, 50 digits)."""
    import mpmath as mp
    import sympy as sp

    analytic = _need("radiuscnn.theory.analytic")
    cfg = ctx.cfg
    z = sp.Symbol("z", real=True)
    rows = []
    for name in analytic.ANALYTIC_ACTIVATIONS:
        imp = analytic.impossibility(cfg, name)
        row = {"activation": name, "sigma": _tex(analytic.sympy_form(name)(z)), "applies": imp.applies,
               "proved": imp.proved, "steps": list(imp.steps), "heads": {}}
        for chk in imp.checks:
            r0 = cfg.radii[0]
            entry = {"independent": chk.independent}
            if chk.head == "gap":
                entry["y0"] = _tex(chk.outputs[r0])
            row["heads"][chk.head] = entry
        rows.append(row)
    sequences = []
    for name in analytic.LIMITS:
        seq = analytic.loss_sequence(cfg, name)
        if seq is None:
            sequences.append({"activation": name, "available": False})
            continue
        sequences.append({
            "activation": name, "available": True, "limit": seq.limit, "scaling": seq.scaling,
            "margin": seq.margin, "support": list(seq.support), "limit_exact": seq.limit_exact,
            "strictly_decreasing": seq.strictly_decreasing,
            "digits": list(getattr(seq, "digits", ())) or [getattr(seq, "dps", None)],
            "min_digits": min(x for x in (list(getattr(seq, "digits", ())) or [getattr(seq, "dps", 50)]) if x),
            "rows": [[lam, mp.nstr(norm, 6), mp.nstr(loss, 4)] for lam, norm, loss in seq.rows],
        })
    applying = [r for r in rows if r["applies"]]
    return {"activations": rows, "sequences": sequences, "applies": bool(applying),
            "proved": bool(applying) and all(r["proved"] for r in applying)}


def collect_a4(ctx: Context) -> dict:
    """A4: minimal width per activation, with the construction (phi via sympy.latex), its
    exact proof and the one-channel lower-bound derivation."""
    import sympy as sp

    width = _need("radiuscnn.theory.width")
    from radiuscnn.theory.activations import sympy_activation

    cfg = ctx.cfg
    if cfg.fixed_amplitude:
        raise NotApplicable("A4 concerns an amplitude interval; this configuration has a fixed amplitude")
    z = sp.Symbol("z", real=True)
    out = {}
    for name, d in width.min_width_details(cfg).items():
        entry = {"min_channels": d.min_channels, "status": d.status, "reason": d.reason}
        comb = d.construction
        if comb is not None:
            sig = sympy_activation(name, cfg.alpha)
            phi = sig(z) if comb.c == 0 else sig(z) + sp.Rational(comb.c) * sig(comb.s * z + sp.Rational(comb.mu))
            entry["construction"] = {"describe": comb.describe(), "channels": comb.channels,
                                     "phi": _tex(sp.Eq(sp.Symbol(r"\varphi(z)"), phi, evaluate=False))}
        if d.verdict is not None:
            entry["verdict"] = d.verdict.to_json()
        if d.lower_bound is not None:
            lb = d.lower_bound
            entry["lower_bound"] = {"applies": lb.applies, "one_channel_impossible": lb.one_channel_impossible,
                                    "steps": list(lb.steps), "reason": lb.reason}
        out[name] = entry
    return {"min_channels": {k: v["min_channels"] for k, v in out.items()}, "details": out}


# -------------------------------------------------------------------------------- training
def _torch():
    import torch

    return torch


def _balancedness_record(cfg):
    """I1(a) recorder: ``||w_c||^2 + b_c^2 - v_c^2`` (GAP) or ``- ||V_c||^2`` (FC) per channel."""
    torch = _torch()

    def record(step, params):
        w = params["w"].flatten(2)
        head = params["v"] ** 2 if cfg.head == "gap" else params["V"].flatten(2).pow(2).sum(-1)
        return {"balance": (w.pow(2).sum(-1) + params["b"] ** 2 - head).to(torch.float64)}

    return record


def collect_training(ctx: Context) -> dict:
    ensemble = _need("radiuscnn.numeric.ensemble")
    cfg, tcfg = ctx.cfg, ctx.tcfg
    callback = ctx.stages.training(tcfg.steps, tcfg.seeds)
    try:
        result = ensemble.train(cfg, tcfg, progress=callback, record=_balancedness_record(cfg))
    finally:
        ctx.stages.training_done()
    ctx.trained = result
    torch = _torch()
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
    """R1 on trained networks: the exact rational run decomposition (theory.network.output)
    against the PyTorch forward pass (numeric.model.forward, float64) on every training sample."""
    if ctx.trained is None:
        raise Unavailable("no trained networks (training unavailable)")
    torch = _torch()
    from radiuscnn.numeric.data import make_dataset
    from radiuscnn.numeric.model import forward, to_exact
    from radiuscnn.theory.activations import piecewise_linear, sympy_activation
    from radiuscnn.theory.network import output

    cfg, tcfg = ctx.cfg, ctx.tcfg
    data = make_dataset(cfg, tcfg.amplitudes, torch.float64)
    params64 = {k: v.detach().to(torch.float64) for k, v in ctx.trained.params.items()}
    members = list(range(min(8, params64["w"].shape[0])))
    y_torch = forward(cfg, {k: v[members] for k, v in params64.items()}, data.x).output
    act = piecewise_linear(cfg.activation, cfg.alpha)
    exact = act is not None
    if act is None:  # analytic sigma: evaluate the decomposition in float through SymPy's form
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
    return {
        "networks": len(members),
        "samples": len(data.samples),
        "evaluations": len(members) * len(data.samples),
        "max_abs_diff": worst,
        "tolerance": R1_TOLERANCE,
        "ok": worst <= R1_TOLERANCE,
        "exact": exact,
    }


REGIME_STATES = ("killed", "alive", "saturated", "crossing")
I1_MEMBERS = 4  # I1 checks: members, float64, 5 amplitudes (as verify/test_i1.py)
I1_LRS = (0.01, 0.005, 0.0025)
I1_FLOW_TIME = 0.5
I1_STEPS = 100
GD_EXPONENT_BAND = (1.8, 2.2)  # I1a: fitted order of the GD drift per step (theory: 2), as verify/test_i1.py
ADAM_EXPONENT_BELOW = 1.5  # I1a negative control: Adam's drift per step is first order
SYMMETRY_TOL = 1e-10  # I1b: float64 rounding level
OFFSET_TOL = 1e-12  # I1c: float64 rounding level


def collect_networks(ctx: Context) -> dict:
    """T1: every trained network read by verify.analysis (regime, section-5 equations and
    residuals, weight roles, family, exact verdict), best networks first."""
    if ctx.trained is None:
        raise Unavailable("no trained networks (training unavailable)")
    analysis = _need("radiuscnn.verify.analysis")
    cfg, tcfg = ctx.cfg, ctx.tcfg
    training = ctx.results["training"]
    order = training["order"]
    analyses = analysis.analyse_ensemble(cfg, ctx.trained.params, tcfg.amplitudes, members=order)
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


def _run_text(run) -> str:
    run = list(run)
    if not run:
        return "{}"
    if run == list(range(run[0], run[-1] + 1)):
        return f"[{run[0]},{run[-1]}]"
    return "{" + ",".join(str(t) for t in run) + "}"


def collect_invariants(ctx: Context) -> dict:
    """I1 on this configuration, small budgets in float64 (verify.invariants): (a) GD drift
    order and the Adam negative control, (b) reflection from symmetric filters, (c) FC
    constant-feature positions."""
    inv = _need("radiuscnn.verify.invariants")
    cfg = ctx.cfg
    base = ctx.tcfg.with_(seeds=min(ctx.tcfg.seeds, I1_MEMBERS), dtype="float64", amplitudes=5, optimizer="gd")
    out: dict[str, Any] = {"members": base.seeds, "budget_note": "small budgets: members x steps in float64"}
    if cfg.activation in inv.HOMOGENEOUS:
        gd = inv.drift_study(cfg, base, I1_LRS, flow_time=I1_FLOW_TIME)
        adam = inv.drift_study(cfg, base.with_(optimizer="adam"), I1_LRS, flow_time=I1_FLOW_TIME)
        out["a"] = {"gd": gd.to_json(), "adam": adam.to_json(), "exponent_band": list(GD_EXPONENT_BAND),
                    "adam_below": ADAM_EXPONENT_BELOW,
                    "conserved": GD_EXPONENT_BAND[0] <= gd.exponent <= GD_EXPONENT_BAND[1],
                    "adam_breaks": adam.exponent < ADAM_EXPONENT_BELOW}
    else:
        out["a"] = {"not_applicable": f"{cfg.activation} is not positively homogeneous"}
    if cfg.kernel % 2 == 1:
        sym = inv.symmetry_check(cfg, base.with_(optimizer="adam", lr=0.01, steps=I1_STEPS), SYMMETRY_TOL)
        out["b"] = sym.to_json()
    else:
        out["b"] = {"not_applicable": "even k: the padding is not symmetric"}
    try:
        fc = cfg.with_(head="fc")
        if len(inv.constant_positions(fc)) < 2:
            raise ValueError("fewer than two positions never see the pulse")
        out["c"] = inv.fc_offset_check(fc, base.with_(optimizer="adam", lr=0.01, steps=I1_STEPS), OFFSET_TOL).to_json()
        out["c"]["positions"] = len(inv.constant_positions(fc))
    except ValueError as why:
        out["c"] = {"not_applicable": str(why)}
    return out


EXPLORE_MEMBERS = 16  # kernel sweep: members per kernel size (all training steps of the flags)


def collect_explore(ctx: Context) -> dict:
    """Issue 7, kernel sizes k = 1..F2_KERNELS with this configuration's padding: what the
    theory engine derives per k (theory.explore: runs, rank, A1 counter, A4 widths, edge-case
    flags) and what training finds per k (verify.explore_train: success, families, checks)."""
    explore = _need("radiuscnn.theory.explore")
    cfg = ctx.cfg
    rows = []
    for row in explore.kernel_rows(cfg, range(1, F2_KERNELS + 1), (cfg.padding,)):
        j = row.to_json()
        widths = j.get("min_channels") or {}
        rows.append({
            "kernel": j["kernel"], "padding": j["padding"], "valid": row.valid,
            "n_runs": j["n_runs"], "constraint_rank": j["constraint_rank"],
            "beta": j["beta"], "vb": j["vb"], "r_max": j["r_max"],
            "min_channels": widths.get(cfg.activation),
            "flags": [f["flag"] for f in j["flags"]],
            "flag_reasons": {f["flag"]: f["reason"] for f in j["flags"]},
        })
    out: dict[str, Any] = {"rows": rows, "activation": cfg.activation, "source": "radiuscnn.theory.explore.kernel_rows"}
    trainer = _module("radiuscnn.verify.explore_train")
    if trainer is None or not hasattr(trainer, "trained_columns"):
        out["sweep"] = {"status": "unavailable",
                        "reason": "radiuscnn.verify.explore_train.trained_columns is not available in this build"}
        return out
    tsweep = ctx.tcfg.with_(seeds=min(ctx.tcfg.seeds, EXPLORE_MEMBERS))
    out["sweep"] = {"status": "ok", "function": "radiuscnn.verify.explore_train.trained_columns",
                    "train_config": tsweep.to_json()}
    for row in rows:
        if not row["valid"]:
            continue
        ctx.stages.stage(f"kernel-size exploration: training k = {row['kernel']} ({tsweep.seeds} networks)")
        cols = trainer.trained_columns(cfg.with_(kernel=row["kernel"]), tsweep, threads=1).to_json()
        fam = cols.get("families")
        row.update(success_rate=cols["success_rate"], n_solved=cols.get("n_solved"),
                   n_certified=cols.get("n_certified"), checks_pass=cols.get("checks_pass"),
                   seeds=tsweep.seeds, families=fam if isinstance(fam, dict) else None)
    return out


ATLAS_PLATEAU_KINDS = ("mass", "constant", "amplitude")  # verify.atlas.plateau_kind: a true plateau


def collect_atlas(ctx: Context) -> dict:
    """T1 success atlas (``verify.atlas``): success rate over seeds per (k, C, sigma) on
    ``verify.atlas.default_grid()`` (or ``ctx.atlas_grid``: ``(base, tcfg, axes)`` in the same
    form), with the median plateau loss of each cell's failures and per-activation totals."""
    atlas_mod = _need("radiuscnn.verify.atlas")
    base, tcfg, axes = ctx.atlas_grid if ctx.atlas_grid is not None else atlas_mod.default_grid()
    total = len(axes["kernels"]) * len(axes["channels"]) * len(axes["activations"])
    done = [0]

    def progress(cell) -> None:
        done[0] += 1
        ctx.stages.stage(f"success atlas (T1): {done[0]}/{total} cells ({cell.activation} k={cell.kernel} "
                         f"C={cell.channels}: {cell.solved}/{cell.seeds})")

    atlas = atlas_mod.success_atlas(base, tcfg, axes["kernels"], axes["channels"], axes["activations"],
                                    progress=progress)
    out = atlas.to_json()
    out["grid_default"] = ctx.atlas_grid is None
    out["axes"] = {name: list(values) for name, values in axes.items()}
    by_activation: dict[str, dict] = {}
    for cell in out["cells"]:
        losses = [x for x in cell["failure_losses"] if isinstance(x, (int, float)) and math.isfinite(x)]
        cell["failures"] = cell["seeds"] - cell["solved"]
        cell["failure_median"] = statistics.median(losses) if losses else None
        plateaus = sum(n for kind, n in cell["plateau_kinds"].items() if kind in ATLAS_PLATEAU_KINDS)
        cell["plateau_failures"] = plateaus
        agg = by_activation.setdefault(cell["activation"], {"solved": 0, "seeds": 0, "failures": 0,
                                                            "plateau_failures": 0})
        agg["solved"] += cell["solved"]
        agg["seeds"] += cell["seeds"]
        agg["failures"] += cell["failures"]
        agg["plateau_failures"] += plateaus
    for agg in by_activation.values():
        agg["success_rate"] = agg["solved"] / agg["seeds"] if agg["seeds"] else None
    out["by_activation"] = by_activation
    out["seconds"] = sum(c["seconds"] for c in out["cells"])
    return out


D1_MEMBERS = 8  # D1 trained comparison: members and steps (capped by the training flags)
D1_STEPS = 300


def collect_d1(ctx: Context) -> dict:
    """D1 on the 2D configuration: GAP error floor and FC ring law (theory.disk, exact), and
    trained 2D networks compared with them (verify.trained_2d, small budget)."""
    disk = _need("radiuscnn.theory.disk")
    cfg2 = ctx.cfg2
    floor = disk.gap_error_floor(cfg2)
    ring = disk.fc_ring_law(cfg2)
    out = {"config": cfg2.to_json(), "M": cfg2.M, "n_outputs": cfg2.n_outputs, "gap": floor, "fc": ring}
    trained = _module("radiuscnn.verify.trained_2d")
    fn = getattr(trained, "d1_trained", None) if trained is not None else None
    if fn is None:
        out["trained"] = {"status": "unavailable", "reason": "radiuscnn.verify.trained_2d.d1_trained is not available in this build"}
        return out
    tcfg2 = ctx.tcfg.with_(seeds=min(ctx.tcfg.seeds, D1_MEMBERS), steps=min(ctx.tcfg.steps, D1_STEPS))
    ctx.stages.stage(f"two dimensions (D1): training {tcfg2.seeds} networks x 4 variants, {tcfg2.steps} steps")
    try:
        value = fn(cfg2, tcfg2)
    except Exception as error:  # noqa: BLE001 - the exact part stands on its own
        out["trained"] = {"status": "error", "reason": f"{type(error).__name__}: {error}"}
        return out
    value.pop("figures", None)
    out["trained"] = {"status": "ok", "function": "radiuscnn.verify.trained_2d.d1_trained", "train_config": tcfg2.to_json(),
                      "data": value}
    return out
