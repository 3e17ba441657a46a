"""The report's LaTeX from Jinja2 templates (``reports/templates/``), filled from the results.

Delimiters are LaTeX-safe: blocks ``((* ... *))``, values ``((( ... )))``, comments
``((= ... =))``. A value is escaped as LaTeX text unless it is :class:`reports.latex.TeX`
(cited numbers, equations, tables), so template text is LaTeX and data is always text.

:data:`SECTIONS` lists the sections in order: ``(name, title, template)``. Adding a section
for a new claim is one template ``templates/sections/<name>.tex.j2`` and one line here (its
data come from a collector in :mod:`reports.collect`; its claim from the registry).
"""

from __future__ import annotations

from functools import partial

import jinja2

from radiuscnn.reports import latex as L
from radiuscnn.reports import texhelpers as H
from radiuscnn.reports.latex import TeX, escape
from radiuscnn.verify.registry import CLAIMS

SECTIONS = (
    ("claims", "Claims at a glance", "claims"),
    ("problem", "Problem and notation", "problem"),
    ("runs", "Run decomposition and counts (R1)", "runs"),
    ("constraints", "Fixed amplitude: constraints and rank (F1, F2)", "constraints"),
    ("a1", "A1: the background counter", "a1"),
    ("a2", "A2: structure of one-channel ReLU solutions", "a2"),
    ("a3", "A3: analytic activations", "a3"),
    ("a4", "A4: minimal width", "a4"),
    ("training", "What training does (T1, I1)", "training"),
    ("landscape", "Why training fails: the loss landscape (L1-L3)", "landscape"),
    ("explore", "Kernel-size exploration", "explore"),
    ("d1", "Two dimensions (D1)", "d1"),
    ("reproduce", "Reproduction", "reproduce"),
)
TITLE = "What a tiny CNN must do to measure a pulse: derivation report"


def _finalize(value):
    if value is None:
        return ""
    return value if isinstance(value, TeX) else escape(value)


ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("radiuscnn.reports", "templates"),
    block_start_string="((*", block_end_string="*))",
    variable_start_string="(((", variable_end_string=")))",
    comment_start_string="((=", comment_end_string="=))",
    trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
    autoescape=False, undefined=jinja2.StrictUndefined, finalize=_finalize,
    extensions=["jinja2.ext.do"],
)
ENV.filters["e_tex"] = escape
ENV.filters["safe_tex"] = TeX
FLAG_SHORT = {"k=1": "k=1", "even-k": "even k", "k>=N": "k>=N", "window-wider-than-pulse": "wide window",
              "border": "border", "no-background": "no background", "invalid": "invalid"}
ENV.filters["flag_short"] = lambda flag: FLAG_SHORT.get(flag, flag)
ENV.filters["mathprose"] = H.typeset_step


def _tex_join(sep, items) -> TeX:
    return TeX(escape(sep).join(_finalize(x) for x in items))


def context(data: dict, cite: L.Citations) -> dict:
    """What every template sees: the data, the citations and the LaTeX helpers."""
    return {
        "data": data, "cite": cite, "figures": data.get("figures") or {}, "claims": CLAIMS,
        "ok": partial(H.ok, data), "placeholder": partial(H.placeholder, data), "boxed": H.boxed,
        "verdict": H.verdict, "range_text": partial(H.range_text, cite), "cite_list": partial(H.cite_list, cite),
        "run_tex": H.run_tex, "mathprose": H.typeset_step, "tolerance_text": partial(H.tolerance_text, cite), "steps": H.steps, "phrase": partial(H.phrase, cite), "latex_items": H.latex_items,
        "display": L.display, "math": L.math, "table": L.table, "figure": L.figure, "itemize": L.itemize,
        "texttt": L.texttt, "tex": TeX, "join": _tex_join,
    }


def render(template: str, data: dict, cite: L.Citations) -> str:
    return ENV.get_template(template).render(context(data, cite))


def render_guarded(name: str, title: str, template: str, data: dict, cite: L.Citations) -> str:
    """One section; if rendering fails (e.g. a collector changed its result keys), a boxed
    note naming the error replaces it, its citations are withdrawn, and the error is
    recorded in ``data["render_errors"]``."""
    mark = len(cite.items)
    try:
        return render(f"sections/{template}.tex.j2", data, cite)
    except Exception as error:  # noqa: BLE001 - reported in the PDF and by the CLI
        del cite.items[mark:]
        message = f"{type(error).__name__}: {error}"
        data.setdefault("render_errors", {})[name] = message
        return L.section(title, H.boxed(f"This section failed to render: {message}"))


def document(data: dict, cite: L.Citations) -> str:
    """The whole ``derivation.tex`` from the results data."""
    data.pop("render_errors", None)
    body = "".join(render_guarded(name, title, template, data, cite) for name, title, template in SECTIONS)
    mark = len(cite.items)
    try:
        summary = TeX(render("abstract.tex.j2", data, cite).strip())
    except Exception as error:  # noqa: BLE001
        del cite.items[mark:]
        data.setdefault("render_errors", {})["abstract"] = f"{type(error).__name__}: {error}"
        summary = "Derivation report of the radiuscnn engine (the data summary failed to render)."
    return ENV.get_template("document.tex.j2").render(
        preamble=TeX(L.preamble().rstrip()), title=TITLE, author="generated by radiuscnn",
        abstract=summary, body=TeX(body))
