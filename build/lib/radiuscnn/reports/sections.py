"""The report's sections: one function per section, LaTeX from the results data only.

Every function takes ``(data, cite)``: ``data`` is ``results.json`` as read back, ``cite`` a
:class:`reports.latex.Citations` over it. Numbers are printed only through ``cite`` (so each
is recorded with the text it is printed as); equations only from the LaTeX strings the
collectors rendered with ``sympy.latex``; prose is escaped. A section whose collector did not
run says why ("not available in this build: ...") instead of failing.
"""

from __future__ import annotations

from radiuscnn.reports import latex as L
from radiuscnn.reports.latex import TeX, escape

P = L.paragraph

CLAIM_TITLES = {
    "R1": "run decomposition: the network sees a pulse only through run sums",
    "F1": "fixed amplitude: the zero-loss system, its rank and bulk equations",
    "F2": "kernel-size edge cases of the fixed-amplitude system",
    "A1": "the one-channel ReLU background counter",
    "A2": "structure of every one-channel ReLU zero-loss solution",
    "A3": "analytic activations: impossibility and loss-to-zero sequences",
    "A4": "minimal width per activation",
    "I1": "training invariants: balancedness, reflection, FC background weights",
    "T1": "every trained weight: regime, equations, residuals, family, role",
    "D1": "two dimensions: GAP error floor and FC ring law",
}
CLAIM_SECTIONS = {
    "R1": "sec:runs", "F1": "sec:constraints", "F2": "sec:constraints", "A1": "sec:a1",
    "A2": "sec:a2", "A3": "sec:a3", "A4": "sec:a4", "I1": "sec:training", "T1": "sec:training",
    "D1": "sec:d1",
}


# ------------------------------------------------------------------------------------ helpers
def _status(data: dict, name: str) -> dict:
    return (data.get("sections") or {}).get(name) or {"status": "unavailable", "reason": f"{name} was not collected"}


def _ok(data: dict, name: str) -> bool:
    return _status(data, name)["status"] == "ok" and data.get(name) is not None


def placeholder(data: dict, name: str, claim: str) -> TeX:
    """The paragraph shown instead of a section's results (names the claim and the reason)."""
    st = _status(data, name)
    if st["status"] == "not_applicable":
        text = f"{claim}: not applicable to this configuration ({st['reason']})."
    elif st["status"] == "error":
        text = f"{claim}: this part failed to build in this run: {st['reason']}"
    else:
        text = f"{claim}: not available in this build ({st['reason']})."
    return TeX(r"\par\noindent\fbox{\parbox{0.95\linewidth}{" + escape(text) + "}}\\par\n\n")


def _phrase(cite: L.Citations, parts) -> TeX:
    """Text and cited numbers from a foreign result dict: each ``(text, path)`` is printed
    only when ``path`` holds a number (``path`` None: plain text), so a renamed key drops a
    clause instead of breaking the report."""
    out = []
    for text, path in parts:
        if path is None:
            out.append(escape(text))
        elif cite.has(path) and not isinstance(cite.value(path), (bool, dict, list)):
            out.append(escape(text) + cite(path))
    return TeX("".join(out))


def placeholder_text(text: str) -> TeX:
    return TeX(r"\par\noindent\fbox{\parbox{0.95\linewidth}{" + escape(text) + "}}\\par\n\n")


def run_tex(run: dict) -> TeX:
    """A run as math: the empty set, an interval ``[lo, hi]`` or a set of offsets."""
    offsets = run["offsets"]
    pattern = f" ({run['pattern']})" if run.get("pattern") else ""
    if not offsets:
        return TeX(L.math(r"\emptyset") + pattern)
    if run.get("contiguous"):
        return TeX(L.math(f"[{offsets[0]},{offsets[-1]}]") + pattern)
    return TeX(L.math(r"\{" + ",".join(str(t) for t in offsets) + r"\}") + pattern)


def _verdict(status: str) -> TeX:
    return TeX(r"\status{" + escape(status) + "}")


def _eq(latex: str, note: str | None = None) -> TeX:
    return L.display(latex, note=note)


def _range_text(cite: L.Citations, path: str) -> TeX:
    """A list of consecutive integers printed as ``lo..hi`` (both ends cited)."""
    values = cite.value(path)
    if values and values == list(range(values[0], values[-1] + 1)) and len(values) > 2:
        return TeX(cite(f"{path}.0") + r"--" + cite(f"{path}.{len(values) - 1}"))
    return TeX(", ".join(cite(f"{path}.{i}") for i in range(len(values))))


def _latex_items(items: dict, skip=()) -> TeX:
    """Display each engine-rendered LaTeX string with its name."""
    out = []
    for name, tex in items.items():
        if name in skip or not tex:
            continue
        if name:
            out.append(P(TeX(r"\emph{" + escape(name.replace("_", " ")) + ":}")))
        out.append(_eq(tex, note=name or None))
    return TeX("".join(out))


# ------------------------------------------------------------------------------------ sections
def abstract(data: dict, cite: L.Citations) -> TeX:
    cfg = "config"
    parts = [
        "We derive, prove and test what a tiny convolutional network ",
        L.math(r"\mathrm{conv}(1\to C, k) \to \sigma \to \text{head}"),
        " must do to estimate the radius of a centred pulse, for one configuration (",
        TeX("$N = $ " + cite(f"{cfg}.size") + ", $k = $ " + cite(f"{cfg}.kernel") + ", $C = $ " + cite(f"{cfg}.channels")),
        f", {data['config']['activation']}, {data['config']['padding']} padding, {data['config']['head'].upper()} head). ",
        "The question comes from Dag\u00e8s, Lindenbaum and Bruckstein ",
        TeX(r"\cite{dages2023}"),
        "; the derivations and proofs below are produced by the radiuscnn engine from first principles: "
        "every equation is a SymPy object the verifier checks, every number is read from results.json. ",
    ]
    if _ok(data, "runs"):
        parts += ["The data contain ", cite("runs.n_runs"), " distinct runs (R1). "]
    if _ok(data, "a1") and data["a1"].get("r_max", -1) >= 0:
        parts += ["The one-channel ReLU background counter is ", _verdict(data["a1"]["proof_exact"]["status"]),
                  " exact on radii up to ", cite("a1.r_max"), " for every amplitude of the interval (A1). "]
    if _ok(data, "training"):
        parts += ["Of the trained networks, ", cite.rate("training.successes", "training.members"),
                  " reach a final loss at most ", cite("training.tolerance"), " (T1). "]
    return TeX("".join(escape(p) for p in parts))


def claims_table(data: dict, cite: L.Citations) -> TeX:
    claims = data.get("claims") or {}
    rows = []
    for cid, title in CLAIM_TITLES.items():
        status = (claims.get(cid) or {}).get("status", "unavailable")
        rows.append([TeX(r"\textbf{" + cid + "}"), title, _verdict(status),
                     TeX(r"\ref{" + CLAIM_SECTIONS[cid] + "}")])
    body = P(
        "Status of each claim of the catalogue (THEORY.md) in this report: ",
        TeX(r"\status{proved}"), " = exact proof (rational arithmetic over the whole amplitude interval), ",
        TeX(r"\status{derived}"), " = derived symbolically by the engine, ",
        TeX(r"\status{tested}"), " = checked numerically on trained networks with the stated tolerance, ",
        TeX(r"\status{unavailable}"), " = the module is not in this build.",
    )
    return L.section("Claims at a glance", body + L.table(["ID", "claim", "status", "section"], rows, align="llll",
                                                            float_=False), label="sec:claims")


