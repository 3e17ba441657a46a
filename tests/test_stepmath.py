"""The typesetting of the engine's derivation steps (``reports.stepmath``) and the report's
one SymPy printer (``reports.mathtex``): mathematics becomes LaTeX, prose stays prose, and
nothing code-like is left outside math mode."""

from __future__ import annotations

import re

import pytest
import sympy as sp

from radiuscnn.reports.mathtex import tex
from radiuscnn.reports.stepmath import math_of, typeset_step


def _prose(latex: str) -> str:
    """The text outside ``$...$``."""
    return re.sub(r"\$[^$]*\$", "", latex)


def test_printer_reads_names_from_data():
    size, r = sp.Symbol("I_size", positive=True), sp.Symbol("r")
    assert tex(sp.Function("n_Jj")(r) / size) == r"\frac{n_{J_j}\left(r\right)}{|I|}"
    assert tex(sp.Symbol("W_star")) == "W_*"
    assert tex(sp.Rational(-33, 2)) == r"- \frac{33}{2}"


@pytest.mark.parametrize("line, expected", [
    ("n_empty(r) = 2*Max(0, M - h - r)", r"$n_\emptyset\left(r\right) = 2 \max\left(0, M - h - r\right)$"),
    ("slope difference: 2*S*s_{F}*v = 0", r"slope difference: $2 S s_{F} v = 0$"),
    ("v = -33/(2*b)", r"$v = - \frac{33}{2 b}$"),
    ("S = 0 or s_F = 0", r"$S = 0$ or $s_{F} = 0$"),
])
def test_steps_are_typeset(line, expected):
    assert typeset_step(line) == expected


def test_prose_words_stay_prose():
    out = typeset_step("sigma(z) = z is real-analytic on R (no Max/Min/Abs/Piecewise in its form).")
    assert "real-analytic" in out and "$R$" in out and r"$\sigma{\left(z \right)} = z$" in out
    assert math_of("becomes -1") is None and math_of("contradiction") is None and math_of("a") is None


def test_kinks_and_absolute_values():
    out = typeset_step("slope jump of y(r, a) at a* = N_**v*Abs(W_*)/33")
    assert r"a^* = \frac{N_* v \left|{W_*}\right|}{33}" in out and "*" not in _prose(out)


def test_engine_steps_of_the_default_leave_nothing_code_like():
    """Every step the engine records for A1-A4 on the default configuration."""
    from radiuscnn.theory import analytic, counter_symbolic
    from radiuscnn.theory.config import default_config
    from radiuscnn.theory.structure import derive_structure
    from radiuscnn.theory.width import min_width_details

    cfg = default_config(1)
    lines = list(counter_symbolic.symbolic_background_counter("zeros", "odd").steps)
    d = derive_structure(cfg)
    lines += list(d.conclusions)
    for c in (*d.preliminary, *d.cases):
        lines += [*c.assumptions, c.reason, *c.conclusions]
    lines += list(analytic.impossibility(cfg, "tanh").steps)
    for w in min_width_details(cfg).values():
        lines.append(w.reason)
        if w.lower_bound is not None:
            lines += list(w.lower_bound.steps)
    assert len(lines) > 30
    for line in lines:
        prose = _prose(typeset_step(line))
        assert not re.search(r"\w\*|\*\w|\\_", prose), (line, prose)
