"""Data for the report section "Why training fails" (claims L1-L3): the critical families of
an ensemble with their exact losses and counts, every network assigned, the histogram data with
the derived critical values to mark, and L3's initial-regime prediction. Plain JSON data."""

from __future__ import annotations

from fractions import Fraction

from radiuscnn.theory.activations import piecewise_linear
from radiuscnn.theory.config import Config
from radiuscnn.verify.landscape import Landscape, applicable, verdict_summary


def critical_family(land: Landscape, plateau: Fraction, dead: Fraction) -> str:
    """The derived critical value a verdict sits at: global minimum, mass plateau (L1c), dead
    (L1d), another local minimum, regime boundary or descending."""
    if land.verdict in ("regime boundary", "descending"):
        return land.verdict
    if land.regime_loss == 0:
        return "global minimum"
    if land.regime_loss == plateau:
        return "mass plateau"
    if land.regime_loss == dead:
        return "dead"
    return "other local minimum"


def report_data(cfg: Config, n_amplitudes: int, lands, analyses=None, init=None) -> dict:
    """A JSON-able summary of the certificates of one ensemble: ``verdicts`` (counts),
    ``critical`` (one entry per derived critical family with its exact loss, count and member
    indices), ``networks`` (every member with its verdict, family, losses, gap and distance),
    ``histogram`` (final losses and the derived critical values to mark), ``plateau_loss`` and
    ``dead_loss`` (exact and float), ``largest_distance`` (to theta*, over certified members),
    and with the initial parameters ``init`` (``numeric.model`` layout) ``initial_regime``
    (:func:`initial_regime_outcome`)."""
    from radiuscnn.theory.plateau import dead_loss, plateau_loss

    plateau, dead = plateau_loss(cfg, n_amplitudes), dead_loss(cfg, n_amplitudes)
    summary = verdict_summary(lands)
    groups: dict[tuple[str, str], list] = {}
    for land in lands:
        key = critical_family(land, plateau, dead)
        loss = str(land.regime_loss) if key not in ("regime boundary", "descending") else None
        groups.setdefault((key, loss), []).append(land.index)
    critical = [{"family": fam, "regime_loss": loss, "regime_loss_float": None if loss is None else float(Fraction(loss)),
                 "count": len(ix), "networks": ix} for (fam, loss), ix in sorted(groups.items(), key=lambda g: -len(g[1]))]
    families = {a.index: a.family for a in analyses} if analyses is not None else {}
    networks = [{"index": l.index, "verdict": l.verdict, "critical": critical_family(l, plateau, dead),
                 "family": families.get(l.index), "loss": float(l.loss), "regime_loss": str(l.regime_loss),
                 "gap": float(l.gap), "distance": l.distance} for l in lands]
    out = {
        "networks_total": len(lands),
        "verdicts": summary["verdicts"],
        "critical": critical,
        "networks": networks,
        "plateau_loss": {"exact": str(plateau), "float": float(plateau)},
        "dead_loss": {"exact": str(dead), "float": float(dead)},
        "largest_distance": summary["largest_distance"],
        "histogram": {"losses": [float(l.loss) for l in lands],
                      "marks": [{"label": "L_plateau*", "value": float(plateau)},
                                {"label": "Var(r) (dead)", "value": float(dead)}]},
    }
    if init is not None:
        out["initial_regime"] = initial_regime_outcome(cfg, n_amplitudes, init, lands)
    return out


def initial_regime_outcome(cfg: Config, n_amplitudes: int, init: dict, lands) -> dict:
    """L3 on one ensemble: per member, the grid regime at initialisation gives ``dead`` channels
    (every term on the flat lowest piece: zero gradient, so they never move) and a *counter
    seed* (a channel whose empty run is alive while some non-empty run is killed); the
    prediction is 'solves' with a counter seed, else 'plateau/dead'; observed is 'plateau/dead'
    when the verdict is a local minimum at ``L_plateau*`` or ``Var(r)``. Returns the counts of
    (predicted, observed), the observed rate per prediction and the dead channels at init."""
    from radiuscnn.numeric.model import to_exact
    from radiuscnn.theory.landscape import amplitude_grid, grid_regime
    from radiuscnn.theory.plateau import dead_loss, plateau_loss

    act = piecewise_linear(cfg.activation, cfg.alpha)
    amps = amplitude_grid(cfg, n_amplitudes)
    stall = {plateau_loss(cfg, n_amplitudes), dead_loss(cfg, n_amplitudes)}
    table: dict[tuple[str, str], int] = {}
    dead = []
    for land in lands:
        regime = grid_regime(cfg, act, to_exact(cfg, init, land.index), amps)
        seed = False
        for c in range(cfg.channels):
            if regime.channel_pieces(c) == {0} and act.pieces[0].slope == 0:
                dead.append([land.index, c])
            terms = [k for k in regime.keys if k[0] == c and k[1]]
            seed |= regime.piece(c, (), amps[0]) != 0 and any(regime.piece(*k) == 0 for k in terms)
        predicted = "solves" if seed else "plateau/dead"
        observed = "plateau/dead" if land.verdict == "local minimum" and land.regime_loss in stall else "solves"
        table[predicted, observed] = table.get((predicted, observed), 0) + 1
    rates = {}
    for p in ("solves", "plateau/dead"):
        total = table.get((p, "solves"), 0) + table.get((p, "plateau/dead"), 0)
        stalled = table.get((p, "plateau/dead"), 0)
        rates[p] = {"networks": total, "observed_same": table.get((p, p), 0),
                    "rate": table.get((p, p), 0) / total if total else None,
                    "stall_rate": stalled / total if total else 0.0}
    return {"table": [{"predicted": p, "observed": o, "count": n} for (p, o), n in sorted(table.items())],
            "rates": rates, "dead_at_init": dead}



def atlas_verdicts(base: Config, tcfg, axes: dict, cache=None) -> dict:
    """L2 on a success-atlas grid (``verify.atlas.default_grid`` form ``(base, tcfg, axes)``):
    every network of every piecewise-linear GAP cell certified (``verify.landscape.certify``),
    trained through the atlas cache. Returns per-cell and total verdict counts and whether every
    local-minimum certificate has its point inside the open regime."""
    from radiuscnn.verify import atlas as atlas_mod
    from radiuscnn.verify.landscape import certify_ensemble

    cache = atlas_mod.CACHE if cache is None else cache
    cells, every = [], []
    for k in axes["kernels"]:
        for C in axes["channels"]:
            for activation in axes["activations"]:
                cfg = base.with_(kernel=k, channels=C, activation=activation)
                if not applicable(cfg):
                    continue
                run = atlas_mod.train_cached(cfg, tcfg, cache)
                lands = certify_ensemble(cfg, run.params, tcfg.amplitudes, tcfg.tolerance)
                cells.append({"kernel": k, "channels": C, "activation": activation,
                              "verdicts": verdict_summary(lands)["verdicts"]})
                every.extend(lands)
    return {"cells": cells, **verdict_summary(every)}