def problem(data: dict, cite: L.Citations) -> TeX:
    c = data["config"]
    body = P(
        "A signal has ", TeX("$N = 2M+1$"), " samples at positions ", TeX(r"$i \in \{-M,\dots,M\}$"),
        "; a centred pulse of integer radius ", TeX("$r$"), " and amplitude ", TeX("$a>0$"),
        " is ", TeX(r"$x_i = a\,[\,|i| \le r\,]$"), " and the target is ", TeX("$r$"),
        ". The network is a convolution with ", TeX("$C$"), " channels of kernel size ", TeX("$k$"),
        " and bias (PyTorch cross-correlation; 'same' padding puts ", TeX(r"$h_l = \lfloor (k-1)/2 \rfloor$"),
        " zeros on the left and ", TeX("$h_r = k-1-h_l$"), " on the right), an elementwise activation ",
        TeX(r"$\sigma$"), " and a head: global average pooling then a linear map (GAP), or a linear map on all "
        "activations (FC). Output position ", TeX("$i$"), " sees window offsets ", TeX("$t \\in [-h_l, h_r]$"),
        "; ", TeX("$I$"), " is the set of output positions.",
    )
    rows = [
        ["dimension", cite("config.dim")],
        [TeX("$N$ (size), $M$"), TeX(cite("config.size") + ", " + cite("config.M"))],
        [TeX("$k$ (kernel), $h_l$, $h_r$"), TeX(cite("config.kernel") + ", " + cite("config.h_l") + ", " + cite("config.h_r"))],
        [TeX("$C$ (channels)"), cite("config.channels")],
        [TeX(r"activation $\sigma$"), c["activation"] + (f" (alpha = {c['alpha']})" if c["activation"] == "leaky_relu" else "")],
        ["padding", c["padding"]],
        ["head", c["head"]],
        [TeX("$|I|$ (output positions)"), cite("config.out_size")],
        [TeX("radii $R$"), _range_text(cite, "config.radii")],
        [TeX("amplitudes $A = [a_{\\min}, a_{\\max}]$"), TeX("[" + cite("config.amplitude.0") + ", " + cite("config.amplitude.1") + "]")],
    ]
    body += L.table(["quantity", "value"], rows, align="ll", caption="The configuration of this report.", label="tab:config")
    return L.section("Problem and notation", body, label="sec:problem")


def runs_section(data: dict, cite: L.Citations) -> TeX:
    title = "Run decomposition and counts (R1)"
    if not _ok(data, "runs"):
        return L.section(title, placeholder(data, "runs", "R1"), label="sec:runs")
    r1 = data["runs"]
    dec = r1["decomposition"]
    body = P(
        TeX(r"\claim{R1} "),
        "On a pulse, the window of output position ", TeX("$i$"), " holds ", TeX("$a$"),
        " times the indicator of the run ", TeX(r"$J_i(r) = [\max(-h_l, -r-i), \min(h_r, r-i)]$"),
        " (empty when the bounds cross; circular padding wraps), so the pre-activation is ",
        TeX(r"$z_{c,i} = a\,W_c[J] + b_c$"), " with the run sum ", TeX(r"$W_c[J] = \sum_{t\in J} w_{c,t}$"),
        ". Grouping positions by run, with ", TeX("$n_J(r)$"), " positions seeing run ", TeX("$J$"),
        ", the GAP output is",
    )
    body += _eq(dec["general"])
    if dec.get("engine"):
        body += P("The engine's symbolic output (", dec.get("source", ""), "):")
        body += _latex_items(dec["engine"])
    if dec.get("example_lines"):
        body += P("For this configuration at radius ", cite("runs.decomposition.example_radius"),
                  ", inserting the counts and the symbolic weights (the engine's SymPy terms, one per run and channel):")
        body += TeX("\\begin{align*}\n" + " \\\\\n".join(dec["example_lines"]) + "\n\\end{align*}\n")
        if dec.get("example_matches_engine") is not None:
            body += P("This expansion equals the engine's symbolic output ", L.texttt("radiuscnn.theory.symbolic.output_expr"),
                      " at this radius: ", _verdict("yes" if dec["example_matches_engine"] else "no"), ".")
    body += P(
        "The data contain ", cite("runs.n_runs"), " distinct runs. Table ", TeX(r"\ref{tab:counts}"),
        " lists ", TeX("$n_J(r)$"), " for every run and radius; every column sums to ", TeX("$|I| = $ "),
        cite("runs.out_size"), (" (checked)." if r1.get("column_sums_equal_out_size") else " (CHECK FAILED)."),
    )
    radii = r1["radii"]
    headers = [TeX(r"$J \backslash r$")] + [cite(f"runs.radii.{j}") for j in range(len(radii))]
    rows = []
    for i, run in enumerate(r1["runs"]):
        rows.append([run_tex(run)] + [cite(f"runs.counts.{i}.{j}") for j in range(len(radii))])
    size = r"\scriptsize\setlength{\tabcolsep}{3pt}" if len(radii) > 10 else r"\small"
    body += L.table(headers, rows, align="l" + "r" * len(radii), size=size,
                    caption=TeX(r"Run counts $n_J(r)$: output positions whose window sees run $J$ (its 0/1 window "
                                r"content in brackets) on the pulse of radius $r$."),
                    label="tab:counts")
    dtex = (data.get("derivation") or {}).get("latex") or {} if _ok(data, "derivation") else {}
    if dtex.get("symbolic_counts"):
        body += P("Derived counts in ", TeX("$r$"), " and ", TeX("$M$"), " (theory.counts, runs named by their 0/1 "
                  "window content, offsets ", TeX("$-h_l..h_r$"), " left to right), valid for every ", TeX("$M$"),
                  " with this ", TeX("$k$"), " and padding:")
        body += _eq(dtex["symbolic_counts"])
    elif data["config"]["padding"] == "circular":
        body += P("Symbolic counts: circular padding is treated numerically (the counts above).")
    else:
        body += placeholder(data, "derivation", "R1 symbolic counts")
    if _ok(data, "r1_check"):
        chk = data["r1_check"]
        body += P(
            "Check on trained networks: the run decomposition evaluated ",
            "exactly in rational arithmetic" if chk["exact"] else "in floating point (analytic activation)",
            " against the PyTorch forward pass in float64 on every training sample: ",
            cite("r1_check.networks"), " networks times ", cite("r1_check.samples"), " samples, largest difference ",
            cite("r1_check.max_abs_diff"), " (tolerance ", cite("r1_check.tolerance"), "): ",
            _verdict("passed" if chk["ok"] else "failed"), ".",
        )
    else:
        body += placeholder(data, "r1_check", "R1 check on trained networks")
    return L.section(title, body, label="sec:runs")


