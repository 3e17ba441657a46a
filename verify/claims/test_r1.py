"""Claim R1 (THEORY.md section 3): the run decomposition equals the PyTorch forward pass.

Proved exactly (rational arithmetic, ``fast``): the symbolic counts ``n_J(r)`` (zeros/valid)
equal the finite counts for every ``r = 0..M``; the finite counts equal an independent numpy
window count; the general GAP formula with symbolic counts equals the per-radius output; the
symbolic output equals ``theory.network.output`` exactly; the bulk region survives a literal
SymPy substitution.
Tested numerically: the decomposition (``theory.network.output``, exact, then converted to
float) equals an explicit float64 PyTorch forward pass (``verify.checks_runs.torch_forward``:
``F.pad`` + ``F.conv1d``) within ``1e-12 * max(1, |y|)`` on every sample (N = 9, all radii
0..4 x amplitudes 1/2, 1, 7/4; the SymPy output of ``theory.symbolic`` at a = 1 and, exactly
against ``theory.network.output``, at all three) for seeded random rational weights
(numerators -9..9, denominators 1..6), every padding, k in 1..5, 9 and 12 (> N; not valid),
GAP and FC heads, the five piecewise-linear activations; tanh/sigmoid/softplus via evalf.
"""

from __future__ import annotations

import zlib
from fractions import Fraction

import pytest
import sympy as sp

from radiuscnn.theory.config import Config, ConfigError
from radiuscnn.theory.counts import M_sym, bulk_region, bulk_sympy_mismatches, r_sym, region_counts
from radiuscnn.theory.symbolic import evaluate, exact_output, gap_output_general
from radiuscnn.verify.checks_runs import (
    check_counts_brute,
    check_decomposition,
    check_symbolic_counts,
    decomposition_exact,
    decomposition_symbolic,
    random_params,
)

N = 9
AMPLITUDES = (Fraction(1, 2), Fraction(1), Fraction(7, 4))
PL = ("relu", "leaky_relu", "abs", "hardtanh", "identity")
KERNELS = {"zeros": (1, 2, 3, 4, 5, 9, 12), "circular": (1, 2, 3, 4, 5, 9, 12), "valid": (1, 2, 3, 4, 5, 9)}
CASES = [(pad, k, head) for pad, ks in KERNELS.items() for k in ks for head in ("gap", "fc")]


