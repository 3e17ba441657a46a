"""Claim catalogue A1-A4 (THEORY.md section 5): amplitude invariance and the shape of sigma.

Every claim is derived by the engine (theory.counter, theory.structure, theory.analytic,
theory.width) and proved with exact rational arithmetic (theory.proof) on a matrix of
configurations: N in {13, 17}, k in 1..9, padding zeros/valid/circular, A = [1/2, 3/2].
Where a test compares with a closed form it is THEORY.md's statement, used as a check on what
the engine derived, never as an input to it.
"""

from __future__ import annotations

from fractions import Fraction

import mpmath as mp
import pytest
import sympy as sp

from radiuscnn.theory.activations import piecewise_linear
from radiuscnn.theory.analytic import ANALYTIC_ACTIVATIONS, LIMITS, impossibility, loss_sequence
from radiuscnn.theory.config import PADDINGS, Config
from radiuscnn.theory.counter import background_counter, reduced_support_counters, relu_gap, verify_r_max
from radiuscnn.theory.counter_symbolic import K_, M_, symbolic_agreement, symbolic_background_counter
from radiuscnn.theory.network import Params, output
from radiuscnn.theory.proof import prove
from radiuscnn.theory.regimes import bulk_pairs, network_regime, residuals
from radiuscnn.theory.runs import run_counts, run_sum
from radiuscnn.theory.structure import check_structure, derive_structure
from radiuscnn.theory.width import combine, min_channels, search_combinations, width_detail

AMPLITUDE = (Fraction(1, 2), Fraction(3, 2))
MATRIX = [(N, k, p) for N in (13, 17) for k in range(1, 10) for p in PADDINGS]
IDS = [f"N{N}-k{k}-{p}" for N, k, p in MATRIX]
EXPECTED_WIDTH = {
    "relu": 1, "leaky_relu": 2, "abs": 2, "hardtanh": 1,
    "identity": None, "tanh": None, "sigmoid": None, "softplus": None,
}


def base(N, k, p, radii=(0, 1)) -> Config:
    return Config(size=N, kernel=k, padding=p, channels=1, radii=radii, amplitude=AMPLITUDE)


def counter_config(N, k, p) -> Config | None:
    """The configuration restricted to the counter's exact radii ``0..r_max`` (None if none)."""
    bc = background_counter(base(N, k, p))
    return relu_gap(base(N, k, p), range(0, bc.r_max + 1)) if bc.r_max >= 1 else None


# --------------------------------------------------------------------------------------------
# A1: the background counter
# --------------------------------------------------------------------------------------------
@pytest.mark.fast
@pytest.mark.parametrize("N,k,p", MATRIX, ids=IDS)
def test_A1_counter_proved_exact_and_refuted_past_r_max(N, k, p):
    cfg = base(N, k, p)
    bc = background_counter(cfg)
    if bc.r_max == -1:
        assert bc.counts[0] == bc.counts[1] and bc.params is None
        return
    assert bc.r_max >= 1
    w, b = bc.params.w[0], bc.params.b[0]
    assert b > 0 and all(t < 0 for t in w)
    for r in range(cfg.M + 1):  # every non-empty run sum is <= -b/a_min
        assert all(run_sum(w, cfg, J) <= -b / cfg.a_min for J in run_counts(cfg, r) if J)
    assert bc.params.v[0] * b == bc.vb and bc.params.beta == bc.beta
    assert bc.proof_exact.proved and bc.proof_exact.max_error == 0
    if bc.r_max == cfg.M:
        assert bc.proof_next is None
        return
    nxt = bc.r_max + 1
    expected_y = bc.beta + bc.vb * bc.counts[nxt] / bc.cfg.out_size
    assert bc.proof_next.refuted
    assert bc.proof_next.counterexample == (nxt, cfg.a_min, expected_y)
    assert bc.proof_next.max_error == abs(expected_y - nxt) > 0
    # past r_max the error per radius is beta + q n(r) - r, confirmed by an exact proof on 0..M
    full = prove(relu_gap(cfg, range(cfg.M + 1)), bc.params, "relu")
    assert {e.r: e.output - e.r for e in full.per_radius if e.r > bc.r_max} == dict(bc.past)