def constraints_section(data: dict, cite: L.Citations) -> TeX:
    title = "Fixed amplitude: constraints and rank (F1, F2)"
    body = P(
        TeX(r"\claim{F1} "), "With a single amplitude ", TeX("$a$"), ", zero loss is the linear system ",
        TeX(r"$\beta + \frac{1}{|I|}\sum_J n_J(r)\, g_J = r$"), " for all ", TeX(r"$r\in R$"),
        " in the run responses ", TeX(r"$g_J = \sum_c v_c\,\sigma(a W_c[J] + b_c)$"), " and ", TeX(r"$\beta$"), ".",
    )
    if _ok(data, "derivation"):
        d = data["derivation"]
        js, tex = d.get("json") or {}, d.get("latex") or {}
        body += P(
            "Unknowns: ", cite("derivation.json.n_unknowns"), " (one ", TeX("$g_J$"), " per run, named by its window "
            "content, plus ", TeX(r"$\beta$"), "); equations: one per radius, with coefficients ", TeX("$n_J(r)/|I|$"),
            " from Table ", TeX(r"\ref{tab:counts}"), ". Exact rank: ", cite("derivation.json.constraint_rank"),
            "; the system is ", "consistent" if js.get("consistent") else "INCONSISTENT",
            ". The gauge ", TeX(r"$g_J \to g_J + c$"), ", ", TeX(r"$\beta \to \beta - c$"),
            " is invisible (the counts of every radius sum to ", TeX("$|I|$"), ").",
        )
        if tex.get("system") and len(tex["system"]) <= 2500:
            body += _eq(tex["system"])
        if tex.get("identifiable"):
            body += P("Identifiable combinations (a basis of the row space, SymPy):")
            parts = tex["identifiable"].split(r",\quad ")
            body += TeX("\\begin{gather*}\n" + " \\\\\n".join(parts) + "\n\\end{gather*}\n")
        region = js.get("bulk_region")
        if region:
            body += P("Bulk region: ", L.texttt(region["condition"]), " (", "symbolic in M" if region.get("symbolic")
                      else "numeric for this N", "), where only the empty, full, prefix and suffix runs occur and the "
                      "counts are affine in ", TeX("$r$"), ":")
            if tex.get("bulk_counts"):
                parts = tex["bulk_counts"].split(r",\quad ")
                rows = [parts[i:i + 3] for i in range(0, len(parts), 3)]
                body += TeX("\\begin{gather*}\n" + " \\\\\n".join(r",\quad ".join(x) for x in rows) + "\n\\end{gather*}\n")
        eqs = js.get("bulk_equations")
        if eqs:
            body += P("Bulk equations on the bulk radii ", TeX(", ".join(cite(f"derivation.json.bulk_equations.radii.{i}")
                      for i in range(len(eqs["radii"])))), " (", "equivalent to the system there" if eqs.get("implied")
                      else "sufficient only: a single bulk radius", "). Slope and intercept, in the run responses:")
            body += _eq(tex["slope_g"] + r", \qquad " + tex["intercept_g"] if len(tex.get("intercept_g", "")) < 400
                        else tex["slope_g"])
            if len(tex.get("intercept_g", "")) >= 400:
                body += _eq(tex["intercept_g"])
            body += P("and with ", TeX(r"$g_J = \sum_c v_c\,\sigma(a W_c[J] + b_c)$"),
                      " written out, the slope equation of THEORY.md section 4:")
            body += _eq(tex["slope"])
            if len(tex.get("intercept", "")) <= 900:
                body += P("and the intercept equation:")
                body += _eq(tex["intercept"])
            else:
                body += P("(The intercept equation written out in the weights is in results.json, key "
                          "derivation.latex.intercept.)")
    else:
        body += placeholder(data, "derivation", "F1")
    body += P(TeX(r"\claim{F2} "), "Kernel-size edge cases: number of distinct runs ",
              TeX("$m$"), " and constraint rank for every kernel size and padding, with this ", TeX("$N$"),
              " and ", TeX("$R$"), " (a dash: the configuration is invalid, e.g. ",
              TeX("$k > N$"), " with valid padding).")
    if _ok(data, "f2"):
        f2 = data["f2"]
        rows = []
        for i, row in enumerate(f2["rows"]):
            cells = [cite(f"f2.rows.{i}.kernel")]
            for pad in ("zeros", "valid", "circular"):
                entry = row.get(pad)
                if entry is None:
                    cells += [None, None]
                    continue
                cells.append(cite(f"f2.rows.{i}.{pad}.n_runs"))
                cells.append(cite(f"f2.rows.{i}.{pad}.rank") if entry.get("rank") is not None else None)
            rows.append(cells)
        headers = ["k", "zeros: m", "rank", "valid: m", "rank", "circular: m", "rank"]
        cap = "F2: distinct runs m and rank of the fixed-amplitude system per kernel size and padding."
        if not f2.get("rank_source"):
            cap += " Ranks await theory.constraints (not available in this build)."
        body += L.table(headers, rows, caption=cap, label="tab:f2")
    else:
        body += placeholder(data, "f2", "F2")
    return L.section(title, body, label="sec:constraints")


def a1_section(data: dict, cite: L.Citations) -> TeX:
    title = "A1: the background counter"
    if not _ok(data, "a1"):
        return L.section(title, placeholder(data, "a1", "A1"), label="sec:a1")
    a1 = data["a1"]
    body = P(
        TeX(r"\claim{A1} "), "One ReLU channel, GAP head. If ", TeX("$b > 0$"), " and every non-empty run sum is ",
        TeX(r"$\le -b/a_{\min}$"), ", every window touching the pulse is killed for every amplitude and every "
        "window missing it answers ", TeX(r"$\mathrm{relu}(b) = b$"), ", so ",
        TeX(r"$y(r,a) = \beta + \frac{v b}{|I|}\, n_\emptyset(r)$"),
        " whatever the amplitude: the network counts background positions.",
    )
    sym = a1.get("symbolic")
    if sym:
        body += P("Derived in closed form (SymPy, ", sym["padding"], " padding, ", sym["parity"],
                  " k) from the run interval, in ", TeX("$M$"), " and ", TeX("$k$"), ":")
        body += _eq(r"n_\emptyset(r) = " + sym["n_empty"])
        body += _eq(r"\beta = " + sym["beta"] + r", \qquad v b = " + sym["vb"] + r", \qquad r_{\max} = " + sym["r_max"])
        body += P("valid when ", L.math(sym["condition"]), "; past ", TeX(r"$r_{\max}$"), ", at ",
                  TeX(r"$r = r_{\max} + 1 + j$"), ", the error is ", L.math(r"y - r = " + sym["past_error"]),
                  " (one more radius unit per radius). Derivation steps recorded by the engine:")
        body += L.itemize(sym["steps"])
        if a1.get("agreement"):
            body += P("Closed form against the finite computation for this configuration: ",
                      _verdict("agrees" if a1["agreement"]["ok"] else "DISAGREES"), ".")
    if a1.get("r_max", -1) < 0:
        body += P("No background counter exists for this configuration: ", a1.get("reason", ""), ".")
        return L.section(title, body, label="sec:a1")
    body += P(
        "For this configuration: ", TeX(r"$\beta = $ "), cite("a1.beta"), ", ", TeX("$v b = $ "), cite("a1.vb"),
        " with ", TeX("$|I| = $ "), cite("a1.out_size"), ", exact for ", TeX(r"$0 \le r \le r_{\max} = $ "), cite("a1.r_max"), ".",
    )
    pe = a1["proof_exact"]
    body += P(
        "Exact proof (section 8: evaluate at both interval ends and every kink amplitude, in rational arithmetic) "
        "for the concrete rational counter: ", _verdict(pe["status"]), ", maximal error ", cite("a1.proof_exact.max_error"),
        " over ", cite("a1.proof_exact.points"), " evaluation points.",
    )
    pn = a1.get("proof_next")
    if pn:
        ce = pn.get("counterexample")
        body += P(
            "At ", TeX(r"$r_{\max}+1$"), " it is ", _verdict(pn["status"]), ": ",
            *( ["counterexample ", TeX("$(r, a, y) = ($"), cite("a1.proof_next.counterexample.0"), ", ",
                cite("a1.proof_next.counterexample.1"), ", ", cite("a1.proof_next.counterexample.2"), TeX("$)$"), "; "] if ce else []),
            "errors ", TeX("$y - r$"), " past ", TeX(r"$r_{\max}$"), ": ",
            TeX(", ".join(f"$r = $ {cite(f'a1.past.{i}.0')}: {cite(f'a1.past.{i}.1')}" for i in range(len(a1["past"])))), ".",
        )
    if a1.get("params"):
        p = a1["params"]
        taps = ", ".join(cite(f"a1.params.w.0.{j}") for j in range(len(p["w"][0])))
        body += P("The concrete counter: taps ", TeX("$w = ($" + taps + "$)$"), ", ", TeX("$b = $ "), cite("a1.params.b.0"),
                  ", ", TeX("$v = $ "), cite("a1.params.v.0"), ", ", TeX(r"$\beta = $ "), cite("a1.params.beta"), ".")
    fr = a1.get("for_radii")
    if fr:
        body += P("On this report's radius set the counter with support ",
                  TeX("$[$" + cite("a1.for_radii.support.0") + ", " + cite("a1.for_radii.support.1") + "$]$"),
                  " (taps outside set to zero) is ", _verdict((fr.get("proof") or {}).get("status", "unknown")), ".")
    elif "for_radii" in a1:
        body += P("No support makes the counter exact on this report's radius set.")
    if a1.get("supports"):
        rows = []
        for i, s in enumerate(a1["supports"]):
            rows.append([TeX("$[$" + cite(f"a1.supports.{i}.support.0") + ", " + cite(f"a1.supports.{i}.support.1") + "$]$"),
                         cite(f"a1.supports.{i}.beta") if s["beta"] is not None else None,
                         cite(f"a1.supports.{i}.vb") if s["vb"] is not None else None,
                         cite(f"a1.supports.{i}.r_max")])
        body += L.table([TeX("support $[t_0,t_1]$"), TeX(r"$\beta$"), TeX("$vb$"), TeX(r"$r_{\max}$")], rows,
                        caption="Reduced supports (outer taps zero): the exact radius range 0..r_max grows when the "
                                "outer weights vanish (-1: no counter).", label="tab:supports")
    return L.section(title, body, label="sec:a1")


