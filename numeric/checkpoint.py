"""Save and load a trained ensemble: ``params.safetensors`` + ``run.json``.

A run directory holds

* ``params.safetensors``: the parameter tensors ("w", "b", "v" or "V", "beta"; leading member
  axis), in safetensors format, which stores raw numbers and can never execute code;
* ``run.json``: ``format``/``version``, the :class:`~theory.config.Config`, the
  :class:`~numeric.ensemble.TrainConfig`, the metrics (per-member final MSE, success flags,
  loss history; non-finite numbers as ``null``; no wall time, so identical trainings give
  identical files: the training seconds go to ``timing.json`` and :func:`load_run` adds them
  to the metrics as ``seconds``), the SHA-256, dtype and shapes of the tensor file, and ``integrity``: the
  SHA-256 of every other field of ``run.json`` (canonical JSON, sorted keys). The tensor hash
  is one of those fields, so ``integrity`` covers configuration, metrics and weights at once.

Both files are byte-identical for identical trainings: ``run.json`` is written with sorted
keys, and the safetensors header carries a single metadata entry (safetensors 0.8 writes a
metadata map in hash order, so several entries would come out in a random order).

:func:`save_run` never leaves a half-written run that loads: a new directory is written under
a temporary name and renamed into place; an existing one gets its tensor file first and
``run.json`` last, each by an atomic rename, and a mixed state fails the hash checks.

:func:`load_run` trusts nothing: it checks the format version and the integrity hash,
re-validates both configs, verifies the SHA-256 of the tensor bytes before parsing them,
parses them with safetensors only (never pickle), checks names, shapes against the config,
dtype, and that every weight is finite, except in members whose recorded final loss is
``null`` (diverged in training; :func:`diverged_members` lists them). Each failure raises
:class:`CheckpointError` with a one-line message.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import shutil
from pathlib import Path

import safetensors.torch
import torch

from radiuscnn.numeric.ensemble import DTYPES, TrainConfig, TrainResult
from radiuscnn.numeric.model import Ensemble, param_shapes
from radiuscnn.theory.config import Config, ConfigError

FORMAT = "radiuscnn-run"
VERSION = 2
PARAMS_FILE = "params.safetensors"
RUN_FILE = "run.json"
TIMING_FILE = "timing.json"  # wall time: informative, outside the checkpoint's identity


class CheckpointError(Exception):
    """A run directory that cannot be loaded; the message is one line."""


def _finite_or_none(x: float) -> float | None:
    return x if math.isfinite(x) else None


def metrics_of(result: TrainResult) -> dict:
    """The JSON metrics of a training result (non-finite losses become ``null``)."""
    return {
        "loss": [_finite_or_none(x) for x in result.loss.to(torch.float64).tolist()],
        "success": [bool(s) for s in result.success.tolist()],
        "success_rate": result.success_rate,
        "tolerance": result.tolerance,
        "member_seeds": list(result.member_seeds),
        "history_steps": list(result.history_steps),
        "history": [[_finite_or_none(x) for x in row] for row in result.history.to(torch.float64).tolist()],
    }


def _canonical(data) -> bytes:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), allow_nan=False).encode()


def integrity_hash(run: dict) -> str:
    """SHA-256 of every field of ``run`` except ``integrity`` itself (canonical JSON)."""
    return hashlib.sha256(_canonical({k: v for k, v in run.items() if k != "integrity"})).hexdigest()


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def run_files(cfg: Config, tcfg: TrainConfig, result: TrainResult) -> dict[str, bytes]:
    """The bytes of ``params.safetensors`` and ``run.json`` for ``result`` (deterministic)."""
    tensors = {name: t.detach().cpu().contiguous() for name, t in result.params.items()}
    blob = safetensors.torch.save(tensors, metadata={"format": f"{FORMAT}/{VERSION}"})
    members = int(tensors["beta"].shape[0])
    run = {
        "format": FORMAT,
        "version": VERSION,
        "config": cfg.to_json(),
        "train": tcfg.to_json(),
        "members": members,
        "tensors": {
            "file": PARAMS_FILE,
            "sha256": hashlib.sha256(blob).hexdigest(),
            "dtype": str(tensors["beta"].dtype).removeprefix("torch."),
            "shapes": {name: list(t.shape) for name, t in tensors.items()},
        },
        "metrics": metrics_of(result),
        "software": {"torch": torch.__version__},
    }
    run["integrity"] = integrity_hash(run)
    return {PARAMS_FILE: blob, TIMING_FILE: (json.dumps({"seconds": result.seconds}) + "\n").encode(),
            RUN_FILE: (json.dumps(run, indent=1, sort_keys=True, allow_nan=False) + "\n").encode()}


def save_run(directory: str | os.PathLike, cfg: Config, tcfg: TrainConfig, result: TrainResult,
             extra: dict[str, bytes] | None = None) -> Path:
    """Write ``result`` (and the ``extra`` files, e.g. ``metrics.json``) to ``directory``;
    returns the directory. See the module docstring for why this never leaves a half-written run."""
    root = Path(directory)
    files = {**run_files(cfg, tcfg, result), **(extra or {})}
    order = [name for name in files if name != RUN_FILE] + [RUN_FILE]  # run.json last
    if root.exists():
        for name in order:
            _write_atomic(root / name, files[name])
        return root
    root.parent.mkdir(parents=True, exist_ok=True)
    tmp = root.with_name(f".{root.name}.partial-{os.getpid()}")
    try:
        tmp.mkdir()
        for name in order:
            (tmp / name).write_bytes(files[name])
        os.rename(tmp, root)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return root


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise CheckpointError(f"{path}: missing file") from None
    except OSError as error:
        raise CheckpointError(f"{path}: cannot read ({error.strerror or error})") from None


def _run_json(root: Path) -> dict:
    path = root / RUN_FILE
    if root.is_file():
        raise CheckpointError(f"{root}: is a file, not a run directory")
    if not root.is_dir():
        raise CheckpointError(f"{root}: not a run directory (missing)")
    try:
        run = json.loads(_read(path))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise CheckpointError(f"{path}: not valid JSON ({error})") from None
    if not isinstance(run, dict) or run.get("format") != FORMAT:
        raise CheckpointError(f"{path}: not a {FORMAT} file")
    if run.get("version") != VERSION:
        raise CheckpointError(f"{path}: format version {run.get('version')!r} is not supported (expected {VERSION})")
    for key in ("config", "train", "members", "tensors", "metrics", "integrity"):
        if key not in run:
            raise CheckpointError(f"{path}: missing field {key!r}")
    if run["integrity"] != integrity_hash(run):
        raise CheckpointError(f"{path}: integrity hash mismatch: run.json was edited after training "
                              "(configuration, metrics or tensor record); refusing to load")
    return run


def diverged_members(params: Ensemble) -> list[int]:
    """Members with a non-finite weight (they diverged in training)."""
    bad = torch.zeros(int(params["beta"].shape[0]), dtype=torch.bool)
    for tensor in params.values():
        bad |= ~torch.isfinite(tensor.reshape(tensor.shape[0], -1)).all(dim=1)
    return [int(e) for e in torch.nonzero(bad).flatten().tolist()]


def _recorded_diverged(metrics) -> set[int]:
    """Members whose recorded final loss is ``null`` (non-finite in training)."""
    loss = metrics.get("loss") if isinstance(metrics, dict) else None
    if not isinstance(loss, list):
        return set()
    return {e for e, x in enumerate(loss) if x is None}


def load_run(directory: str | os.PathLike) -> tuple[Config, TrainConfig, Ensemble, dict]:
    """Read and verify a run directory written by :func:`save_run` (module docstring)."""
    root = Path(directory)
    run = _run_json(root)
    where = root / RUN_FILE
    try:
        cfg = Config.from_json(run["config"])
        tcfg = TrainConfig.from_json(run["train"])
    except (ConfigError, TypeError, ValueError) as error:
        raise CheckpointError(f"{where}: invalid configuration: {error}") from None
    info = run["tensors"]
    if not isinstance(info, dict) or info.get("file") != PARAMS_FILE or not isinstance(info.get("sha256"), str):
        raise CheckpointError(f"{where}: malformed 'tensors' record")
    members = run["members"]
    if isinstance(members, bool) or not isinstance(members, int) or members < 1:
        raise CheckpointError(f"{where}: 'members' must be a positive integer, got {members!r}")

    path = root / PARAMS_FILE
    blob = _read(path)
    digest = hashlib.sha256(blob).hexdigest()
    if digest != info["sha256"]:
        raise CheckpointError(f"{path}: SHA-256 mismatch (file changed or corrupt): {digest[:12]}... != recorded {info['sha256'][:12]}...")
    try:
        params = safetensors.torch.load(blob)
    except Exception as error:  # safetensors raises its own error types; never fall back to pickle
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise CheckpointError(f"{path}: not a valid safetensors file ({reason})") from None

    expected = param_shapes(cfg, members)
    if set(params) != set(expected):
        raise CheckpointError(f"{path}: tensors {sorted(params)} do not match the config's {sorted(expected)}")
    dtype = DTYPES[tcfg.dtype]
    allowed = _recorded_diverged(run["metrics"])
    for name, shape in expected.items():
        tensor = params[name]
        if tuple(tensor.shape) != shape:
            raise CheckpointError(f"{path}: {name!r} has shape {tuple(tensor.shape)}, the config needs {shape}")
        if tensor.dtype != dtype:
            raise CheckpointError(f"{path}: {name!r} has dtype {tensor.dtype}, the run was trained in {tcfg.dtype}")
        finite = torch.isfinite(tensor.reshape(members, -1)).all(dim=1)
        bad = [e for e in torch.nonzero(~finite).flatten().tolist() if e not in allowed]
        if bad:
            raise CheckpointError(f"{path}: {name!r} contains NaN or infinite weights in member {bad[0]}, "
                                  "whose recorded loss is finite")
    return cfg, tcfg, params, {**run["metrics"], **_timing(root)}


def _timing(root: Path) -> dict:
    """``{"seconds": s}`` from ``timing.json`` when it is readable (informative only)."""
    try:
        seconds = json.loads((root / TIMING_FILE).read_text())["seconds"]
    except (OSError, ValueError, KeyError, TypeError):
        return {}
    return {"seconds": float(seconds)} if isinstance(seconds, (int, float)) else {}
