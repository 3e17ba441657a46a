"""Typeset the engine's derivation steps: prose stays prose, mathematics becomes LaTeX.

The theory engine records each step of a derivation as one line of text mixing prose and
SymPy's string form (``n_empty(r) = 2*Max(0, M - h - r)``, ``slope difference: 2*S*s_{F}*v
= 0``). :func:`typeset_step` rewrites the engine's few spellings (:data:`REWRITES`), splits a
line into clauses at top-level punctuation, finds in each clause the longest runs of words
that SymPy parses as an expression, a relation or an interval, and prints those through the
report's one printer (:func:`reports.mathtex.tex`); the other words are escaped prose.
Nothing code-like (``*``, ``Abs(``, ``b_0*v_0``) reaches the PDF as text.
"""

from __future__ import annotations

import re
from functools import lru_cache

import sympy as sp
from sympy.parsing.sympy_parser import implicit_multiplication, parse_expr, standard_transformations

from radiuscnn.reports.latex import TeX, escape
from radiuscnn.reports.mathtex import SYMBOL_TEX, tex

RELATIONS = {"<=": r"\le", ">=": r"\ge", "!=": r"\ne", "=>": r"\Rightarrow", "->": r"\to", "=": "=", "<": "<",
             ">": ">"}
TRANSFORMS = standard_transformations + (implicit_multiplication,)
GREEK = {"alpha", "beta", "gamma", "delta", "epsilon", "eta", "mu", "rho", "sigma", "tau", "phi", "theta", "lam"}
FUNCTION_WORDS = {"Max", "Min", "Abs", "exp", "log", "tanh", "sigmoid", "softplus", "relu", "sign", "sigma", "phi",
                  "slope", "value", "y"}
PROSE = {"or", "and", "not", "in", "is", "if", "for", "with", "so", "at", "on", "True", "False", "None"}
FUNCTIONS = {"Max": sp.Max, "Min": sp.Min, "Abs": sp.Abs, "exp": sp.exp, "log": sp.log, "tanh": sp.tanh}
WORD_TEX = {"TIMES": r"$\times$", "DOTS": r"$\dots$", "->": r"$\to$", "=>": r"$\Rightarrow$", "=": "$=$", "!=": r"$\ne$",
            "<=": r"$\le$", ">=": r"$\ge$"}
# the engine's spellings, rewritten before parsing (order matters)
REWRITES = (
    (re.compile(r"\b([A-Za-z])_\{([A-Za-z0-9]+)\}"), r"\1_\2"),  # s_{F} -> s_F
    (re.compile(r"\b([A-Za-z])_\*"), r"\1_star"),  # W_* -> W_star
    (re.compile(r"\b([az])\*(?=[\s,.;:)/]|$)"), r"\1_star"),  # a kink a*, z* -> a_star, z_star
    (re.compile(r"\ba\*1\[\|i\| <= r\]"), "a 1[Abs(i) <= r]"),  # the pulse
    (re.compile(r"\|I\|"), "I_size"),
    (re.compile(r"\|i\|"), "Abs(i)"),
    (re.compile(r"\b([A-Za-z])_\{([^{}]*,[^{}]*)\}"), r"\1[\2]"),  # w_{c,t} -> w[c,t] (indexed)
    (re.compile(r"\|([^|]+)\|"), r"Abs(\1)"),
    (re.compile(r"\bn_empty\b"), "n_E"),
    (re.compile(r"\bDelta n_([A-Z])\b"), r"Delta_n_\1"),
    (re.compile(r"\blambda\b"), "lam"),
    (re.compile(r"#alive\b"), "N_alive"),
    (re.compile(r"\bsum_alive n_J\(r\) W\[J\]"), "S_alive"),
    (re.compile(r"\bW\[J\]"), "W_J"),
    (re.compile(r"\by\(r, \.\)"), "y(r, cdot)"),
    (re.compile(r"(\w) x \["), r"\1 TIMES ["),
    (re.compile(r"\b(\w+)\.\.(\w+)\b"), r"\1 DOTS \2"),  # 0..r_max
    (re.compile(r"\[((?:'[^']*'(?:, )?)+)\]"), lambda m: m.group(1).replace("'", "")),  # ['1', '1/10']
)
_WORD = re.compile(r"\S+")
_IDENT = re.compile(r"[A-Za-z_][A-Za-z_0-9]*")


def _allowed(name: str, call: bool) -> bool:
    """May this identifier appear inside mathematics? (prose words may not)"""
    if name in PROSE or re.fullmatch(r"[A-Z]\d", name):  # claim IDs (A3) are prose
        return False
    if len(name) == 1 or "_" in name or name in GREEK or name in SYMBOL_TEX:
        return True
    return call and name in FUNCTION_WORDS