def _steps(lines) -> TeX:
    """Engine-recorded derivation steps (plain text from the engine), as a numbered list."""
    body = "\n".join(r"\item " + escape(x) for x in lines)
    return TeX("{\\small\\begin{enumerate}\n" + body + "\n\\end{enumerate}}\n")


def a2_section(data: dict, cite: L.Citations) -> TeX:
    title = "A2: structure of one-channel ReLU solutions"
    body = P(
        TeX(r"\claim{A2} "), "Any zero-loss parameter of a one-channel ReLU network (GAP head) on a data set with "
        "two consecutive bulk radii has ", TeX("$b>0$"), " and a forced value of ", TeX("$vb$"),
        "; each run is killed or alive for the whole interval; alive runs' sums cancel per radius and the number "
        "of alive positions is affine in ", TeX("$r$"), ".",
    )
    if not _ok(data, "a2"):
        return L.section(title, body + placeholder(data, "a2", "A2"), label="sec:a2")
    d = data["a2"]
    if not d["applies"]:
        return L.section(title, body + P("A2 does not apply to this configuration: ", d["reason"], "."), label="sec:a2")
    body += P(
        "Derivation (theory.structure). With alive indicators ", TeX(r"$\delta_J \in \{0,1\}$"),
        " the section-5 equations for ReLU read ", TeX(r"$\mathrm{slope}(r) = v\sum_J n_J(r)\,\delta_J W[J]$"), " and ",
        TeX(r"$\mathrm{value}(r) = \beta + \frac{vb}{|I|}\sum_J n_J(r)\,\delta_J - r$"),
        ". At the first bulk pair ", TeX("$(r, r+1)$"), " with ", TeX("$r = $ "), cite("a2.pairs.0"),
        " the counts change only on the empty run ", TeX("$E$"), " and the full run ", TeX("$F$"),
        " (filter sum ", TeX("$S$"), "), and SymPy reduces the differences of the equations to",
    )
    body += _eq(d["slope_diff"] + r" = 0, \qquad " + d["value_diff"] + " = 0")
    rows = [[", ".join(c["assumptions"]), _verdict(c["outcome"]), c["reason"]] for c in d["cases"]]
    body += L.table(["case", "outcome", "reason"], rows, align=r"p{0.3\linewidth}lp{0.5\linewidth}", size=r"\footnotesize",
                    caption="A2: the case analysis (sign of b, regime of the empty and the full run); exactly one case "
                            "survives.", label="tab:a2")
    if d.get("vb") is not None:
        body += P("The surviving case forces ", TeX("$vb = $ "), cite("a2.vb"), " and, from the value equation, ")
        body += _eq(r"\#\mathrm{alive}(r) = " + d["alive_count"])
    body += P("Conclusions recorded by the engine:")
    body += _steps(d["conclusions"])
    chk = d.get("a1_counter_check")
    if chk:
        body += P("The A1 counter of this configuration satisfies every conclusion: ",
                  _verdict("yes" if chk["ok"] else "no"),
                  *( [" (violations: ", "; ".join(chk["violations"]), ")"] if chk["violations"] else []), ".")
    return L.section(title, body, label="sec:a2")


def a3_section(data: dict, cite: L.Citations) -> TeX:
    title = "A3: analytic activations"
    body = P(
        TeX(r"\claim{A3} "), "For analytic ", TeX(r"$\sigma$"), " the output is analytic in ", TeX("$a$"),
        " and all inputs coincide at ", TeX("$a=0$"), ", so exact amplitude-invariant estimation of two radii on an "
        "interval is impossible for every width, head, padding and depth; for tanh, sigmoid and softplus the "
        "infimum 0 of the loss is approached, not attained, by parameters whose norm diverges.",
    )
    if not _ok(data, "a3"):
        return L.section(title, body + placeholder(data, "a3", "A3"), label="sec:a3")
    d = data["a3"]
    rows = []
    for i, row in enumerate(d["activations"]):
        heads = row.get("heads") or {}
        rows.append([row["activation"], L.math(r"\sigma(z) = " + row["sigma"]),
                     L.math(r"y(r, 0) = " + heads["gap"]["y0"]) if "gap" in heads and "y0" in heads["gap"] else None,
                     "yes" if all(h["independent"] for h in heads.values()) and heads else "no",
                     _verdict("proved" if row["proved"] else ("not applicable" if not row["applies"] else "failed"))])
    body += L.table(["activation", "form", "GAP output at a = 0 (SymPy)", "same for all r (GAP, FC)", "impossibility"],
                    rows, align="lllll", size=r"\footnotesize",
                    caption="A3: at a = 0 every radius gives the same output (checked by SymPy on the symbolic network "
                            "for both heads), so analyticity forbids exactness on an interval.", label="tab:a3")
    first = next((r for r in d["activations"] if r["applies"]), None)
    if first:
        body += P("The argument, as recorded by the engine for ", first["activation"], ":")
        body += _steps(first["steps"])
    seqs = [(k, q) for k, q in enumerate(d["sequences"]) if q.get("available")]
    for q in d["sequences"]:
        if not q.get("available"):
            body += P("No loss sequence for ", q["activation"], ": no one-channel counter is exact on these radii.")
    if seqs:
        body += P("Loss sequences (", TeX(r"$\theta_\lambda$"), " rescales a one-channel counter; the limit of ",
                  TeX(r"$\sigma(\lambda z)$"), " is piecewise constant or linear):")
        body += L.itemize([f"{q['activation']}: {q['scaling']}; limit network exact: {'yes' if q['limit_exact'] else 'no'}; "
                           f"losses positive and strictly decreasing: {'yes' if q['strictly_decreasing'] else 'no'}"
                           for _, q in seqs])
        n = min(len(q["rows"]) for _, q in seqs)
        headers = [TeX(r"$\lambda$")]
        for _, q in seqs:
            headers += [TeX(escape(q["activation"]) + r": $\|\theta_\lambda\|$"), "loss"]
        rows = []
        for i in range(n):
            row = [cite(f"a3.sequences.{seqs[0][0]}.rows.{i}.0")]
            for k, _ in seqs:
                row += [cite(f"a3.sequences.{k}.rows.{i}.1", "raw"), cite(f"a3.sequences.{k}.rows.{i}.2", "raw")]
            rows.append(row)
        caption = TeX(escape("A3: parameter norm and loss along the sequences (mpmath, at least ")
                      + cite(f"a3.sequences.{seqs[0][0]}.min_digits") + escape(" significant digits); the loss tends "
                      "to 0 and is never 0, the norm diverges."))
        body += L.table(headers, rows, caption=caption, label="tab:a3seq")
    return L.section(title, body, label="sec:a3")


