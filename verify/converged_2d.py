"""Converged 2D training (issue 14): GAP with C = 1 and C = 2 and FC, every network analysed.

For each variant :func:`converged_variant` trains an ensemble (:func:`numeric.ensemble.train`),
measures whether the loss curve is *flat* (the median over members of the relative change of
the loss over the last ``tail`` fraction of the recorded history is at most ``flat_tol``), and
analyses every member:

* its exact verdict: the trained float weights are dyadic rationals (``Params2D.from_ensemble``)
  and :func:`theory.disk.prove_2d` gives the exact supremum of ``|y - rho|`` over ``R x A``
  (GAP heads; FC members are evaluated on the amplitude grid, numerical);
* its family: ``background counter`` (one channel, ``b > 0``, every pattern that meets its
  effective support killed on the whole interval), ``row counter`` (two channels, both
  background counters, and ``rho`` exactly affine in their two background counts: the D2
  construction up to near-zero taps), ``two counters`` (both counters, not affine),
  ``ring-law regime`` (FC: every nonempty pattern killed, some ``b > 0``), ``none``;
* against the theory: the one-channel floor (:func:`theory.disk_width.one_unit_floor`; a
  network below it must give up invariance: its output moves with ``a``), the row counter
  (exact, D2) and the ring law (FC, :func:`verify.trained_2d_fc.compare_fc`).

The comparisons come from one module per job: :mod:`verify.trained_2d_gap` (GAP against the
floor), :mod:`verify.trained_2d_fc` (FC against the ring law), :mod:`verify.regime_init`
(networks started in the counter regime), :mod:`verify.trained_2d_i1c` (I1c),
:mod:`verify.background_count_2d` (an independent count).

The summary states the budget (seeds, steps, optimizer, lr, dtype) and the wall time.
Everything trained here is numerical; only the per-network verdicts are exact.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from radiuscnn.theory.config import Config
from radiuscnn.theory.disk import Params2D, least_squares_exact, prove_2d, background_count
from radiuscnn.theory.disk_width import one_unit_floor
from radiuscnn.verify.regime_init import train_in_regime
from radiuscnn.verify.trained_2d_fc import compare_fc
from radiuscnn.verify.trained_2d_gap import _counter_family, compare_gap, effective_support
from radiuscnn.verify.trained_2d_i1c import i1c_background_differences

INVARIANT_SPREAD = 1e-6  # output change over the amplitude grid below which a network counts as invariant


def flatness(history: np.ndarray, tail: float = 0.2) -> float:
    """Median over members of ``|L(t_end - tail T) - L(t_end)| / max(L(t_end), 1e-12)``."""
    h = np.asarray(history, dtype=float)
    start = h[int(round((1 - tail) * (len(h) - 1)))]
    end = h[-1]
    return float(np.median(np.abs(start - end) / np.maximum(end, 1e-12)))


@dataclass(frozen=True)
class MemberVerdict:
    member: int
    rmse: float
    spread: float
    family: str
    exact_max_error: float | None  # the proof's exact supremum of |y - rho|, as a float
    exact: bool | None = None  # the proof's verdict (the Fraction is 0), None when not proved
    below_floor: bool = False  # compare_gap's verdict: RMSE under the family floor

    def to_json(self) -> dict:
        return {"member": self.member, "rmse": self.rmse, "spread": self.spread, "family": self.family,
                "exact_max_error": self.exact_max_error, "exact": self.exact, "below_floor": self.below_floor}


def gap_family(cfg: Config, w: np.ndarray, b: np.ndarray, tau: float = 0.1) -> str:
    """Family of one GAP member with filters ``w`` (C, k, k) and biases ``b`` (C,)."""
    sups = []
    for c in range(w.shape[0]):
        sup = effective_support(cfg, w[c], float(b[c]), tau)
        ok, _ = _counter_family(cfg, w[c], float(b[c]), sup)
        if not ok or not sup:
            return "none"
        sups.append(sup)
    if len(sups) == 1:
        return "background counter"
    counts = [[background_count(cfg, rho, s) for rho in cfg.radii] for s in sups]
    _, sse = least_squares_exact(counts, cfg.radii)
    return "row counter" if sse == 0 else "two counters"


def analyse_gap(cfg: Config, params: dict, prove: bool = True, comparison=None) -> tuple[list[MemberVerdict], dict]:
    """Every member's verdict, and the summary of ``comparison`` (default: ``compare_gap``)."""
    comparison = comparison or compare_gap(cfg, params)
    p = {k: (v.detach().cpu().double().numpy() if hasattr(v, "detach") else np.asarray(v)) for k, v in params.items()}
    out = []
    for net in comparison.nets:
        e = net.member
        fam = gap_family(cfg, p["w"][e], p["b"][e])
        err = exact = None
        if prove:
            proof = prove_2d(cfg, Params2D.from_ensemble(params, e))
            err, exact = float(proof.max_error), proof.exact
        out.append(MemberVerdict(e, net.rmse, net.spread, fam, err, exact, net.beats_floor))
    return out, comparison.summary()


