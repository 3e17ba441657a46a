"""Output paths checked before any work: a command that would fail to write its result after
minutes of training says so first, in one line (:class:`~theory.config.ConfigError`, exit 2).

The checks answer "can this process create or overwrite this path?" without creating
anything: an empty path, an existing file where a directory is expected (or the reverse), a
parent that is a file, a missing parent that cannot be created, or no write permission on the
nearest existing ancestor.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from radiuscnn.theory.config import ConfigError


def path_arg(text: str) -> Path:
    """argparse ``type=``: a non-empty path (``Path('')`` would silently mean ``'.'``)."""
    if not str(text).strip():
        raise argparse.ArgumentTypeError("expected a path, got an empty string")
    return Path(text)


def _nearest_existing(path: Path) -> Path:
    current = path.absolute()
    while not current.exists():
        if current.parent == current:
            break
        current = current.parent
    return current


def _check_parent(path: Path, flag: str) -> None:
    """The directories above ``path`` exist and are writable, or can be created."""
    ancestor = _nearest_existing(path.parent)
    if not ancestor.is_dir():
        raise ConfigError(f"{flag}: cannot create {str(path)!r}: {str(ancestor)!r} is a file, not a directory")
    if not os.access(ancestor, os.W_OK | os.X_OK):
        raise ConfigError(f"{flag}: cannot write to {str(path)!r}: no write permission on {str(ancestor)!r}")


def check_output_dir(path: str | os.PathLike, flag: str) -> Path:
    """``path`` can be used as an output directory (it exists as one, or can be created)."""
    if not str(path).strip():
        raise ConfigError(f"{flag}: expected a directory, got an empty path")
    path = Path(path)
    if path.exists():
        if not path.is_dir():
            raise ConfigError(f"{flag}: {str(path)!r} exists and is a file; expected a directory")
        if not os.access(path, os.W_OK | os.X_OK):
            raise ConfigError(f"{flag}: cannot write to {str(path)!r}: no write permission")
        return path
    _check_parent(path, flag)
    return path


def check_output_file(path: str | os.PathLike, flag: str) -> Path:
    """``path`` can be written as a file (created or overwritten)."""
    if not str(path).strip():
        raise ConfigError(f"{flag}: expected a file name, got an empty path")
    path = Path(path)
    if path.is_dir():
        raise ConfigError(f"{flag}: {str(path)!r} is a directory; expected a file name")
    if path.exists() and not os.access(path, os.W_OK):
        raise ConfigError(f"{flag}: cannot write to {str(path)!r}: no write permission")
    _check_parent(path, flag)
    return path
