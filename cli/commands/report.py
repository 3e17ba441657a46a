"""``radiuscnn report``: the LaTeX derivation report (the project's main job).

Runs the whole pipeline on a configuration (default: the embedded configuration, theory/THEORY.md): derive, train the
ensemble, check every trained network, explore kernel sizes, 2D; writes ``DIR/results.json``,
``DIR/derivation.tex`` (generated from the results), the figures ``DIR/fig-*.pdf`` and
compiles ``DIR/derivation.pdf`` with latexmk. Progress goes to stderr.

Exit codes: 0 done; 1 the TeX engine failed (the end of its log is shown); 2 bad input
(including an unusable ``--out``); 3 no TeX engine on PATH, found before any work (one line
names the Debian packages; ``--tex-only`` needs no engine); 130 interrupted (Ctrl-C: the
pipeline stops, nothing half-written is left as a finished report).
"""

from __future__ import annotations

import sys
from pathlib import Path

from radiuscnn.commands._output import console, print_json, progress_console
from radiuscnn.commands._paths import path_arg

EXIT_TEX_FAILED = 1
EXIT_NO_TEX = 3


def register(sub) -> None:
    from radiuscnn.cli import add_config_flags, add_train_flags

    p = sub.add_parser(
        "report",
        help="the LaTeX derivation report: derive, train, check, explore, 2D -> PDF",
        description="Run the whole pipeline on a configuration and write DIR/derivation.tex, "
        "DIR/results.json, DIR/fig-*.pdf and DIR/derivation.pdf (latexmk -pdf). Every equation "
        "is rendered by SymPy from the objects the verifier checks; every number is read from "
        "results.json.",
    )
    add_config_flags(p)
    add_train_flags(p)
    p.add_argument("--out", type=path_arg, default=Path("reports/default"),
                   help="output directory (default reports/default)")
    p.add_argument("--tex-only", action="store_true",
                   help="write the .tex, results and figures but do not compile the PDF")
    p.add_argument("--json", action="store_true", help="print a summary of the results as JSON on stdout")
    p.add_argument("--jobs", type=int, choices=(1, 2), default=None,
                   help="processes of one thread each: 2 trains the 2D networks beside the 1D stages "
                        "(same numbers); default 2 on a machine with two or more cores, else 1")
    p.set_defaults(run=run)


def no_engine_message() -> str:
    """One line: no TeX engine, what to install, and the flag that needs none."""
    from radiuscnn.reports.latex import TEX_PACKAGES

    return (f"radiuscnn report: no TeX engine (latexmk/pdflatex) on PATH, so no PDF can be built; "
            f"install it (sudo apt-get install {' '.join(TEX_PACKAGES)}) or pass --tex-only; nothing was run")


def report_jobs(jobs: int | None) -> int:
    """``--jobs``, or by default 2 on a machine with at least two cores, else 1."""
    import os

    return jobs if jobs is not None else (2 if (os.cpu_count() or 1) >= 2 else 1)


def run(args) -> int:
    from rich.progress import BarColumn, TextColumn, TimeElapsedColumn

    from radiuscnn.cli import config_from_args, train_config_from_args
    from radiuscnn.theory.config import ConfigError
    from radiuscnn.commands._limits import check_amplitudes_representable, check_training_size
    from radiuscnn.commands._paths import check_output_dir
    from radiuscnn.commands._runtime import progress_bar
    from radiuscnn.numeric.processes import torch_threads

    cfg = config_from_args(args)
    tcfg = train_config_from_args(args)
    if args.threads != 1:
        raise ConfigError(f"--threads: report trains on one thread (the report's numbers are reproduced "
                          f"on one thread, and tiny tensors gain nothing from more), got {args.threads}")
    check_amplitudes_representable(cfg, tcfg.dtype)
    check_training_size(cfg, tcfg)
    check_output_dir(args.out, "--out")
    from radiuscnn.reports.latex import ReportError, find_engine

    if not args.tex_only and find_engine() is None:  # before minutes of work, not after
        print(no_engine_message(), file=sys.stderr)
        return EXIT_NO_TEX
    from radiuscnn.numeric.ensemble import import_deterministic_mode
    from radiuscnn.reports.build import build_report

    import_deterministic_mode()  # before the first progress line (numeric.ensemble)
    err = progress_console()
    columns = (TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
               TimeElapsedColumn())
    try:
        with torch_threads(args.threads), progress_bar("report", *columns, console=err) as progress:
            result = build_report(cfg, tcfg, args.out, tex_only=args.tex_only, progress=progress,
                                  parallel=report_jobs(args.jobs) == 2)
    except KeyboardInterrupt as interrupt:
        interrupt.detail = f"the report in {args.out} is not finished"
        raise
    except ReportError as error:
        print(f"radiuscnn report: {error}", file=sys.stderr)
        return EXIT_TEX_FAILED
    for name, reason in result.problems.items():
        print(f"radiuscnn report: warning: section {name} failed: {reason}", file=sys.stderr)
    if args.json:
        print_json(result.summary())
    else:
        out = console()
        out.print(f"wrote {result.tex}, {result.results_json} and {len(result.figures)} figures", markup=False)
        if result.pdf is not None:
            out.print(f"report: {result.pdf} ({result.seconds:.0f} s)", markup=False)
        pending = result.unavailable
        if pending:
            out.print("sections skipped (their inputs were not produced): " + "; ".join(f"{k} ({v})" for k, v in pending.items()), markup=False)
    if result.missing_engine:
        print(result.missing_engine, file=sys.stderr)
        return EXIT_NO_TEX
    return 0
