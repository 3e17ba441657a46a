"""Collectors of the exact sections: runs (R1), the fixed-amplitude system (F1, F2) and the
amplitude-invariance results (A1-A4).

Each returns plain JSON data; statuses and the numbers they rest on come from the registry
(:meth:`reports.context.Context.claim`), whose evidence (the engine's objects) these
collectors format. Equations are rendered with the report's one printer
(:func:`reports.mathtex.tex`).
"""

from __future__ import annotations

import sympy as sp

from radiuscnn.reports.context import Context, NotApplicable, q
from radiuscnn.reports.mathtex import tex

EXAMPLE_LINE_CHARS = 140  # LaTeX source characters per line of the expanded y(r, a)


def run_label(run, cfg=None) -> dict:
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
        "runs": [run_label(run, cfg) for run in runs],
        "counts": table,
        "n_runs": len(runs),
        "out_size": cfg.out_size,
        "column_sums_equal_out_size": all(sum(col) == cfg.out_size for col in zip(*table)),
    }
    out["decomposition"] = decomposition_latex(cfg)
    return out


def general_formula() -> str:
    """``y(r, a) = beta + sum_c v_c/|I| sum_j n_{J_j}(r) sigma(a W_c[J_j] + b_c)`` (GAP head)."""
    a, beta = sp.symbols("a beta", real=True)
    r = sp.Symbol("r", integer=True, nonnegative=True)
    c, j = sp.symbols("c j", integer=True)
    C = sp.Symbol("C", integer=True, positive=True)
    m = sp.Symbol("m", integer=True, positive=True)
    size = sp.Symbol("I_size", positive=True)
    sigma, n_j = sp.Function("sigma"), sp.Function("n_Jj")
    Jj = sp.Symbol("J_j")
    inner = sp.Sum(n_j(r) * sigma(a * sp.Indexed("W", c, Jj) + sp.Indexed("b", c)), (j, 1, m))
    return tex(sp.Eq(sp.Function("y")(r, a), beta + sp.Sum(sp.Indexed("v", c) * inner / size, (c, 1, C))))


