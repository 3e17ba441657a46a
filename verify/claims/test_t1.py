"""Claim T1 (THEORY.md section 6): every trained weight, read and proved.

For every network of the trained ensembles of ``conftest.T1_CASES``: its regime, the
section-5 equations of that regime and their residuals, its family, the role of every weight,
and the exact verdict on the whole amplitude interval (section 8). The success rates are
reported (printed; run with ``-s`` to see them). Tolerances: solved means grid MSE
``<= 1e-3`` (the trainer's); the verdict proves ``|y - r| <= eps`` with ``eps <= 1/2`` (so
rounding recovers ``r`` for every amplitude) and reports the exact ``eps``.
"""

from __future__ import annotations

import math
from fractions import Fraction

import pytest
import torch

from radiuscnn.numeric.data import make_dataset
from radiuscnn.theory.config import Config
from radiuscnn.theory.counter import background_counter, counter_for_radii
from radiuscnn.verify.analysis import FAMILIES, ROLES, analyse_network, output_jacobian, parameter_names
from radiuscnn.verify.atlas import plateau_kind
from radiuscnn.verify.families import is_solution_family


def _report(case) -> str:
    fams: dict[str, int] = {}
    for a in case.analyses:
        fams[a.family] = fams.get(a.family, 0) + 1
    eps = [float(a.verdict.max_error) for a in case.solved]
    return (f"[T1 {case.name}] solved {len(case.solved)}/{len(case.analyses)} "
            f"(MSE <= {case.tol.loss:g}); families {fams}; "
            f"proved eps of solved: {('%.3g..%.3g' % (min(eps), max(eps))) if eps else '-'}; "
            f"training {case.run.seconds:.1f}s{' (cached)' if case.run.cached else ''}")


# --------------------------------------------------------------------------------------------
# fast: hand-built networks of known family
# --------------------------------------------------------------------------------------------
@pytest.mark.fast
def test_T1_background_counter_construction_is_read_correctly():
    """A1's construction: proved exact, family 'background counter', zero residuals; v, b,
    beta determined, every tap inequality-constrained (slack 0 for the tight construction,
    positive with a margin)."""
    cfg = Config(size=17, kernel=3, channels=1, radii=tuple(range(0, 7)))
    tight = analyse_network(cfg, background_counter(cfg).params, make_dataset(cfg, 5).samples)
    assert tight.verdict.proved and min(r.slack for r in tight.roles if r.role == "inequality") == 0
    bc = counter_for_radii(cfg, margin=Fraction(1, 2))  # taps strictly below -b/a_min
    samples = make_dataset(cfg, 5).samples
    a = analyse_network(cfg, bc.params, samples)
    assert a.verdict.proved and a.verdict.max_error == 0
    assert a.family == "background counter"
    assert all(e.residual == 0 for e in a.equations)
    roles = {r.name: r for r in a.roles}
    assert {roles[n].role for n in ("v[0]", "b[0]", "beta")} == {"determined"}
    for t in cfg.offsets:
        assert roles[f"w[0,{t}]"].role == "inequality" and roles[f"w[0,{t}]"].slack > 0


@pytest.mark.fast
def test_T1_saturated_inside_counter_construction_is_read_correctly():
    """hardtanh, taps 4, b = 0: every window that sees the pulse saturates at +1 and the empty
    run gives 0, so ``y = beta + (v/|I|) #inside(r)``; with ``v = |I|/2``, ``beta = -(1+2h)/2``
    this is exact (``#inside(r) = 2r + 1 + 2h`` away from the border)."""
    cfg = Config(size=17, kernel=3, channels=1, activation="hardtanh", radii=tuple(range(0, 7)))
    from radiuscnn.theory.network import Params

    p = Params(w=((Fraction(4),) * 3,), b=(Fraction(0),), beta=Fraction(-3, 2), v=(Fraction(17, 2),))
    a = analyse_network(cfg, p, make_dataset(cfg, 5).samples)
    assert a.verdict.proved and a.verdict.max_error == 0
    assert a.family == "saturated inside counter"
    assert a.channels == ("inside counter",)


