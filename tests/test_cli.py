"""Bad input on the command line: one line naming the flag, exit code 2, never a traceback."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from radiuscnn.cli import main

BAD_FLAGS = [
    (["--size", "32"], "--size"),  # even N
    (["--size", "1"], "--size"),  # N < 3
    (["--kernel", "0"], "--kernel"),  # k < 1
    (["--kernel", "40", "--padding", "valid"], "--kernel"),  # k > N with valid
    (["--channels", "0"], "--channels"),
    (["--radii", "0:17"], "--radii"),  # radius outside 0..M = 0..16
    (["--radii", "-1:3"], "--radii"),
    (["--radii", "5:2"], "--radii"),  # empty range
    (["--radii", "a:b"], "--radii"),
    (["--amplitude", "0"], "--amplitude"),  # a <= 0
    (["--amplitude", "-1:2"], "--amplitude"),
    (["--amplitude", "2:1"], "--amplitude"),  # LO > HI
    (["--amplitude", "nan"], "--amplitude"),
    (["--amplitude", "0.5:inf"], "--amplitude"),
    (["--alpha", "nan"], "--alpha"),
    (["--alpha", "2"], "--alpha"),
    (["--activation", "swish"], "--activation"),
    (["--padding", "reflect"], "--padding"),
    (["--head", "attention"], "--head"),
    (["--seeds", "0"], "--seeds"),
    (["--steps", "-1"], "--steps"),
    (["--lr", "0"], "--lr"),
    (["--lr", "-0.1"], "--lr"),
    (["--lr", "nan"], "--lr"),
    (["--size", "nan"], "--size"),
    (["--dim", "3"], "--dim"),
    (["--amplitudes", "0"], "--amplitudes"),
]


def run_cli(argv: list[str]) -> int:
    """``main`` as the shell sees it: argparse's SystemExit becomes an exit code too."""
    try:
        return main(argv)
    except SystemExit as exit_:
        return exit_.code


@pytest.mark.parametrize("flags, flag", BAD_FLAGS, ids=[" ".join(f) for f, _ in BAD_FLAGS])
def test_bad_train_flags_give_one_line_naming_the_flag(flags, flag, capsys, tmp_path):
    code = run_cli(["train", "--steps", "1", "--seeds", "1", "--out", str(tmp_path), *flags])
    assert code == 2
    captured = capsys.readouterr()
    lines = [line for line in captured.err.splitlines() if line.strip()]
    assert len(lines) == 1, captured.err
    assert flag in lines[0]
    assert "Traceback" not in captured.err
    assert not (tmp_path / "params.safetensors").exists()


def test_argparse_errors_exit_2(capsys):
    with pytest.raises(SystemExit) as info:
        main(["train", "--padding", "reflect"])
    assert info.value.code == 2


def test_console_script_prints_no_traceback(tmp_path):
    """Through the real entry point, in a fresh interpreter."""
    proc = subprocess.run(
        [sys.executable, "-m", "radiuscnn", "derive", "--kernel", "40", "--padding", "valid"],
        capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert "--kernel" in proc.stderr and "valid" in proc.stderr


def test_train_writes_checkpoint_and_metrics(tmp_path, capsys):
    out = tmp_path / "run"
    code = main(["train", "--size", "9", "--kernel", "3", "--radii", "0:3", "--seeds", "3",
                 "--steps", "5", "--out", str(out), "--json"])
    assert code == 0
    printed = json.loads(capsys.readouterr().out)
    metrics = json.loads((out / "metrics.json").read_text())
    assert printed["success_rate"] == metrics["success_rate"]
    assert len(metrics["members"]) == 3
    assert (out / "params.safetensors").exists()


def test_help_lists_every_command(capsys):
    with pytest.raises(SystemExit) as info:
        main(["--help"])
    assert info.value.code == 0
    text = capsys.readouterr().out
    for command in ("derive", "train", "check", "explore", "report"):
        assert command in text


def test_check_refuses_a_truncated_checkpoint_in_one_line(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["train", "--size", "9", "--kernel", "3", "--radii", "0:3", "--seeds", "2",
                 "--steps", "3", "--out", str(out), "--json"]) == 0
    capsys.readouterr()
    tensors = out / "params.safetensors"
    tensors.write_bytes(tensors.read_bytes()[:50])
    code = run_cli(["check", str(out)])
    err = capsys.readouterr().err
    assert code != 0
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert "params.safetensors" in err


def test_json_output_survives_a_closed_pipe():
    """`radiuscnn derive --json | head -1` must not print a BrokenPipeError traceback."""
    proc = subprocess.run(
        f"{sys.executable} -m radiuscnn derive --size 9 --kernel 3 --radii 0:3 --json | head -1",
        shell=True, capture_output=True, text=True, timeout=120,
    )
    assert proc.stdout.strip() == "{"
    assert "Traceback" not in proc.stderr


def test_derive_with_a_fixed_amplitude_says_why_a4_is_absent(capsys):
    """A4 is about amplitude intervals: with one amplitude every min_channels entry is
    'not applicable' (value null), with a reason."""
    assert main(["derive", "--size", "9", "--kernel", "3", "--radii", "0:3", "--amplitude", "1", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert "interval" in data["min_channels_reason"]
    assert all(e["value"] is None and e["status"] == "not applicable" for e in data["min_channels"].values())
    assert data["background_counter"]["r_max"] >= 0


def test_derive_min_channels_say_which_case(capsys):
    """Issue 16 item 7: each min_channels entry is {value, status, reason}; on the 1D default
    the values are THEORY.md's A4 table with status exact; the plain output says it in words."""
    assert main(["derive", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)["min_channels"]
    expected = {"relu": 1, "hardtanh": 1, "leaky_relu": 2, "abs": 2,
                "identity": None, "tanh": None, "sigmoid": None, "softplus": None}
    assert {k: e["value"] for k, e in data.items()} == expected
    assert all(set(e) == {"value", "status", "reason"} for e in data.values())
    assert all(data[k]["status"] == "exact" for k in ("relu", "hardtanh", "leaky_relu", "abs"))
    assert all(data[k]["status"] == "impossible" for k in ("identity", "tanh", "sigmoid", "softplus"))
    assert main(["derive"]) == 0
    out = capsys.readouterr().out
    assert "leaky_relu: exactly 2 channel(s)" in out and "tanh: no exact amplitude-invariant network" in out


def test_diverged_training_warns_and_writes_strict_json(tmp_path, capsys):
    out = tmp_path / "nan"
    code = main(["train", "--size", "9", "--kernel", "3", "--radii", "0:3", "--seeds", "2", "--steps", "100",
                 "--lr", "1e8", "--optimizer", "gd", "--out", str(out)])
    assert code == 0
    assert "diverged" in capsys.readouterr().err

    def no_nan(constant):
        raise ValueError(f"non-standard JSON constant {constant}")

    metrics = json.loads((out / "metrics.json").read_text(), parse_constant=no_nan)
    assert metrics["diverged"] == 2 and all(m["loss"] is None for m in metrics["members"])
