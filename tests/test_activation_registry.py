"""The activation registry is the one source of truth: the torch side has exactly its names, and
its flags agree with the pieces, the SymPy forms and the torch functions."""

import math
from fractions import Fraction

import pytest
import sympy as sp
import torch

from radiuscnn.numeric.activations import TORCH
from radiuscnn.theory import activation_registry as reg
from radiuscnn.theory import activations, analytic, config
from radiuscnn.theory.activations import piecewise_linear, sympy_activation
from radiuscnn.theory.regime_search import homogeneous

NAMES = reg.ACTIVATIONS
SAMPLES = (-25.0, -3.0, -1.0, -0.5, 0.0, 0.25, 1.0, 2.0, 19.5, 20.0, 25.0)  # kinks 0, +-1; softplus threshold 20


def test_torch_side_has_exactly_the_registry_names():
    assert tuple(TORCH) == NAMES == config.ACTIVATIONS


def test_derived_tables():
    assert activations.PIECEWISE_LINEAR == tuple(n for n in NAMES if piecewise_linear(n) is not None)
    assert activations.ANALYTIC == tuple(n for n in NAMES if reg.REGISTRY[n].analytic)
    assert analytic.ANALYTIC_ACTIVATIONS[:len(activations.ANALYTIC)] == activations.ANALYTIC
    assert set(analytic.LIMITS) <= set(activations.ANALYTIC)


@pytest.mark.parametrize("name", NAMES)
def test_flags_follow_from_the_forms(name):
    spec = reg.REGISTRY[name]
    assert spec.analytic == analytic.is_analytic_form(name)
    sigma = sympy_activation(name)
    scaled = all(abs(float(sigma(lam * z) - lam * sigma(z))) < 1e-12
                 for z in (sp.Rational(-3), sp.Rational(-1, 2), sp.Rational(1, 2), sp.Rational(3))
                 for lam in (sp.Rational(2), sp.Rational(1, 3)))
    assert spec.homogeneous == scaled
    pl = piecewise_linear(name)
    if pl is None:
        assert not spec.flat_half_line
    else:
        assert spec.flat_half_line == pl.has_flat_half_line()
        assert spec.homogeneous == homogeneous(pl)


@pytest.mark.parametrize("name", NAMES)
def test_torch_values_match_the_registry(name):
    """``value`` and ``definition`` are sigma: the pieces and the SymPy forms to rounding
    (PyTorch's softplus returns z above 20, off by at most e^-20)."""
    z = torch.tensor(SAMPLES, dtype=torch.float64)
    alpha = Fraction(1, 10)
    value, definition = TORCH[name].value(z, float(alpha)), TORCH[name].definition(z, float(alpha))
    pl = piecewise_linear(name, alpha)
    sigma = sympy_activation(name, sp.Rational(1, 10))
    for x, v, d in zip(SAMPLES, value.tolist(), definition.tolist()):
        want = float(pl(Fraction(x))) if pl is not None else float(sigma(sp.Float(x, 30)))
        if pl is not None:
            assert v == d == pytest.approx(want, rel=1e-15)  # float alpha: 0.1 * -3 rounds
        else:
            assert d == pytest.approx(want, rel=1e-14, abs=1e-14)
            assert v == pytest.approx(want, rel=1e-14, abs=1e-14 + (math.exp(-20) if name == "softplus" else 0))


@pytest.mark.parametrize("name", NAMES)
def test_derivative_is_autograd_of_the_value(name):
    """``derivative`` is PyTorch's backward of ``value``, kinks included (exactly where
    piecewise linear, to rounding for the smooth ones)."""
    z = torch.tensor(SAMPLES, dtype=torch.float64, requires_grad=True)
    u = TORCH[name].value(z, 0.1)
    (grad,) = torch.autograd.grad(u.sum(), z)
    with torch.no_grad():
        d = TORCH[name].derivative(z.detach(), u.detach(), 0.1)
    if reg.REGISTRY[name].piecewise_linear:
        assert torch.equal(d, grad)
    else:
        torch.testing.assert_close(d, grad, rtol=1e-15, atol=1e-15)


def test_modules_name_distinct_types():
    modules = [spec.module for spec in TORCH.values() if spec.module is not None]
    assert len(set(modules)) == len(modules)


def test_a_discontinuous_piecewise_linear_sigma_is_refused():
    """The exact proofs decide an interval from its endpoints and kinks: only for a continuous
    sigma, so a step (or a gap between pieces) cannot be built."""
    from fractions import Fraction as F

    import pytest

    from radiuscnn.theory.activations import Piece, PiecewiseLinear

    with pytest.raises(ValueError, match="continuously"):
        PiecewiseLinear("step", (Piece(None, F(0), F(0), F(0)), Piece(F(0), None, F(0), F(1))))
    with pytest.raises(ValueError, match="continuously"):
        PiecewiseLinear("gap", (Piece(None, F(0), F(1), F(0)), Piece(F(1), None, F(1), F(0))))
    with pytest.raises(ValueError, match="real line"):
        PiecewiseLinear("half", (Piece(F(0), None, F(1), F(0)),))
