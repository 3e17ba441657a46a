"""radiuscnn: derive, train, check and report on small CNNs that estimate the radius of a
centred pulse (1D) or disk (2D).

The package is one namespace over the repository's layers, in the direction of flow:

- :mod:`radiuscnn.theory`: exact derivations (SymPy, rationals) from a :class:`Config`;
- :mod:`radiuscnn.numeric`: PyTorch data, the model family, the ensemble trainer, checkpoints;
- :mod:`radiuscnn.verify`: per-network analysis and the claim checks;
- :mod:`radiuscnn.reports`: the LaTeX derivation report;
- :mod:`radiuscnn.cli`: the ``radiuscnn`` command, on top of all of them.

The names below are the documented Python API. They are imported on first use, so
``import radiuscnn`` stays cheap (no torch, no matplotlib)::

    >>> import radiuscnn
    >>> cfg = radiuscnn.Config(size=9, kernel=3, channels=1, radii=(0, 1, 2, 3))
    >>> radiuscnn.derive(cfg).constraint_rank
    3

``explain(model_or_run, cfg)`` analyses one network (a PyTorch ``nn.Module``, a state_dict
file or a run directory) and ``prove(params, cfg)`` gives its exact verdict; see the README's
"Bring your own network".
"""

from __future__ import annotations

from importlib import import_module

__version__ = "0.1.0"

# public name -> module that defines it (imported lazily, PEP 562)
_API = {
    "Config": "radiuscnn.theory.config",
    "ConfigError": "radiuscnn.theory.config",
    "default_config": "radiuscnn.theory.config",
    "TrainConfig": "radiuscnn.numeric.train_config",
    "derive": "radiuscnn.theory.derive",
    "prove": "radiuscnn.verify.explain",
    "explain": "radiuscnn.verify.explain",
    "Analysis": "radiuscnn.verify.explain",
    "Proof": "radiuscnn.verify.explain",
    "import_model": "radiuscnn.numeric.imported",
    "ModelImportError": "radiuscnn.numeric.importer",
    "Params": "radiuscnn.theory.network",
    "train": "radiuscnn.numeric.ensemble",
    "save_run": "radiuscnn.numeric.checkpoint",
    "load_run": "radiuscnn.numeric.checkpoint",
    "analyse_ensemble": "radiuscnn.verify.analysis",
}

__all__ = sorted(_API)


def __getattr__(name: str):
    if name in _API:
        value = getattr(import_module(_API[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'radiuscnn' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_API))
