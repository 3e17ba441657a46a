"""How long commands run: interruption and progress when nobody watches a bar.

The commands' ``--threads`` (default 1) goes through :func:`numeric.processes.torch_threads`.
The tensors here are tiny (a few thousand numbers), so extra threads only add
synchronisation: on a loaded two-core machine the default ``train`` took 13.5 s on one thread
and over 290 s with torch's default; ``radiuscnn train --steps 1000`` took 9.5 s with
``--threads 1`` and 43.6 s with ``--threads 2``, run side by side (two rounds, load average
about 7).

* :func:`deferred_interrupt`: a block (writing a checkpoint) that Ctrl-C cannot cut in half;
  the interrupt is raised when the block ends.
* :class:`PlainProgress`: when stderr is not a terminal (``make report > log 2>&1``), plain
  lines ``radiuscnn CMD: <stage> ... (<elapsed> s)`` instead of a Rich bar: every item of a
  short task (rows, networks, stages), at most one line every few seconds of a long one
  (training steps), always on a new stage and on the last step. It offers the
  ``rich.progress.Progress`` methods the commands and the report builder call.
"""

from __future__ import annotations

import signal
import sys
import time
from contextlib import contextmanager
from typing import Iterator

EXIT_INTERRUPTED = 130


@contextmanager
def deferred_interrupt() -> Iterator[None]:
    """Hold SIGINT and SIGTERM for the block (main thread only); when one arrived, call its
    previous handler after the block (Python's default raises KeyboardInterrupt)."""
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []
    signals = (signal.SIGINT, signal.SIGTERM)
    previous = {s: signal.signal(s, lambda signum, frame: caught.append(signum)) for s in signals}
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
    if caught:
        handler = previous[caught[0]]
        if callable(handler):
            handler(caught[0], None)
        raise KeyboardInterrupt


def stderr_is_terminal() -> bool:
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


class PlainProgress:
    """A stand-in for ``rich.progress.Progress`` that prints plain lines to stderr."""

    def __init__(self, command: str, every: float = 5.0) -> None:
        self.command = command
        self.every = every
        self.start = time.perf_counter()
        self.tasks: dict[int, dict] = {}

    # context manager, like Progress
    def __enter__(self) -> "PlainProgress":
        return self

    def __exit__(self, *exc) -> None:
        return None

    def _say(self, task: dict, force: bool = False) -> None:
        now = time.perf_counter()
        if not force and now - task["said"] < self.every:
            return
        task["said"] = now
        done = ""
        if task["total"]:
            done = f" {task['completed']:g}/{task['total']:g}"
        extra = "".join(f", {k} {v}" for k, v in task["fields"].items() if v not in ("", None, "-"))
        what = str(task["description"]).strip().removeprefix(f"{self.command}: ")
        print(f"radiuscnn {self.command}: {what}{done}{extra} ({now - self.start:.1f} s)",
              file=sys.stderr, flush=True)

    def add_task(self, description: str, total=None, completed=0, visible=True, **fields) -> int:
        task_id = len(self.tasks)
        self.tasks[task_id] = {"description": description, "total": total, "completed": completed,
                               "fields": fields, "said": 0.0, "visible": visible}
        if visible:
            self._say(self.tasks[task_id], force=True)
        return task_id

    def update(self, task_id: int, description=None, completed=None, total=None, advance=None,
               visible=None, **fields) -> None:
        task = self.tasks[task_id]
        new_stage = description is not None and description != task["description"]
        before = task["completed"]
        if description is not None:
            task["description"] = description
        if total is not None:
            task["total"] = total
        if completed is not None:
            task["completed"] = completed
        if advance is not None:
            task["completed"] += advance
        if visible is not None:
            task["visible"] = visible
        task["fields"].update(fields)
        finished = bool(task["total"]) and task["completed"] >= task["total"]
        # a task of few items (stages, sweep rows) reports every item; longer ones (64 networks,
        # training steps) are throttled to one line every ``every`` seconds
        item = bool(task["total"]) and task["total"] <= 20 and task["completed"] != before
        if task["visible"]:
            self._say(task, force=new_stage or finished or item)

    def advance(self, task_id: int, advance: float = 1) -> None:
        self.update(task_id, advance=advance)

    def remove_task(self, task_id: int) -> None:
        self.tasks.pop(task_id, None)

    def stop(self) -> None:
        return None


def progress_bar(command: str, *columns, console=None, transient: bool = True, disable: bool = False):
    """A Rich ``Progress`` on a terminal, :class:`PlainProgress` lines otherwise."""
    from rich.progress import Progress

    if disable:
        return Progress(*columns, console=console, transient=transient, disable=True)
    if console is not None and not console.is_terminal:
        return PlainProgress(command)
    if console is None and not stderr_is_terminal():
        return PlainProgress(command)
    return Progress(*columns, console=console, transient=transient)
