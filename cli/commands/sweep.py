"""``radiuscnn sweep``: a grid of configurations trained in resumable shards (verify.sweep).

``radiuscnn sweep --kernels 3,5 --widths 1,2 --activations relu,tanh --out DIR [--shard-seeds S]
[--jobs J] [--shard I/N] [config and training flags]`` trains every cell ``(k, C, sigma)`` of
the grid (other fields from the configuration flags) with ``--seeds`` seeds, cut into shards of
``--shard-seeds`` seeds, one results file per shard in ``DIR``; shards already there are
skipped. ``--shard I/N`` runs only every N-th shard from I (one task of an N-task job array,
e.g. ``--shard $SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT``). When every shard is present it
prints the merged success table (``--json``: the merged cells, with weights).
"""

from __future__ import annotations


from radiuscnn.commands._output import console, print_json
from radiuscnn.commands._paths import path_arg
from radiuscnn.theory.config import ConfigError


def register(sub) -> None:
    from radiuscnn.cli import add_config_flags, add_train_flags

    p = sub.add_parser(
        "sweep",
        help="train a grid of configurations in resumable shards (one results file per shard)",
        description="Train every (kernel, width, activation) cell of a grid, seeds cut into shards; "
        "existing shard files are skipped, so a sweep resumes and can run as a job array.",
    )
    add_config_flags(p)
    add_train_flags(p, seeds=16)
    g = p.add_argument_group("grid and shards")
    g.add_argument("--kernels", help="comma list of kernel sizes (default: --kernel)")
    g.add_argument("--widths", help="comma list of channel counts (default: --channels)")
    g.add_argument("--activations", help="comma list of activations (default: --activation)")
    g.add_argument("--out", type=path_arg, required=True, help="folder of the shard files")
    g.add_argument("--shard-seeds", type=int, default=16, help="seeds per shard (default 16)")
    g.add_argument("--jobs", type=int, default=1, help="worker processes (joblib if installed; default 1)")
    g.add_argument("--shard", help="I/N: run only every N-th shard from I (0 <= I < N)")
    g.add_argument("--json", action="store_true", help="print the merged cells as JSON")
    p.set_defaults(run=run)


def _list(text: str | None, default, flag: str, convert=str) -> tuple:
    if text is None:
        return (default,)
    try:
        values = tuple(convert(x.strip()) for x in text.split(",") if x.strip())
    except ValueError:
        raise ConfigError(f"{flag}: expected a comma list, got {text!r}") from None
    if not values:
        raise ConfigError(f"{flag}: expected a comma list, got {text!r}")
    return values


def _select(text: str | None) -> tuple[int, int] | None:
    if text is None:
        return None
    try:
        i, n = (int(x) for x in text.split("/"))
    except ValueError:
        raise ConfigError(f"--shard: expected I/N with 0 <= I < N, got {text!r}") from None
    return i, n


def grid(args):
    """The cells ``(cfg, tcfg)`` the flags describe."""
    from radiuscnn.cli import config_from_args, train_config_from_args

    base, tcfg = config_from_args(args), train_config_from_args(args)
    cells = []
    for act in _list(args.activations, base.activation, "--activations"):
        for k in _list(args.kernels, base.kernel, "--kernels", int):
            for C in _list(args.widths, base.channels, "--widths", int):
                cells.append((base.with_(kernel=k, channels=C, activation=act), tcfg))
    return cells


def run(args) -> int:
    from radiuscnn.commands._paths import check_output_dir
    from radiuscnn.verify import sweep

    from radiuscnn.commands._limits import check_amplitudes_representable, check_training_size

    # validate everything before creating anything (the folder included)
    args.out = check_output_dir(args.out, "--out")
    cells = grid(args)
    for cfg, tcfg in cells:
        check_amplitudes_representable(cfg, tcfg.dtype)
        check_training_size(cfg, tcfg)
    select = _select(args.shard)
    sweep.pending(cells, args.out, args.shard_seeds, select)  # raises on a bad --shard or --shard-seeds
    trained = sweep.run(cells, args.out, args.shard_seeds, args.jobs, select)
    left = sweep.pending(cells, args.out, args.shard_seeds)
    if left:
        total = len(sweep.shards(cells, args.shard_seeds))
        if args.json:
            print_json({"pending": len(left), "trained": trained, "shards": total, "out": str(args.out)})
        else:
            console().print(f"trained {trained} shard(s); {len(left)} of {total} still to run in {args.out}")
        return 0
    merged = sweep.merge(cells, args.out, args.shard_seeds)
    if args.json:
        print_json(merged)
        return 0
    from rich.table import Table

    table = Table(title=f"sweep in {args.out} ({trained} shard(s) trained now)")
    for name in ("sigma", "k", "C", "successes"):
        table.add_column(name)
    for cell in merged:
        c = cell["config"]
        table.add_row(str(c["activation"]), str(c["kernel"]), str(c["channels"]),
                      f"{cell['successes']}/{len(cell['success'])}")
    console().print(table)
    return 0
