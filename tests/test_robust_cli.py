"""Issue 16 on the command line: threads, integrity, diverged members, honest scope, compact
and wrapped output, plain progress, --fail-on and the small ones. Each test reproduces one
defect of the issue (its number in the docstring)."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from fractions import Fraction
from types import SimpleNamespace

import pytest

from radiuscnn.cli import main
from radiuscnn.theory.config import Config, ConfigError

TINY = ["--size", "9", "--kernel", "3", "--radii", "0:3", "--amplitudes", "2"]


def run_cli(argv):
    try:
        return main(argv)
    except SystemExit as exit_:
        return exit_.code


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "tiny"
    assert main(["train", *TINY, "--seeds", "4", "--steps", "30", "--out", str(out), "--json"]) == 0
    return out


# ------------------------------------------------------------------------------ 1. threads
def test_train_uses_the_threads_flag_default_one(tmp_path, monkeypatch, capsys):
    import torch

    import radiuscnn.numeric.ensemble as ensemble

    seen = []
    real = ensemble.train

    def spy(*args, **kwargs):
        seen.append(torch.get_num_threads())
        return real(*args, **kwargs)

    monkeypatch.setattr(ensemble, "train", spy)
    before = torch.get_num_threads()
    assert main(["train", *TINY, "--seeds", "1", "--steps", "1", "--out", str(tmp_path / "a"), "--json"]) == 0
    assert main(["train", *TINY, "--seeds", "1", "--steps", "1", "--out", str(tmp_path / "b"), "--json",
                 "--threads", "2"]) == 0
    assert seen == [1, 2] and torch.get_num_threads() == before


# ------------------------------------------------------------------- 4. integrity, bytes
def test_check_refuses_an_edited_run_json_in_one_line(tmp_path, capsys):
    """relu-trained weights relabelled `abs` were analysed as abs with exit 0."""
    import shutil

    run = tmp_path / "run"
    assert main(["train", *TINY, "--seeds", "2", "--steps", "5", "--out", str(run), "--json"]) == 0
    meta = json.loads((run / "run.json").read_text())
    meta["config"]["activation"] = "abs"
    (run / "run.json").write_text(json.dumps(meta))
    capsys.readouterr()
    assert main(["check", str(run)]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "integrity hash mismatch" in err[0]
    shutil.rmtree(run)


def test_two_identical_trainings_write_identical_checkpoints(tmp_path, capsys):
    for name in ("a", "b"):
        assert main(["train", *TINY, "--seeds", "3", "--steps", "10", "--out", str(tmp_path / name), "--json"]) == 0
    for name in ("params.safetensors", "run.json"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name


# -------------------------------------------------------------------- 8. diverged members
@pytest.fixture(scope="module")
def diverged_run(tmp_path_factory):
    """A run whose member 1 diverged (NaN weights, loss null), saved by the real writer."""
    from dataclasses import replace

    from radiuscnn.numeric.checkpoint import save_run
    from radiuscnn.numeric.ensemble import TrainConfig, train

    cfg = Config(size=9, kernel=3, radii=range(0, 4))
    tcfg = TrainConfig(seeds=3, steps=20, amplitudes=2)
    result = train(cfg, tcfg)
    params = {n: t.clone() for n, t in result.params.items()}
    params["w"][1] = math.nan
    loss = result.loss.clone()
    loss[1] = math.nan
    bad = replace(result, params=params, loss=loss, success=result.success & (loss == loss))
    return save_run(tmp_path_factory.mktemp("runs") / "diverged", cfg, tcfg, bad)


def test_check_analyses_finite_members_and_reports_diverged_ones(diverged_run, capsys):
    assert main(["check", str(diverged_run), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["diverged"] == [1]
    assert [n["diverged"] for n in data["networks"]] == [False, True, False]
    assert data["verdicts"]["diverged"] == 1 and sum(data["verdicts"].values()) == 3
    assert main(["check", str(diverged_run)]) == 0
    out = capsys.readouterr().out
    assert "diverged in training" in out and "diverged" in out


# ----------------------------------------------------------------------- 11. --fail-on
def test_fail_on_unsolved_and_refuted(diverged_run, capsys):
    """30 Adam steps solve nothing: unsolved triggers; the diverged member is unsolved too."""
    assert main(["check", str(diverged_run)]) == 0
    assert main(["check", str(diverged_run), "--fail-on", "unsolved"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("radiuscnn check: --fail-on unsolved: 3 of 3 networks unsolved")
    main(["check", str(diverged_run), "--json"])
    verdicts = json.loads(capsys.readouterr().out)["verdicts"]
    code = main(["check", str(diverged_run), "--fail-on", "refuted"])
    assert code == (1 if verdicts["refuted"] else 0)


def test_verdicts_print_enough_digits_to_see_why():
    """'0.5 > 0.5' hid a max error of 0.50003."""
    from radiuscnn.commands.check import distinct_digits, verdict_text

    assert distinct_digits(0.50003, 0.5) == 5 and distinct_digits(3.11, 0.5) == 3
    verdict = SimpleNamespace(status="refuted", max_error=Fraction(50003, 100000), eps=Fraction(1, 2))
    text = verdict_text(SimpleNamespace(loss=0.1, verdict=verdict, verdict_text="-"))
    assert text == "refuted: max error 0.50003 > eps 1/2"
    verdict = SimpleNamespace(status="proved", max_error=Fraction(282, 100000), eps=Fraction(1, 2))
    proved = verdict_text(SimpleNamespace(loss=0.1, verdict=verdict, verdict_text="-"))
    assert proved == "proved: max error 0.00282 <= eps 1/2"  # not 'within eps=0.00282'
    nan = SimpleNamespace(loss=math.nan, verdict=verdict, verdict_text="-")
    assert verdict_text(nan) == "diverged"


def test_check_run_dir_refuses_config_flags_and_details_with_network(tiny_run, capsys):
    """The configuration of RUN_DIR is its run.json: a flag would be silently ignored."""
    for flags in (["--kernel", "9", "--activation", "tanh"], ["--amplitudes", "3"], ["--dim", "1"]):
        assert run_cli(["check", str(tiny_run), *flags]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and "read from the run" in err[0] and flags[0] in err[0]
    assert run_cli(["check", str(tiny_run), "--details", "--network", "0"]) == 2
    err = capsys.readouterr().err
    assert "not allowed with" in err and "Traceback" not in err


def test_check_network_text_has_no_python_values(tiny_run, capsys):
    """No 'None' (a distance that does not exist prints '-') and the regime title is complete."""
    assert main(["check", str(tiny_run), "--network", "0"]) == 0
    out = capsys.readouterr().out
    assert "None" not in out and "\x1b" not in out
    assert "term over [a_min, a_max]" in out


# ----------------------------------------------------------------- 10. compact output
def test_check_summary_fits_80_columns_and_does_not_grow_with_networks(tiny_run, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    assert main(["check", str(tiny_run)]) == 0
    summary = capsys.readouterr().out.splitlines()
    assert main(["check", str(tiny_run), "--details"]) == 0
    details = capsys.readouterr().out.splitlines()
    assert max(map(len, summary)) <= 80
    assert "--details" in summary[-1]
    families = json.loads((tiny_run / "run.json").read_text())["members"]
    assert len(summary) < 8 + families and len(details) > len(summary)


def test_derive_equations_wrap_to_the_terminal(capsys, monkeypatch):
    """The default derive printed a 2500-character line."""
    monkeypatch.setenv("COLUMNS", "80")
    assert main(["derive"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert max(map(len, lines)) <= 80 and any("Bulk equations" in ln for ln in lines)


# ----------------------------------------------------------------- 6. flags not ignored
def test_derive_head_fc_does_not_print_the_gap_system(capsys):
    assert main(["derive", "--head", "fc", *TINY[:6]]) == 0
    out = capsys.readouterr().out
    assert "Zero-loss system" not in out and "background counter (A1)" not in out
    assert out.splitlines()[0].startswith("not applicable: --head fc")
    assert main(["derive", "--head", "fc", *TINY[:6], "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert "constraint_rank" not in data and "background_counter" not in data and "n_runs" in data
    assert data["not_applicable"][0]["flag"] == "--head fc" and "F1" in data["not_applicable"][0]["claims"]
    assert main(["derive", *TINY[:6], "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["not_applicable"] == []


def test_derive_2d_tanh_does_not_report_the_relu_ring_law(capsys):
    assert main(["derive", "--dim", "2", "--activation", "tanh", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert "fc_ring_law" not in data and "gap_error_floor" not in data
    assert data["not_applicable"][0]["flag"] == "--activation tanh"
    assert main(["derive", "--dim", "2", "--activation", "tanh"]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert out[0].startswith("not applicable:") and "D1" in out[0]
    assert not any(line.startswith(("FC ring law", "D1 one-channel")) for line in out)  # D2 holds for tanh too


def test_derive_tanh_1d_leaves_out_the_relu_counter(capsys):
    assert main(["derive", "--activation", "tanh", *TINY[:6], "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert "background_counter" not in data and "constraint_rank" in data and "min_channels" in data


# ------------------------------------------------------------------- 9. plain progress
def test_plain_progress_lines_when_stderr_is_not_a_terminal(tmp_path, tiny_run):
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    for argv, stage in ((["train", *TINY, "--seeds", "2", "--steps", "5", "--out", str(tmp_path / "r")], "training"),
                        (["check", str(tiny_run)], "analysing networks"),
                        (["explore", "kernel", *TINY[:2], "--radii", "0:3", "--kernels", "1:2", "--no-train",
                          "--jobs", "1"], "rows (derive)")):
        proc = subprocess.run([sys.executable, "-m", "radiuscnn", *argv], capture_output=True, text=True,
                              env=env, timeout=300)
        assert proc.returncode == 0, proc.stderr
        lines = [ln for ln in proc.stderr.splitlines() if ln.startswith(f"radiuscnn {argv[0]}: {stage}")]
        assert lines and all(ln.endswith(" s)") for ln in lines), proc.stderr
        assert "\x1b[" not in proc.stderr  # no terminal control codes in a log file


def test_plain_progress_speaks_the_rich_progress_api_the_report_uses(capsys):
    from radiuscnn.commands._runtime import PlainProgress

    bar = PlainProgress("report", every=0.0)
    task = bar.add_task("report", total=3)
    bar.update(task, description="report: deriving")
    bar.advance(task)
    inner = bar.add_task("training 2 networks", total=10)
    bar.update(inner, completed=10, median="0.1")
    bar.remove_task(inner)
    err = capsys.readouterr().err.splitlines()
    assert err[1].startswith("radiuscnn report: deriving 0/3 (")
    assert any("training 2 networks 10/10, median 0.1" in ln for ln in err)


# ------------------------------------------------------------------------ 11. small ones
@pytest.mark.parametrize("kwargs, flag", [
    (dict(kernel="5"), "--kernel"), (dict(size=33.0), "--size"), (dict(channels=True), "--channels"),
    (dict(amplitude=1.0), "--amplitude"), (dict(amplitude=(1,)), "--amplitude"), (dict(radii=5), "--radii"),
    (dict(radii="0:3"), "--radii"), (dict(activation=1), "--activation"), (dict(alpha=None), "--alpha"),
])
def test_config_type_errors_are_config_errors(kwargs, flag):
    with pytest.raises(ConfigError, match=flag):
        Config(**kwargs)


def test_padding_same_is_zeros(capsys):
    assert Config(padding="same") == Config(padding="zeros")
    assert main(["derive", *TINY[:6], "--padding", "same", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["config"]["padding"] == "zeros"


def test_bare_radiuscnn_prints_usage_and_exits_2():
    proc = subprocess.run([sys.executable, "-m", "radiuscnn"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and proc.stderr.startswith("usage: radiuscnn")
    assert "Traceback" not in proc.stderr


def test_amplitudes_the_dtype_cannot_represent(tmp_path, capsys):
    assert run_cli(["train", *TINY, "--amplitude", "1:1.00000001", "--out", str(tmp_path / "a")]) == 2
    assert "float32" in capsys.readouterr().err
    assert run_cli(["train", *TINY, "--amplitude", "1:1.00000001", "--dtype", "float64", "--seeds", "1",
                    "--steps", "1", "--out", str(tmp_path / "b"), "--json"]) == 0


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write anywhere")
def test_unwritable_parent_is_refused_before_training(tmp_path, capsys):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        assert run_cli(["train", *TINY, "--out", str(locked / "run")]) == 2
        assert "no write permission" in capsys.readouterr().err
    finally:
        locked.chmod(0o700)


def test_explore_head_fc_blanks_the_gap_columns(capsys):
    """explore kernel --head fc tabulated the GAP rank, counter and widths without a word."""
    assert main(["explore", "kernel", "--no-train", "--json", "--kernels", "3", "--paddings", "zeros",
                 "--head", "fc", *TINY[:2], "--radii", "0:3"]) == 0
    (row,) = json.loads(capsys.readouterr().out)
    assert row["n_runs"] is not None
    assert all(row[k] is None for k in ("constraint_rank", "beta", "vb", "r_max", "min_channels"))
    assert row["not_applicable"][0]["flag"] == "--head fc"


def test_train_summary_is_compact_above_16_networks(tmp_path, capsys):
    assert main(["train", *TINY, "--seeds", "20", "--steps", "2", "--out", str(tmp_path / "r")]) == 0
    out = capsys.readouterr().out.splitlines()
    assert len(out) <= 4 and "--details" in out[0] + out[-1] + "".join(out)
    assert main(["train", *TINY, "--seeds", "20", "--steps", "2", "--out", str(tmp_path / "s"), "--details"]) == 0
    assert len(capsys.readouterr().out.splitlines()) > 20
