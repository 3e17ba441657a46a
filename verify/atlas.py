"""T1 success atlas: how often training solves the amplitude-interval task (THEORY.md section 6).

For each ``(k, C, sigma)`` of a small grid, an ensemble of seeds is trained on the same data
(radii x amplitude interval) and every member is analysed (:mod:`verify.analysis`): the
success rate (grid MSE ``<= tol.loss``), the families of the solved members, and the loss and
family of the failures (mostly plateaus: the best estimator affine in the pulse mass
``sum_i x_i = a (2r+1)``, or a constant).

Training is cached (:func:`train_cached`): a run directory under ``<repo>/.cache/verify/``
named by a hash of the configuration, the training configuration, the torch version, the
training engine and the source code of ``theory/`` and ``numeric/``, so a cached ensemble is
never stale. Cells of one ``(k, C)`` train together (:func:`train_cached_many`). The test
fixtures (``verify/conftest.py``) and ``benchmarks/mutation.py`` use the same cache.

Run ``python -m radiuscnn.verify.atlas`` for the default grid (about two minutes on two cores).
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import torch

from radiuscnn.numeric.ensemble import TrainConfig, one_thread
from radiuscnn.theory.config import Config, default_config
from radiuscnn.verify.analysis import NetworkAnalysis, Tolerances, analyse_ensemble, success_summary

REPO = Path(__file__).resolve().parents[1]
CACHE = REPO / ".cache" / "verify"


# --------------------------------------------------------------------------------------------
# Cached training
# --------------------------------------------------------------------------------------------
def source_hash(root: Path = REPO) -> str:
    """SHA-256 over the path and bytes of every ``.py`` file of ``theory/`` and ``numeric/``."""
    h = hashlib.sha256()
    for package in ("theory", "numeric"):
        for path in sorted((root / package).rglob("*.py")):
            h.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


def cache_key(cfg: Config, tcfg: TrainConfig) -> str:
    """Hash of everything a trained ensemble depends on (see the module docstring)."""
    from radiuscnn.numeric.ensemble import default_engine

    data = {"config": cfg.to_json(), "train": tcfg.to_json(), "torch": torch.__version__,
            "threads": 1, "source": source_hash(), "engine": default_engine(tcfg)}
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:24]


def cached_json(name: str, key: dict, compute: Callable[[], Any], cache: Path | None = CACHE) -> Any:
    """``compute()``, plain JSON data, saved as ``cache/<name>-<hash>.json``; a later call with
    the same ``key``, the same source (:func:`source_hash`) and the same versions of the
    libraries the theory engine calls reads it back instead (``None``: no cache). For
    derivations the claim tests check repeatedly, as the trained ensembles are cached."""
    from importlib.metadata import version

    if cache is None:
        return compute()
    data = {"key": key, "source": source_hash(),
            "versions": {lib: version(lib) for lib in ("sympy", "numpy", "scipy", "highspy")}}
    path = cache / f"{name}-{hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:24]}.json"
    if path.exists():
        return json.loads(path.read_text())
    value = compute()
    cache.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(f".{os.getpid()}.partial")
    partial.write_text(json.dumps(value))
    partial.replace(path)  # atomic: a reader sees the whole file or none
    return value


@dataclass(frozen=True, eq=False)
class TrainedEnsemble:
    """A trained ensemble: ``params`` (``numeric.model`` layout), final grid MSE ``loss`` and
    ``success`` per member (from the trainer), training ``seconds``, whether it came from the
    cache, and its run directory (loadable with ``numeric.checkpoint.load_run``)."""

    cfg: Config
    tcfg: TrainConfig
    params: dict
    loss: tuple[float, ...]
    success: tuple[bool, ...]
    seconds: float
    cached: bool
    directory: Path | None

    @property
    def success_rate(self) -> float:
        return sum(self.success) / len(self.success)


def train_cached(cfg: Config, tcfg: TrainConfig, cache: Path | None = CACHE) -> TrainedEnsemble:
    """Train ``cfg`` with ``tcfg`` or load the identical run from ``cache`` (``None``: no
    cache). A file lock makes concurrent callers (pytest-xdist workers) train only once."""
    from radiuscnn.numeric.checkpoint import CheckpointError, load_run, save_run
    from radiuscnn.numeric.ensemble import train

    def fresh(directory: Path | None) -> TrainedEnsemble:
        start = time.perf_counter()
        with one_thread():
            result = train(cfg, tcfg)
        if directory is not None:
            save_run(directory, cfg, tcfg, result)
        return TrainedEnsemble(cfg, tcfg, result.params, tuple(float(x) for x in result.loss.tolist()),
                               tuple(bool(s) for s in result.success.tolist()),
                               time.perf_counter() - start, False, directory)

    if cache is None:
        return fresh(None)
    cache.mkdir(parents=True, exist_ok=True)
    directory = cache / cache_key(cfg, tcfg)
    with open(cache / f"{directory.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (directory / "run.json").exists():
            try:
                _, _, params, metrics = load_run(directory)
                loss = tuple(float("nan") if x is None else float(x) for x in metrics["loss"])
                return TrainedEnsemble(cfg, tcfg, params, loss, tuple(metrics["success"]),
                                       float(metrics.get("seconds", 0.0)), True, directory)
            except CheckpointError:
                pass  # unreadable (e.g. diverged weights): train again, without caching
            return fresh(None)
        return fresh(directory)


def train_cached_many(cfgs, tcfg: TrainConfig, cache: Path | None = CACHE) -> list[TrainedEnsemble]:
    """:func:`train_cached` for several configurations: the ones not yet cached are trained
    together (``numeric.batch.train_many``: one ensemble per shape on the fast engine, bit
    for bit the unbatched results), saved, then every one is loaded as ``train_cached`` would."""
    from radiuscnn.numeric.batch import train_many
    from radiuscnn.numeric.checkpoint import save_run

    cfgs = list(cfgs)

    def ensemble(cfg, r, directory) -> TrainedEnsemble:
        return TrainedEnsemble(cfg, tcfg, r.params, tuple(float(x) for x in r.loss.tolist()),
                               tuple(bool(s) for s in r.success.tolist()), r.seconds, False, directory)

    if cache is None:
        with one_thread():
            return [ensemble(cfg, r, None) for cfg, r in zip(cfgs, train_many(cfgs, tcfg))]
    cache.mkdir(parents=True, exist_ok=True)
    missing = [i for i, cfg in enumerate(cfgs) if not (cache / cache_key(cfg, tcfg) / "run.json").exists()]
    fresh: dict[int, TrainedEnsemble] = {}
    if missing:
        with one_thread():
            results = train_many([cfgs[i] for i in missing], tcfg)
        for i, result in zip(missing, results):
            directory = cache / cache_key(cfgs[i], tcfg)
            with open(cache / f"{directory.name}.lock", "w") as lock:
                fcntl.flock(lock, fcntl.LOCK_EX)
                if not (directory / "run.json").exists():
                    save_run(directory, cfgs[i], tcfg, result)
                    fresh[i] = ensemble(cfgs[i], result, directory)
    return [fresh[i] if i in fresh else train_cached(cfg, tcfg, cache) for i, cfg in enumerate(cfgs)]


# --------------------------------------------------------------------------------------------
# The T1 cases of the claim catalogue (verify/test_t1.py, benchmarks/mutation.py)
# --------------------------------------------------------------------------------------------
_SMALL = dict(size=17, kernel=3, radii=tuple(range(0, 7)))

T1_CASES: dict[str, tuple[Config, TrainConfig]] = {
    "relu-C3": (Config(**_SMALL, channels=3, activation="relu"), TrainConfig(seeds=16, steps=3000, lr=0.01)),
    "abs-C3": (Config(**_SMALL, channels=3, activation="abs"), TrainConfig(seeds=16, steps=3000, lr=0.01)),
    "hardtanh-C2": (Config(**_SMALL, channels=2, activation="hardtanh"), TrainConfig(seeds=16, steps=1500, lr=0.05)),
    "default": (default_config(), TrainConfig()),
}
"""Small configurations where some seeds solve the amplitude-interval task, and the embedded
default of THEORY.md section 9 with the trainer's defaults (64 Adam seeds, 2000 steps)."""


