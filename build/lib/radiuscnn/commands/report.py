"""``radiuscnn report``: the LaTeX derivation report (the project's main job).

Runs the whole pipeline on a configuration (default THEORY.md section 9): derive, train the
ensemble, check every trained network, explore kernel sizes, 2D; writes ``DIR/results.json``,
``DIR/derivation.tex`` (generated from the results), the figures ``DIR/fig-*.pdf`` and
compiles ``DIR/derivation.pdf`` with latexmk. Progress goes to stderr.

Exit codes: 0 done; 1 the TeX engine failed (the end of its log is shown); 3 no TeX engine on
PATH (the .tex is written; one line names the Debian packages; ``--tex-only`` makes this 0).
"""

from __future__ import annotations

import sys
from pathlib import Path

from radiuscnn.commands._output import console, print_json, progress_console

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
    p.add_argument("--out", type=Path, default=Path("reports/default"),
                   help="output directory (default reports/default)")
    p.add_argument("--tex-only", action="store_true",
                   help="write the .tex, results and figures but do not compile the PDF")
    p.add_argument("--json", action="store_true", help="print a summary of the results as JSON on stdout")
    p.set_defaults(run=run)


def run(args) -> int:
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from radiuscnn.reports.build import build_report
    from radiuscnn.reports.latex import ReportError
    from radiuscnn.cli import config_from_args, train_config_from_args

    cfg = config_from_args(args)
    tcfg = train_config_from_args(args)
    err = progress_console()
    columns = (TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
               TimeElapsedColumn())
    try:
        with Progress(*columns, console=err, transient=True) as progress:
            result = build_report(cfg, tcfg, args.out, tex_only=args.tex_only, progress=progress)
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
            out.print("awaiting modules: " + "; ".join(f"{k} ({v})" for k, v in pending.items()), markup=False)
    if result.missing_engine:
        print(result.missing_engine, file=sys.stderr)
        return EXIT_NO_TEX
    return 0