def a4_section(data: dict, cite: L.Citations) -> TeX:
    title = "A4: minimal width"
    body = P(TeX(r"\claim{A4} "), "The smallest number of channels ", TeX("$C$"),
             " admitting an exact amplitude-invariant solution, per activation: a construction proved exactly "
             "(a counter built on ", TeX(r"$\varphi(z) = \sigma(z) + c\,\sigma(sz+\mu)$"),
             ", a second channel with taps ", TeX("$sw$"), ", bias ", TeX(r"$sb + \mu$"), " and output weight ",
             TeX("$cv$"), "), and the impossibility of one channel fewer.")
    if not _ok(data, "a4"):
        return L.section(title, body + placeholder(data, "a4", "A4"), label="sec:a4")
    details = data["a4"]["details"]
    rows = []
    for act, d in details.items():
        value = d["min_channels"]
        rows.append([act, cite(f"a4.details.{act}.min_channels") if value is not None else "none",
                     d["status"],
                     L.math(d["construction"]["phi"]) if d.get("construction") else None,
                     _verdict(d["verdict"]["status"]) if d.get("verdict") else None])
    body += L.table(["activation", "minimal C", "status", "construction", "exact proof"], rows, align="lrlll",
                    size=r"\footnotesize", caption="A4: minimal width per activation.", label="tab:a4")
    for act, d in details.items():
        lb = d.get("lower_bound")
        if lb and lb.get("one_channel_impossible"):
            body += P("Why one channel is impossible for ", act, " (engine derivation):")
            body += _steps(lb["steps"])
            break
    for act, d in details.items():
        if d["status"] == "impossible":
            body += P("Analytic activations (", act, " and the others marked none): ", d["reason"])
            break
    return L.section(title, body, label="sec:a4")


def training_section(data: dict, cite: L.Citations, figures: dict) -> TeX:
    title = "What training does (T1, I1)"
    if not _ok(data, "training"):
        return L.section(title, placeholder(data, "training", "T1 and I1"), label="sec:training")
    tc = data["train_config"]
    body = P(
        cite("train_config.seeds"), " networks were trained at once (member ", TeX("$e$"), " from seed ",
        cite("train_config.seed"), " + e), ", cite("train_config.steps"), " full-batch ", tc["optimizer"],
        " steps with learning rate ", cite("train_config.lr"), ", in ", tc["dtype"], ", on ",
        cite("train_config.amplitudes"), " evenly spaced amplitudes of the interval times every radius. "
        "A network succeeds when its final mean squared error is at most ", cite("training.tolerance"), ". Training took ",
        cite("training.seconds"), " s.",
    )
    atlas = P(
        TeX(r"\claim{T1} "), "Successes: ", cite.rate("training.successes", "training.members"),
        "; best final loss ", cite("training.best_loss"), " (network ", cite("training.best_index"), "), median ",
        cite("training.median_loss"), ", worst ", cite("training.worst_loss"), ".",
    )
    if "success" in figures:
        atlas += L.figure(figures["success"], "Final training loss of every network (success threshold dashed) and the "
                          "success rate.", "fig:success", width=r"0.85\linewidth")
    atlas += _atlas(data, cite)
    body += L.section("Success atlas", atlas, level="subsection")
    body += L.section("Regimes, equations, families and weight roles", _t1(data, cite, figures), level="subsection")
    figs = TeX("")
    if "filters" in figures or "response" in figures:
        figs += P("Figure ", TeX(r"\ref{fig:filters}"), " puts the filters of the best trained networks next to the "
                  "derived A1 filter; Figure ", TeX(r"\ref{fig:response}"), " shows the estimate against the radius "
                  "for the smallest, middle and largest amplitude: an amplitude-invariant network draws one line for "
                  "all three, a plateau network fans out with the amplitude.")
    if "filters" in figures:
        figs += L.figure(figures["filters"], "Learned filters of the best networks next to the derived A1 counter filter, "
                         "each channel scaled by 1/|b_c| so that the kill threshold is comparable.", "fig:filters")
    if "response" in figures:
        figs += L.figure(figures["response"], "y(r, a) against r for three amplitudes: the A1 counter (exact, radii 0..M) "
                         "and trained networks (the training radii).", "fig:response")
    if figs:
        body += L.section("Filters and responses", figs, level="subsection")
    body += L.section("Training invariants (I1)", _i1(data, cite), level="subsection")
    return L.section(title, body, label="sec:training")


def _atlas(data: dict, cite: L.Citations) -> TeX:
    """The T1 success atlas table (verify.atlas) and what its numbers show."""
    if not _ok(data, "atlas"):
        return placeholder(data, "atlas", "T1 success atlas")
    at = data["atlas"]
    axes = at["axes"]
    base, tc = at["base"], at["train"]

    def values(name):
        return TeX(r"\{" + ", ".join(cite(f"atlas.axes.{name}.{i}") for i in range(len(axes[name]))) + r"\}")

    out = P(
        "Success atlas (", L.texttt("radiuscnn.verify.atlas"), ", ", "its default grid" if at.get("grid_default") else "a reduced grid",
        "): ", TeX("$N = $ "), cite("atlas.base.size"), ", radii ", _range_text(cite, "atlas.base.radii"),
        ", amplitudes ", TeX("$A = [$"), cite("atlas.base.amplitude.0"), ", ", cite("atlas.base.amplitude.1"), TeX("$]$"),
        ", ", base["padding"], " padding, ", base["head"].upper(), " head; for every ", TeX("$k \\in$ "), values("kernels"),
        ", ", TeX("$C \\in$ "), values("channels"), " and activation ", TeX(r"$\sigma$"), " in {",
        ", ".join(axes["activations"]), "}, ", cite("atlas.train.seeds"), " seeds are trained for ",
        cite("atlas.train.steps"), " ", tc["optimizer"], " steps with learning rate ", cite("atlas.train.lr"),
        " (cached training), and a seed counts as solved when its grid MSE is at most ", cite("atlas.tolerances.loss"),
        ". The failure median is the median final MSE of the unsolved seeds (for a plateau network, its plateau loss).",
    )
    rows = []
    for i, cell in enumerate(at["cells"]):
        b = f"atlas.cells.{i}"
        fams = TeX(", ".join(escape(name) + " " + cite(f"{b}.families.{name}") for name in cell["families"]))
        rows.append([TeX(escape(cell["activation"])), cite(f"{b}.kernel"), cite(f"{b}.channels"),
                     cite.rate(f"{b}.solved", f"{b}.seeds"), fams,
                     cite(f"{b}.failure_median", "float", 3) if cell.get("failure_median") is not None else None])
    out += L.table([TeX(r"$\sigma$"), TeX("$k$"), TeX("$C$"), "solved/seeds", "families", "failure median MSE"], rows,
                   align="lrrrp{0.38\\linewidth}r", size=r"\footnotesize",
                   caption="T1 success atlas: success over seeds per kernel size, width and activation (verify.atlas).",
                   label="tab:atlas")
    agg = at.get("by_activation") or {}
    rated = {act: a["success_rate"] for act, a in agg.items() if a.get("success_rate") is not None}
    if rated:
        best, worst = max(rated.values()), min(rated.values())

        def rate(act):
            return cite.rate(f"atlas.by_activation.{act}.solved", f"atlas.by_activation.{act}.seeds")

        def names(level):
            return TeX(" and ".join(escape(act) + " at " + rate(act) for act in rated if rated[act] == level))

        if worst < best:
            parts = ["Pooled over ", TeX("$k$"), " and ", TeX("$C$"), ", the highest success rate is ", names(best),
                     ", the lowest ", names(worst), ". "]
        else:
            parts = ["Pooled over ", TeX("$k$"), " and ", TeX("$C$"), ", every activation has the same success rate: ",
                     names(best), ". "]
        relu = agg.get("relu")
        if relu and relu["failures"]:
            parts += ["ReLU solves ", rate("relu"), "; ", cite("atlas.by_activation.relu.plateau_failures"), " of its ",
                      cite("atlas.by_activation.relu.failures"), " failures are plateaus (outputs affine in the pulse "
                      "mass, constant, or amplitude-proportional)"]
            if 2 * relu["plateau_failures"] > relu["seeds"]:
                parts.append(", so most ReLU seeds stall at the plateau")
            parts.append(". ")
        ht = agg.get("hardtanh")
        if ht:
            parts += ["Hardtanh, flat on both sides of its kinks, solves ", rate("hardtanh")]
            if 2 * ht["solved"] > ht["seeds"]:
                parts.append(", most of its seeds")
            if rated.get("hardtanh") == best and worst < best:
                parts.append(", the best of the grid")
            parts.append(".")
        out += P(*parts)
    return out


