"""Output paths checked before any work: a command that would fail to write its result after
minutes of training says so first, in one line (:class:`~theory.config.ConfigError`, exit 2).

The checks answer "can this process create or overwrite this path?": an empty path, an
existing file where a directory is expected (or the reverse), a parent that is a file, or a
nearest existing directory where nothing can be created. ``os.access`` is not enough (as root
it says yes to ``/proc`` and ``/sys``), so the check probes: it creates and removes a temporary
directory and a temporary file in the nearest existing directory, and nothing else.
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
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
    _probe(ancestor, path, flag)


def _probe(directory: Path, path: Path, flag: str) -> None:
    """Create (and remove) a temporary directory and file in ``directory``, or refuse."""
    try:
        made = tempfile.mkdtemp(prefix=".radiuscnn-probe-", dir=directory)
        try:
            with tempfile.NamedTemporaryFile(prefix=".radiuscnn-probe-", dir=made):
                pass
        finally:
            shutil.rmtree(made, ignore_errors=True)
    except OSError as error:
        raise ConfigError(f"{flag}: cannot write to {str(path)!r}: cannot create files in "
                          f"{str(directory)!r} ({error.strerror or error})") from None


def check_output_dir(path: str | os.PathLike, flag: str) -> Path:
    """``path`` can be used as an output directory (it exists as one, or can be created)."""
    if not str(path).strip():
        raise ConfigError(f"{flag}: expected a directory, got an empty path")
    path = Path(path)
    if path.exists():
        if not path.is_dir():
            raise ConfigError(f"{flag}: {str(path)!r} exists and is a file; expected a directory")
        _probe(path, path, flag)
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
    if path.exists():
        try:
            with open(path, "ab"):  # opened for appending, nothing written: the file is unchanged
                pass
        except OSError as error:
            raise ConfigError(f"{flag}: cannot write to {str(path)!r} ({error.strerror or error})") from None
    _check_parent(path, flag)
    return path
