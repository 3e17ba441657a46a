"""``radiuscnn check RUN_DIR``: read every trained network of a saved run (claim T1).

Loads a run written by ``radiuscnn train --out RUN_DIR`` (``numeric.checkpoint.load_run``,
which verifies it), analyses each member with :mod:`verify.analysis` (regime, section-5
equations and residuals, family, role of every weight, exact proof over the amplitude
interval) and prints a compact summary (families x verdicts, fits 80 columns); ``--details``
one row per network, ``--network E`` one network weight by weight. Members whose weights
diverged in training (NaN, loss ``null``) are reported as diverged, the others analysed.

Exit codes: 0; 1 the run cannot be loaded (one line on stderr), or ``--fail-on refuted``
(some network's exact verdict is refuted) / ``--fail-on unsolved`` (some network, diverged
ones included, has final MSE above the tolerance) is triggered (one line on stderr).
"""

from __future__ import annotations

import math
import sys

from radiuscnn.commands import model_input
from radiuscnn.commands import _landscape
from radiuscnn.commands._output import console, print_json, progress_console

EXIT_FAILURE = 1
FAIL_ON = ("refuted", "unsolved")


def register(sub) -> None:
    p = sub.add_parser(
        "check",
        help="analyse every network of a saved run: regime, equations, family, roles, proof",
        description="Analyse the networks of a run saved by 'radiuscnn train --out RUN_DIR' "
        "(claim T1): the regime of every (channel, run) term over the amplitude interval, the "
        "slope/value equations of that regime and their residuals, the solution family, the "
        "role of every weight (determined / inequality-constrained / free) and the exact proof "
        "verdict on the whole interval.",
    )
    p.add_argument("run_dir", metavar="RUN_DIR", nargs="?", default=None,
                   help="directory written by 'radiuscnn train --out' (or give --model FILE)")
    p.add_argument("--json", action="store_true", help="machine-readable JSON on stdout")
    view = p.add_mutually_exclusive_group()
    view.add_argument("--network", type=int, metavar="E", default=None,
                      help="show network E (0-based member index) weight by weight")
    view.add_argument("--details", action="store_true",
                      help="one row per network instead of the summary by family and verdict")
    model_input.add_flags(p)
    p.add_argument("--fail-on", choices=FAIL_ON, action="append", default=[],
                   help="exit 1 when some network is refuted (exact verdict) or unsolved (final MSE "
                   "above the tolerance, diverged included); repeatable, for scripts")
    p.set_defaults(run=run)


def _fail(message: str) -> int:
    print(f"radiuscnn check: error: {message}", file=sys.stderr)
    return EXIT_FAILURE


def analyse_run(cfg, tcfg, params, members, quiet: bool):
    """Analyse the given members under a transient progress bar on stderr."""
    from rich.progress import BarColumn, TextColumn

    from radiuscnn.commands._runtime import progress_bar
    from radiuscnn.verify.analysis import Tolerances, analyse_ensemble

    tol = Tolerances(loss=tcfg.tolerance)
    if quiet or len(members) == 1:
        return analyse_ensemble(cfg, params, tcfg.amplitudes, tol, members)
    out = []
    columns = (TextColumn("analysing networks"), BarColumn(), TextColumn("{task.completed}/{task.total}"))
    with progress_bar("check", *columns, console=progress_console()) as bar:
        task = bar.add_task("analysing networks", total=len(members))
        for e in members:
            out.extend(analyse_ensemble(cfg, params, tcfg.amplitudes, tol, [e]))
            bar.update(task, advance=1)
    return tuple(out)


def _row(table, *cells) -> None:
    """Add a row of plain text (equation names like ``value[r=3]`` are not Rich markup)."""
    from rich.markup import escape

    table.add_row(*(escape(str(c)) for c in cells))


def roles_text(summary: dict) -> str:
    return " / ".join(f"{summary[k]} {k}" for k in ("determined", "inequality", "free"))


SUMMARY_KEYS = ("index", "loss", "solved", "family", "channels", "verdict", "proof", "max_residual",
                "equations_hold", "generic", "roles", "plateau")


def network_row(a) -> dict:
    """The per-network JSON record of ``check --json``: the analysis without its per-weight,
    per-term and per-equation detail (``--network E --json`` prints all of it)."""
    data = a.to_json()
    return {**{key: data[key] for key in SUMMARY_KEYS}, "crossings": len(a.crossings)}


def distinct_digits(x: float, y: float) -> int:
    """Fewest significant digits (3..17) at which ``x`` and ``y`` print differently."""
    for digits in range(3, 18):
        if f"{x:.{digits}g}" != f"{y:.{digits}g}":
            return digits
    return 17


def verdict_text(a) -> str:
    """The verdict with as many digits as it takes to see why (``0.50003 > 0.5``, not ``0.5 > 0.5``)."""
    v = a.verdict
    if verdict_kind(a) == "diverged":
        return "diverged"
    if v.status in ("proved", "refuted") and v.max_error is not None:
        err, eps = float(v.max_error), float(v.eps)
        d = distinct_digits(err, eps)
        if v.status == "proved":
            return f"proved: max error {err:.{d}g} <= eps {eps_text(v.eps, d)}"
        return f"refuted: max error {err:.{d}g} > eps {eps_text(v.eps, d)}"
    return a.verdict_text


