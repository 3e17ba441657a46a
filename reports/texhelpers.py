"""Small LaTeX pieces the section templates call (each returns :class:`reports.latex.TeX`).

They read only the results data and the citations: ``ok``/``placeholder`` from the collectors'
section statuses, ``verdict`` typesets a status word, ``range_text`` a cited range of radii,
``run_tex`` a run, ``steps`` the engine's derivation steps (typeset by
:func:`reports.stepmath.typeset_step`), ``phrase`` cited clauses of a foreign result.
"""

from __future__ import annotations

from radiuscnn.reports import latex as L
from radiuscnn.reports.latex import TeX, escape
from radiuscnn.reports.stepmath import typeset_step


def status(data: dict, name: str) -> dict:
    return (data.get("sections") or {}).get(name) or {"status": "skipped", "reason": f"{name} was not collected"}


def ok(data: dict, name: str) -> bool:
    return status(data, name)["status"] == "ok" and data.get(name) is not None


def boxed(text) -> TeX:
    return TeX(r"\par\noindent\fbox{\parbox{0.95\linewidth}{" + escape(text) + "}}\\par\n\n")


def placeholder(data: dict, name: str, claim: str) -> TeX:
    """The paragraph shown instead of a section's results (names the claim and the reason)."""
    st = status(data, name)
    if st["status"] == "not_applicable":
        return boxed(f"{claim}: not applicable to this configuration ({st['reason']}).")
    if st["status"] == "error":
        return boxed(f"{claim}: this part failed to build in this run: {st['reason']}")
    return boxed(f"{claim}: not part of this run ({st['reason']}).")


def verdict(word: str) -> TeX:
    return TeX(r"\status{" + escape(word) + "}")


def range_text(cite: L.Citations, path: str) -> TeX:
    """A list of consecutive integers printed as ``lo--hi`` (both ends cited)."""
    values = cite.value(path)
    if values and values == list(range(values[0], values[-1] + 1)) and len(values) > 2:
        return TeX(cite(f"{path}.0") + r"--" + cite(f"{path}.{len(values) - 1}"))
    return TeX(", ".join(cite(f"{path}.{i}") for i in range(len(values))))


def cite_list(cite: L.Citations, path: str, sep: str = ", ") -> TeX:
    """Every element of the list at ``path``, cited, joined by ``sep``."""
    return TeX(sep.join(cite(f"{path}.{i}") for i in range(len(cite.value(path)))))


def run_tex(run: dict) -> TeX:
    """A run as math: the empty set, an interval ``[lo, hi]`` or a set of offsets."""
    offsets = run["offsets"]
    pattern = f" ({run['pattern']})" if run.get("pattern") else ""
    if not offsets:
        return TeX(L.math(r"\emptyset") + pattern)
    if run.get("contiguous"):
        return TeX(L.math(f"[{offsets[0]},{offsets[-1]}]") + pattern)
    return TeX(L.math(r"\{" + ",".join(str(t) for t in offsets) + r"\}") + pattern)


def steps(lines, numbered: bool = True) -> TeX:
    """Engine-recorded derivation steps, each typeset (prose and mathematics), as a list."""
    env = "enumerate" if numbered else "itemize"
    body = "\n".join(r"\item " + typeset_step(x) for x in lines)
    return TeX("{\\small\\begin{" + env + "}\n" + body + "\n\\end{" + env + "}}\n")


def phrase(cite: L.Citations, parts) -> TeX:
    """Text and cited numbers from a foreign result dict: each ``(text, path)`` is printed
    only when ``path`` holds a number (``path`` None: plain text)."""
    out = []
    for text, path in parts:
        if path is None:
            out.append(escape(text))
        elif cite.has(path) and not isinstance(cite.value(path), (bool, dict, list)):
            out.append(escape(text) + cite(path))
    return TeX("".join(out))


def latex_items(items: dict, skip=()) -> TeX:
    """Display each engine-rendered LaTeX string with its name."""
    out = []
    for name, tex in items.items():
        if name in skip or not tex:
            continue
        if name:
            out.append(L.paragraph(TeX(r"\emph{" + escape(name.replace("_", " ")) + ":}")))
        out.append(L.display(tex, note=name or None))
    return TeX("".join(out))


def tolerance_text(cite: L.Citations, claim_id: str) -> TeX | None:
    """The tolerances a claim was decided with, cited from ``claims.<ID>.tolerance``."""
    path = f"claims.{claim_id}.tolerance"
    if not cite.has(path) or not cite.value(path):
        return None
    parts = []
    for key, value in cite.value(path).items():
        label = escape(key.replace("_", " ")) + " "
        if isinstance(value, list):
            parts.append(label + "[" + ", ".join(cite(f"{path}.{key}.{i}") for i in range(len(value))) + "]")
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            parts.append(label + cite(f"{path}.{key}"))
        else:
            parts.append(label + escape(value))
    return TeX("; ".join(parts))
