"""LaTeX building blocks: escaping, cited numbers, tables, equations, compiling.

Everything here is a pure function of its arguments except :func:`compile_pdf` (runs the
engine) and :func:`find_engine` (looks at ``PATH``). Text is escaped by default; a string
that is already LaTeX is marked by wrapping it in :class:`TeX`.

Cited numbers. Every number the report prints goes through :class:`Citations`: ``cite(path)``
looks the value up in the results data, formats it, records ``(path, text)`` where ``text`` is
exactly what a reader sees in the PDF, and returns the escaped text for the ``.tex``.
``results.json`` stores that list under ``"cited"``, so a test can look each one up in the
PDF's text.
"""

from __future__ import annotations

import math as pymath
import shutil
import subprocess
from fractions import Fraction
from importlib import resources
from pathlib import Path
from typing import Callable, Iterable, Sequence

TEX_PACKAGES = (
    "texlive-latex-base",
    "texlive-latex-recommended",
    "texlive-fonts-recommended",
    "latexmk",
)


class ReportError(RuntimeError):
    """The report could not be produced; the message is meant for the user as it is."""


class MissingTeXError(ReportError):
    """No TeX engine on ``PATH`` (the ``.tex`` was still written)."""


class TeXCompileError(ReportError):
    """The engine ran and failed; the message ends with the tail of the log."""


class TeX(str):
    """A string that is already LaTeX (not escaped again)."""


# ---------------------------------------------------------------------------------- escaping
_ESCAPES = {
    "\\": r"\textbackslash{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
    "<": r"\textless{}",
    ">": r"\textgreater{}",
    "|": r"\textbar{}",
    "\u2212": "-",  # unicode minus: printed as a hyphen so extracted text stays ASCII
    "\u2013": "--",
    "\u2014": "---",
    "\u2018": "`",
    "\u2019": "'",
    "\u201c": "``",
    "\u201d": "''",
    "\u00a0": "~",
    "\u2026": r"\dots{}",
    "\u00b7": r"$\cdot$",
    "\u00d7": r"$\times$",
    "\u2264": r"$\le$",
    "\u2265": r"$\ge$",
    "\u2260": r"$\ne$",
    "\u2192": r"$\to$",
    "\u221e": r"$\infty$",
    "\u2208": r"$\in$",
    "\u2211": r"$\sum$",
    "\u2205": r"$\emptyset$",
    "\u00e8": r"\`e",
    "\u00e9": r"\'e",
}
_GREEK = {
    "α": "alpha", "β": "beta", "γ": "gamma", "δ": "delta", "ε": "varepsilon", "η": "eta",
    "λ": "lambda", "μ": "mu", "ρ": "rho", "σ": "sigma", "τ": "tau", "φ": "phi", "Δ": "Delta",
}
_ESCAPES.update({ch: f"$\\{name}$" for ch, name in _GREEK.items()})


def escape(text) -> str:
    """``text`` as LaTeX text: special characters escaped, a few Unicode symbols mapped to
    their LaTeX forms and any other non-ASCII character replaced by ``?`` (pdflatex without
    extra fonts cannot typeset arbitrary Unicode). A :class:`TeX` string passes through."""
    if isinstance(text, TeX):
        return str(text)
    out = []
    for ch in str(text):
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif ord(ch) < 128:
            out.append(ch)
        else:
            out.append("?")
    return "".join(out)


def texttt(text) -> TeX:
    return TeX(r"\texttt{" + escape(text) + "}")


# ---------------------------------------------------------------------------- number formats
def fmt_float(value, digits: int = 3) -> str:
    """``digits`` significant digits; scientific form ``1.23e-05`` for very small/large."""
    if value is None:
        return "n/a"
    x = float(value)
    if pymath.isnan(x):
        return "nan"
    if pymath.isinf(x):
        return "inf" if x > 0 else "-inf"
    if x == 0:
        return "0"
    if 1e-3 <= abs(x) < 1e5:
        text = f"{x:.{digits}g}"
        if "e" not in text:
            return text
    mantissa, exponent = f"{x:.{max(digits - 1, 0)}e}".split("e")
    return f"{mantissa}e{int(exponent):+03d}"


def fmt_percent(num: int, den: int) -> str:
    if den == 0:
        return "n/a"
    return f"{100.0 * num / den:.1f}%"


