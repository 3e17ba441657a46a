"""theory.analytic.zero_amplitude_outputs: the network built at a = 0 is the network with a
symbol a, substituted afterwards (the A3 step), as the same SymPy expression."""

import pytest
import sympy as sp

from radiuscnn.theory import analytic
from radiuscnn.theory.config import Config, default_config

CONFIGS = {
    "1d-gap": default_config(),
    "1d-small-C3": Config(size=9, radii=(0, 1, 2), channels=3),
    "1d-valid-k4": Config(size=11, kernel=4, padding="valid", radii=(0, 1, 2, 3)),
    "2d": default_config(2).with_(size=9, radii=(1, 2, 3)),
}


@pytest.mark.parametrize("head", ["gap", "fc"])
@pytest.mark.parametrize("name", ["tanh", "sigmoid", "softplus", "identity", "gelu"])
@pytest.mark.parametrize("case", CONFIGS)
def test_zero_amplitude_outputs_equal_substitution_after_the_fact(case, name, head):
    cfg = CONFIGS[case]
    a = sp.Symbol("a", positive=True)
    got = analytic.zero_amplitude_outputs(cfg, name, head)
    for r in cfg.radii:
        expected = sp.expand(analytic.symbolic_output(cfg, name, r, a, head=head).subs(a, 0))
        assert sp.srepr(got.outputs[r]) == sp.srepr(expected), r
        assert not got.outputs[r].has(a)
    assert got.independent == all(sp.expand(got.outputs[r] - got.outputs[cfg.radii[0]]) == 0 for r in cfg.radii)


def test_comparison_sees_a_wrong_amplitude():
    """At a = 1 instead of 0 the outputs depend on the radius, and differ from the a = 0 ones."""
    cfg = CONFIGS["1d-small-C3"]
    at_zero = analytic.zero_amplitude_outputs(cfg, "tanh", "gap")
    at_one = {r: sp.expand(analytic.symbolic_output(cfg, "tanh", r, sp.Integer(1), head="gap")) for r in cfg.radii}
    assert at_zero.independent
    assert any(sp.srepr(at_one[r]) != sp.srepr(at_zero.outputs[r]) for r in cfg.radii)