# --------------------------------------------------------------------------------------------
# The atlas
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class AtlasCell:
    """One ``(k, C, sigma)``: success rate over the seeds, the family counts, and the losses of
    the failures (sorted) with their plateau kinds."""

    kernel: int
    channels: int
    activation: str
    seeds: int
    solved: int
    families: dict
    failure_losses: tuple[float, ...]
    plateau_kinds: dict
    seconds: float

    @property
    def success_rate(self) -> float:
        return self.solved / self.seeds

    def to_json(self) -> dict:
        return {"kernel": self.kernel, "channels": self.channels, "activation": self.activation,
                "seeds": self.seeds, "solved": self.solved, "success_rate": self.success_rate,
                "families": self.families, "failure_losses": list(self.failure_losses),
                "plateau_kinds": self.plateau_kinds, "seconds": self.seconds}


@dataclass(frozen=True)
class Atlas:
    base: Config
    tcfg: TrainConfig
    cells: tuple[AtlasCell, ...]
    tolerances: Tolerances = field(default_factory=Tolerances)

    def to_json(self) -> dict:
        return {"base": self.base.to_json(), "train": self.tcfg.to_json(),
                "tolerances": self.tolerances.to_json(), "cells": [c.to_json() for c in self.cells]}


def default_grid() -> tuple[Config, TrainConfig, dict]:
    """The small default grid: N = 17, radii 0..6, A = [1/2, 3/2]; k in {3, 5}, C in {1, 2},
    sigma in {relu, leaky_relu, abs, hardtanh, tanh}; 16 seeds, 2000 Adam steps, lr 0.02."""
    base = Config(size=17, kernel=3, channels=1, radii=tuple(range(0, 7)))
    tcfg = TrainConfig(seeds=16, steps=2000, lr=0.02)
    axes = {"kernels": (3, 5), "channels": (1, 2),
            "activations": ("relu", "leaky_relu", "abs", "hardtanh", "tanh")}
    return base, tcfg, axes