def eps_text(eps, digits: int = 3) -> str:
    """``eps`` as the fraction it is (``1/2``), or in ``digits`` significant digits."""
    from fractions import Fraction

    if isinstance(eps, Fraction) and eps.denominator < 1000:
        return str(eps)
    return f"{float(eps):.{digits}g}"


def verdict_kind(a) -> str:
    """``proved``, ``refuted``, ``inconclusive`` or ``diverged`` (a 1D analysis, or a 2D one of
    :mod:`verify.analysis_2d`: proved when its exact ``max_error <= eps``)."""
    if not math.isfinite(a.loss):
        return "diverged"
    if not hasattr(a, "verdict"):  # 2D: the proof, or none (inconclusive)
        return "inconclusive" if a.proof is None else ("proved" if a.proved else "refuted")
    return a.verdict.status


def counts_table(cfg, tcfg, analyses):
    """The compact summary: one row per family, one column per verdict (fits 80 columns)."""
    from rich.table import Table

    kinds = ("proved", "refuted", "inconclusive", "diverged")
    rows: dict[str, dict[str, int]] = {}
    for a in analyses:
        family = "diverged" if verdict_kind(a) == "diverged" else a.family
        rows.setdefault(family, {k: 0 for k in ("networks", "solved", *kinds)})
        rows[family]["networks"] += 1
        rows[family]["solved"] += int(a.solved)
        rows[family][verdict_kind(a)] += 1
    solved = sum(a.solved for a in analyses)
    table = Table(title=f"{len(analyses)} networks, N={cfg.size} k={cfg.kernel} C={cfg.channels} "
                        f"{cfg.activation} {cfg.padding} {cfg.head}: {solved} solved "
                        f"(MSE <= {tcfg.tolerance:g})")
    table.add_column("family")
    for name in ("networks", "solved", *kinds):
        table.add_column(name if name != "inconclusive" else "inconcl.", justify="right")
    for family, counts in sorted(rows.items(), key=lambda item: -item[1]["networks"]):
        _row(table, family, *(str(counts[k]) if counts[k] else "-" for k in ("networks", "solved", *kinds)))
    return table


def summary_table(cfg, tcfg, analyses, landscapes=None):
    from rich.table import Table

    solved = sum(a.solved for a in analyses)
    table = Table(title=f"{len(analyses)} networks: N={cfg.size} k={cfg.kernel} C={cfg.channels} "
                        f"{cfg.activation} {cfg.padding} {cfg.head}, A=[{cfg.a_min}, {cfg.a_max}]; "
                        f"solved (MSE <= {tcfg.tolerance:g}): {solved}/{len(analyses)}")
    for name, justify in (("net", "right"), ("final loss", "right"), ("family", "left"),
                          ("max residual", "right"), ("verdict", "left"), ("roles d/i/f", "left")):
        table.add_column(name, justify=justify)
    if landscapes is not None:
        table.add_column("critical point", justify="left", overflow="fold", min_width=10)
    for a in analyses:
        named = a.generic or "kink)" in a.family  # the family already names its crossing runs
        family = a.family if named else f"{a.family} ({len(a.crossings)} crossing)"
        _row(
            table, str(a.index), f"{a.loss:.3e}", family,
            "-" if a.max_residual is None else f"{a.max_residual:.3g}",
            verdict_text(a), "/".join(str(a.roles_summary[k]) for k in ("determined", "inequality", "free")),
            *(() if landscapes is None else (_landscape.cell(landscapes.get(a.index)),)),
        )
    return table


