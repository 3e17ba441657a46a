"""Work in spawned worker processes that never outlive their parent.

A worker ignores SIGINT (the parent decides and terminates it) and exits within half a second
if its parent dies, even by SIGKILL. Each worker trains on one torch thread, so a result is
the one the same call gives in the parent (same arithmetic, same thread count).
:class:`Background` runs function calls in one worker beside the parent's own work (the
report's 2D training and kernel-sweep training while the 1D stages run: two cores, two
processes of one thread each). A queued call the worker has not started yet can be *taken
back* (:meth:`Background.take`) and run by the parent instead, so two processes share one list
of jobs from its two ends and neither waits while the other still has queued work.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from contextlib import contextmanager
from typing import Any, Callable, Iterator


@contextmanager
def torch_threads(n: int | None) -> Iterator[None]:
    """``torch.set_num_threads(n)`` for the block (``None``: unchanged), restored afterwards.
    The tensors here are tiny, so threads only add synchronisation (several times slower on two
    shared cores), and one thread keeps results independent of the machine's core count.
    Imports torch when entered, not when this module is imported."""
    import torch

    before = torch.get_num_threads()
    if n is not None:
        torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def worker_init(parent: int) -> None:
    """In each worker: ignore SIGINT and exit once ``parent`` is gone (module docstring)."""
    import signal
    import threading
    import time

    signal.signal(signal.SIGINT, signal.SIG_IGN)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, daemon=True).start()


PENDING, STARTED, TAKEN = 0, 1, 2
SLOTS = 256  # calls per Background (a shared byte each)

_claims = None  # in a worker process only: the shared call states, set by _worker_start


def _worker_start(parent: int, claims) -> None:
    global _claims
    _claims = claims
    worker_init(parent)


def _claim(claims, slot: int, state: int, timeout: float | None = None) -> bool:
    """Move call ``slot`` from PENDING to ``state`` (atomic); ``False`` if it has left PENDING,
    or if the lock is not had within ``timeout`` seconds (a worker killed while holding it:
    the caller then waits for :meth:`Background.result`, which reports the dead worker)."""
    lock = claims.get_lock()
    if not lock.acquire(True, timeout):  # timeout None: wait as long as it takes
        return False
    try:
        if claims[slot] != PENDING:
            return False
        claims[slot] = state
        return True
    finally:
        lock.release()


class _Taken:
    """The worker's answer for a call the parent took back."""


class _Ran:
    """The worker's answer for a call it ran: the value and the seconds the call took there."""

    def __init__(self, value: Any, seconds: float) -> None:
        self.value, self.seconds = value, seconds


def _one_thread_call(fn: Callable, args: tuple, slot: int) -> Any:
    if not _claim(_claims, slot, STARTED):
        return _Taken()
    start = time.perf_counter()
    with torch_threads(1):
        value = fn(*args)
    return _Ran(value, time.perf_counter() - start)


class WorkerDied(RuntimeError):
    """The background worker ended (killed) before a call returned."""


class Background:
    """One spawned worker running named calls in submission order, beside the parent's own
    work (module docstring). :meth:`submit` queues ``fn(*args)``; :meth:`result` waits for one
    (polling, so Ctrl-C in the parent is handled at once) and raises its exception if it
    failed; :meth:`close` terminates the worker whatever it is doing. Use as a context manager
    or call ``close`` in a ``finally``. ``ran[name]``: where a finished call ran (``"worker"``
    or ``"parent"``) and the seconds it took there."""

    def __init__(self) -> None:
        context = multiprocessing.get_context("spawn")
        self._claims = context.Array("b", SLOTS)
        self._pool = context.Pool(1, initializer=_worker_start, initargs=(os.getpid(), self._claims))
        self._workers = list(self._pool._pool)  # the Pool would silently replace a dead worker
        self._calls: dict[str, tuple[Any, int, Callable, tuple]] = {}
        self._slots = 0
        self.ran: dict[str, tuple[str, float]] = {}  # call name -> ("worker" | "parent", seconds it took)

    def submit(self, name: str, fn: Callable, *args: Any) -> None:
        if self._slots >= SLOTS:
            raise RuntimeError(f"a Background takes at most {SLOTS} calls")
        slot, self._slots = self._slots, self._slots + 1
        self._calls[name] = (self._pool.apply_async(_one_thread_call, (fn, args, slot)), slot, fn, args)

    def __contains__(self, name: str) -> bool:
        return name in self._calls

    def call(self, name: str) -> tuple[Callable, tuple]:
        """The function and arguments queued as ``name``."""
        _, _, fn, args = self._calls[name]
        return fn, args

    def take(self, name: str) -> tuple[Callable, tuple] | None:
        """Take the call ``name`` back if the worker has not started it: it leaves the queue
        (the worker skips it) and its ``(fn, args)`` are returned for the caller to run.
        ``None``: the worker has it (or had it); wait for :meth:`result`."""
        if name not in self._calls or not _claim(self._claims, self._calls[name][1], TAKEN, timeout=5.0):
            return None
        _, _, fn, args = self._calls.pop(name)
        return fn, args

    def run_here(self, name: str) -> Any:
        """Run the call ``name`` in this process if it can still be taken back (one thread,
        as in the worker), else wait for the worker's result: the same value either way. If
        the worker has died, the call runs here too (the calls are pure: the same value), so
        no work is lost with the worker."""
        taken = self.take(name)
        if taken is None:
            _, _, fn, args = self._calls[name]
            try:
                return self.result(name)
            except WorkerDied:
                taken = fn, args
        fn, args = taken
        start = time.perf_counter()
        with torch_threads(1):
            value = fn(*args)
        self.ran[name] = ("parent", time.perf_counter() - start)
        return value

    def result(self, name: str) -> Any:
        """The return value of the call ``name`` (its exception is raised here). A dead worker
        raises :class:`WorkerDied` (the pool's silent replacement is stopped at once, so the
        calls left are never half-done in the background)."""
        call = self._calls.pop(name)[0]
        while True:
            try:
                value = call.get(timeout=0.2)
            except multiprocessing.TimeoutError:
                dead = [w for w in self._workers if not w.is_alive()]
                if dead:  # killed (out of memory, SIGKILL): its calls are lost, never wait for them
                    self._pool.terminate()
                    raise WorkerDied(f"the background worker (pid {dead[0].pid}) died with exit code "
                                     f"{dead[0].exitcode} before {name!r} finished") from None
                continue
            if isinstance(value, _Taken):
                raise RuntimeError(f"{name!r} was taken back; run it with run_here")
            self.ran[name] = ("worker", value.seconds)
            return value.value

    def close(self) -> None:
        self._pool.terminate()
        self._pool.join()

    def __enter__(self) -> "Background":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