class Citations:
    """Every number printed in the report, as ``(path, text as printed)``.

    Numbers are looked up by a dotted ``path`` in the results data (``"training.successes"``,
    ``"a1.past.0.1"``: list indices are integers), formatted, recorded and returned as
    unbreakable escaped LaTeX, so the ``.tex`` can only print what ``results.json`` holds.
    """

    def __init__(self, data: dict | None = None) -> None:
        self.data = data or {}
        self.items: list[tuple[str, str]] = []

    def value(self, path: str):
        node = self.data
        for part in path.split("."):
            if isinstance(node, list):
                node = node[int(part)]
            elif isinstance(node, dict) and part in node:
                node = node[part]
            else:
                raise KeyError(f"results have no {path!r} (at {part!r})")
        return node

    def has(self, path: str) -> bool:
        try:
            return self.value(path) is not None
        except (KeyError, IndexError, ValueError):
            return False

    def record(self, key: str, text: str) -> TeX:
        self.items.append((key, text))
        return TeX(r"\mbox{" + escape(text) + "}")

    def __call__(self, path: str, fmt: str = "auto", digits: int = 3) -> TeX:
        """Cite the number at ``path``: ``fmt`` is ``auto`` (ints as ints, exact strings as
        ``p/q``, floats to ``digits`` significant digits), ``float`` (exact strings too) or
        ``percent`` (a fraction in [0, 1]) or ``raw`` (a string stored preformatted)."""
        return self.record(path, format_number(self.value(path), fmt, digits))

    def rate(self, num_path: str, den_path: str) -> TeX:
        """``num/den (p%)`` as one cited string."""
        num, den = int(self.value(num_path)), int(self.value(den_path))
        return self.record(f"{num_path}/{den_path}", f"{num}/{den} ({fmt_percent(num, den)})")

    def to_json(self) -> list[list[str]]:
        seen, out = set(), []
        for key, text in self.items:
            if (key, text) not in seen:
                seen.add((key, text))
                out.append([key, text])
        return out


def format_number(value, fmt: str = "auto", digits: int = 3) -> str:
    """The printed form of one results value (see :meth:`Citations.__call__`)."""
    if isinstance(value, bool):
        raise TypeError(f"not a number: {value!r}")
    if fmt == "raw":  # already formatted by the collector (e.g. a 50-digit mpmath number)
        return str(value)
    if fmt == "percent":
        return f"{100.0 * float(value):.1f}%"
    if fmt == "float":
        return fmt_float(float(Fraction(value)) if isinstance(value, str) else value, digits)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        try:
            return str(Fraction(value))
        except ValueError:
            if value in ("nan", "inf", "-inf"):
                return value
            raise
    if value is None:
        return "n/a"
    return fmt_float(value, digits)


# ------------------------------------------------------------------------------ math blocks
LONG_EQUATION = 110  # characters of LaTeX above which a display is scaled to the line width
HUGE_EQUATION = 6000  # above this, the display is left out of the PDF (it stays in results.json)


def math(latex: str) -> TeX:
    """Inline math ``$...$`` from a LaTeX string (e.g. ``sympy.latex`` output)."""
    return TeX(f"${latex}$")


def display(latex: str, label: str | None = None, note: str | None = None) -> TeX:
    """A displayed equation; long ones are scaled down to the line width, huge ones omitted."""
    tag = rf"\label{{{label}}}" if label else ""
    if len(latex) > HUGE_EQUATION:
        what = note or "the expression"
        return TeX(
            r"\par\noindent\emph{" + escape(f"{what} is too long to typeset "
                                             f"({len(latex)} characters of LaTeX); it is stored in results.json.")
            + "}\\par\n"
        )
    if len(latex) > LONG_EQUATION:
        body = r"\resizebox{\ifdim\width>\linewidth\linewidth\else\width\fi}{!}{$\displaystyle " + latex + "$}"
        return TeX("\\begin{equation}" + tag + "\n" + body + "\n\\end{equation}\n")
    return TeX("\\begin{equation}" + tag + "\n" + latex + "\n\\end{equation}\n")


# ----------------------------------------------------------------------------------- tables
def table(
    headers: Sequence,
    rows: Iterable[Sequence],
    align: str | None = None,
    caption: str | None = None,
    label: str | None = None,
    size: str = r"\small",
    float_: bool = True,
    fit: bool = True,
) -> TeX:
    """A booktabs table (scaled down to the line width when wider, unless ``fit=False``).
    Cells are escaped unless they are :class:`TeX`; ``None`` prints as
    an en dash. ``caption`` is escaped too (pass :class:`TeX` for math in captions)."""
    headers = list(headers)
    rows = [list(r) for r in rows]
    if align is None:
        align = "l" + "r" * (len(headers) - 1)

    def cell(x) -> str:
        if x is None:
            return "--"
        return escape(x)

    lines = [size]
    if fit:  # never wider than the line: scale a too-wide table down
        lines.append(r"\resizebox{\ifdim\width>\linewidth\linewidth\else\width\fi}{!}{%")
    lines += [r"\begin{tabular}{" + align + "}", r"\toprule"]
    lines.append(" & ".join(cell(h) for h in headers) + r" \\")
    lines.append(r"\midrule")
    for row in rows:
        lines.append(" & ".join(cell(x) for x in row) + r" \\")
    lines.append(r"\bottomrule")
    lines.append(r"\end{tabular}" + ("}" if fit else ""))
    inner = "\n".join(lines)
    if not float_:
        return TeX("\\begin{center}\n" + inner + "\n\\end{center}\n")
    cap = rf"\caption{{{escape(caption)}}}" if caption else ""
    lab = rf"\label{{{label}}}" if label else ""
    return TeX("\\begin{table}[htbp]\n\\centering\n" + inner + "\n" + cap + lab + "\n\\end{table}\n")