@pytest.mark.fast
@pytest.mark.parametrize("N,k,p", MATRIX, ids=IDS)
def test_A1_theory_statement(N, k, p):
    """v b = -|I|/2 whenever a counter exists; zeros/odd k: beta = r_max = M - h and the error
    grows by one per radius past r_max; to_json carries exact strings."""
    cfg = base(N, k, p)
    bc = background_counter(cfg)
    if bc.r_max < 1:
        return
    assert bc.vb == Fraction(-bc.cfg.out_size, 2)
    assert bc.to_json() == {"beta": str(bc.beta), "vb": str(bc.vb), "r_max": bc.r_max}
    if p == "zeros" and k % 2 == 1:
        h = (k - 1) // 2
        assert bc.beta == cfg.M - h and bc.r_max == cfg.M - h
        assert [e for _, e in bc.past] == [-(j + 1) for j in range(len(bc.past))]


@pytest.mark.fast
@pytest.mark.parametrize("N,k,p", MATRIX, ids=IDS)
def test_A1_verify_r_max_accepts_derived(N, k, p):
    cfg = base(N, k, p)
    assert verify_r_max(cfg, background_counter(cfg).r_max).ok


@pytest.mark.fast
@pytest.mark.parametrize("N,k,p", [m for m in MATRIX if m[2] != "circular"],
                         ids=[i for i, m in zip(IDS, MATRIX) if m[2] != "circular"])
def test_A1_numeric_matches_symbolic(N, k, p):
    agreement = symbolic_agreement(base(N, k, p))
    assert agreement.ok, agreement


@pytest.mark.fast
def test_A1_symbolic_closed_forms():
    M, k = M_, K_
    zeros_odd = symbolic_background_counter("zeros", "odd")
    assert sp.simplify(zeros_odd.beta - (M - (k - 1) / 2)) == 0
    assert sp.simplify(zeros_odd.vb + (2 * M + 1) / sp.Integer(2)) == 0
    assert sp.simplify(zeros_odd.r_max - (M - (k - 1) / 2)) == 0
    assert sp.simplify(zeros_odd.past_error + zeros_odd.j + 1) == 0
    zeros_even = symbolic_background_counter("zeros", "even")
    assert sp.simplify(zeros_even.r_max - (M - k / 2)) == 0  # M - h_r
    assert sp.simplify(zeros_even.past_error + zeros_even.j + sp.Rational(1, 2)) == 0
    for parity in ("odd", "even"):
        valid = symbolic_background_counter("valid", parity)
        assert sp.simplify(valid.vb + (2 * M + 1 - k + 1) / sp.Integer(2)) == 0  # -|I|/2
        assert sp.simplify(valid.r_max - (M - k + 1)) == 0


@pytest.mark.fast
@pytest.mark.parametrize("N,k,p", MATRIX, ids=IDS)
def test_A1_reduced_supports_extend_the_range(N, k, p):
    """Zeroing outer taps turns seen-but-zero-weight windows into background: every support's
    counter is proved on its own 0..r_max, and the best one reaches at least the full kernel's."""
    cfg = base(N, k, p)
    counters = reduced_support_counters(cfg)
    full = background_counter(cfg).r_max
    assert max(c.r_max for c in counters) >= full
    for c in counters:
        if c.r_max >= 0:
            assert c.proof_exact.proved
            t0, t1 = c.support
            assert all(x == 0 for j, x in enumerate(c.params.w[0]) if not t0 <= j - cfg.h_l <= t1)
    centre = next(c for c in counters if c.support == (0, 0))
    if p != "valid":
        assert centre.r_max == cfg.M  # a single centre tap counts every radius


# --------------------------------------------------------------------------------------------
# A2: structure of one ReLU channel
# --------------------------------------------------------------------------------------------
@pytest.mark.fast
@pytest.mark.parametrize("N,k,p", MATRIX, ids=IDS)
def test_A2_case_analysis(N, k, p):
    cfg = counter_config(N, k, p)
    if cfg is None:
        return
    d = derive_structure(cfg)
    assert d.applies == bool(bulk_pairs(cfg))
    if not d.applies:
        assert "bulk" in d.reason
        return
    assert [c.assumptions for c in d.survivors] == [("b > 0", "E alive", "F killed")]
    assert all(c.reason for c in (*d.preliminary, *d.cases) if c.outcome == "contradiction")
    assert len(d.cases) == 12 and all(c.outcome == "contradiction" for c in d.preliminary)
    assert d.vb == Fraction(-cfg.out_size, 2)
    beta, r = sp.Symbol("beta", real=True), sp.Symbol("r")
    assert sp.simplify(d.alive_count - 2 * (beta - r)) == 0
    assert d.lines()