@pytest.mark.fast
def test_T1_mass_plateau_construction_is_a_plateau():
    """relu with every term alive: ``y = beta' + a (v S/|I|) (2r+1)``, the amplitude-proportional
    plateau; the fit ``a f(r) + g`` is exact and ``f`` is proportional to ``2r+1``."""
    cfg = Config(size=17, kernel=3, channels=1, radii=tuple(range(0, 7)))
    from radiuscnn.theory.network import Params

    p = Params(w=((Fraction(1, 3),) * 3,), b=(Fraction(1),), beta=Fraction(-1), v=(Fraction(2),))
    a = analyse_network(cfg, p, make_dataset(cfg, 5).samples)
    assert not a.solved and a.family == "mass plateau" and plateau_kind(a) == "mass"
    assert a.plateau.fit_rms < 1e-9


# --------------------------------------------------------------------------------------------
# slow: trained ensembles
# --------------------------------------------------------------------------------------------
@pytest.mark.slow
def test_T1_solved_networks_equations_hold(t1_case):
    """Every solved network: every section-5 equation's share of the error is within the
    residual tolerance (1/2), and the equations reproduce the exact proof: the largest
    ``bound(value) + bound(slope)`` over the sub-intervals equals the proved ``eps`` exactly."""
    print(_report(t1_case))
    assert t1_case.solved, f"{t1_case.name}: no seed solved the task; the case is mis-configured"
    worst = 0.0
    for a in t1_case.solved:
        assert a.equations_hold, f"net {a.index}: max residual {a.max_residual}"
        sups = [s.bound + v.bound for s, v in zip(a.equations[0::2], a.equations[1::2])]
        assert max(sups) == a.verdict.max_error, f"net {a.index}"
        worst = max(worst, a.max_residual)
    print(f"[T1 {t1_case.name}] largest equation residual (output units) of a solved net: {worst:.3g} "
          f"<= tolerance {t1_case.tol.residual}")


@pytest.mark.slow
def test_T1_family_classified(t1_case):
    """Every network has a family; solved ones a solution family (a background counter whose
    non-empty run crosses the kink is named so), failures mass plateau/dead/none."""
    for a in t1_case.analyses:
        assert a.family in FAMILIES or is_solution_family(a.family), a.family
        assert is_solution_family(a.family) == a.solved, f"net {a.index}: {a.family}, loss {a.loss}"


@pytest.mark.slow
def test_T1_every_weight_has_a_role(t1_case):
    """Every parameter of every network gets exactly one role, determined ones name their
    equation, inequality ones a non-negative slack."""
    for a in t1_case.analyses:
        names = [r.name for r in a.roles]
        assert len(names) == len(set(names)) == len(parameter_names(t1_case.cfg, _exact(t1_case, a.index)))
        for r in a.roles:
            assert r.role in ROLES
            if r.role == "determined":
                assert r.equation and r.coefficient
            if r.role == "inequality":
                assert r.slack is not None and r.slack >= 0


@pytest.mark.slow
def test_T1_roles_match_the_jacobian(t1_case):
    """Roles are the Jacobian of the outputs on the data: float64 autograd over the training
    grid gives a zero column exactly for the inequality-constrained and free weights."""
    data = make_dataset(t1_case.cfg, t1_case.tcfg.amplitudes, torch.float64)
    for a in t1_case.solved:
        cols = output_jacobian(t1_case.cfg, t1_case.run.params, a.index, data.x).abs().max(dim=0).values
        for role, col in zip(a.roles, cols.tolist()):
            if role.role == "determined":
                assert col > 0, f"net {a.index} {role.name}"
            else:
                assert col == 0, f"net {a.index} {role.name} ({role.role}) moves the outputs: {col}"


