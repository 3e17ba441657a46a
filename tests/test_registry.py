"""The claim registry (``radiuscnn.verify.registry``): its data, its decisions, and the places
that must agree with it (README table, theory/THEORY.md, the report's plain imports).

Each ``decide`` is fed a wrong number (a difference just past the tolerance, a refuted proof,
a second surviving case, ...) and must reject it.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from radiuscnn.verify.registry import CLAIMS, PASSING, STATUSES, get, markdown_table
from radiuscnn.verify.registry import exact as X
from radiuscnn.verify.registry import numerical as N

ROOT = Path(__file__).resolve().parents[1]
IDS = [c.id for c in CLAIMS]


def test_ids_unique_and_entries_complete():
    assert len(IDS) == len(set(IDS))
    for c in CLAIMS:
        assert re.fullmatch(r"[A-Z]\d", c.id), c.id
        assert c.title and c.how and c.theory and c.report_label.startswith("sec:")
        assert c.exact or c.numerical, f"{c.id} says neither what is proved nor what is tested"
    with pytest.raises(KeyError, match="unknown claim"):
        get("Z9")


def test_numerical_claims_state_tolerance_or_sample():
    for cid in ("R1", "I1", "T1"):
        c = get(cid)
        assert c.numerical and c.tolerances, cid


def test_t1_tolerances_are_the_analysis_defaults():
    from fractions import Fraction

    from radiuscnn.verify.analysis import Tolerances

    t, tol = Tolerances(), get("T1").tolerances
    assert (t.loss, t.residual, t.eps) == (tol["loss"], tol["residual"], Fraction(tol["eps"]))


def test_readme_claims_table_is_the_registry_rendering():
    readme = (ROOT / "README.md").read_text()
    assert markdown_table() in readme, "regenerate with: python -m radiuscnn.verify.registry --markdown"


def test_markdown_entry_point():
    out = subprocess.run([sys.executable, "-m", "radiuscnn.verify.registry", "--markdown"],
                         capture_output=True, text=True, check=True).stdout
    assert out == markdown_table()


def test_theory_has_a_section_per_claim():
    text = (ROOT / "theory" / "THEORY.md").read_text()
    for c in CLAIMS:
        assert re.search(rf"^#+ {re.escape(c.theory)} {c.id}\b", text, re.M), \
            f"theory/THEORY.md has no heading '{c.theory} {c.id}'"


def test_cli_help_points_to_the_theory_in_the_repository():
    from radiuscnn.cli import build_parser

    text = build_parser().format_help()
    assert "theory/THEORY.md" in text


def test_reports_use_plain_imports_only():
    for path in (ROOT / "reports").rglob("*.py"):
        src = path.read_text()
        for bad in ("import_module", "find_spec", "not available in this build", "_need_attr"):
            assert bad not in src, f"{path.name} uses {bad!r}"


def test_every_report_module_imports():
    """A renamed function fails here, loudly, instead of turning into a placeholder."""
    import importlib

    for path in sorted((ROOT / "reports").rglob("*.py")):
        rel = path.relative_to(ROOT / "reports").with_suffix("")
        importlib.import_module(".".join(("radiuscnn.reports", *rel.parts)).removesuffix(".__init__"))


# ------------------------------------------------------------------ decisions reject wrong input
def _status(decide, numbers, claim):
    status, reason = decide(numbers, get(claim).tolerances)
    assert status in STATUSES and reason
    return status


def test_r1_rejects_a_difference_past_the_tolerance():
    tol = get("R1").tolerances["max_abs_diff"]
    good = {"max_abs_diff": tol, "exact": True, "column_sums_equal_out_size": True}
    assert _status(N.decide_r1, good, "R1") == "tested"
    assert _status(N.decide_r1, {**good, "max_abs_diff": 2 * tol}, "R1") == "failed"
    assert _status(N.decide_r1, {**good, "max_abs_diff": float("nan")}, "R1") == "failed"
    assert _status(N.decide_r1, {**good, "column_sums_equal_out_size": False}, "R1") == "failed"


def test_f1_f2_reject_a_rank_that_differs_from_the_brute_force():
    good = {"n_runs": 14, "constraint_rank": 4, "consistent": True, "brute_force_n_runs": 14, "brute_force_rank": 4}
    assert _status(X.decide_f1, good, "F1") == "derived"
    assert _status(X.decide_f1, {**good, "brute_force_rank": 5}, "F1") == "failed"
    assert _status(X.decide_f1, {**good, "consistent": False}, "F1") == "failed"
    assert _status(X.decide_f2, {"cases": 3, "mismatches": 0}, "F2") == "derived"
    assert _status(X.decide_f2, {"cases": 3, "mismatches": 1}, "F2") == "failed"


def test_a1_to_a4_reject_wrong_proofs():
    a1 = {"r_max": 14, "proof": "proved", "next": "refuted"}
    assert _status(X.decide_a1, a1, "A1") == "proved"
    assert _status(X.decide_a1, {**a1, "proof": "refuted"}, "A1") == "failed"
    assert _status(X.decide_a1, {**a1, "next": "proved"}, "A1") == "failed"
    a2 = {"survivors": 1, "counter_ok": True}
    assert _status(X.decide_a2, a2, "A2") == "derived"
    assert _status(X.decide_a2, {**a2, "survivors": 2}, "A2") == "failed"
    assert _status(X.decide_a2, {**a2, "counter_ok": False}, "A2") == "failed"
    a3 = {"applying": 6, "proved": 6, "sequences": 3, "decreasing": 3}
    assert _status(X.decide_a3, a3, "A3") == "proved"
    assert _status(X.decide_a3, {**a3, "proved": 5}, "A3") == "failed"
    assert _status(X.decide_a3, {**a3, "decreasing": 2}, "A3") == "failed"
    assert _status(X.decide_a4, {"activations": 8, "settled": 8}, "A4") == "proved"
    assert _status(X.decide_a4, {"activations": 8, "settled": 7}, "A4") == "partial"


def test_i1_rejects_wrong_orders_and_broken_invariants():
    lo, hi = get("I1").tolerances["gd_exponent_band"]
    good = {"gd_exponent": (lo + hi) / 2, "adam_exponent": 1.0, "as_predicted": [True, True]}
    assert _status(N.decide_i1, good, "I1") == "tested"
    assert _status(N.decide_i1, {**good, "gd_exponent": hi + 0.01}, "I1") == "failed"
    assert _status(N.decide_i1, {**good, "adam_exponent": 2.0}, "I1") == "failed"
    assert _status(N.decide_i1, {**good, "as_predicted": [True, False]}, "I1") == "failed"


def test_t1_and_d1_reject_uncertified_networks_and_failed_proofs():
    assert _status(N.decide_t1, {"solved": 3, "solved_not_certified": 0}, "T1") == "tested"
    assert _status(N.decide_t1, {"solved": 3, "solved_not_certified": 1}, "T1") == "failed"
    d1 = {"gap_affine": False, "gap_attained": True, "fc_exact": True}
    assert _status(X.decide_d1, d1, "D1") == "proved"
    assert _status(X.decide_d1, {**d1, "fc_exact": False}, "D1") == "failed"
    assert _status(X.decide_d1, {**d1, "gap_attained": False}, "D1") == "failed"
    assert _status(X.decide_d1, {**d1, "gap_affine": True}, "D1") == "failed"


def test_check_on_a_2d_configuration_is_not_applicable_for_1d_claims():
    from radiuscnn.theory.config import default_config
    from radiuscnn.verify.registry import Inputs

    inputs = Inputs(default_config(2))
    for cid in ("F1", "A1", "A4"):
        r = get(cid).check(inputs)
        assert r.status == "not_applicable" and not r.passed and r.reason
    assert "not_applicable" not in PASSING


def test_r1_check_catches_a_perturbed_forward_pass(monkeypatch):
    """End to end: a forward pass off by 1e-9 on one output must fail R1."""
    import torch

    from radiuscnn.numeric import model
    from radiuscnn.numeric.train_config import TrainConfig
    from radiuscnn.theory.config import Config
    from radiuscnn.verify.registry import Inputs

    cfg = Config(size=9, kernel=3, channels=2, radii=tuple(range(0, 4)))
    g = torch.Generator().manual_seed(0)
    params = {"w": torch.randn(2, 2, 3, generator=g, dtype=torch.float64),
              "b": torch.randn(2, 2, generator=g, dtype=torch.float64),
              "v": torch.randn(2, 2, generator=g, dtype=torch.float64),
              "beta": torch.randn(2, generator=g, dtype=torch.float64)}
    inputs = Inputs(cfg, TrainConfig(amplitudes=3), params=params)
    assert get("R1").check(inputs).status == "tested"
    real = model.forward

    def shifted(*args, **kwargs):
        out = real(*args, **kwargs)
        out.output[0, 0] += 1e-9
        return out

    monkeypatch.setattr(model, "forward", shifted)
    r = get("R1").check(inputs)
    assert r.status == "failed" and r.numbers["max_abs_diff"] > get("R1").tolerances["max_abs_diff"]


def test_l1_to_l3_reject_wrong_numbers():
    from radiuscnn.verify.registry import landscape as LS

    l1 = {"plateau_loss": "50344/9417", "plateau_float": 50344 / 9417, "plateau_lstsq": 50344 / 9417,
          "plateau_formula_agrees": True, "dead_loss": "56/3", "dead_is_variance": True,
          "escape_loss": "4.9", "escape_lowers": True}
    assert _status(LS.decide_l1, l1, "L1") == "proved"
    assert _status(LS.decide_l1, {**l1, "plateau_lstsq": 50344 / 9417 * (1 + 1e-6)}, "L1") == "failed"
    assert _status(LS.decide_l1, {**l1, "plateau_formula_agrees": False}, "L1") == "failed"
    assert _status(LS.decide_l1, {**l1, "dead_is_variance": False}, "L1") == "failed"
    assert _status(LS.decide_l1, {**l1, "escape_lowers": False}, "L1") == "failed"
    l2 = {"global_minimum": 19, "local_minimum": 42, "regime_boundary": 3, "descending": 0, "networks": 64,
          "assigned_fraction": 1.0, "local_minima_inside_regime": True, "largest_distance": 1.9}
    assert _status(LS.decide_l2, l2, "L2") == "proved"
    assert _status(LS.decide_l2, {**l2, "descending": 2, "assigned_fraction": 62 / 64}, "L2") == "failed"
    assert _status(LS.decide_l2, {**l2, "local_minima_inside_regime": False}, "L2") == "failed"
    l3 = {"dead_at_init": 11, "dead_unchanged": True, "predicted_stall": 25, "observed_stall_rate": 0.84,
          "predicted_solve": 39, "stall_rate_when_solve_predicted": 0.54}
    assert _status(LS.decide_l3, l3, "L3") == "tested"
    assert _status(LS.decide_l3, {**l3, "dead_unchanged": False}, "L3") == "failed"
    assert _status(LS.decide_l3, {**l3, "observed_stall_rate": 0.5}, "L3") == "failed"


def test_d2_rejects_a_rank_or_pattern_mismatch_and_an_unproved_counter():
    good = {"n_patterns": 75, "brute_force_n_patterns": 75, "constraint_rank": 7, "brute_force_rank": 7,
            "row_counter": "proved"}
    assert _status(X.decide_d2, good, "D2") == "proved"
    assert _status(X.decide_d2, {**good, "brute_force_rank": 8}, "D2") == "failed"
    assert _status(X.decide_d2, {**good, "brute_force_n_patterns": 74}, "D2") == "failed"
    assert _status(X.decide_d2, {**good, "row_counter": "refuted"}, "D2") == "failed"
    assert _status(X.decide_d2, {**good, "row_counter": None}, "D2") == "failed"
