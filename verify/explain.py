"""The Python API's analysis of one network: :func:`explain` and :func:`prove`.

``explain(model_or_run, cfg)`` accepts a PyTorch ``nn.Module``, a state_dict, a ``.pt`` /
``.pth`` / ``.safetensors`` file (imported by :func:`numeric.imported.import_model`, which
checks the imported network against the original on the whole data set first), a run
directory written by ``radiuscnn train --out`` or an ensemble dict in the ``numeric.model``
layout, and returns an :class:`Analysis` of one network: 1D by :mod:`verify.analysis`
(regime, section-5 equations, family, weight roles, exact proof over ``A``), 2D by
:mod:`verify.analysis_2d` (regime per channel, D1/D2 family, exact interval proof).

``prove(params, cfg)`` is the exact verdict alone: ``sup |y(r, a) - r| <= eps`` over
``R x A`` for 1D :class:`theory.network.Params`, 2D :class:`theory.disk_proof.Params2D`, or
anything :func:`explain` accepts.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from radiuscnn.theory.config import Config


@dataclass(frozen=True, eq=False)
class Analysis:
    """One analysed network: ``network`` is a :class:`verify.analysis.NetworkAnalysis` (1D) or
    :class:`verify.analysis_2d.NetworkAnalysis2D` (2D); ``max_difference`` the import check
    (``None`` for a run); ``params`` its one-member ensemble (float64)."""

    cfg: Config
    network: object
    source: str
    max_difference: float | None
    params: dict

    @property
    def dim(self) -> int:
        return self.cfg.dim

    @property
    def family(self) -> str:
        return self.network.family

    @property
    def regime(self) -> tuple:
        """1D: the (channel, run) terms; 2D: the channel states."""
        return self.network.terms if self.dim == 1 else self.network.channels

    @property
    def equations(self) -> tuple:
        """The section-5 equations with their residuals (1D; empty in 2D)."""
        return self.network.equations if self.dim == 1 else ()

    @property
    def roles(self) -> tuple:
        """The role of every weight (1D; empty in 2D)."""
        return self.network.roles if self.dim == 1 else ()

    @property
    def proof(self):
        """1D: :class:`theory.proof.Verdict`; 2D: :class:`theory.disk_proof.IntervalProof` (or ``None``)."""
        return self.network.verdict if self.dim == 1 else self.network.proof

    @property
    def verdict(self) -> str:
        return self.network.verdict_text

    @property
    def loss(self) -> float:
        return self.network.loss

    def to_json(self) -> dict:
        return {"source": self.source, "config": self.cfg.to_json(), "max_difference": self.max_difference,
                "analysis": self.network.to_json()}

    def __repr__(self) -> str:
        c = self.cfg
        check = "" if self.max_difference is None else f", max_difference={self.max_difference:.3g}"
        return (f"Analysis({c.dim}D N={c.size} k={c.kernel} C={c.channels} {c.activation} {c.padding} {c.head}, "
                f"A=[{c.a_min}, {c.a_max}]: family={self.family!r}, verdict={self.verdict!r}, "
                f"loss={self.loss:.3g}{check}, source={self.source!r})")


@dataclass(frozen=True)
class Proof:
    """The exact verdict of :func:`prove`: ``status`` proved / refuted / inconclusive,
    ``max_error`` the exact ``sup |y - r|`` over ``R x A`` (``None``: inconclusive), ``eps``,
    ``points`` evaluated; ``detail`` the underlying Verdict (1D) or IntervalProof (2D)."""

    dim: int
    status: str
    max_error: Fraction | None
    eps: Fraction
    points: int
    detail: object

    def to_json(self) -> dict:
        return {"dim": self.dim, "status": self.status, "eps": str(self.eps), "points": self.points,
                "max_error": None if self.max_error is None else str(self.max_error), "detail": self.detail.to_json()}

    def __repr__(self) -> str:
        err = "None" if self.max_error is None else (
            str(self.max_error) if self.max_error.denominator < 10**6 else f"{float(self.max_error):.6g}")
        return (f"Proof({self.dim}D {self.status}: sup |y - r| over R x A = {err} (eps = {self.eps}), "
                f"{self.points} points)")


def _is_ensemble(x) -> bool:
    return isinstance(x, dict) and {"w", "b", "beta"} <= set(x) and ("v" in x or "V" in x)


def _load(model_or_run, cfg: Config | None, amplitudes: int | None):
    """``(cfg, params, n_amplitudes, loss_tolerance, source, max_difference)``."""
    if isinstance(model_or_run, (str, os.PathLike)) and Path(model_or_run).is_dir():
        from radiuscnn.numeric.checkpoint import load_run

        run_cfg, tcfg, params, _ = load_run(model_or_run)
        return run_cfg, params, amplitudes or tcfg.amplitudes, tcfg.tolerance, str(model_or_run), None
    from radiuscnn.numeric.train_config import TrainConfig

    default = TrainConfig()
    if _is_ensemble(model_or_run):
        if cfg is None:
            raise ValueError("an ensemble dict needs its Config: explain(params, cfg)")
        return cfg, model_or_run, amplitudes or default.amplitudes, default.tolerance, "ensemble", None
    from radiuscnn.numeric.imported import import_model

    imported = import_model(model_or_run, cfg, amplitudes)
    return imported.cfg, imported.params, imported.n_amplitudes, default.tolerance, imported.source, imported.max_difference


def explain(model_or_run, cfg: Config | None = None, *, network: int = 0, amplitudes: int | None = None) -> Analysis:
    """Analyse one network (module docstring); ``network`` picks the member of a run or an
    ensemble, ``amplitudes`` the size of the amplitude grid (default: the trainer's)."""
    from radiuscnn.numeric.model import member
    from radiuscnn.verify.analysis import Tolerances

    cfg, params, n_amp, loss_tol, source, diff = _load(model_or_run, cfg, amplitudes)
    members = int(params["beta"].shape[0])
    if not 0 <= network < members:
        raise ValueError(f"network: expected 0..{members - 1}, got {network}")
    tol = Tolerances(loss=loss_tol)
    if cfg.dim == 1:
        from radiuscnn.verify.analysis import analyse_ensemble

        (result,) = analyse_ensemble(cfg, params, n_amp, tol, [network])
    else:
        from radiuscnn.verify.analysis_2d import analyse_network_2d

        result = analyse_network_2d(cfg, params, network, n_amp, tol)
    return Analysis(cfg, result, source, diff, member(params, network))


def prove(params, cfg: Config | None = None, *args, eps=0, **kwargs):
    """The exact verdict of ``params`` on ``cfg`` (module docstring) as a :class:`Proof`.

    The older order ``prove(cfg, params, activation=None, eps=0)`` is kept and returns the
    :class:`theory.proof.Verdict` of :func:`theory.proof.prove` unchanged."""
    from radiuscnn.theory import proof as proof_1d

    if isinstance(params, Config):
        if len(args) < 2:  # eps not given positionally
            kwargs["eps"] = eps
        return proof_1d.prove(params, cfg, *args, **kwargs)
    from radiuscnn.theory.disk_proof import Params2D, prove_2d
    from radiuscnn.theory.network import Params

    eps = Fraction(eps)
    if not isinstance(params, (Params, Params2D)):
        from radiuscnn.numeric.model import to_exact

        cfg, ensemble, *_ = _load(params, cfg, None)
        params = to_exact(cfg, ensemble, 0) if cfg.dim == 1 else Params2D.from_ensemble(ensemble, 0)
    if cfg is None:
        raise ValueError("prove(params, cfg) needs the Config of exact parameters")
    if isinstance(params, Params):
        v = proof_1d.prove(cfg, params, eps=eps)
        return Proof(1, v.status, v.max_error, eps, v.points, v)
    from radiuscnn.theory.activations import piecewise_linear

    if piecewise_linear(cfg.activation, cfg.alpha) is None:
        v = proof_1d._inconclusive(f"{cfg.activation} is not piecewise linear", eps)
        return Proof(2, "inconclusive", None, eps, 0, v)
    p = prove_2d(cfg, params)
    return Proof(2, "proved" if p.max_error <= eps else "refuted", p.max_error, eps, p.points, p)