def analyse_run(cfg: Config, tcfg, run, prove: bool = True, comparison=None) -> dict:
    """The converged-training analysis of one trained ensemble ``run`` of ``cfg`` (module
    docstring): budget, flatness, success rate, and for GAP every member's family and exact
    verdict against the one-channel floor; for FC the ring-law comparison. ``comparison``: the
    run's ``compare_gap`` / ``compare_fc`` result when the caller has it already."""
    history = run.history.detach().cpu().double().numpy()
    floor = one_unit_floor(cfg)["rmse"]
    out = {"head": cfg.head, "channels": cfg.channels, "seconds": run.seconds,
           "budget": {"seeds": tcfg.seeds, "steps": tcfg.steps, "optimizer": tcfg.optimizer,
                      "lr": tcfg.lr, "dtype": tcfg.dtype, "amplitudes": tcfg.amplitudes},
           "flatness": flatness(history), "final_loss_median": float(np.median(history[-1])),
           "success_rate": run.success_rate, "successes": int(run.success.sum()), "floor": floor}
    if cfg.head == "fc":
        out["ring_law"] = (comparison or compare_fc(cfg, run.params)).summary()
        return out
    members, summary = analyse_gap(cfg, run.params, prove, comparison)
    families: dict[str, int] = {}
    for m in members:
        families[m.family] = families.get(m.family, 0) + 1
    below = [m for m in members if m.below_floor]
    out.update(
        families=families,
        members=[m.to_json() for m in members],
        below_floor=len(below),
        below_floor_invariant=sum(1 for m in below if m.spread < INVARIANT_SPREAD),
        exact=sum(1 for m in members if m.exact),
        comparison=summary,
    )
    return out


def converged_variant(cfg: Config, tcfg, prove: bool = True, engine: str | None = "fast") -> dict:
    """Train ``cfg`` (2D, relu) with ``tcfg`` on ``engine`` and analyse every member."""
    from radiuscnn.numeric.ensemble import train

    return analyse_run(cfg, tcfg, train(cfg, tcfg, engine=engine), prove)


def converged_2d(cfg: Config, tcfg, prove: bool = True, engine: str | None = "fast") -> dict:
    """GAP C = 1, GAP C = 2 and FC (one channel), relu, on the 2D ``cfg``."""
    base = cfg.with_(activation="relu")
    return {
        "gap_C1": converged_variant(base.with_(head="gap", channels=1), tcfg, prove, engine),
        "gap_C2": converged_variant(base.with_(head="gap", channels=2), tcfg, prove, engine),
        "fc": converged_variant(base.with_(head="fc", channels=1), tcfg, prove, engine),
    }


D1_PARTS = ("gap_one_channel", "gap_wide", "fc_default_init", "fc_regime_init")
"""The independent trainings of :func:`d1_trained`, one ensemble each (``gap_wide`` only when
``cfg.channels > 1``): the report runs them as separate jobs on two processes."""


def d1_parts(cfg: Config) -> tuple[str, ...]:
    """The :data:`D1_PARTS` that apply to ``cfg``."""
    return tuple(p for p in D1_PARTS if p != "gap_wide" or cfg.channels > 1)


def d1_part(cfg: Config, tcfg, part: str, engine: str | None = "fast", prove: bool = True) -> dict:
    """One part of :func:`d1_trained`: ``{part: summary}`` (``fc_default_init`` also gives
    ``"i1c"``). Plain dict; the same value whichever process computes it."""
    from radiuscnn.numeric.ensemble import train
    from radiuscnn.numeric.model import init_params

    if part in ("gap_one_channel", "gap_wide"):
        gcfg = cfg.with_(head="gap", activation="relu", **({"channels": 1} if part == "gap_one_channel" else {}))
        run = train(gcfg, tcfg, engine=engine)
        comparison = compare_gap(gcfg, run.params, tcfg.member_seeds)
        return {part: {**comparison.summary(), "converged": analyse_run(gcfg, tcfg, run, prove, comparison)}}
    fcfg = cfg.with_(head="fc", channels=1, activation="relu")
    if part == "fc_default_init":
        fc = train(fcfg, tcfg, engine=engine)
        comparison = compare_fc(fcfg, fc.params)
        init = init_params(fcfg, tcfg.seeds, tcfg.seed, tcfg.torch_dtype)
        rep = i1c_background_differences(fcfg, fc.params["V"], init["V"])
        return {part: {**comparison.summary(), "converged": analyse_run(fcfg, tcfg, fc, prove, comparison)},
                "i1c": {"pixels": rep.pixels, "dtype": tcfg.dtype, "max_deviation": rep.max_deviation,
                        "min_contrast": min(rep.contrast), "max_contrast": max(rep.contrast)}}
    if part == "fc_regime_init":
        return {part: compare_fc(fcfg, train_in_regime(fcfg, tcfg, engine=engine).params).summary()}
    raise ValueError(f"unknown D1 part {part!r}; expected one of {', '.join(D1_PARTS)}")


def d1_trained(cfg: Config, tcfg, engine: str | None = "fast", prove: bool = True) -> dict:
    """Train and compare everything D1 asks for on ``cfg`` (2D), each ensemble trained once
    (:func:`d1_part`): one-channel GAP, GAP with ``cfg.channels``, FC from the default init
    (regime census, I1c) and FC from the regime init (ring law); every GAP and default-init FC
    variant also gets :func:`analyse_run` under ``"converged"``. Plain dict."""
    out: dict = {}
    for part in d1_parts(cfg):
        out.update(d1_part(cfg, tcfg, part, engine, prove))
    return out
