"""``radiuscnn check --model FILE``: analyse a network trained anywhere, and 2D in ``check``.

``--model`` reads a PyTorch state_dict (``.pt``/``.pth`` with ``torch.load(weights_only=True)``,
or ``.safetensors``) through :func:`numeric.imported.import_model`: C, k, the dimension and the
head come from the tensors, sigma and padding from ``--activation`` / ``--padding``, the data
(size, radii, amplitude interval, grid) from the configuration flags. The imported network
is evaluated next to a ``torch.nn`` reference on the whole data set and the largest
difference is printed before the analysis. 2D networks (imported or from a ``radiuscnn
train --dim 2`` run) are analysed by :mod:`verify.analysis_2d`.
"""

from __future__ import annotations

import sys

from radiuscnn.commands._output import console, print_json

EXIT_FAILURE = 1


def add_flags(p) -> None:
    """``--model`` and the configuration flags it reads the data configuration from."""
    from radiuscnn.cli import add_config_flags

    p.add_argument("--model", metavar="FILE", default=None,
                   help="a PyTorch state_dict (.pt/.pth, read with weights_only=True) or .safetensors file "
                   "of conv(1->C, k) -> sigma -> GAP/FC -> Linear(., 1); the data come from the flags below")
    add_config_flags(p)
    p.set_defaults(dim=None)  # check: "given" = not None (the model's or the run's dimension otherwise)
    p.add_argument("--amplitudes", type=int, default=None,
                   help="with --model: amplitude grid points of the data set (default: the trainer's)")


def _fail(message: str) -> int:
    print(f"radiuscnn check: error: {message}", file=sys.stderr)
    return EXIT_FAILURE


CONFIG_FLAGS = ("dim", "size", "kernel", "channels", "activation", "alpha", "padding", "head", "radii",
                "amplitude", "amplitudes")


def given_config_flags(args) -> list[str]:
    """The configuration flags given on the command line (argparse defaults are ``None``)."""
    return [f"--{name}" for name in CONFIG_FLAGS if getattr(args, name, None) is not None]


def _explicit_mismatch(args, reading) -> str | None:
    for flag, value in (("dim", reading.dim), ("kernel", reading.kernel), ("channels", reading.channels)):
        given = getattr(args, flag, None)
        if given is not None and given != value:
            return f"--{flag} {given}: the model has {flag} = {value}"
    return None


def _usage(message: str) -> int:
    """A usage error: one line, exit 2 (as argparse's own)."""
    print(f"radiuscnn check: error: {message}", file=sys.stderr)
    return 2


def run(args) -> int:
    """The ``--model`` branch of ``check``."""
    from radiuscnn.cli import config_from_args
    from radiuscnn.numeric.imported import import_model
    from radiuscnn.numeric.importer import ModelImportError, load_state_dict, read_state_dict

    if args.run_dir is not None and args.model is not None:
        return _usage("give RUN_DIR or --model FILE, not both")
    if args.model is None:
        return _usage("give RUN_DIR (written by 'radiuscnn train --out') or --model FILE")
    if args.network not in (None, 0):
        return _usage(f"--network: an imported model is one network (0), got {args.network}")
    try:
        reading = read_state_dict(load_state_dict(args.model))
        mismatch = _explicit_mismatch(args, reading)
        if mismatch:
            return _fail(mismatch)
        args.dim = reading.dim  # the dimension is the model's (Conv1d or Conv2d weight)
        args.kernel, args.channels = reading.kernel, reading.channels
        imported = import_model(args.model, config_from_args(args), args.amplitudes)
    except ModelImportError as error:
        return _fail(str(error))
    if args.head is not None and args.head != imported.cfg.head:
        return _fail(f"--head {args.head}: the model's head is {imported.cfg.head} (Linear({imported.reading.head_features}, 1))")
    if not args.json:
        print(imported.summary())
    return _analyse(args, imported.cfg, imported.params, imported.n_amplitudes, 1e-3,
                    {"file": args.model, "max_difference": imported.max_difference, "samples": imported.samples,
                     "tolerance": imported.tolerance, "compared_with": imported.compared,
                     "activation_checked": imported.reading.module is not None})