def case_config(padding: str, k: int, head: str, activation: str | None = None) -> tuple[Config, int]:
    seed = zlib.crc32(f"{padding}-{k}-{head}".encode())
    activation = activation or PL[seed % len(PL)]
    cfg = Config(size=N, kernel=k, channels=2, padding=padding, head=head, activation=activation,
                 radii=tuple(range(0, N // 2 + 1)))
    return cfg, seed


@pytest.mark.fast
@pytest.mark.parametrize("padding,k,head", CASES, ids=[f"{p}-k{k}-{h}" for p, k, h in CASES])
def test_R1_decomposition_equals_torch(padding, k, head):
    cfg, seed = case_config(padding, k, head)
    p = random_params(cfg, seed)
    exact = check_decomposition(cfg, p, AMPLITUDES, decomposition_exact(cfg, p))
    assert exact, str(exact)
    symbolic = check_decomposition(cfg, p, AMPLITUDES[1:2], decomposition_symbolic(cfg, p))
    assert symbolic, str(symbolic)


@pytest.mark.fast
@pytest.mark.parametrize("padding,k,head", CASES[::3], ids=[f"{p}-k{k}-{h}" for p, k, h in CASES[::3]])
def test_R1_symbolic_output_equals_network_output_exactly(padding, k, head):
    """radiuscnn.theory.symbolic (SymPy, exact substitution) == radiuscnn.theory.network.output (Fractions)."""
    cfg, seed = case_config(padding, k, head)
    p = random_params(cfg, seed)
    exact = decomposition_exact(cfg, p)
    for r in cfg.radii:
        for a in AMPLITUDES:
            assert exact_output(cfg, p, r, a) == exact(r, a)


@pytest.mark.fast
@pytest.mark.parametrize("activation", ["tanh", "sigmoid", "softplus"])
@pytest.mark.parametrize("padding", ["zeros", "valid", "circular"])
def test_R1_analytic_decomposition_equals_torch(padding, activation):
    """Analytic sigma: the symbolic output, evaluated with 30 digits, vs torch (1e-12)."""
    cfg, seed = case_config(padding, 3, "gap", activation)
    p = random_params(cfg, seed)
    result = check_decomposition(cfg, p, AMPLITUDES[:2])
    assert result, str(result)


@pytest.mark.fast
@pytest.mark.parametrize("padding", ["zeros", "valid"])
@pytest.mark.parametrize("k", range(1, 10))
@pytest.mark.parametrize("size", [7, 9, 13])
def test_R1_symbolic_counts_equal_finite(size, k, padding):
    if padding == "valid" and k > size:  # F2 edge case: the configuration itself is refused
        with pytest.raises(ConfigError, match="--kernel"):
            Config(size=size, kernel=k, padding=padding, radii=(0,))
        return
    cfg = Config(size=size, kernel=k, padding=padding, radii=(0,))
    result = check_symbolic_counts(cfg)
    assert result, str(result)


@pytest.mark.fast
@pytest.mark.parametrize("padding", ["zeros", "valid", "circular"])
@pytest.mark.parametrize("k", [1, 2, 3, 4, 5, 8, 13, 16])
def test_R1_counts_equal_brute_force(padding, k):
    size = 13
    if padding == "valid" and k > size:  # F2 edge case: the configuration itself is refused
        with pytest.raises(ConfigError, match="--kernel"):
            Config(size=size, kernel=k, padding=padding, radii=tuple(range(0, size // 2 + 1)))
        return
    cfg = Config(size=size, kernel=k, padding=padding, radii=tuple(range(0, size // 2 + 1)))
    result = check_counts_brute(cfg)
    assert result, str(result)


@pytest.mark.fast
@pytest.mark.parametrize("padding", ["zeros", "valid"])
@pytest.mark.parametrize("k", [1, 2, 4])
def test_R1_general_gap_formula_equals_per_radius_output(padding, k):
    """y(r, a) with the symbolic counts n_J(r, M), at M = cfg.M, equals the numeric-count output."""
    cfg, seed = case_config(padding, k, "gap", "relu")
    p = random_params(cfg, seed)
    general = gap_output_general(cfg)
    for r in cfg.radii:
        a = AMPLITUDES[r % len(AMPLITUDES)]
        assert evaluate(general, cfg, p, a, {r_sym: r, M_sym: cfg.M}) == exact_output(cfg, p, r, a)


@pytest.mark.fast
@pytest.mark.parametrize("padding", ["zeros", "valid"])
@pytest.mark.parametrize("k", [1, 2, 3, 4])
def test_R1_bulk_region_survives_sympy_substitution(padding, k):
    """r = r0+e, M = r+H+d with non-negative integer SymPy symbols: every count Max/Min-free
    and equal to the region's affine count; (r0-1, H) and (r0, H-1) are not."""
    cfg = Config(size=max(9, 2 * k + 1), kernel=k, padding=padding, radii=(0,))
    assert bulk_sympy_mismatches(cfg) == []


@pytest.mark.fast
@pytest.mark.parametrize("padding", ["zeros", "valid"])
def test_R1_bulk_region_is_the_unique_minimal_corner(padding):
    """Every (r0, H) in 0..k+2 on which all counts are Max/Min-free dominates the reported one."""
    for k in range(1, 13):
        cfg = Config(size=2 * k + 1, kernel=k, padding=padding, radii=(0,))
        region = bulk_region(cfg)
        box = range(k + 3)
        good = [(r0, H) for r0 in box for H in box if region_counts(cfg, r0, H) is not None]
        assert (region.r0, region.H) in good
        assert all(r0 >= region.r0 and H >= region.H for r0, H in good), k


@pytest.mark.fast
def test_R1_decomposition_equals_numeric_model_forward():
    """Cross-check against the project's own torch model (``numeric.model.forward``)."""
    import torch

    from radiuscnn.numeric import model
    for padding, k, head in [("zeros", 4, "gap"), ("valid", 3, "fc"), ("circular", 12, "gap")]:
        cfg, seed = case_config(padding, k, head)
        p = random_params(cfg, seed)
        def f64(rows):
            return torch.tensor([[float(x) for x in row] for row in rows], dtype=torch.float64)

        ens = {"w": f64(p.w)[None], "b": f64([p.b]), "beta": f64([[p.beta]])[0]}
        ens.update({"v": f64([p.v])} if head == "gap" else {"V": f64(p.V)[None]})
        signal = range(-cfg.M, cfg.M + 1)
        pulses = [[float(a) * (abs(i) <= r) for i in signal] for r in cfg.radii for a in AMPLITUDES]
        x = f64(pulses)
        y = model.forward(cfg, ens, x).output[0]
        exact = decomposition_exact(cfg, p)
        want = [float(exact(r, a)) for r in cfg.radii for a in AMPLITUDES]
        assert max(abs(float(u) - v) for u, v in zip(y, want)) < 1e-12, (padding, k, head)


@pytest.mark.fast
def test_R1_symbolic_counts_are_piecewise_expressions_in_r_and_M():
    """Shape of the result: SymPy expressions in r and M only, with Max/Min (no numbers typed in)."""
    from radiuscnn.theory.counts import symbolic_counts

    counts = symbolic_counts(Config(size=9, kernel=3, radii=(0,)))
    assert all(x.free_symbols <= {r_sym, M_sym} for x in counts.values())
    assert any(x.has(sp.Max) for x in counts.values())
