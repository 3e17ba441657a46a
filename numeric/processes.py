"""Work in spawned worker processes that never outlive their parent.

A worker ignores SIGINT (the parent decides and terminates it) and exits within half a second
if its parent dies, even by SIGKILL. Each worker trains on one torch thread, so a result is
the one the same call gives in the parent (same arithmetic, same thread count).
:class:`BackgroundCall` runs one function call beside the parent's own work (the report's 2D
training while the 1D stages run: two cores, two processes of one thread each).
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


class BackgroundCall:
    """``fn(*args)`` in one spawned worker, started at construction; :meth:`result` waits for
    it (polling, so Ctrl-C in the parent is handled at once) and :meth:`close` terminates the
    worker whatever state it is in. Use as a context manager or call ``close`` in a ``finally``."""

    def __init__(self, fn: Callable, *args: Any) -> None:
        context = multiprocessing.get_context("spawn")
        self._pool = context.Pool(1, initializer=worker_init, initargs=(os.getpid(),))
        self._call = self._pool.apply_async(_one_thread_call, (fn, args))
        self._pool.close()

    def result(self) -> Any:
        """The call's return value (or its exception, raised here); the worker is then gone."""
        try:
            while True:
                try:
                    return self._call.get(timeout=0.2)
                except multiprocessing.TimeoutError:
                    continue
        finally:
            self.close()

    def close(self) -> None:
        self._pool.terminate()
        self._pool.join()

    def __enter__(self) -> "BackgroundCall":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
