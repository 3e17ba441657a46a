"""Work in spawned worker processes that never outlive their parent.

A worker ignores SIGINT (the parent decides and terminates it) and exits within half a second
if its parent dies, even by SIGKILL. Each worker trains on one torch thread, so a result is
the one the same call gives in the parent (same arithmetic, same thread count).
:class:`Background` runs function calls in one worker beside the parent's own work (the
report's 2D training and kernel-sweep training while the 1D stages run: two cores, two
processes of one thread each).
"""

from __future__ import annotations

import multiprocessing
import os
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


def _one_thread_call(fn: Callable, args: tuple) -> Any:
    with torch_threads(1):
        return fn(*args)


class WorkerDied(RuntimeError):
    """The background worker ended (killed) before a call returned."""


class Background:
    """One spawned worker running named calls in submission order, beside the parent's own
    work (module docstring). :meth:`submit` queues ``fn(*args)``; :meth:`result` waits for one
    (polling, so Ctrl-C in the parent is handled at once) and raises its exception if it
    failed; :meth:`close` terminates the worker whatever it is doing. Use as a context manager
    or call ``close`` in a ``finally``."""

    def __init__(self) -> None:
        context = multiprocessing.get_context("spawn")
        self._pool = context.Pool(1, initializer=worker_init, initargs=(os.getpid(),))
        self._workers = list(self._pool._pool)  # the Pool would silently replace a dead worker
        self._calls: dict[str, Any] = {}

    def submit(self, name: str, fn: Callable, *args: Any) -> None:
        self._calls[name] = self._pool.apply_async(_one_thread_call, (fn, args))

    def __contains__(self, name: str) -> bool:
        return name in self._calls

    def result(self, name: str) -> Any:
        """The return value of the call ``name`` (its exception is raised here)."""
        call = self._calls.pop(name)
        while True:
            try:
                return call.get(timeout=0.2)
            except multiprocessing.TimeoutError:
                dead = [w for w in self._workers if not w.is_alive()]
                if dead:  # killed (out of memory, SIGKILL): its calls are lost, never wait for them
                    raise WorkerDied(f"the background worker (pid {dead[0].pid}) died with exit code "
                                     f"{dead[0].exitcode} before {name!r} finished") from None

    def close(self) -> None:
        self._pool.terminate()
        self._pool.join()

    def __enter__(self) -> "Background":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