def _t1(data: dict, cite: L.Citations, figures: dict) -> TeX:
    if not _ok(data, "networks"):
        return placeholder(data, "networks", "T1 per-network analysis")
    nets = data["networks"]
    out = P(
        "Every trained network (", cite("networks.summary.analysed"), ") is read exactly by verify.analysis: its float "
        "weights are dyadic rationals, so the regime of each (channel, run) term over ", TeX(r"$[a_{\min}, a_{\max}]$"),
        " (killed, alive, saturated, or crossing a kink), the section-5 equations ",
        TeX(r"$y(r,a) - r = \mathrm{value}(r) + a\,\mathrm{slope}(r)/|I|$"), " on each kink-free sub-interval with "
        "their exact residuals, the role of every weight and the exact worst error over the whole interval are "
        "computed in rational arithmetic. Solved (loss at most ", cite("networks.tolerances.loss"), "): ",
        cite("networks.summary.solved"), "; generic regimes: ", cite("networks.summary.generic"),
        "; proved within ", TeX(r"$\varepsilon = $ "), cite("networks.tolerances.eps"), " (rounding recovers r): ",
        cite("networks.summary.proved"), "; refuted: ", cite("networks.summary.refuted"), ".",
    )
    rows = [[f["family"], cite(f"networks.families.{i}.count")] for i, f in enumerate(nets["families"])]
    out += L.table(["family", "networks"], rows, align="lr", caption="T1: solution families of the trained networks.",
                   label="tab:families")
    if nets["summary"].get("median_plateau_ratio") is not None:
        out += P(
            "The amplitude-proportional plateau: an unsolved network whose outputs are fitted by ",
            TeX(r"$y(r,a) \approx a f(r) + g$"), " (least squares over the training grid) with RMS residual at most ",
            cite("networks.tolerances.plateau"), " times its own RMS error is classed 'plateau'. Median ratio of fit "
            "residual to error over the unsolved networks: ", cite("networks.summary.median_plateau_ratio"),
            ". Such a network's output is, to rounding, proportional to the amplitude up to a constant: with ",
            TeX(r"$f(r) \neq 0$"), " it cannot equal ", TeX("$r$"), " for two amplitudes (the slope equations of "
            "section 5 fail), and training stalls at the best estimator of that form instead of reaching zero loss.",
        )
    rows = []
    for i, n in enumerate(nets["networks"][:12]):
        rows.append([
            cite(f"networks.networks.{i}.index"), cite(f"networks.networks.{i}.loss"), n["family"],
            cite(f"networks.networks.{i}.crossings"),
            cite(f"networks.networks.{i}.max_residual") if n.get("max_residual") is not None else None,
            _verdict(n["verdict"]),
            cite(f"networks.networks.{i}.max_error") if n.get("max_error") is not None else None,
            TeX("/".join(cite(f"networks.networks.{i}.roles.{r}") for r in ("determined", "inequality", "free"))),
        ])
    out += L.table(["net", "loss", "family", "crossings", "max residual", "verdict", "max |y-r|", "roles d/i/f"], rows,
                   size=r"\footnotesize", caption="The best networks by final loss: exact residuals (largest equation "
                   "bound), interval verdicts and the number of determined / inequality-constrained / free weights.",
                   label="tab:networks")
    best = nets.get("best")
    if best:
        rows = []
        for i, w in enumerate(best["weights"]):
            if w["role"] == "determined":
                detail = TeX(escape(w["equation"] or "") + ", coefficient " + cite(f"networks.best.weights.{i}.coefficient"))
            elif w["role"] == "inequality":
                detail = TeX("slack " + cite(f"networks.best.weights.{i}.slack") + ": " + escape(w["constraint"] or ""))
            else:
                detail = w["constraint"] or ""
            rows.append([L.texttt(w["name"]), cite(f"networks.best.weights.{i}.value"), w["role"], detail])
        out += L.table(["weight", "value", "role", "why"], rows, align=r"lrlp{0.5\linewidth}", size=r"\footnotesize",
                       caption="Every weight of the best network: determined by an equation (the one with the largest "
                               "coefficient), constrained by an inequality (with its slack), or free.",
                       label="tab:weights")
    if "regimes" in figures:
        out += L.figure(figures["regimes"], "Regime map: for each network (rows, best first) the state of each (channel, "
                        "run) term over the whole amplitude interval.", "fig:regimes", width=r"0.9\linewidth")
    return out


def _i1(data: dict, cite: L.Citations) -> TeX:
    out = P(TeX(r"\claim{I1} "), "(a) For positively homogeneous ", TeX(r"$\sigma$"), " gradient flow conserves ",
            TeX(r"$q_c = \|w_c\|^2 + b_c^2 - v_c^2$"), "; a plain GD step changes it by ", TeX(r"$O(\eta^2)$"),
            " and Adam does not conserve it. (b) With odd ", TeX("$k$"), " flipping every filter leaves the loss "
            "unchanged and training from symmetric filters keeps them symmetric. (c) With an FC head, positions whose "
            "feature is the same on every sample keep their initial pairwise weight differences.")
    bal = (data.get("training") or {}).get("balancedness")
    if bal:
        out += P("In the main run (", bal["optimizer"], "), the largest drift of ", TeX("$q_c$"), " was ",
                 cite("training.balancedness.max_drift"), " (median ", cite("training.balancedness.median_drift"), ").")
    if not _ok(data, "invariants"):
        return out + placeholder(data, "invariants", "I1 checks")
    inv = data["invariants"]
    out += P("Checks on this configuration with ", cite("invariants.members"),
             " members in float64 (numerical claims; tolerance and sample stated):")
    items = []
    a = inv.get("a", {})
    if "gd" in a:
        g, ad = a["gd"], a["adam"]
        items.append(TeX(
            "(a) GD over flow time " + cite("invariants.a.gd.flow_time") + " with step sizes "
            + ", ".join(cite(f"invariants.a.gd.lrs.{i}") for i in range(len(g["lrs"])))
            + ": drift " + ", ".join(cite(f"invariants.a.gd.drifts.{i}") for i in range(len(g["drifts"])))
            + escape(" (accumulated over the flow the drift is ") + r"$O(\eta)$" + escape(", per step ")
            + r"$O(\eta^2)$" + "); "
            + "fitted exponent of the drift per step " + cite("invariants.a.gd.exponent")
            + escape(" (theory 2, accepted band [") + cite("invariants.a.exponent_band.0") + ", "
            + cite("invariants.a.exponent_band.1") + escape("]): ")
            + _verdict("passed" if a["conserved"] else "failed")
            + escape(". Adam (negative control): drift ")
            + ", ".join(cite(f"invariants.a.adam.drifts.{i}") for i in range(len(ad["drifts"])))
            + ", exponent " + cite("invariants.a.adam.exponent") + escape(" (below ") + cite("invariants.a.adam_below")
            + escape(": first order, not conserved): ") + _verdict("as predicted" if a["adam_breaks"] else "NOT as predicted")
            + "."))
    else:
        items.append("(a) " + a.get("not_applicable", "not run"))
    b = inv.get("b", {})
    if "value" in b:
        items.append(TeX(
            "(b) " + escape(b["description"]) + " (" + escape(b["optimizer"]) + ", " + cite("invariants.b.steps")
            + " steps): " + cite("invariants.b.value") + ", tolerance " + cite("invariants.b.tolerance")
            + escape(": ") + _verdict("passed" if b["as_predicted"] else "failed")
            + escape("; from the unsymmetrised init the asymmetry is ") + cite("invariants.b.contrast") + "."))
    else:
        items.append("(b) " + b.get("not_applicable", "not run"))
    c = inv.get("c", {})
    if "value" in c:
        items.append(TeX(
            "(c) " + escape(c["description"]) + " (FC head, " + escape(c["optimizer"]) + ", " + cite("invariants.c.steps")
            + " steps): " + cite("invariants.c.value") + ", tolerance " + cite("invariants.c.tolerance")
            + escape(": ") + _verdict("passed" if c["as_predicted"] else "failed")
            + escape("; across the other positions the spread is ")
            + (cite("invariants.c.contrast") if c.get("contrast") is not None else "n/a") + "."))
    else:
        items.append("(c) not applicable to this configuration with an FC head: " + c.get("not_applicable", "not run")
                     + " (the 2D check of the same claim is in the D1 section)")
    return out + L.itemize(items)