@pytest.mark.slow
def test_T1_verdict_consistent_with_loss(t1_case):
    """Solved => 'proved within eps'; ``sqrt(loss) <= eps`` (the sup bounds the RMS) and, when no
    term crosses a kink (outputs affine in ``a``, extremes at the grid's end points),
    ``eps <= sqrt(B loss)``; the exact grid loss equals the trainer's float loss to rounding."""
    B = len(t1_case.cfg.radii) * t1_case.tcfg.amplitudes
    for a in t1_case.analyses:
        eps = float(a.verdict.max_error)
        assert a.verdict.status == ("proved" if eps <= 0.5 else "refuted")
        if a.solved:
            assert a.verdict.proved, f"net {a.index}: solved but {a.verdict_text}"
        assert math.sqrt(a.loss) <= eps * (1 + 1e-12)
        if a.generic:
            assert eps <= math.sqrt(B * a.loss) * (1 + 1e-9)
        trainer = t1_case.run.loss[a.index]
        assert abs(a.loss - trainer) <= 1e-4 * max(1.0, trainer), f"net {a.index}: {a.loss} vs {trainer}"


@pytest.mark.slow
def test_T1_default_configuration_success_rate(default_case):
    """The embedded default (THEORY.md section 9, 64 Adam seeds, 2000 steps): the success rate
    and families are reported; most seeds stall at a plateau, and the amplitude-proportional
    plateau is the best estimator affine in the pulse mass ``a (2r+1)`` (its loss equals that
    least-squares loss)."""
    print(_report(default_case))
    kinds: dict[str, int] = {}
    for a in default_case.analyses:
        if not a.solved:
            k = plateau_kind(a)
            kinds[k] = kinds.get(k, 0) + 1
            if k == "mass":
                assert abs(a.loss - a.plateau.mass_loss) <= 1e-4 * a.loss
    rate = len(default_case.solved) / len(default_case.analyses)
    print(f"[T1 default] success rate {rate:.3f}; failures by plateau kind {kinds}")
    assert sum(kinds.values()) + len(default_case.solved) == len(default_case.analyses)
    for a in default_case.solved:
        assert a.verdict.proved


def _exact(case, e):
    from radiuscnn.numeric.model import to_exact

    return to_exact(case.cfg, case.run.params, e)


# --------------------------------------------------------------------------------------------
# radiuscnn check
# --------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def small_run(tmp_path_factory):
    from radiuscnn.numeric.checkpoint import save_run
    from radiuscnn.numeric.ensemble import TrainConfig, train

    cfg = Config(size=11, kernel=3, channels=1, radii=tuple(range(0, 4)))
    tcfg = TrainConfig(seeds=2, steps=20, amplitudes=3)
    directory = tmp_path_factory.mktemp("run")
    save_run(directory, cfg, tcfg, train(cfg, tcfg))
    return directory


@pytest.mark.fast
def test_T1_check_command_json(small_run, capsys):
    import json

    from radiuscnn.cli import main

    assert main(["check", str(small_run), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert len(data["networks"]) == 2
    for row in data["networks"]:
        assert {"index", "family", "verdict", "max_residual", "roles"} <= set(row)
        assert set(row["roles"]) == set(ROLES)
    assert main(["check", str(small_run), "--json", "--network", "1"]) == 0
    one = json.loads(capsys.readouterr().out)["networks"]
    assert len(one) == 1 and one[0]["index"] == 1 and len(one[0]["weights"]) == 3 + 1 + 1 + 1


@pytest.mark.fast
def test_T1_check_command_tables(small_run, capsys):
    from radiuscnn.cli import main

    assert main(["check", str(small_run)]) == 0
    out = capsys.readouterr().out
    assert "family" in out and "proved" in out  # the summary: families x verdicts
    assert main(["check", str(small_run), "--details"]) == 0
    out = capsys.readouterr().out
    assert "family" in out and "verdict" in out
    assert main(["check", str(small_run), "--network", "0"]) == 0
    out = capsys.readouterr().out
    assert "w[0,-1]" in out and "beta" in out


@pytest.mark.fast
def test_T1_check_command_bad_run_is_one_line(tmp_path, small_run, capsys):
    from radiuscnn.cli import main

    assert main(["check", str(tmp_path / "missing")]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err and err.startswith("radiuscnn check: error:")
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "run.json").write_text("{not json")
    assert main(["check", str(broken)]) == 1
    assert capsys.readouterr().err.count("\n") == 1
    assert main(["check", str(small_run), "--network", "7"]) == 1
    assert "--network" in capsys.readouterr().err