@lru_cache(maxsize=4096)
def _parse(text: str):
    text = text.strip()
    if not text or re.search(r"[A-Za-z]-[A-Za-z]|\b\dD\b", text):  # a hyphenated word, 2D: prose
        return None
    local = dict(FUNCTIONS)
    for m in _IDENT.finditer(text):
        name = m.group()
        after = text[m.end():m.end() + 1]
        call = after == "("
        if not _allowed(name, call or after == "["):
            return None
        if name not in local:
            local[name] = sp.Function(name) if call else sp.IndexedBase(name) if after == "[" else sp.Symbol(name)
    try:
        expr = parse_expr(text, local_dict=local, transformations=TRANSFORMS, evaluate=False)
    except Exception:  # noqa: BLE001 - not mathematics: stays prose
        return None
    return expr if isinstance(expr, sp.Basic) and not isinstance(expr, sp.logic.boolalg.BooleanAtom) else None


def _print(expr) -> str:
    out = tex(expr)
    out = re.sub(r"\\left\(-1\\right\) ", "-", out)  # unevaluated -b: Mul(-1, b)
    return re.sub(r"(^|[{(\s])1 \\cdot ", r"\1", out)  # unevaluated 1/10: Mul(1, 1/10)


def _has_signal(text: str) -> bool:
    """Does the text look like mathematics rather than a prose word?"""
    t = text.strip()
    if re.search(r"[=<>*/+^_\d]|-(?=[\w(])|\w\(", t):
        return True
    if re.fullmatch(r"[A-Za-z](\s+[A-Za-z])+", t):  # a product of symbols: v b
        return True
    return t in GREEK or (len(t) == 1 and t.isalpha() and t != "a")


def _top_split(text: str, seps) -> list[str]:
    """Split ``text`` at the separators in ``seps`` outside brackets."""
    out, depth, start, i = [], 0, 0, 0
    while i < len(text):
        if text[i] in "([":
            depth += 1
        elif text[i] in ")]":
            depth -= 1
        elif depth == 0:
            for sep in seps:
                if text.startswith(sep, i):
                    out += [text[start:i], sep]
                    start = i + len(sep)
                    i += len(sep) - 1
                    break
        i += 1
    return out + [text[start:]]


@lru_cache(maxsize=4096)
def math_of(text: str) -> str | None:
    """LaTeX of ``text`` when it is an expression, a chain of relations or an interval."""
    t = text.strip()
    if not _has_signal(t) or t.endswith(tuple(RELATIONS)) or t.startswith(tuple(RELATIONS)):
        return None
    interval = re.fullmatch(r"\[(.+)\]", t)
    if interval:
        ends = _top_split(interval.group(1), (", ",))
        if len(ends) == 3:
            lo, hi = math_of(ends[0]), math_of(ends[2])
            return None if lo is None or hi is None else f"[{lo}, {hi}]"
    parts = _top_split(t, sorted(RELATIONS, key=len, reverse=True))
    sides, ops = parts[0::2], parts[1::2]
    printed = []
    for side in sides:
        indicator = re.fullmatch(r"\s*(\w+)\s+1\[(.+)\]\s*", side)
        if indicator:  # a 1[|i| <= r]: amplitude times an indicator
            inner = math_of(indicator.group(2))
            if inner is None:
                return None
            printed.append(indicator.group(1) + r"\,\mathbb{1}[" + inner + "]")
            continue
        expr = _parse(side)
        if expr is None:
            return None
        printed.append(_print(expr))
    out = printed[0]
    for op, side in zip(ops, printed[1:]):
        out += " " + RELATIONS[op] + " " + side
    return out


def _clauses(text: str) -> list[tuple[str, str]]:
    """``[(clause, separator after it)]``: split at ``: ; ,`` and at prose parentheses (an
    opening one after a word and a space), never inside mathematics."""
    out, stack, start = [], [], 0
    for i, ch in enumerate(text):
        if ch in "([":
            before = text[:i].rstrip()
            prose = ch == "(" and (i == 0 or text[i - 1] == " ") and (not before or before[-1] not in "+-*/=<>(,")
            stack.append(prose)
            if prose and len(stack) == 1:
                out.append((text[start:i], "("))
                start = i + 1
        elif ch in ")]":
            prose = stack.pop() if stack else False
            if prose and not stack:
                out.append((text[start:i], ")"))
                start = i + 1
        elif ch in ",;:" and not any(not p for p in stack) and (i + 1 == len(text) or text[i + 1] == " "):
            out.append((text[start:i], ch))
            start = i + 1
    out.append((text[start:], ""))
    return out


def _clause(text: str) -> str:
    """One clause: the longest parseable word runs as math, the other words as prose."""
    words = list(_WORD.finditer(text))
    out, i = [], 0
    while i < len(words):
        for j in range(len(words), i, -1):
            latex = math_of(text[words[i].start():words[j - 1].end()])
            if latex is not None:
                out.append("$" + latex + "$")
                i = j
                break
        else:
            word = words[i].group()
            out.append(WORD_TEX.get(word, escape(word)))
            i += 1
    return (" " if text[:1] == " " else "") + " ".join(out)


def typeset_step(line: str) -> TeX:
    """One derivation step as LaTeX: mathematics typeset, prose escaped."""
    text = str(line)
    for pattern, repl in REWRITES:
        text = pattern.sub(repl, text)
    out = []
    for clause, sep in _clauses(text):
        out.append(_clause(clause) if clause.strip() else clause)
        if sep == "(" and clause[-1:] == " ":
            out.append(" ")
        out.append(escape(sep))
    return TeX(re.sub(r" {2,}", " ", "".join(out)))
