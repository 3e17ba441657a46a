"""Issue 16.2: Ctrl-C (SIGINT) and a killed parent, tested on real subprocesses.

`explore kernel` must stop every worker within about a second, say so in one line, exit 130
and keep the finished rows (CSV marked incomplete); a killed parent must not leave workers
running; `train` must leave no checkpoint behind; `report` must stop cleanly.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ENV = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONUNBUFFERED": "1"}
LONG = ["--size", "9", "--radii", "0:3", "--seeds", "2", "--steps", "10000000", "--amplitudes", "2"]


def start(argv: list[str], cwd: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "radiuscnn", *argv], cwd=cwd, env=ENV,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def children(pid: int) -> set[int]:
    """Direct children of ``pid`` (Linux /proc)."""
    out = set()
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            out |= {int(x) for x in (task / "children").read_text().split()}
        except OSError:
            pass
    return out


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split()[2]
    except OSError:
        return False
    return state != "Z"


def wait_for(condition, timeout: float) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if condition():
            return True
        time.sleep(0.1)
    return False


def interrupt_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if "interrupted" in line]


def busy_workers(proc: subprocess.Popen, n: int) -> set[int]:
    """Wait until ``proc`` has at least ``n`` workers, and give them time to start training."""
    assert wait_for(lambda: len(children(proc.pid)) >= n, 60), "workers never started"
    time.sleep(3.0)
    workers = children(proc.pid)
    assert proc.poll() is None
    return workers


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="needs Linux /proc")
def test_ctrl_c_stops_explore_workers_at_once_and_keeps_finished_rows(tmp_path):
    csv = tmp_path / "rows.csv"
    # k = 10 with valid padding is an invalid row (k > N): it finishes at once; the rest train
    proc = start(["explore", "kernel", *LONG, "--kernels", "9:10", "--paddings", "zeros,valid",
                  "--jobs", "2", "--csv", str(csv)], tmp_path)
    workers = busy_workers(proc, 2)
    sent = time.monotonic()
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    elapsed = time.monotonic() - sent
    assert proc.returncode == 130, err
    assert elapsed < 5, f"took {elapsed:.1f} s to stop"
    assert "Traceback" not in err
    lines = interrupt_lines(err)
    assert len(lines) == 1 and "of 4 rows" in lines[0] and str(csv) in lines[0], err
    # the pool's workers are gone before the parent exits; multiprocessing's resource tracker
    # follows when it sees the parent's pipe close
    assert wait_for(lambda: not any(alive(w) for w in workers), 1.0), "worker processes left running"
    text = csv.read_text().splitlines()
    assert text[0].startswith("# incomplete: interrupted after") and text[1].startswith("kernel,")
    assert any(line.startswith("10,valid,") for line in text[2:])  # the finished (invalid) row
    assert not any(line.startswith("9,zeros,") for line in text[2:])  # still training: not kept


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="needs Linux /proc")
def test_killed_parent_leaves_no_worker_running(tmp_path):
    proc = start(["explore", "kernel", *LONG, "--kernels", "3:4", "--paddings", "zeros",
                  "--jobs", "2"], tmp_path)
    workers = busy_workers(proc, 2)
    proc.kill()
    proc.communicate(timeout=30)
    assert wait_for(lambda: not any(alive(w) for w in workers), 5), "orphaned workers kept running"


def test_ctrl_c_during_train_writes_no_checkpoint(tmp_path):
    out_dir = tmp_path / "run"
    proc = start(["train", *LONG, "--kernel", "3", "--out", str(out_dir)], tmp_path)
    time.sleep(6)  # torch imported, training under way (10^7 steps: it does not end by itself)
    assert proc.poll() is None
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    lines = interrupt_lines(err)
    assert len(lines) == 1 and "nothing written" in lines[0], err
    assert not out_dir.exists() and not list(tmp_path.glob(".run*"))


def test_ctrl_c_stops_report_cleanly(tmp_path):
    out_dir = tmp_path / "rep"
    proc = start(["report", *LONG, "--kernel", "3", "--out", str(out_dir), "--tex-only"], tmp_path)
    time.sleep(8)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    lines = interrupt_lines(err)
    assert len(lines) == 1 and "not finished" in lines[0], err
    assert not (out_dir / "derivation.tex").exists()
