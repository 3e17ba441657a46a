"""Every checker of ``verify.analysis`` and ``verify.invariants`` fed a WRONG input must say so.

Right networks are built exactly (A1's background counter, rational random weights); wrong ones
are the same with one defect: a perturbed weight, a swapped sign, a wrong ``beta``. Invariant
checkers get a recorded trajectory and a perturbed copy of it.
"""

from __future__ import annotations

from dataclasses import replace
from fractions import Fraction

import pytest
import torch

from radiuscnn.numeric.data import make_dataset
from radiuscnn.numeric.model import forward, init_params, to_exact
from radiuscnn.theory.activations import piecewise_linear
from radiuscnn.theory.config import Config
from radiuscnn.theory.counter import counter_for_radii
from radiuscnn.theory.network import Params, output
from radiuscnn.theory.proof import prove
from radiuscnn.theory.regimes import network_symbols, pieces_from_assignment, residuals, slope_equation
from radiuscnn.verify.analysis import (
    analyse_network, equations, errors_from_equations, output_jacobian, parameter_names, parameter_values,
    parameter_symbols, regime, symbolic_equation,
)
from radiuscnn.verify.invariants import asymmetry, balance_drift, balancedness, offset_spread

pytestmark = pytest.mark.fast

CFG = Config(size=17, kernel=3, channels=1, radii=tuple(range(0, 7)))
SAMPLES = make_dataset(CFG, 5).samples
RELU = piecewise_linear("relu")


def counter() -> Params:
    return counter_for_radii(CFG, margin=Fraction(1, 2)).params


def random_params(cfg: Config, seed: int) -> Params:
    """Exact rational copy of a PyTorch-initialised member."""
    return to_exact(cfg, init_params(cfg, 1, seed, torch.float64), 0)


# --------------------------------------------------------------------------------------------
# the right network passes
# --------------------------------------------------------------------------------------------
def test_right_network_passes():
    a = analyse_network(CFG, counter(), SAMPLES)
    assert a.solved and a.certified and a.verdict.max_error == 0 and a.max_residual == 0
    assert a.family == "background counter"


# --------------------------------------------------------------------------------------------
# wrong networks fail
# --------------------------------------------------------------------------------------------
def test_wrong_beta_is_flagged_by_every_value_equation_and_refuted():
    p = counter()
    wrong = replace(p, beta=p.beta + Fraction(3, 4))
    a = analyse_network(CFG, wrong, SAMPLES)
    values = [e for e in a.equations if e.kind == "value"]
    assert all(e.residual == Fraction(3, 4) for e in values)
    assert a.verdict.refuted and a.verdict.max_error == Fraction(3, 4) and not a.certified
    assert not a.solved and a.loss == float(Fraction(9, 16))


def test_swapped_sign_of_v_is_refuted():
    p = counter()
    wrong = replace(p, v=(-p.v[0],))
    a = analyse_network(CFG, wrong, SAMPLES)
    assert a.verdict.refuted and not a.equations_hold and not a.certified
    assert a.family in ("mass plateau", "dead", "none")


def test_swapped_sign_of_a_tap_changes_the_regime_and_is_refuted():
    p = counter()
    w = list(p.w[0])
    w[0] = -w[0]  # now positive: runs holding offset -1 come alive
    a = analyse_network(CFG, replace(p, w=(tuple(w),)), SAMPLES)
    assert any(t.status != "killed" for t in a.terms if t.run and -1 in t.run)
    assert a.verdict.refuted and a.max_residual > 0


@pytest.mark.parametrize("delta", [Fraction(1, 1000), Fraction(1, 10), Fraction(3)])
def test_perturbed_determined_weight_is_flagged(delta):
    """Perturbing ``v`` or ``b`` (determined) by any amount shows in the residuals and the
    exact verdict at tolerance 0."""
    for name in ("v", "b"):
        p = counter()
        wrong = replace(p, **{name: (getattr(p, name)[0] + delta,)})
        a = analyse_network(CFG, wrong, SAMPLES)
        assert a.max_residual > 0
        assert prove(CFG, wrong, "relu", eps=0).refuted


def test_perturbing_an_inequality_weight_within_its_slack_changes_nothing():
    """The roles are right: moving a tap by less than its slack leaves every output on the
    interval unchanged (exactly); moving it by more than the slack (upwards) does not."""
    p = counter()
    a = analyse_network(CFG, p, SAMPLES)
    tap = next(r for r in a.roles if r.name == "w[0,0]")
    assert tap.role == "inequality"
    index = CFG.h_l  # tap t = 0
    for step, same in ((tap.slack / 2, True), (tap.slack * 3, False)):
        w = list(p.w[0])
        w[index] += step
        moved = replace(p, w=(tuple(w),))
        verdict = prove(CFG, moved, "relu", eps=0)
        assert verdict.proved == same