def decomposition_latex(cfg) -> dict:
    """The GAP/FC output through runs: the general formula (abstract sums) and y(r, a) of one
    bulk radius with the configuration's counts and the engine's symbolic terms."""
    from radiuscnn.theory import symbolic
    from radiuscnn.theory.runs import run_counts

    out = {"source": "radiuscnn.theory.symbolic.unit", "general": general_formula()}
    r0 = cfg.radii[len(cfg.radii) // 2]
    if cfg.head != "gap":
        return out
    sym = symbolic.network_symbols(cfg)
    v, beta = sym.v, sym.beta
    expr = beta
    lines = [rf"y({r0}, a) &= {tex(beta)}"]
    for ch in range(cfg.channels):
        terms = []
        inner = sp.Integer(0)
        for run, count in sorted(run_counts(cfg, r0).items(), key=lambda x: (len(x[0]), x[0])):
            t = symbolic.unit(cfg, ch, run)
            inner += count * t
            terms.append((f"{count} " if count != 1 else "") + tex(t))
        expr += v[ch] * inner / cfg.out_size
        head = rf"+ \frac{{{tex(v[ch])}}}{{{cfg.out_size}}}\bigl["
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
    out["example_matches_engine"] = sp.expand(expr - symbolic.output_expr(cfg, r0)) == 0
    out["example_radius"] = r0
    out["example_lines"] = lines
    return out


def collect_derivation(ctx: Context) -> dict:
    """F1 (and the engine's own LaTeX) from the registry's F1 evidence (theory.derive)."""
    d = ctx.claim("F1").evidence["derivation"]
    data = d.to_json()
    tex_items = {str(k): str(v) for k, v in d.latex(tex).items()}
    data.pop("config", None)
    return {"json": data, "latex": tex_items}


def collect_f2(ctx: Context) -> dict:
    """F2: distinct runs and exact rank per kernel size and padding (the registry's F2 rows)."""
    return {"rows": ctx.claim("F2").evidence["rows"], "rank_source": "radiuscnn.theory.constraints",
            "unknowns_note": "unknowns: one g_J per run plus beta"}


def collect_a1(ctx: Context) -> dict:
    """A1: the background counter, its proof, reduced supports, and the closed form in M, k."""
    from radiuscnn.theory import counter

    cfg = ctx.cfg
    bc = ctx.claim("A1").evidence["counter"]
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
    fr = counter.counter_for_radii(cfg)  # on the configuration's own radii (possibly a reduced support)
    out["for_radii"] = None if fr is None else {
        "support": list(fr.support), "beta": q(fr.beta), "vb": q(fr.vb),
        "proof": fr.proof_exact.to_json() if fr.proof_exact is not None else None,
    }
    out["supports"] = [
        {"support": list(s.support), "beta": q(s.beta), "vb": q(s.vb), "r_max": s.r_max}
        for s in counter.reduced_support_counters(cfg)
    ]
    if cfg.padding in ("zeros", "valid"):
        parity = "odd" if cfg.kernel % 2 else "even"
        sym = counter.symbolic_background_counter(cfg.padding, parity)
        out["symbolic"] = {
            "padding": cfg.padding,
            "parity": parity,
            **{name: tex(getattr(sym, name)) for name in ("n_empty", "beta", "vb", "r_max", "past_error", "condition")},
            "j": tex(sym.j),
            "steps": list(sym.steps),
        }
        agreement = counter.symbolic_agreement(cfg)
        out["agreement"] = {"ok": agreement.ok, "closed_form_applies": agreement.closed_form_applies}
    return out


def collect_a2(ctx: Context) -> dict:
    """A2: the case analysis of theory.structure, and the A1 counter checked against it."""
    result = ctx.claim("A2")
    d = result.evidence["structure"]
    out = {
        "applies": d.applies,
        "reason": d.reason,
        "pairs": list(d.pairs),
        "delta_counts": d.delta_counts,
        "slope_diff": None if d.slope_diff is None else tex(d.slope_diff),
        "value_diff": None if d.value_diff is None else tex(d.value_diff),
        "alive_count": None if d.alive_count is None else tex(d.alive_count),
        "vb": q(d.vb),
        "conclusions": list(d.conclusions),
        "cases": [
            {"assumptions": list(c.assumptions), "equations": list(c.equations), "outcome": c.outcome,
             "reason": c.reason, "conclusions": list(c.conclusions)}
            for c in (*d.preliminary, *d.cases)
        ],
        "survivors": len(d.survivors),
    }
    chk = result.evidence.get("counter_check")
    if chk is not None:
        out["a1_counter_check"] = {"ok": chk.ok, "violations": list(chk.violations), "proof": chk.proof.status}
    return out


def collect_a3(ctx: Context) -> dict:
    """A3: impossibility for every analytic activation (the a = 0 step checked by SymPy) and
    the loss -> 0 sequences with diverging norms (mpmath, 50 digits)."""
    import mpmath as mp

    from radiuscnn.theory import analytic

    cfg = ctx.cfg
    result = ctx.claim("A3")
    z = sp.Symbol("z", real=True)
    rows = []
    for name, imp in result.evidence["impossibility"].items():
        row = {"activation": name, "sigma": tex(analytic.sympy_form(name)(z)), "applies": imp.applies,
               "proved": imp.proved, "steps": list(imp.steps), "heads": {}}
        for chk in imp.checks:
            entry = {"independent": chk.independent}
            if chk.head == "gap":
                entry["y0"] = tex(chk.outputs[cfg.radii[0]])
            row["heads"][chk.head] = entry
        rows.append(row)
    sequences = []
    for name, seq in result.evidence["sequences"].items():
        if seq is None:
            sequences.append({"activation": name, "available": False})
            continue
        sequences.append({
            "activation": name, "available": True, "limit": seq.limit, "scaling": seq.scaling,
            "margin": seq.margin, "support": list(seq.support), "limit_exact": seq.limit_exact,
            "strictly_decreasing": seq.strictly_decreasing, "digits": list(seq.digits),
            "min_digits": min(seq.digits),
            "rows": [[lam, mp.nstr(norm, 6), mp.nstr(loss, 4)] for lam, norm, loss in seq.rows],
        })
    applying = [r for r in rows if r["applies"]]
    return {"activations": rows, "sequences": sequences, "applies": bool(applying),
            "proved": bool(applying) and all(r["proved"] for r in applying)}


def collect_a4(ctx: Context) -> dict:
    """A4: minimal width per activation, with the construction (phi), its exact proof and the
    one-channel lower-bound derivation."""
    from radiuscnn.theory.activations import sympy_activation

    cfg = ctx.cfg
    result = ctx.claim("A4")
    if result.status == "not_applicable":
        raise NotApplicable(result.reason)
    z = sp.Symbol("z", real=True)
    out = {}
    for name, d in result.evidence["details"].items():
        entry = {"min_channels": d.min_channels, "status": d.status, "reason": d.reason}
        comb = d.construction
        if comb is not None:
            sig = sympy_activation(name, cfg.alpha)
            phi = sig(z) if comb.c == 0 else sig(z) + sp.Rational(comb.c) * sig(comb.s * z + sp.Rational(comb.mu))
            entry["construction"] = {"describe": comb.describe(), "channels": comb.channels,
                                     "phi": tex(sp.Eq(sp.Function("phi")(z), phi, evaluate=False))}
        if d.verdict is not None:
            entry["verdict"] = d.verdict.to_json()
        if d.lower_bound is not None:
            lb = d.lower_bound
            entry["lower_bound"] = {"applies": lb.applies, "one_channel_impossible": lb.one_channel_impossible,
                                    "steps": list(lb.steps), "reason": lb.reason}
        out[name] = entry
    return {"min_channels": {k: v["min_channels"] for k, v in out.items()}, "details": out}
