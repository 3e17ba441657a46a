"""The critical-point part of ``radiuscnn check`` (claim L2, :mod:`verify.landscape`): one
verdict per GAP network, its JSON record, and the lifted parameters, ``theta*`` and grid
regime of one network for ``--network E``."""

from __future__ import annotations


def applicable(cfg) -> bool:
    """The certificate needs the 1D GAP head and a piecewise-linear activation."""
    from radiuscnn.verify.landscape import applicable as certificate_applies

    return certificate_applies(cfg)


def landscapes(cfg, tcfg, params, members) -> dict:
    """``{member: Landscape}`` (empty when not applicable or the weights are not finite)."""
    import torch

    from radiuscnn.numeric.model import to_exact
    from radiuscnn.theory.landscape import amplitude_grid
    from radiuscnn.verify.landscape import certify

    if not applicable(cfg):
        return {}
    amps = amplitude_grid(cfg, tcfg.amplitudes)
    out = {}
    for e in members:
        if all(bool(torch.isfinite(t[e]).all()) for t in params.values()):
            out[e] = certify(cfg, to_exact(cfg, params, e), amps, tcfg.tolerance, e)
    return out


def cell(land) -> str:
    """``global`` / ``local L*=...`` / ``boundary`` / ``descending``, with gap and distance."""
    if land is None:
        return "-"
    loss = str(land.regime_loss) if land.regime_loss.denominator < 10**6 else f"{float(land.regime_loss):.4g}"
    text = f"{land.short} L*={loss} gap {float(land.gap):.2g}"
    if land.distance is not None:
        text += f" d {land.distance:.2g}"
    return text


def verdict_line(lands: dict) -> str:
    """One line: how many networks sit at each kind of critical point (claim L2)."""
    from collections import Counter

    counts = Counter(land.verdict for land in lands.values())
    from radiuscnn.verify.landscape import VERDICTS as order
    parts = [f"{counts[v]} {v}" for v in order if counts[v]] + [f"{n} {v}" for v, n in counts.items() if v not in order]
    return "critical points (L2): " + ", ".join(parts)


def record(land) -> dict | None:
    return None if land is None else land.to_json()


def tables(cfg, tcfg, land, p):
    """Lifted parameters ``x`` and ``x*``, ``theta`` and ``theta*``, and the grid regime."""
    from rich.markup import escape
    from rich.table import Table

    from radiuscnn.theory.landscape import lifted_names

    distance = "-" if land.distance is None else f"{land.distance:.4g}"
    head = Table(title=escape(f"critical point: {land.verdict}; L_rho* = {land.regime_loss} "
                              f"({float(land.regime_loss):.6g}), gap {float(land.gap):.3g}, "
                              f"distance {distance}; {land.proof}"))
    for name in ("lifted parameter", "x (trained)", "x* (optimal set)"):
        head.add_column(name)
    for name, x, xs in zip(lifted_names(cfg), land.x, land.x_star):
        head.add_row(escape(name), f"{float(x):+.6f}", f"{float(xs):+.6f}")
    out = [head]
    if land.theta_star is not None:
        theta = Table(title="theta* = (w_c, b_c) = U_c / v_c, v_c, beta")
        for name in ("parameter", "theta*"):
            theta.add_column(name)
        p = land.theta_star
        rows = [(f"w[{c},{t}]", p.w[c][j]) for c in range(p.channels) for j, t in enumerate(cfg.offsets)]
        rows += [(f"b[{c}]", p.b[c]) for c in range(p.channels)] + [(f"v[{c}]", p.v[c]) for c in range(p.channels)]
        for name, value in rows + [("beta", p.beta)]:
            theta.add_row(escape(name), f"{float(value):+.6f}")
        out.append(theta)
    out.append(regime_table(cfg, tcfg, land, p))
    return out


def regime_table(cfg, tcfg, land, p):
    """Per (channel, run) of the trained network ``p``: its piece at every grid amplitude
    (left to right) and the smallest margin of ``theta*`` (of ``p`` when there is none) to it."""
    from rich.markup import escape
    from rich.table import Table

    from radiuscnn.theory.activations import piecewise_linear
    from radiuscnn.theory.landscape import amplitude_grid, grid_regime, grid_terms

    act = piecewise_linear(cfg.activation, cfg.alpha)
    amps = amplitude_grid(cfg, tcfg.amplitudes)
    regime = grid_regime(cfg, act, p, amps)
    point = land.theta_star if land.theta_star is not None else p
    who = "theta*" if land.theta_star is not None else "theta"
    table = Table(title=f"grid regime: piece of each (channel, run) term at the {len(amps)} training amplitudes")
    for name in ("channel", "run", "pieces a_min..a_max", f"margin of {who}"):
        table.add_column(name)
    by_run: dict = {}
    for t in grid_terms(cfg, act, point, amps, regime):
        by_run.setdefault((t.channel, t.run), []).append(t)
    for (c, run), ts in by_run.items():
        margins = [t.margin for t in ts if t.margin is not None]
        table.add_row(str(c), escape("{" + ",".join(map(str, run)) + "}"), "".join(str(t.piece) for t in ts),
                      "-" if not margins else f"{float(min(margins)):.4g}")
    return table
