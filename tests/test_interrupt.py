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
import threading
import time
from pathlib import Path

import pytest

ENV = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONUNBUFFERED": "1"}
LONG = ["--size", "9", "--radii", "0:3", "--seeds", "2", "--steps", "10000000", "--amplitudes", "2"]


def start(argv: list[str], cwd: Path) -> subprocess.Popen:
    """The command in a subprocess; ``proc.err_lines`` fills with its stderr as it runs (plain
    progress lines, since stderr is a pipe), ``proc.finish()`` waits and returns all of it."""
    proc = subprocess.Popen([sys.executable, "-m", "radiuscnn", *argv], cwd=cwd, env=ENV,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    proc.err_lines = []
    reader = threading.Thread(target=lambda: proc.err_lines.extend(iter(proc.stderr.readline, "")), daemon=True)
    reader.start()

    def finish(timeout: float = 60) -> str:
        proc.wait(timeout=timeout)
        reader.join(timeout=10)
        return "".join(proc.err_lines)

    proc.finish = finish
    return proc


def said(proc, text: str, timeout: float = 120) -> None:
    """Wait until ``proc`` printed a stderr line containing ``text``."""
    assert wait_for(lambda: any(text in line for line in proc.err_lines), timeout), "".join(proc.err_lines)
    assert proc.poll() is None


def children(pid: int) -> set[int]:
    """Pool workers among the direct children of ``pid`` (Linux /proc)."""
    out = set()
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            out |= {int(x) for x in (task / "children").read_text().split()}
        except OSError:
            pass
    return {c for c in out if "spawn_main" in _cmdline(c)}


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_text()
    except OSError:
        return ""


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


def busy_workers(proc: subprocess.Popen, n: int, text: str) -> set[int]:
    """Wait until ``proc`` has ``n`` workers and printed ``text`` (a row finished)."""
    assert wait_for(lambda: len(children(proc.pid)) >= n, 120), "workers never started"
    said(proc, text)
    time.sleep(1.0)
    return children(proc.pid)


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="needs Linux /proc")
def test_ctrl_c_stops_explore_workers_at_once_and_keeps_finished_rows(tmp_path):
    csv = tmp_path / "rows.csv"
    # k = 10 with valid padding is an invalid row (k > N): it finishes at once; the rest train
    proc = start(["explore", "kernel", *LONG, "--kernels", "9:10", "--paddings", "zeros,valid",
                  "--jobs", "2", "--csv", str(csv)], tmp_path)
    workers = busy_workers(proc, 2, "rows (derive + train) 1/4")
    sent = time.monotonic()
    proc.send_signal(signal.SIGINT)
    err = proc.finish(timeout=30)
    elapsed = time.monotonic() - sent
    assert proc.returncode == 130, err
    assert elapsed < 3, f"took {elapsed:.1f} s to stop"
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
    workers = busy_workers(proc, 2, "rows (derive + train) 0/2")
    time.sleep(2.0)
    proc.kill()
    proc.finish(timeout=30)
    assert wait_for(lambda: not any(alive(w) for w in workers), 5), "orphaned workers kept running"


def test_ctrl_c_during_train_writes_no_checkpoint(tmp_path):
    out_dir = tmp_path / "run"
    proc = start(["train", *LONG, "--kernel", "3", "--out", str(out_dir)], tmp_path)
    said(proc, "radiuscnn train: training")  # 10^7 steps: it does not end by itself
    time.sleep(0.5)
    proc.send_signal(signal.SIGINT)
    err = proc.finish(timeout=30)
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    lines = interrupt_lines(err)
    assert len(lines) == 1 and "nothing written" in lines[0], err
    assert not out_dir.exists() and not list(tmp_path.glob(".run*"))


def test_ctrl_c_stops_report_cleanly(tmp_path):
    out_dir = tmp_path / "rep"
    proc = start(["report", *LONG, "--kernel", "3", "--out", str(out_dir), "--tex-only"], tmp_path)
    said(proc, "radiuscnn report:")
    time.sleep(1.0)
    proc.send_signal(signal.SIGINT)
    err = proc.finish(timeout=60)
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    lines = interrupt_lines(err)
    assert len(lines) == 1 and "not finished" in lines[0], err
    assert not (out_dir / "derivation.tex").exists()


def test_sigterm_during_train_is_handled_like_ctrl_c(tmp_path):
    out_dir = tmp_path / "run"
    proc = start(["train", *LONG, "--kernel", "3", "--out", str(out_dir)], tmp_path)
    said(proc, "radiuscnn train: training")
    proc.send_signal(signal.SIGTERM)
    err = proc.finish(timeout=30)
    assert proc.returncode == 143, err
    assert "Traceback" not in err and len(interrupt_lines(err)) == 1
    assert not out_dir.exists()


def test_sigterm_during_explore_exits_143_in_one_line(tmp_path):
    proc = start(["explore", "kernel", *LONG, "--kernels", "3", "--paddings", "zeros", "--jobs", "1"], tmp_path)
    said(proc, "radiuscnn explore: ")
    time.sleep(1.0)
    proc.send_signal(signal.SIGTERM)
    err = proc.finish(timeout=30)
    assert proc.returncode == 143, err
    lines = interrupt_lines(err)
    assert "Traceback" not in err and len(lines) == 1, err
    assert lines[0].count("interrupted") == 1 and "of 1 rows" in lines[0], err