FLAG_SHORT = {"k=1": "k=1", "even-k": "even k", "k>=N": "k>=N", "window-wider-than-pulse": "wide window",
              "border": "border", "no-background": "no background", "invalid": "invalid"}


def explore_section(data: dict, cite: L.Citations) -> TeX:
    title = "Kernel-size exploration"
    body = P("How the runs, the rank of the fixed-amplitude system, the A1 background counter, the minimal width and "
             "training success change with the kernel size ", TeX("$k$"), " (all other settings as in Table ",
             TeX(r"\ref{tab:config}"), "; a dash: no counter, no construction, or not trained).")
    if not _ok(data, "explore"):
        return L.section(title, body + placeholder(data, "explore", "Kernel sweep (issue 7)"), label="sec:explore")
    ex = data["explore"]
    sweep = ex.get("sweep") or {}
    trained = sweep.get("status") == "ok"
    if trained:
        body += P("Training per kernel size: ", cite("explore.sweep.train_config.seeds"), " networks, ",
                  cite("explore.sweep.train_config.steps"), " ", sweep["train_config"]["optimizer"],
                  " steps each (", L.texttt(sweep["function"]), "); solved networks are certified when the exact "
                  "interval proof and every section-5 equation pass.")
    headers = ["k", "runs m", "rank", TeX(r"A1 $\beta$"), "A1 vb", TeX(r"A1 $r_{\max}$"),
               f"A4 min C ({ex['activation']})", "edge cases"]
    if trained:
        headers += ["solved", "certified", "families"]
    rows = []
    for i, row in enumerate(ex["rows"]):
        base = f"explore.rows.{i}"

        def c(key):
            return cite(f"{base}.{key}") if row.get(key) is not None else None

        cells = [c("kernel"), c("n_runs"), c("constraint_rank"), c("beta"), c("vb"), c("r_max"), c("min_channels"),
                 ", ".join(FLAG_SHORT.get(f, f) for f in row["flags"]) or None]
        if trained:
            if row.get("n_solved") is not None:
                cells += [cite.rate(f"{base}.n_solved", f"{base}.seeds"), c("n_certified"),
                          TeX(", ".join(escape(name) + " " + cite(f"{base}.families.{name}")
                                        for name in (row.get("families") or {})))]
            else:
                cells += [None, None, None]
        rows.append(cells)
    align = "rrrrrrrp{0.16\\linewidth}" + ("rrp{0.22\\linewidth}" if trained else "")
    body += L.table(headers, rows, align=align, size=r"\footnotesize",
                    caption=TeX(escape(f"Kernel sweep ({ex['source']}, padding {data['config']['padding']}). "
                                       "A1 r_max = -1: no counter.")), label="tab:explore")
    reasons = {}
    for row in ex["rows"]:
        for flag, why in (row.get("flag_reasons") or {}).items():
            reasons.setdefault(flag, why)
    if reasons:
        body += P("Edge cases (F2), with the engine's reason at the first kernel size where each occurs:")
        body += L.itemize([f"{FLAG_SHORT.get(f, f)}: {why}" for f, why in reasons.items()])
    if not trained:
        body += placeholder_text(f"Training success per kernel size (issue 7): {sweep.get('reason', 'not available')}.")
    return L.section(title, body, label="sec:explore")