def _analyse(args, cfg, params, n_amplitudes, loss_tol, record) -> int:
    from radiuscnn.verify.analysis import Tolerances

    tol = Tolerances(loss=loss_tol)
    if cfg.dim == 2:
        return _show_2d(args, cfg, params, n_amplitudes, tol, [0], record)
    from radiuscnn.commands.check import network_tables
    from radiuscnn.numeric.model import to_exact
    from radiuscnn.verify.analysis import analyse_ensemble

    (a,) = analyse_ensemble(cfg, params, n_amplitudes, tol, [0])
    if args.json:
        print_json({"config": cfg.to_json(), "import": record, "network": a.to_json()})
        return _fail_on(args, [a])
    out = console()
    if args.network is not None:  # weight by weight, as 'check RUN_DIR --network E'
        for table in network_tables(cfg, a, to_exact(cfg, params, 0) if a.terms else None):
            out.print(table)
        return _fail_on(args, [a])
    out.print(_summary_1d(cfg, a, tol))
    return _fail_on(args, [a])


def _fail_on(args, analyses) -> int:
    """Exit 1 with one line when ``--fail-on`` is triggered (the rule of ``check RUN_DIR``)."""
    from radiuscnn.commands.check import fail_on_message

    status = fail_on_message(getattr(args, "fail_on", []), analyses)
    if status is None:
        return 0
    print(f"radiuscnn check: {status}", file=sys.stderr)
    return EXIT_FAILURE


def _summary_1d(cfg, a, tol):
    from rich.markup import escape
    from rich.table import Table

    table = Table(title=escape(f"imported network: N={cfg.size} k={cfg.kernel} C={cfg.channels} {cfg.activation} "
                               f"{cfg.padding} {cfg.head}, A=[{cfg.a_min}, {cfg.a_max}]; solved (MSE <= {tol.loss:g}): "
                               f"{'yes' if a.solved else 'no'}; --network 0 shows every weight"))
    for name in ("loss", "family", "max residual", "verdict (exact, over A)", "roles"):
        table.add_column(name)
    roles = " / ".join(f"{a.roles_summary[k]} {k}" for k in ("determined", "inequality", "free"))
    family = a.family if a.generic else f"{a.family} ({len(a.crossings)} crossing)"
    residual = "-" if a.max_residual is None else f"{a.max_residual:.3g}"
    from radiuscnn.commands.check import verdict_text

    table.add_row(*(escape(x) for x in (f"{a.loss:.3e}", family, residual, verdict_text(a), roles)))
    return table


def check_run_2d(args, cfg, tcfg, params) -> int:
    """``check RUN_DIR`` for a 2D run: one row per network, or ``--network E`` in detail."""
    from radiuscnn.verify.analysis import Tolerances

    members = int(params["beta"].shape[0])
    if args.network is not None and not 0 <= args.network < members:
        return _fail(f"--network: expected 0..{members - 1} for this run of {members} networks, got {args.network}")
    chosen = [args.network] if args.network is not None else list(range(members))
    return _show_2d(args, cfg, params, tcfg.amplitudes, Tolerances(loss=tcfg.tolerance), chosen,
                    None, tcfg.to_json())


def _show_2d(args, cfg, params, n_amplitudes, tol, members, record, train=None) -> int:
    from rich.markup import escape
    from rich.table import Table

    from radiuscnn.verify.analysis_2d import analyse_ensemble_2d

    analyses = analyse_ensemble_2d(cfg, params, n_amplitudes, tol, members)
    if args.json:
        data = {"config": cfg.to_json(), "networks": [a.to_json() for a in analyses]}
        data.update({"import": record} if record is not None else {"train": train})
        print_json(data)
        return _fail_on(args, analyses)
    solved = sum(a.solved for a in analyses)
    table = Table(title=escape(f"{len(analyses)} 2D network(s): N={cfg.size} k={cfg.kernel} C={cfg.channels} "
                               f"{cfg.activation} {cfg.padding} {cfg.head}, A=[{cfg.a_min}, {cfg.a_max}]; "
                               f"solved (MSE <= {tol.loss:g}): {solved}/{len(analyses)}"))
    for name in ("net", "loss", "family", "verdict (exact, over A)", "detail"):
        table.add_column(name)
    for a in analyses:
        table.add_row(*(escape(str(x)) for x in (a.index, f"{a.loss:.3e}", a.family, a.verdict_text, a.detail)))
    out = console()
    out.print(table)
    if len(analyses) == 1:
        chans = Table(title=escape("regime of each channel over [a_min, a_max] (distinct nonempty patterns of the data)"))
        for name in ("channel", "b", "used", "background", "patterns by state", "effective support", "counter"):
            chans.add_column(name)
        for c in analyses[0].channels:
            states = ", ".join(f"{n} {s}" for s, n in sorted(c.states.items()))
            chans.add_row(*(escape(str(x)) for x in (c.channel, f"{c.bias:+.4g}", c.used, c.background, states,
                                                      f"{len(c.support)} taps", c.counter)))
        out.print(chans)
    return _fail_on(args, analyses)