def plateau_kind(a: NetworkAnalysis, near: float = 0.1) -> str:
    """For an unsolved network: 'constant' (y ~ g), 'mass' (y ~ kappa a (2r+1) + g: the best
    estimator affine in the pulse mass), 'amplitude' (y ~ a f(r) + g), 'near' (not a plateau,
    MSE below ``near``: still converging, or an analytic sigma approaching its unattained
    infimum 0), or 'other'."""
    fit = a.plateau
    if a.solved or fit is None or fit.fit_rms > a.tolerances.plateau * fit.loss_rms:
        return "near" if a.loss < near else "other"
    scale = max(1e-12, max(abs(x) for x in fit.f) if fit.f else 0.0)
    if scale < 1e-6:
        return "constant"
    return "mass" if fit.f_mass_rms <= 1e-3 * scale else "amplitude"


def atlas_cell(cfg: Config, tcfg: TrainConfig, tol: Tolerances = Tolerances(), cache: Path | None = CACHE,
               run: TrainedEnsemble | None = None) -> AtlasCell:
    """Train (cached) and analyse one cell (``run``: its already trained ensemble)."""
    run = run if run is not None else train_cached(cfg, tcfg, cache)
    analyses = analyse_ensemble(cfg, run.params, tcfg.amplitudes, tol)
    summary = success_summary(analyses)
    kinds: dict[str, int] = {}
    for a in analyses:
        if not a.solved:
            k = plateau_kind(a)
            kinds[k] = kinds.get(k, 0) + 1
    return AtlasCell(cfg.kernel, cfg.channels, cfg.activation, len(analyses), summary["solved"],
                     summary["families"], tuple(summary["plateau_losses"]), kinds, run.seconds)


def success_atlas(
    base: Config,
    tcfg: TrainConfig,
    kernels=(3, 5),
    channels=(1, 2),
    activations=("relu", "leaky_relu", "abs", "hardtanh", "tanh"),
    tol: Tolerances = Tolerances(),
    cache: Path | None = CACHE,
    progress: Callable[[AtlasCell], None] | None = None,
) -> Atlas:
    """The atlas over ``kernels x channels x activations`` (other fields from ``base``). The
    cells of one ``(k, C)`` train as one ensemble (:func:`train_cached_many`)."""
    grid = [base.with_(kernel=k, channels=C, activation=act) for act in activations for k in kernels for C in channels]
    runs = train_cached_many(grid, tcfg, cache)
    cells = []
    for cfg, run in zip(grid, runs):
        cell = atlas_cell(cfg, tcfg, tol, cache, run=run)
        cells.append(cell)
        if progress is not None:
            progress(cell)
    return Atlas(base, tcfg, tuple(cells), tol)


def atlas_table(atlas: Atlas):
    """A Rich table of the atlas."""
    from rich.table import Table

    t = atlas.tcfg
    table = Table(title=f"T1 success atlas: N={atlas.base.size}, radii {atlas.base.radii[0]}..{atlas.base.radii[-1]}, "
                        f"A=[{atlas.base.a_min}, {atlas.base.a_max}]; {t.seeds} seeds, {t.steps} {t.optimizer} "
                        f"steps, lr {t.lr}; solved: MSE <= {atlas.tolerances.loss:g}")
    for name in ("sigma", "k", "C", "success", "families", "failures", "failure kinds"):
        table.add_column(name)
    for c in atlas.cells:
        losses = c.failure_losses
        failures = "-" if not losses else (
            f"{len(losses)}: MSE {losses[0]:.3g}..{losses[-1]:.3g} (median {losses[len(losses) // 2]:.3g})")
        table.add_row(
            c.activation, str(c.kernel), str(c.channels), f"{c.solved}/{c.seeds}",
            ", ".join(f"{k}: {v}" for k, v in sorted(c.families.items())), failures,
            ", ".join(f"{k}: {v}" for k, v in sorted(c.plateau_kinds.items())),
        )
    return table


def main() -> None:
    from rich.console import Console

    base, tcfg, axes = default_grid()
    err = Console(stderr=True)
    start = time.perf_counter()
    atlas = success_atlas(base, tcfg, axes["kernels"], axes["channels"], axes["activations"],
                          progress=lambda c: err.print(f"  {c.activation} k={c.kernel} C={c.channels}: "
                                                       f"{c.solved}/{c.seeds}"))
    Console(width=160).print(atlas_table(atlas))
    err.print(f"{time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