def test_wrong_equations_would_be_caught_by_the_cross_checks():
    """The equations agree with ``theory.regimes.residuals`` and with the network output; a
    corrupted equation set disagrees with the output."""
    for seed in range(3):
        p = random_params(CFG, seed)
        eqs = equations(CFG, p, RELU)
        theirs = residuals(CFG, p, RELU)
        assert [(e.radius, e.lo, e.hi, e.residual) for e in eqs if e.kind == "slope"] == \
               [(r.r, r.lo, r.hi, r.slope) for r in theirs]
        assert [e.residual for e in eqs if e.kind == "value"] == [r.value for r in theirs]
        errors = errors_from_equations(CFG, eqs, SAMPLES)
        assert errors == [output(CFG, p, r, a, RELU) - r for r, a in SAMPLES]
        corrupt = (replace(eqs[1], residual=eqs[1].residual + Fraction(1, 7)),) + eqs[2:]
        corrupt = (eqs[0],) + corrupt
        assert errors_from_equations(CFG, corrupt, SAMPLES) != errors


@pytest.mark.parametrize("head", ["gap", "fc"])
@pytest.mark.parametrize("activation", ["relu", "leaky_relu", "abs", "hardtanh", "identity"])
def test_equations_reproduce_the_exact_sup_error(head, activation):
    """For random networks (many kinks) the equations' bounds give exactly the proved max error."""
    cfg = CFG.with_(head=head, activation=activation, channels=2)
    act = piecewise_linear(activation, cfg.alpha)
    for seed in range(2):
        p = random_params(cfg, seed)
        eqs = equations(cfg, p, act)
        sup = max(s.bound + v.bound for s, v in zip(eqs[0::2], eqs[1::2]))
        assert sup == prove(cfg, p, act, eps=0).max_error
        assert errors_from_equations(cfg, eqs, SAMPLES) == [output(cfg, p, r, a, act) - r for r, a in SAMPLES]


@pytest.mark.parametrize("head", ["gap", "fc"])
def test_roles_agree_with_the_autograd_jacobian(head):
    """free / inequality <=> zero Jacobian column of the outputs on the data (float64)."""
    cfg = CFG.with_(head=head, channels=2)
    data = make_dataset(cfg, 5, torch.float64)
    for seed in range(4):
        params = init_params(cfg, 1, seed, torch.float64)
        params["b"] = params["b"] - 0.3  # kill some runs so that every role occurs
        a = analyse_network(cfg, to_exact(cfg, params, 0), data.samples)
        cols = output_jacobian(cfg, params, 0, data.x).abs().max(dim=0).values
        # independent of the vectorised Jacobian: one backward pass per sample
        member = {k: t.clone().requires_grad_(True) for k, t in params.items()}
        y = forward(cfg, member, data.x).output[0]
        for b in range(0, y.shape[0], 7):
            grads = torch.autograd.grad(y[b], list(member.values()), retain_graph=True)
            assert torch.cat([g.reshape(-1) for g in grads]).abs().le(cols + 1e-12).all()
        for role, col in zip(a.roles, cols.tolist()):
            assert (col > 0) == (role.role == "determined"), (seed, role)


def test_roles_of_a_wrong_role_assignment_are_caught():
    """Declaring a determined weight 'free' is contradicted by perturbing it."""
    p = counter()
    a = analyse_network(CFG, p, SAMPLES)
    v = next(r for r in a.roles if r.name == "v[0]")
    assert v.role == "determined"
    moved = replace(p, v=(p.v[0] + Fraction(1, 100),))
    assert analyse_network(CFG, moved, SAMPLES).loss > 0


def test_parameter_names_follow_tensor_order():
    p = random_params(CFG.with_(head="fc"), 0)
    names = parameter_names(CFG.with_(head="fc"), p)
    assert names[0] == "w[0,-1]" and names[-1] == "beta" and len(names) == len(parameter_values(CFG.with_(head="fc"), p))


def test_regime_labels_killed_alive_and_crossing():
    """Taps (-1, 1, -3) at offsets (-1, 0, 1), b = 1, relu, A = [1/2, 3/2]: z = a W + 1."""
    p = Params(w=((Fraction(-1), Fraction(1), Fraction(-3)),), b=(Fraction(1),), beta=Fraction(0), v=(Fraction(1),))
    terms = {t.run: t for t in regime(CFG, p, RELU)}
    assert terms[()].status == "alive" and terms[()].margin == 1          # z = 1
    assert terms[(0,)].status == "alive"                                   # z = a + 1
    assert terms[(-1, 0, 1)].status == "killed"                            # z = -3a + 1 <= -1/2
    assert terms[(-1, 0, 1)].margin == Fraction(1, 2)
    assert terms[(-1,)].status == "crossing" and terms[(-1,)].kinks == (1,)  # z = 1 - a
    assert (terms[(-1,)].at_min, terms[(-1,)].at_max) == ("alive", "killed")
    assert terms[(0, 1)].status == "killed" and terms[(0, 1)].margin == 0   # z = 1 - 2a, 0 at a_min