def network_tables(cfg, a, p=None):
    """Weight-by-weight, regime and worst-equation tables of one network (``p``: its exact
    parameters, to print the equations symbolically)."""
    from rich.table import Table

    from rich.markup import escape

    from radiuscnn.theory.activations import piecewise_linear
    from radiuscnn.verify.analysis import symbolic_equation

    act = piecewise_linear(cfg.activation, cfg.alpha)
    weights = Table(title=escape(f"network {a.index}: {a.family}, {verdict_text(a)}, loss {a.loss:.3e}; "
                          f"{roles_text(a.roles_summary)}"))
    for name in ("weight", "value", "role", "equation (largest coefficient) or slack"):
        weights.add_column(name)
    for r in a.roles:
        _row(weights, r.name, f"{float(r.value):+.6f}", r.role, r.detail())
    tables = [weights]
    if a.terms:
        regime = Table(title=escape("regime of each (channel, run) term over [a_min, a_max]"))
        for name in ("channel", "run", "W[J]", "at a_min", "at a_max", "status", "margin / kinks"):
            regime.add_column(name)
        for t in a.terms:
            extra = ", ".join(f"a*={float(k):.4g}" for k in t.kinks) if t.kinks else (
                "-" if t.margin is None else f"{float(t.margin):.4g}")
            _row(regime, str(t.channel), "{" + ",".join(map(str, t.run)) + "}", f"{float(t.run_sum):+.5f}",
                           f"{t.at_min} (p{t.piece_min})", f"{t.at_max} (p{t.piece_max})", t.status, extra)
        tables.append(regime)
        eqs = Table(title=f"section-5 equations ({len(a.equations)}; the 10 with the largest share of the error)")
        for name in ("equation", "form in this regime (= 0)", "residual", "share of |y - r|"):
            eqs.add_column(name)
        for e in sorted(a.equations, key=lambda e: -e.bound)[:10]:
            form = "-" if p is None else str(symbolic_equation(cfg, p, act, e))
            form = form if len(form) <= 160 else form[:157] + "..."
            _row(eqs, e.name, form, f"{float(e.residual):+.4g}", f"{float(e.bound):.4g}")
        tables.append(eqs)
    if a.plateau is not None:
        fit = a.plateau
        plateau = Table(title="plateau fit y ~ a f(r) + g")
        for name in ("f(r) per radius", "g", "fit RMS", "loss RMS", "best mass-affine MSE"):
            plateau.add_column(name)
        _row(plateau, ", ".join(f"{x:.3g}" for x in fit.f), f"{fit.g:.4g}", f"{fit.fit_rms:.3g}",
                        f"{fit.loss_rms:.3g}", f"{fit.mass_loss:.4g}")
        tables.append(plateau)
    return tables


def fail_on_message(fail_on, analyses) -> str | None:
    """The one line for a triggered ``--fail-on`` (``None``: not triggered)."""
    n = len(analyses)
    if "refuted" in fail_on:
        bad = [a.index for a in analyses if verdict_kind(a) == "refuted"]
        if bad:
            return f"--fail-on refuted: {len(bad)} of {n} networks refuted (first: network {bad[0]})"
    if "unsolved" in fail_on:
        bad = [a.index for a in analyses if not a.solved]
        if bad:
            return f"--fail-on unsolved: {len(bad)} of {n} networks unsolved (first: network {bad[0]})"
    return None


def run(args) -> int:
    from radiuscnn.numeric.processes import torch_threads
    from radiuscnn.numeric.checkpoint import CheckpointError, diverged_members, load_run

    if args.model is not None or args.run_dir is None:
        return model_input.run(args)
    given = model_input.given_config_flags(args)
    if given:
        print(f"radiuscnn check: error: {' '.join(given)}: with RUN_DIR the configuration is read from "
              "the run (its run.json); give these flags with --model FILE only", file=sys.stderr)
        return 2
    try:
        cfg, tcfg, params, metrics = load_run(args.run_dir)
    except CheckpointError as error:
        return _fail(str(error))
    if cfg.dim == 2:
        return model_input.check_run_2d(args, cfg, tcfg, params)
    members = int(params["beta"].shape[0])
    if args.network is not None and not 0 <= args.network < members:
        return _fail(f"--network: expected 0..{members - 1} for this run of {members} networks, got {args.network}")
    chosen = [args.network] if args.network is not None else list(range(members))
    with torch_threads(1):
        analyses = analyse_run(cfg, tcfg, params, chosen, quiet=args.json)
        finite = [e for e in chosen if e not in set(diverged_members(params))]
        lands = _landscape.landscapes(cfg, tcfg, params, finite) if _landscape.applicable(cfg) else None
    diverged = [e for e in diverged_members(params) if e in chosen]
    status = fail_on_message(args.fail_on, analyses)

    if args.json:
        from radiuscnn.verify.analysis import success_summary

        rows = [a.to_json() if args.network is not None else network_row(a) for a in analyses]
        for row in rows:
            row["diverged"] = row["index"] in diverged
            row["landscape"] = None if lands is None else _landscape.record(lands.get(row["index"]))
        print_json({"config": cfg.to_json(), "train": tcfg.to_json(), "summary": success_summary(analyses),
                    "verdicts": {k: sum(verdict_kind(a) == k for a in analyses)
                                 for k in ("proved", "refuted", "inconclusive", "diverged")},
                    "diverged": diverged, "networks": rows})
    else:
        out = console()
        if args.network is not None:
            from radiuscnn.numeric.model import to_exact

            exact = to_exact(cfg, params, args.network) if analyses[0].terms else None
            for table in network_tables(cfg, analyses[0], exact):
                out.print(table)
            if lands and args.network in lands:
                for table in _landscape.tables(cfg, tcfg, lands[args.network], exact):
                    out.print(table)
        elif args.details:
            out.print(summary_table(cfg, tcfg, analyses, lands))
        else:
            out.print(counts_table(cfg, tcfg, analyses))
            if lands:
                out.print(_landscape.verdict_line(lands), markup=False)
            if diverged:
                out.print(f"diverged in training (non-finite weights, not analysed): "
                          f"{', '.join(map(str, diverged))}", markup=False)
            out.print("one row per network: --details; every weight of one: --network E", markup=False)
    if status is not None:
        print(f"radiuscnn check: {status}", file=sys.stderr)
        return EXIT_FAILURE
    return 0
