"""Shared presentation helpers for the subcommands: JSON printing and Rich consoles."""

from __future__ import annotations

import json
import sys
from fractions import Fraction

from rich.console import Console


def to_jsonable(value):
    """Plain JSON data: rationals as strings (exact), tuples as lists, numpy/torch scalars as floats."""
    if isinstance(value, Fraction):
        return str(value)
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    if hasattr(value, "tolist"):
        return to_jsonable(value.tolist())
    return value


def print_json(data) -> None:
    json.dump(to_jsonable(data), sys.stdout, indent=2)
    sys.stdout.write("\n")


def console() -> Console:
    """A console on stdout for results; progress goes to stderr so ``--json`` stays clean.
    Off a terminal (a pipe, a file) tables are not cropped to 80 columns: the width is
    ``$COLUMNS`` or 160."""
    import os

    if sys.stdout.isatty():
        return Console(highlight=False)
    return Console(highlight=False, width=int(os.environ.get("COLUMNS", 0) or 160))


def progress_console() -> Console:
    return Console(stderr=True, highlight=False)