# --------------------------------------------------------------------------------------------
# invariant checkers on perturbed trajectories
# --------------------------------------------------------------------------------------------
def _trajectory(cfg: Config, steps: int = 30, lr: float = 0.001):
    from radiuscnn.numeric.ensemble import TrainConfig, train

    tcfg = TrainConfig(seeds=2, steps=steps, lr=lr, optimizer="gd", dtype="float64", amplitudes=3)
    return train(cfg, tcfg, record=lambda step, p: {k: v for k, v in p.items()}).records


def test_balancedness_checker_flags_a_perturbed_trajectory():
    rec = _trajectory(CFG, lr=1e-4)
    q = balancedness(CFG, {k: rec[k] for k in ("w", "b", "v")})  # (T+1, E, C)
    assert balance_drift(q) < 1e-4  # GD: O(eta^2) per step
    bad = {k: v.clone() for k, v in rec.items()}
    bad["v"][15:] += 0.01  # one member's head weight jumps mid-training
    assert balance_drift(balancedness(CFG, {k: bad[k] for k in ("w", "b", "v")})) > 1e-3


def test_symmetry_checker_flags_an_asymmetric_filter():
    w = torch.tensor([[[0.3, -1.0, 0.3]]], dtype=torch.float64).repeat(5, 1, 1)
    assert asymmetry(CFG, w) == 0
    w[3, 0, 0] += 1e-6
    assert asymmetry(CFG, w) == pytest.approx(1e-6)


def test_offset_checker_flags_a_perturbed_head_weight():
    V0 = torch.randn(1, 2, 3, 21, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    V = V0 + torch.linspace(0, 1, 10, dtype=torch.float64)[:, None, None, None]  # constant shifts
    traj = torch.cat([V0, V])
    fixed = (0, 1, 2, 18, 19, 20)
    assert offset_spread(traj, fixed) < 1e-12
    traj[7, 1, 2, 19] += 1e-5
    assert offset_spread(traj, fixed) == pytest.approx(1e-5, rel=1e-6)


@pytest.mark.parametrize("head", ["gap", "fc"])
def test_symbolic_equations_match_the_exact_ones(head):
    """Each equation's SymPy form evaluates to its residual and differentiates to its
    coefficients; for GAP the slope equation equals theory.regimes.slope_equation."""
    import sympy as sp

    cfg = CFG.with_(head=head, channels=2, activation="hardtanh")
    act = piecewise_linear("hardtanh")
    p = random_params(cfg, 3)
    sym = parameter_symbols(cfg, p)
    values = {sym[n]: sp.Rational(v.numerator, v.denominator) for n, v in parameter_values(cfg, p).items()}
    eqs = equations(cfg, p, act)
    for eq in eqs[:6]:
        expr = symbolic_equation(cfg, p, act, eq)
        assert Fraction(str(expr.subs(values))) == eq.residual
        for name, coef in eq.coefficients:
            assert Fraction(str(sp.diff(expr, sym[name]).subs(values))) == coef
        # a wrong parameter value gives a wrong residual
        wrong = {**values, sym["beta"]: values[sym["beta"]] + 1}
        if eq.kind == "value":
            assert Fraction(str(expr.subs(wrong))) == eq.residual + 1
    if head == "gap":
        generic = Params(w=((Fraction(-4),) * 3, (Fraction(1, 10),) * 3), b=(Fraction(1), Fraction(1, 2)),
                         beta=Fraction(3), v=(Fraction(-8), Fraction(2)))
        eq = equations(cfg, generic, act)[0]
        ns = network_symbols(cfg, 2)
        assignment = {(t.channel, t.run): t.piece for t in regime(cfg, generic, act)}
        assert None not in assignment.values()  # generic: every term on one piece
        theirs = slope_equation(cfg, eq.radius, pieces_from_assignment(act, assignment), ns)
        rename = {sym[f"w[{c},{t}]"]: ns.w[c][t + cfg.h_l] for c in range(2) for t in cfg.offsets}
        rename.update({sym[f"v[{c}]"]: ns.v[c] for c in range(2)})
        assert sp.expand(symbolic_equation(cfg, generic, act, eq).subs(rename) - theirs) == 0


def test_family_labels_have_no_dots():
    """Family names are keys of the report's results, whose citation paths are dotted."""
    from radiuscnn.verify.families import counter_kind, run_label

    runs = [(0,), (2,), (-1, 0, 1), (1, 2), (-2, 0)]
    assert run_label((1, 2)) == "taps 1 to 2" and run_label((0,)) == "centre tap"
    for run in runs:
        assert "." not in run_label(run)
    assert "." not in counter_kind(runs)
