"""Fixtures of the claim catalogue: trained ensembles and their analyses.

Trained ensembles come from :func:`verify.atlas.train_cached`: trained on first use and stored
under ``<repo>/.cache/verify/<key>/`` (gitignored), where ``key`` hashes the configuration, the
training configuration, the torch version and the source code of ``theory/`` and ``numeric/``,
so an edit to either package retrains instead of reusing a stale ensemble. A file lock lets
pytest-xdist workers share one training.

``verify.atlas.T1_CASES`` are the T1 configurations: small ones where some seeds solve the
amplitude interval task (relu, abs with 3 channels; hardtanh with 2), and the embedded default
of THEORY.md section 9 (64 seeds, the trainer's defaults), whose success rate is reported.
"""

from __future__ import annotations

import pytest

from radiuscnn.numeric.train_config import TrainConfig
from radiuscnn.theory.config import Config
from radiuscnn.verify.analysis import Tolerances, analyse_ensemble
from radiuscnn.verify.atlas import CACHE, T1_CASES, train_cached

class Trained:
    """A trained ensemble with its analyses (computed once per session)."""

    def __init__(self, name: str, cfg: Config, tcfg: TrainConfig):
        self.name, self.cfg, self.tcfg = name, cfg, tcfg
        self.run = train_cached(cfg, tcfg, CACHE)
        self.tol = Tolerances(loss=tcfg.tolerance)
        self.analyses = analyse_ensemble(cfg, self.run.params, tcfg.amplitudes, self.tol)

    @property
    def solved(self):
        return [a for a in self.analyses if a.solved]


_SESSION: dict[str, Trained] = {}


def trained_case(name: str) -> Trained:
    """The trained, analysed ensemble of ``T1_CASES[name]`` (memoised for the session)."""
    if name not in _SESSION:
        _SESSION[name] = Trained(name, *T1_CASES[name])
    return _SESSION[name]


@pytest.fixture(scope="session", params=[n for n in T1_CASES if n != "default"])
def t1_case(request) -> Trained:
    """Each small T1 configuration, trained (or loaded from the cache) and analysed."""
    return trained_case(request.param)


@pytest.fixture(scope="session")
def default_case() -> Trained:
    """The embedded default configuration (THEORY.md section 9) with the trainer's defaults."""
    return trained_case("default")
