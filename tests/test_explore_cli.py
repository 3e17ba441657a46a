"""``radiuscnn explore kernel``: output shapes, files, invalid rows, bad input, timing."""

from __future__ import annotations

import csv
import json
import time

import pytest

from radiuscnn.cli import main

SMALL = ["--size", "9", "--radii", "0:4"]
ROW_KEYS = {"kernel", "padding", "n_runs", "constraint_rank", "beta", "vb", "r_max", "min_channels", "flags"}
TRAINED_KEYS = {"success_rate", "families", "checks_pass"}


def run_cli(argv: list[str]) -> int:
    try:
        return main(argv)
    except SystemExit as exit_:
        return exit_.code


def explore_json(argv: list[str], capsys) -> list[dict]:
    code = run_cli(["explore", "kernel", "--json", *argv])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    return json.loads(captured.out)


@pytest.mark.fast
def test_json_is_a_list_of_rows(capsys):
    rows = explore_json(["--kernels", "1:4", *SMALL, "--no-train", "--jobs", "1"], capsys)
    assert [(r["kernel"], r["padding"]) for r in rows] == [
        (k, p) for k in range(1, 5) for p in ("zeros", "valid", "circular")
    ]
    for row in rows:
        assert ROW_KEYS <= set(row)
        assert not TRAINED_KEYS & set(row)
        assert all(set(f) == {"flag", "reason"} for f in row["flags"])
    k1 = rows[0]
    assert k1["n_runs"] == 2 and k1["r_max"] == 4 and k1["flags"][0]["flag"] == "k=1"
    assert k1["min_channels"]["relu"] == 1 and k1["min_channels"]["tanh"] is None


@pytest.mark.fast
def test_paddings_and_single_kernel(capsys):
    rows = explore_json(["--kernels", "3", "--paddings", "circular,zeros", *SMALL, "--no-train"], capsys)
    assert [(r["kernel"], r["padding"]) for r in rows] == [(3, "circular"), (3, "zeros")]


@pytest.mark.fast
def test_invalid_row_for_k_larger_than_N_with_valid_padding(capsys):
    rows = explore_json(["--kernels", "8:10", "--size", "9", "--radii", "0:2", "--paddings", "valid", "--no-train"], capsys)
    assert [r["kernel"] for r in rows] == [8, 9, 10]
    assert rows[0]["n_runs"] is not None and rows[1]["n_runs"] is not None  # k = 8, 9 <= N
    invalid = rows[2]
    assert invalid["n_runs"] is None and invalid["constraint_rank"] is None and invalid["r_max"] is None
    flags = {f["flag"]: f["reason"] for f in invalid["flags"]}
    assert "invalid" in flags and "--kernel" in flags["invalid"] and "k>=N" in flags


@pytest.mark.fast
def test_csv_and_plots_are_written(tmp_path, capsys):
    out_csv, png, pdf = tmp_path / "rows.csv", tmp_path / "sweep.png", tmp_path / "sub" / "sweep.pdf"
    code = run_cli(["explore", "kernel", "--kernels", "1:3", *SMALL, "--no-train",
                    "--csv", str(out_csv), "--plot", str(png)])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "runs" in captured.out and "CSV written" in captured.out  # the Rich table and notes
    with open(out_csv) as handle:
        lines = list(csv.DictReader(handle))
    assert len(lines) == 9
    assert {"kernel", "padding", "n_runs", "constraint_rank", "r_max", "flags", "min_channels_relu"} <= set(lines[0])
    assert png.read_bytes()[:4] == b"\x89PNG"
    assert run_cli(["explore", "kernel", "--kernels", "2:3", *SMALL, "--no-train", "--plot", str(pdf)]) == 0
    assert pdf.read_bytes()[:4] == b"%PDF"


@pytest.mark.fast
def test_trained_columns(tmp_path, capsys):
    out_csv = tmp_path / "trained.csv"
    rows = explore_json(["--kernels", "3:3", "--paddings", "zeros,valid", "--size", "9", "--radii", "0:3",
                         "--seeds", "2", "--steps", "20", "--csv", str(out_csv)], capsys)
    assert len(rows) == 2
    for row in rows:
        assert ROW_KEYS | TRAINED_KEYS <= set(row)
        assert 0.0 <= row["success_rate"] <= 1.0
        assert isinstance(row["families"], dict) and sum(row["families"].values()) == 2
        assert row["checks_pass"] in (True, False, None)
    with open(out_csv) as handle:
        assert "success_rate" in next(csv.reader(handle))


BAD = [
    (["--kernels", "x"], "--kernels"),
    (["--kernels", "3:1"], "--kernels"),
    (["--kernels", "0:3"], "--kernels"),
    (["--kernels", "1:2:3"], "--kernels"),
    (["--kernels", ""], "--kernels"),
    (["--kernels", "1.5:3"], "--kernels"),
    (["--paddings", "reflect"], "--paddings"),
    (["--paddings", "zeros,zeros"], "--paddings"),
    (["--plot", "out.svg"], "--plot"),
    (["--jobs", "0"], "--jobs"),
    (["--dim", "3"], "--dim"),  # --dim 2 is supported (theory.explore_2d)
    (["--size", "8"], "--size"),
]


@pytest.mark.fast
@pytest.mark.parametrize("flags, flag", BAD, ids=[" ".join(f) for f, _ in BAD])
def test_bad_input_gives_one_line_and_exit_2(flags, flag, capsys):
    code = run_cli(["explore", "kernel", "--no-train", *flags])
    assert code == 2
    captured = capsys.readouterr()
    lines = [line for line in captured.err.splitlines() if line.strip()]
    assert len(lines) == 1, captured.err
    assert flag in lines[0]
    assert "Traceback" not in captured.err and captured.out == ""


@pytest.mark.fast
def test_bad_train_flags_are_rejected_when_training(capsys):
    code = run_cli(["explore", "kernel", "--kernels", "3", *SMALL, "--seeds", "0"])
    captured = capsys.readouterr()
    assert code == 2 and len(captured.err.strip().splitlines()) == 1 and "--seeds" in captured.err


@pytest.mark.slow
def test_no_train_sweep_k_1_to_31_all_paddings(capsys):
    """The full derived sweep of the embedded default (worker processes as on the command
    line). Completion is asserted, wall-clock is only printed (machines differ)."""
    start = time.perf_counter()
    rows = explore_json(["--kernels", "1:31", "--no-train"], capsys)
    seconds = time.perf_counter() - start
    with capsys.disabled():
        print(f"\nexplore kernel --kernels 1:31 --no-train (3 paddings, N=33): {seconds:.1f} s")
    assert len(rows) == 93
    assert all(row["n_runs"] is not None for row in rows)  # k <= 31 < N: every row is valid