def figure(path: str, caption, label: str | None = None, width: str = r"\linewidth") -> TeX:
    lab = rf"\label{{{label}}}" if label else ""
    return TeX(
        "\\begin{figure}[htbp]\n\\centering\n"
        rf"\includegraphics[width={width}]{{{path}}}" + "\n"
        rf"\caption{{{escape(caption)}}}{lab}" + "\n\\end{figure}\n"
    )


def itemize(items: Iterable) -> TeX:
    body = "\n".join(r"\item " + escape(x) for x in items)
    return TeX("\\begin{itemize}\n" + body + "\n\\end{itemize}\n")


def section(title, body: str, level: str = "section", label: str | None = None) -> TeX:
    lab = rf"\label{{{label}}}" if label else ""
    return TeX(f"\\{level}{{{escape(title)}}}{lab}\n{body}\n")


def paragraph(*parts) -> TeX:
    """Concatenate text parts (escaped unless TeX) into one paragraph."""
    return TeX("".join(escape(p) for p in parts) + "\n\n")


# --------------------------------------------------------------------------------- document
def preamble() -> str:
    """The preamble shipped in ``reports/templates/preamble.tex`` (package data)."""
    return resources.files("radiuscnn.reports").joinpath("templates/preamble.tex").read_text(encoding="utf-8")


# -------------------------------------------------------------------------------- compiling
def find_engine(which: Callable[[str], str | None] = shutil.which) -> str | None:
    """``"latexmk"`` when latexmk and pdflatex are on PATH, ``"pdflatex"`` when only pdflatex
    is, else ``None``."""
    if which("pdflatex") is None:
        return None
    return "latexmk" if which("latexmk") is not None else "pdflatex"


def missing_engine_message(tex_path) -> str:
    """The one line printed when no TeX engine is available."""
    return (
        f"radiuscnn report: no TeX engine (latexmk/pdflatex) on PATH; wrote {tex_path} but not the PDF; "
        f"install the Debian packages: sudo apt-get install {' '.join(TEX_PACKAGES)}"
    )


def engine_commands(engine: str, tex_name: str) -> list[list[str]]:
    """The command lines that compile ``tex_name`` (run in its directory), non-interactively
    and halting on the first error."""
    flags = ["-interaction=nonstopmode", "-halt-on-error", "-file-line-error"]
    if engine == "latexmk":
        return [["latexmk", "-pdf", "-silent", *flags, tex_name]]
    # plain pdflatex: twice, so the table of contents and references resolve
    return [["pdflatex", *flags, tex_name], ["pdflatex", *flags, tex_name]]


def log_tail(log_text: str, lines: int = 25) -> str:
    """The informative end of a TeX log: from the first ``!`` error line (or ``file:line:``
    error) on, at most ``lines`` lines; else the last ``lines`` lines."""
    all_lines = [ln for ln in log_text.splitlines() if ln.strip()]
    for index, ln in enumerate(all_lines):
        if ln.startswith("!") or (":" in ln and ln.split(":")[1].strip().isdigit() and ".tex" in ln.split(":")[0]):
            return "\n".join(all_lines[index:index + lines])
    return "\n".join(all_lines[-lines:])


def compile_pdf(
    tex_path: Path,
    engine: str | None = None,
    run: Callable = subprocess.run,
    timeout: float = 300,
) -> Path:
    """Compile ``tex_path`` to a PDF next to it and return its path.

    Raises :class:`MissingTeXError` when no engine exists and :class:`TeXCompileError` (one
    message: what failed and the tail of the log) when the engine fails.
    """
    tex_path = Path(tex_path)
    engine = engine or find_engine()
    if engine is None:
        raise MissingTeXError(missing_engine_message(tex_path))
    for command in engine_commands(engine, tex_path.name):
        try:
            proc = run(
                command,
                cwd=str(tex_path.parent),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                timeout=timeout,
            )
        except subprocess.TimeoutExpired:
            raise TeXCompileError(f"{command[0]} timed out after {timeout:.0f} s on {tex_path}") from None
        except FileNotFoundError:
            raise MissingTeXError(missing_engine_message(tex_path)) from None
        if proc.returncode != 0:
            log_path = tex_path.with_suffix(".log")
            log_text = log_path.read_text(errors="replace") if log_path.exists() else (proc.stdout or "")
            raise TeXCompileError(
                f"{command[0]} failed on {tex_path} (exit {proc.returncode}); end of {log_path.name}:\n"
                + log_tail(log_text)
            )
    pdf = tex_path.with_suffix(".pdf")
    if not pdf.exists():
        raise TeXCompileError(f"{engine} reported success but {pdf} does not exist")
    return pdf
