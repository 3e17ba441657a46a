"""Issue 16: every bad input of the catalogue (tests/bad_inputs.py) gives one clear line, a
non-zero exit, no traceback, and is refused before any work: training, the kernel sweep and
the report pipeline are replaced by functions that fail the test if they are reached."""

from __future__ import annotations

import pytest

from radiuscnn.cli import main

from bad_inputs import catalogue

CATALOGUE = catalogue()


def is_progress(line: str) -> bool:
    return line.startswith("radiuscnn ") and line.rstrip().endswith(" s)")


@pytest.fixture(scope="module")
def places(tmp_path_factory):
    root = tmp_path_factory.mktemp("bad")
    (root / "file.txt").write_text("not a directory\n")
    (root / "dir").mkdir()
    run = root / "run"
    assert main(["train", "--size", "9", "--kernel", "3", "--radii", "0:3", "--seeds", "2", "--steps", "2",
                 "--amplitudes", "2", "--out", str(run), "--json"]) == 0
    return {"file": str(root / "file.txt"), "dir": str(root / "dir"), "run": str(run)}


@pytest.fixture
def no_work(monkeypatch):
    def forbidden(*args, **kwargs):
        raise AssertionError("a bad input reached the work")

    monkeypatch.setattr("radiuscnn.numeric.ensemble.train", forbidden)
    monkeypatch.setattr("radiuscnn.commands.explore.explore_kernels", forbidden)
    monkeypatch.setattr("radiuscnn.reports.build.build_report", forbidden)


def run_cli(argv):
    try:
        return main(argv)
    except SystemExit as exit_:
        return exit_.code


@pytest.mark.parametrize("argv, text, code", CATALOGUE, ids=[" ".join(a) or "(none)" for a, _, _ in CATALOGUE])
def test_bad_input_is_one_line_without_work(argv, text, code, places, no_work, capsys):
    capsys.readouterr()
    got = run_cli([a.format(**places) for a in argv])
    err = capsys.readouterr().err
    assert "Traceback" not in err and "AssertionError" not in err
    assert got == code, err
    lines = [ln for ln in err.splitlines() if ln.strip() and not ln.startswith("usage:") and not is_progress(ln)]
    assert len(lines) == 1, err
    assert text in lines[0], err


def test_catalogue_size():
    """The count quoted in the closing note of issue 16 (distinct command lines)."""
    assert len(CATALOGUE) == len({tuple(a) for a, _, _ in CATALOGUE}) >= 150
    print(f"\n{len(CATALOGUE)} distinct bad command lines in tests/bad_inputs.py")
