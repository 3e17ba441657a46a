"""The wheel installs one namespace, ``radiuscnn``, and ships no tests (issue: one source of truth)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel_names(tmp_path_factory) -> list[str]:
    # build from a copy: setuptools writes build/ beside the sources it builds
    src = tmp_path_factory.mktemp("src") / "radiuscnn"
    shutil.copytree(REPO, src, ignore=shutil.ignore_patterns(
        ".git", ".venv", ".cache", "build", "*.egg-info", "__pycache__", "runs", ".pytest_cache", ".hypothesis"))
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(out), str(src)],
        check=True, capture_output=True, timeout=300,
    )
    (wheel,) = out.glob("radiuscnn-*.whl")
    with zipfile.ZipFile(wheel) as zf:
        return zf.namelist()


def test_wheel_has_one_top_level_package(wheel_names):
    tops = {name.split("/")[0] for name in wheel_names}
    assert {t for t in tops if not t.endswith(".dist-info")} == {"radiuscnn"}
    for generic in ("theory", "numeric", "verify", "reports"):
        assert f"radiuscnn/{generic}/__init__.py" in wheel_names
        assert not any(n.startswith(f"{generic}/") for n in wheel_names)


def test_wheel_ships_no_tests(wheel_names):
    modules = [n.rsplit("/", 1)[-1] for n in wheel_names if n.endswith(".py")]
    assert not [m for m in modules if m.startswith("test_") or m == "conftest.py"]


def test_wheel_ships_report_templates_and_entry_point(wheel_names):
    assert "radiuscnn/reports/templates/preamble.tex" in wheel_names
    (entry,) = [n for n in wheel_names if n.endswith("entry_points.txt")]
    assert entry


def _imported_after(statement: str) -> set[str]:
    code = f"import sys; {statement}; print(' '.join(sys.modules))"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd="/")
    assert proc.returncode == 0, proc.stderr
    return set(proc.stdout.split())


@pytest.mark.parametrize("statement", [
    "import radiuscnn",
    "from radiuscnn.cli import build_parser; build_parser()",
    "from radiuscnn.cli import main; main(['derive', '--size', '9', '--kernel', '3', '--radii', '0:3', '--json'])",
])
def test_cheap_paths_import_neither_torch_nor_matplotlib(statement):
    loaded = _imported_after(statement)
    assert "torch" not in loaded and "matplotlib" not in loaded
