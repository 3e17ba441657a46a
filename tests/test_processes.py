"""numeric.processes.Background: the same result as the call in the parent, its errors
raised in the parent, and a worker that is gone at once when closed or reported when killed."""

import math
import time

import pytest
import torch

from radiuscnn.numeric.ensemble import TrainConfig, train
from radiuscnn.numeric.processes import STARTED, Background, WorkerDied
from radiuscnn.theory.config import Config


def test_background_training_is_the_parent_training_bit_for_bit():
    cfg, tcfg = Config(size=13, kernel=3, radii=tuple(range(0, 5))), TrainConfig(seeds=4, steps=50, amplitudes=3)
    with Background() as worker:
        worker.submit("train", train, cfg, tcfg, None, None, None, None, "fast")
        here = train(cfg, tcfg, engine="fast")
        there = worker.result("train")
    assert all(torch.equal(here.params[k], there.params[k]) for k in here.params)
    assert torch.equal(here.history, there.history)


def test_errors_reach_the_parent():
    with Background() as worker, pytest.raises(ValueError, match="math domain"):
        worker.submit("sqrt", math.sqrt, -1.0)
        worker.result("sqrt")


def test_close_stops_a_running_worker_within_a_second():
    worker = Background()
    worker.submit("sleep", time.sleep, 60)
    time.sleep(0.5)
    start = time.perf_counter()
    worker.close()
    assert time.perf_counter() - start < 1.0
    assert all(not p.is_alive() for p in worker._workers)


def test_background_runs_named_calls_in_order_and_reports_each():
    with Background() as worker:
        worker.submit("sqrt", math.sqrt, 16.0)
        worker.submit("bad", math.sqrt, -1.0)
        assert "sqrt" in worker and "bad" in worker
        with pytest.raises(ValueError):
            worker.result("bad")
        assert worker.result("sqrt") == 4.0
        assert "sqrt" not in worker


def test_a_killed_worker_is_an_error_not_a_hang():
    """A worker killed mid-call (out of memory, SIGKILL): result() raises within a second or two
    instead of waiting for the replacement worker the Pool starts silently."""
    import os
    import signal

    with Background() as worker:
        worker.submit("slow", time.sleep, 30)
        time.sleep(1.0)
        os.kill(worker._workers[0].pid, signal.SIGKILL)
        start = time.perf_counter()
        with pytest.raises(WorkerDied, match="died"):
            worker.result("slow")
        assert time.perf_counter() - start < 2.0


def test_a_queued_call_can_be_taken_back_and_a_started_one_cannot():
    """Two processes share one job list: the parent takes back what the worker has not
    started (and the worker then skips it), and waits for what it has."""
    with Background() as worker:
        worker.submit("busy", time.sleep, 1.5)
        worker.submit("queued", math.sqrt, 9.0)
        worker.submit("later", math.sqrt, 16.0)
        deadline = time.monotonic() + 20
        while worker._claims[0] != STARTED and time.monotonic() < deadline:
            time.sleep(0.05)  # until the worker is inside "busy" (a slow start on a loaded machine)
        assert worker.take("busy") is None
        assert worker.call("queued") == (math.sqrt, (9.0,))
        assert worker.run_here("queued") == 3.0  # taken back, computed here
        assert "queued" not in worker
        assert worker.result("later") == 4.0  # the worker skipped "queued" and ran "later"
        assert worker.run_here("busy") is None  # started there: run_here waits for it
        assert worker.ran["queued"][0] == "parent" and worker.ran["later"][0] == "worker"
        assert worker.ran["busy"][0] == "worker" and 1.5 <= worker.ran["busy"][1] < 10  # its own time


def test_run_here_runs_the_calls_of_a_dead_worker_here():
    """No work is lost with the worker: after a SIGKILL, run_here computes the call itself
    (the calls are pure, so the value is the one the worker would have returned)."""
    import os
    import signal

    with Background() as worker:
        worker.submit("slow", time.sleep, 30)
        worker.submit("next", math.sqrt, 25.0)
        deadline = time.monotonic() + 20
        while worker._claims[0] != STARTED and time.monotonic() < deadline:
            time.sleep(0.05)
        os.kill(worker._workers[0].pid, signal.SIGKILL)
        start = time.perf_counter()
        assert worker.run_here("next") == 5.0
        assert time.perf_counter() - start < 3.0