def d1_section(data: dict, cite: L.Citations, figures: dict) -> TeX:
    title = "Two dimensions (D1)"
    if not _ok(data, "d1"):
        return L.section(title, placeholder(data, "d1", "D1"), label="sec:d1")
    d = data["d1"]
    g, f = d["gap"], d["fc"]
    body = P(
        TeX(r"\claim{D1} "), "On the ", cite("d1.config.size"), TeX(r"$\times$"), cite("d1.config.size"),
        " grid with ", TeX("$k\\times k$"), " kernels, ", TeX("$k = $ "), cite("d1.config.kernel"), ", radii ",
        _range_text(cite, "d1.config.radii"), ", a centred digital disk ", TeX(r"$D_\rho = \{i^2 + j^2 \le \rho^2\}$"),
        ". GAP head, one ReLU channel counting background pixels: ",
        TeX(r"$\#\mathrm{background}(\rho) = |I|^2 - |D_\rho \oplus (k\times k)|$"),
        " is not affine in ", TeX(r"$\rho$"), " (second differences are not all zero), so exact estimation fails. "
        "The least-squares counter has ", TeX(r"$\beta = $ "), cite("d1.gap.beta", "float", 6), ", ", TeX("$vb = $ "),
        cite("d1.gap.vb", "float", 6), ", mean squared error ", cite("d1.gap.mse", "float", 4), " (exact value in results.json), "
        "RMSE ", cite("d1.gap.rmse", digits=4), ", largest residual ", cite("d1.gap.max_abs_residual", "float", 4),
        "; the constructed network attains this floor on the whole amplitude interval: ",
        _verdict("proved" if g.get("attained") else "not proved"), ".",
    )
    rows = []
    for i, _ in enumerate(g["radii"]):
        rows.append([cite(f"d1.gap.radii.{i}"), cite(f"d1.gap.background_counts.{i}"),
                     cite(f"d1.gap.residuals.{i}", "float", 3)])
    body += L.table([TeX(r"$\rho$"), "#background", "residual"], rows,
                    caption="D1, GAP: background counts and residuals of the least-squares counter.", label="tab:d1gap")
    if g.get("supports"):
        srows = []
        for name, s in g["supports"].items():
            srows.append([name, cite(f"d1.gap.supports.{name}.taps"), cite(f"d1.gap.supports.{name}.rmse", digits=4)])
        body += L.table(["support", "taps", "RMSE floor"], srows, align="lrr",
                        caption="D1, GAP: the floor for other filter supports.", label="tab:d1supports")
    body += P(
        "FC head, ring law: weights ", TeX(r"$V = -\Delta\rho/(b\,|\mathrm{ring}_\rho|)$"),
        " on the pixels that leave the background between consecutive radii give exact estimation: ",
        _verdict("proved" if f.get("exact") else "refuted"),
        *( [" (maximal error ", cite("d1.fc.max_error"), " over ", cite("d1.fc.points"), " evaluation points)"] if f.get("points") else []),
        ". Pixels that are background on every sample (", cite("d1.fc.always_background"),
        ") keep their initial pairwise differences under training (I1c).",
    )
    rows = []
    for i, r in enumerate(f["rings"]):
        if r.get("profile") is None:
            rows.append([cite(f"d1.fc.rings.{i}.rho"), cite(f"d1.fc.rings.{i}.size"), None, None, None, None])
            continue
        rows.append([cite(f"d1.fc.rings.{i}.rho"), cite(f"d1.fc.rings.{i}.size"), cite(f"d1.fc.rings.{i}.weight"),
                     cite(f"d1.fc.rings.{i}.profile", digits=4), cite(f"d1.fc.rings.{i}.law", digits=4),
                     cite(f"d1.fc.rings.{i}.steiner_rel_error", digits=3)])
    body += L.table([TeX(r"$\rho$"), "|ring|", TeX("$Vb$"), "1/|ring|", TeX(r"$1/(2\pi\rho)$"), "rel. err. (Steiner)"],
                    rows, caption="D1, FC: ring sizes, exact weights and the radial law.", label="tab:d1rings")
    if "d1" in figures:
        body += L.figure(figures["d1"], "D1: the best affine background counter against the radius (GAP), and the ring-law "
                         "profile against 1/(2 pi d) (FC).", "fig:d1")
    tr = d.get("trained") or {}
    if tr.get("status") == "ok":
        t = tr["data"]
        body += P("Trained 2D networks (", L.texttt(tr["function"]), "; ", cite("d1.trained.train_config.seeds"),
                  " networks per variant, ", cite("d1.trained.train_config.steps"), " steps; numerical):")
        items = []
        base = "d1.trained.data"
        for key, label in (("gap_one_channel", "GAP, one ReLU channel"), ("gap_wide", "GAP, several channels")):
            if key in t:
                items.append(_phrase(cite, [
                    (label + ": best RMSE ", f"{base}.{key}.rmse_min"), (", median ", f"{base}.{key}.rmse_median"),
                    (" against the floor ", f"{base}.{key}.floor"),
                    ("; networks below the floor: ", f"{base}.{key}.beating_floor"),
                    (", unexplained: ", f"{base}.{key}.unexplained"),
                    (f" (sample {t[key].get('sample', 'see results.json')}).", None)]))
        if "fc_default_init" in t:
            items.append(_phrase(cite, [
                ("FC from PyTorch's default init: networks in the ring-law regime ", f"{base}.fc_default_init.in_regime"),
                (" of ", f"{base}.fc_default_init.networks"), (".", None)]))
        if "fc_regime_init" in t:
            items.append(_phrase(cite, [
                ("FC started in the regime: networks in the regime ", f"{base}.fc_regime_init.in_regime"),
                ("; trained ring means against the law: median relative error ", f"{base}.fc_regime_init.median_rel_error"),
                (", largest ", f"{base}.fc_regime_init.max_rel_error"), (".", None)]))
        if "i1c" in t:
            items.append(_phrase(cite, [
                ("I1c: over the always-background pixels (", f"{base}.i1c.pixels"),
                (") the spread of V - V0 is ", f"{base}.i1c.max_deviation"),
                ("; across other pixels it is at least ", f"{base}.i1c.min_contrast"),
                ("; at most ", f"{base}.i1c.max_contrast"), (".", None)]))
        body += L.itemize(items)
    else:
        body += placeholder_text(f"D1 trained comparison: {tr.get('status', 'unavailable')} ({tr.get('reason', 'unknown')}).")
    return L.section(title, body, label="sec:d1")


def reproduce_section(data: dict, cite: L.Citations) -> TeX:
    c, t = data["config"], data["train_config"]
    amp = c["amplitude"][0] if c["amplitude"][0] == c["amplitude"][1] else f"{c['amplitude'][0]}:{c['amplitude'][1]}"
    radii = c["radii"]
    cmd = (f"radiuscnn report --dim {c['dim']} --size {c['size']} --kernel {c['kernel']} --channels {c['channels']} "
           f"--activation {c['activation']} --alpha {c['alpha']} --padding {c['padding']} --head {c['head']} "
           f"--radii {radii[0]}:{radii[-1]} --amplitude {amp} --seeds {t['seeds']} --steps {t['steps']} "
           f"--lr {t['lr']} --optimizer {t['optimizer']} --seed {t['seed']} --dtype {t['dtype']} "
           f"--amplitudes {t['amplitudes']}")
    body = P("This report is regenerated by")
    body += TeX("\\begin{quote}\\small\\ttfamily\\raggedright " + escape(cmd) + "\\end{quote}\n")
    rows = []
    for name, seconds in (data.get("timing") or {}).items():
        rows.append([name.replace("_", " "), cite(f"timing.{name}", digits=3)])
    body += L.table(["stage", "seconds"], rows, align="lr", caption="Wall time per stage of this build.", label="tab:timing")
    states = [[name, st["status"], st["reason"]] for name, st in (data.get("sections") or {}).items() if st["status"] != "ok"]
    if states:
        body += P("Parts not in this report:")
        body += L.table(["part", "status", "reason"], states, align="llp{0.6\\linewidth}", size=r"\footnotesize", float_=False)
    return L.section("Reproduction", body, label="sec:reproduce")


BIBLIOGRAPHY = r"""
\begin{thebibliography}{9}
\bibitem{dages2023} T.~Dag\`es, M.~Lindenbaum, A.~M.~Bruckstein.
\newblock From Compass and Ruler to Convolution and Nonlinearity: On the Surprising Difficulty of Understanding
a Simple CNN Solving a Simple Geometric Estimation Task.
\newblock arXiv:2303.06638, 2023. (The origin of the question; the results here are derived independently.)
\end{thebibliography}
"""


SECTIONS = (
    ("claims", "Claims at a glance", claims_table),
    ("problem", "Problem and notation", problem),
    ("runs", "Run decomposition and counts (R1)", runs_section),
    ("constraints", "Fixed amplitude: constraints and rank (F1, F2)", constraints_section),
    ("a1", "A1: the background counter", a1_section),
    ("a2", "A2: structure of one-channel ReLU solutions", a2_section),
    ("a3", "A3: analytic activations", a3_section),
    ("a4", "A4: minimal width", a4_section),
    ("training", "What training does (T1, I1)", lambda d, c: training_section(d, c, d.get("figures") or {})),
    ("explore", "Kernel-size exploration", explore_section),
    ("d1", "Two dimensions (D1)", lambda d, c: d1_section(d, c, d.get("figures") or {})),
    ("reproduce", "Reproduction", reproduce_section),
)


def render_guarded(name: str, title: str, fn, data: dict, cite: L.Citations) -> str:
    """One section; if rendering fails (e.g. a module changed its result keys), a placeholder
    naming the error replaces it, its citations are withdrawn, and the error is recorded in
    ``data["render_errors"]``."""
    mark = len(cite.items)
    try:
        return fn(data, cite)
    except Exception as error:  # noqa: BLE001 - reported in the PDF and by the CLI
        del cite.items[mark:]
        message = f"{type(error).__name__}: {error}"
        data.setdefault("render_errors", {})[name] = message
        return L.section(title, placeholder_text(f"This section failed to render: {message}"))


def document(data: dict, cite: L.Citations) -> str:
    """The whole ``derivation.tex`` from the results data."""
    data.pop("render_errors", None)
    body = "".join(render_guarded(name, title, fn, data, cite) for name, title, fn in SECTIONS) + BIBLIOGRAPHY
    mark = len(cite.items)
    try:
        summary = abstract(data, cite)
    except Exception as error:  # noqa: BLE001
        del cite.items[mark:]
        data.setdefault("render_errors", {})["abstract"] = f"{type(error).__name__}: {error}"
        summary = escape("Derivation report of the radiuscnn engine (the data summary failed to render).")
    title = "What a tiny CNN must do to measure a pulse: derivation report"
    return L.document(title, "generated by radiuscnn", summary, body)