@pytest.mark.fast
@pytest.mark.parametrize("N,k,p", MATRIX, ids=IDS)
def test_A2_check_structure_on_the_counter(N, k, p):
    cfg = counter_config(N, k, p)
    if cfg is None:
        return
    bc = background_counter(base(N, k, p))
    check = check_structure(cfg, bc.params)
    assert check.ok and check.proof.proved and check.applies == bool(bulk_pairs(cfg))
    for r, (n_alive, s_alive) in check.alive.items():  # only the empty run is alive
        assert s_alive == 0 and n_alive == 2 * (bc.beta - r) == bc.counts[r]


@pytest.mark.fast
@pytest.mark.parametrize("N", (13, 17))
def test_A2_alive_partial_runs_cancel(N):
    """A zero-loss network that is not a pure background counter: with w = (p, -B, -p) the
    single-tap runs {-1} (W = p) and {1} (W = -p) stay alive and cancel; A2's conclusions hold."""
    cfg = relu_gap(base(N, 3, "zeros"), range(0, (N - 1) // 2))
    b = Fraction(1)
    pw, big = b / cfg.a_max / 2, 2 * b / cfg.a_min
    beta = background_counter(base(N, 3, "zeros")).beta + 1  # two extra alive positions
    params = Params(w=((pw, -big, -pw),), b=(b,), beta=beta, v=(Fraction(-cfg.out_size, 2) / b,))
    check = check_structure(cfg, params)
    assert check.proof.proved and check.ok
    regime = network_regime(cfg, params, piecewise_linear("relu"))
    assert regime.term(0, (-1,)).piece == 1 and regime.term(0, (1,)).piece == 1


# --------------------------------------------------------------------------------------------
# A3: analytic activations
# --------------------------------------------------------------------------------------------
@pytest.mark.fast
@pytest.mark.parametrize("name", ANALYTIC_ACTIVATIONS)
@pytest.mark.parametrize("N,k,p", [(13, 1, "zeros"), (13, 4, "circular"), (17, 5, "valid"), (17, 9, "zeros")])
def test_A3_output_at_zero_amplitude_is_radius_free(name, N, k, p):
    cfg = base(N, k, p, radii=range(0, 5)).with_(channels=2)
    imp = impossibility(cfg, name)
    assert imp.proved and len(imp.checks) == 2 and all(c.independent for c in imp.checks)
    assert len(imp.steps) == 6


@pytest.mark.fast
def test_A3_does_not_apply_to_relu_or_fixed_amplitude():
    cfg = base(13, 3, "zeros", radii=range(0, 4))
    assert not impossibility(cfg, "relu").applies
    assert not impossibility(cfg.with_(amplitude=(1, 1)), "tanh").applies


@pytest.mark.parametrize("N,k,p", MATRIX, ids=IDS)
def test_A3_loss_tends_to_zero_while_norm_diverges(N, k, p):
    bc = background_counter(base(N, k, p))
    best = max(c.r_max for c in reduced_support_counters(base(N, k, p)))
    cfg = relu_gap(base(N, k, p), range(0, max(bc.r_max, best) + 1))
    for name in LIMITS:
        seq = loss_sequence(cfg, name, lambdas=(1, 4, 16, 64))
        assert seq is not None and seq.limit_exact
        assert seq.strictly_decreasing, seq.table()
        norms = seq.norms
        assert all(x < y for x, y in zip(norms, norms[1:]))
        assert seq.losses[-1] < mp.mpf(10) ** -40 and seq.losses[-1] > 0


# --------------------------------------------------------------------------------------------
# A4: minimal width
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("N,k,p", MATRIX, ids=IDS)
def test_A4_min_width(N, k, p):
    cfg = counter_config(N, k, p)
    if cfg is None:
        return
    widths = min_channels(cfg)
    for name, C in widths.items():
        detail = width_detail(cfg, name)
        if C is not None:
            assert detail.verdict.proved and detail.params.channels == C
    if bulk_pairs(cfg):
        assert widths == EXPECTED_WIDTH
        assert all(width_detail(cfg, n).status in ("exact", "impossible") for n in widths)
        assert width_detail(cfg, "leaky_relu").lower_bound.one_channel_impossible
        assert width_detail(cfg, "abs").lower_bound.one_channel_impossible
        assert not width_detail(cfg, "relu").lower_bound.one_channel_impossible
    else:
        # no bulk pair: the differencing argument is silent and the regime search decides
        for name in ("leaky_relu", "abs"):
            detail = width_detail(cfg, name)
            assert not detail.lower_bound.applies and "bulk" in detail.lower_bound.reason
            assert widths[name] in (1, 2)
            if widths[name] == 2 and detail.status == "exact":
                assert detail.searches[0].excludes
            if detail.status == "upper bound":
                assert not detail.searches[0].excludes


@pytest.mark.fast
def test_A4_default_config():
    cfg = Config()  # N = 33, k = 5, radii 0..14, A = [1/2, 3/2]
    assert min_channels(cfg) == EXPECTED_WIDTH


@pytest.mark.fast
def test_A4_combinations_are_the_expected_identities():
    alpha = Fraction(1, 10)
    leaky, relu = piecewise_linear("leaky_relu", alpha), piecewise_linear("relu")
    comb = search_combinations(leaky)[0]
    assert (comb.c, comb.s, comb.mu) == (alpha, -1, 0)
    for z in (Fraction(-3), Fraction(-1, 3), Fraction(0), Fraction(2, 7), Fraction(5)):
        assert comb.phi(z) == (1 - alpha**2) * relu(z)
    clamp = search_combinations(piecewise_linear("abs"))[0].phi
    assert [p.slope for p in clamp.pieces] in ([0, -2, 0], [0, 2, 0])
    assert search_combinations(piecewise_linear("identity")) == ()
    assert search_combinations(relu)[0].channels == 1
    assert combine(relu, 0, 1, 0).pieces == relu.pieces


# --------------------------------------------------------------------------------------------
# The engine: regimes, residuals and interval proofs
# --------------------------------------------------------------------------------------------
def _random_params(rng, k, C):
    def q():
        return Fraction(rng.randint(-12, 12), rng.randint(1, 6))

    return Params(w=tuple(tuple(q() for _ in range(k)) for _ in range(C)),
                  b=tuple(q() for _ in range(C)), beta=q(), v=tuple(q() for _ in range(C)))


@pytest.mark.fast
@pytest.mark.parametrize("name", ("relu", "leaky_relu", "abs", "hardtanh"))
def test_A_engine_residuals_reproduce_the_output(name):
    """On every sub-interval between kinks, y(r, a) - r = value + a slope / |I| exactly."""
    import random

    rng = random.Random(5)
    act = piecewise_linear(name)
    for k, p in ((3, "zeros"), (4, "circular"), (5, "valid")):
        cfg = base(13, k, p, radii=range(0, 7)).with_(channels=2)
        params = _random_params(rng, k, 2)
        for res in residuals(cfg, params, act):
            for a in (res.lo, (res.lo + res.hi) / 2, res.hi):
                y = output(cfg, params, res.r, a, act)
                assert y - res.r == res.value + a * res.slope / cfg.out_size


@pytest.mark.fast
def test_A_engine_proof_finds_interior_kink_maximum():
    """The exact sup over the interval is attained at an interior kink, and no dense sample beats it."""
    import random

    rng = random.Random(11)
    act = piecewise_linear("relu")
    found_interior = False
    cfg = base(13, 3, "zeros", radii=range(0, 4)).with_(channels=2)
    grid = [cfg.a_min + Fraction(i, 64) * (cfg.a_max - cfg.a_min) for i in range(65)]
    for _ in range(12):
        params = _random_params(rng, 3, 2)
        verdict = prove(cfg, params, act)
        dense = max(abs(output(cfg, params, r, a, act) - r) for r in cfg.radii for a in grid)
        assert dense <= verdict.max_error
        r, a, y = verdict.counterexample
        assert y == output(cfg, params, r, a, act) and abs(y - r) == verdict.max_error
        found_interior |= cfg.a_min < a < cfg.a_max
    assert found_interior
