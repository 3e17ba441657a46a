"""The README's "Bring your own network" example runs as written (issue 13)."""

from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def section_code(title: str) -> str:
    text = README.read_text()
    start = text.index(f"## {title}\n")
    end = text.find("\n## ", start + 1)
    blocks = re.findall(r"```python\n(.*?)```", text[start:end], flags=re.S)
    assert len(blocks) == 1, blocks
    return blocks[0]


def test_bring_your_own_network_example_runs(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    exec(compile(section_code("Bring your own network"), "README.md", "exec"), namespace)
    printed = capsys.readouterr().out.splitlines()
    analysis = namespace["analysis"]
    assert printed[0] == repr(analysis) and printed[0].startswith("Analysis(1D N=15 k=3 C=2 relu zeros gap")
    assert float(printed[1]) <= 1e-12                       # imported == original on the data set
    assert printed[3].startswith("Proof(1D ")
    assert (tmp_path / "pulse.pt").exists()

    from radiuscnn.cli import main

    assert main(["check", "--model", "pulse.pt", "--size", "15", "--radii", "0:7"]) == 0
    assert "max |y_imported - y_original|" in capsys.readouterr().out


def test_package_docstring_example_holds():
    """The ``>>>`` example of ``radiuscnn.__doc__`` (the rank is rechecked by the claims)."""
    import doctest

    import radiuscnn

    result = doctest.testmod(radiuscnn, verbose=False)
    assert result.attempted >= 3 and result.failed == 0
