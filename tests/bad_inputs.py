"""The catalogue of bad inputs (issue 16): every entry must give a non-zero exit, one clear
line naming what is wrong, no traceback, and no work (training, sweeps, the report pipeline).

An entry is ``(argv, expected text in the error line, exit code)``. ``{file}`` is an existing
regular file, ``{dir}`` an existing directory, ``{run}`` a valid trained run directory
(see ``tests/test_bad_inputs.py``). :func:`catalogue` also takes in the older lists
``test_cli.BAD_FLAGS`` and ``test_explore_cli.BAD``; besides command lines, the suite tries
the checkpoint corruptions of ``test_checkpoint``, the wrong Python types of
``test_robust_cli`` and random flag strings (``test_property_cli``).
"""

from __future__ import annotations

CONFIG_FLAGS = [  # configuration flags, bad for every command
    (["--size", "32"], "--size"),
    (["--size", "1"], "--size"),
    (["--size", "-5"], "--size"),
    (["--size", "x"], "--size"),
    (["--size", "10001"], "--size"),
    (["--kernel", "0"], "--kernel"),
    (["--kernel", "2001"], "--kernel"),
    (["--kernel", "5.5"], "--kernel"),
    (["--kernel", "40", "--padding", "valid"], "--kernel"),  # explore: an invalid row, not an error
    (["--size", "1025", "--kernel", "65"], "--kernel"),
    (["--channels", "0"], "--channels"),
    (["--channels", "1000"], "--channels"),
    (["--radii", "0:17"], "--radii"),
    (["--radii", "5:2"], "--radii"),
    (["--radii", ""], "--radii"),
    (["--radii", "1:2:3"], "--radii"),
    (["--amplitude", "0"], "--amplitude"),
    (["--amplitude", "2:1"], "--amplitude"),
    (["--amplitude", "1:2:3"], "--amplitude"),
    (["--amplitude", ""], "--amplitude"),
    (["--amplitude", "1/0"], "--amplitude"),
    (["--amplitude", "-inf"], "--amplitude"),
    (["--alpha", "0"], "--alpha"),
    (["--alpha", "1"], "--alpha"),
    (["--alpha", "x"], "--alpha"),
    (["--alpha", "-0.5"], "--alpha"),  # a negative-looking value reaches its own check
    (["--radii", "-1:6"], "radius -1"),
    (["--amplitude", "-1:2"], "--amplitude"),
    (["--activation", "ReLU"], "--activation"),
    (["--padding", "SAME"], "--padding"),
    (["--head", ""], "--head"),
    (["--dim", "0"], "--dim"),
    (["--dim", "2", "--size", "257"], "--size"),
    (["--bogus"], "unrecognized"),
]

TRAIN_FLAGS = [  # trainer flags (train, explore kernel with training, report)
    (["--threads", "0"], "--threads"),
    (["--threads", "-2"], "--threads"),
    (["--threads", "two"], "--threads"),
    (["--seeds", "-1"], "--seeds"),
    (["--seeds", "100000"], "--seeds"),
    (["--seed", "-1"], "--seed"),
    (["--steps", "1.5"], "--steps"),
    (["--lr", "inf"], "--lr"),
    (["--optimizer", "sgd"], "--optimizer"),
    (["--dtype", "float16"], "--dtype"),
    (["--amplitudes", "-3"], "--amplitudes"),
    (["--amplitude", "1e-50"], "--amplitude"),
    (["--amplitude", "1e39"], "--amplitude"),
    (["--amplitude", "1E400"], "--amplitude"),  # beyond float64 itself (found by hypothesis)
    (["--amplitude", "1E-400:1"], "--amplitude"),
    (["--amplitude", "1:1.00000001"], "--amplitude"),
    (["--dim", "2", "--size", "129"], "--seeds"),
    (["--amplitudes", "1"], "an amplitude interval needs --amplitudes >= 2"),  # endpoints included
]

OUT_DIR = [
    (["--threads", "2"], "--threads"),  # report only: its numbers are produced on one thread  # --out of train and report
    (["--out", ""], "--out"),
    (["--out", "{file}"], "--out"),
    (["--out", "{file}/sub"], "--out"),
    (["--out", "/proc/radiuscnn-out"], "--out"),  # os.access says yes as root; the probe says no
]

TRAIN_ONLY = [  # train: an --out that already holds a run needs --overwrite
    (["--out", "{run}"], "already holds a run"),
]

EXPLORE = [
    (["--kernels", "3", "--kernel", "5"], "--kernel"),
    (["--paddings", "zeros", "--padding", "valid"], "--padding"),
    (["--kernels", "65", "--size", "1025"], "--kernel"),
    (["--kernels", "0:3"], "--kernels"),
    (["--kernels", "1:500"], "--kernels"),
    (["--kernels", "a"], "--kernels"),
    (["--paddings", "reflect"], "--paddings"),
    (["--paddings", ""], "--paddings"),
    (["--jobs", "0"], "--jobs"),
    (["--jobs", "1000"], "--jobs"),
    (["--csv", ""], "--csv"),
    (["--csv", "{dir}"], "--csv"),
    (["--csv", "{file}/rows.csv"], "--csv"),
    (["--csv", "/proc/rows.csv"], "--csv"),
    (["--plot", "rows.txt"], "--plot"),
    (["--plot", "{dir}"], "--plot"),
    (["--plot", "{file}/plot.pdf"], "--plot"),
]

SWEEP = [  # radiuscnn sweep: the output directory and the grid lists
    (["--out", "{file}"], "--out"),
    (["--out", ""], "--out"),
    (["--out", "{file}/sub"], "--out"),
    (["--out", "/proc/radiuscnn-sweep"], "--out"),
    (["--out", "{dir}/sw", "--shard", "3/2"], "--shard"),
    (["--out", "{dir}/sw", "--amplitudes", "1"], "an amplitude interval needs --amplitudes >= 2"),
]

CHECK = [  # (argv, text, exit code): 1 for a run that cannot be used, 2 for argparse
    (["check"], "RUN_DIR", 2),
    (["check", "{dir}/nowhere"], "missing", 1),
    (["check", "{file}"], "is a file, not a run directory", 1),
    (["check", "{dir}"], "run.json", 1),
    (["check", "{run}", "--network", "-1"], "--network", 1),
    (["check", "{run}", "--network", "99"], "--network", 1),
    (["check", "{run}", "--network", "x"], "--network", 2),
    (["check", "{run}", "--fail-on", "everything"], "--fail-on", 2),
    (["check", "{run}", "--kernel", "9", "--activation", "tanh"], "read from the run", 2),
    (["check", "{run}", "--amplitudes", "3"], "read from the run", 2),
    (["check", "{run}", "--dim", "2"], "read from the run", 2),
    (["check", "{run}", "--details", "--network", "0"], "not allowed with", 2),
]

OTHER = [
    ([], "command"),
    (["explore"], "exploration"),
    (["fly"], "invalid choice"),
    (["derive", "--json", "--latex"], "not allowed"),
    (["derive", "--dim"], "--dim"),
]


def catalogue() -> list[tuple[list[str], str, int]]:
    """Every distinct bad command line, with the text its error line must contain."""
    out = []
    for flags, text in CONFIG_FLAGS:
        out += [(["derive", *flags], text, 2), (["train", "--steps", "1", "--out", "{dir}/t", *flags], text, 2)]
        if "--padding" not in flags:
            out.append((["explore", "kernel", "--no-train", *flags], text, 2))
    for flags, text in TRAIN_FLAGS:
        out += [(["train", "--steps", "1", "--out", "{dir}/t", *flags], text, 2),
                (["report", "--tex-only", "--out", "{dir}/r", *flags], text, 2)]
        if "--dim" not in flags:  # a 2D explore row is derived only, so training flags do not apply
            out.append((["explore", "kernel", "--kernels", "3", "--steps", "1", *flags], text, 2))
    for flags, text in OUT_DIR:
        if "--threads" not in flags:
            out.append((["train", "--steps", "1", *flags], text, 2))
        out.append((["report", "--tex-only", *flags], text, 2))
    out += [(["train", "--steps", "1", *flags], text, 2) for flags, text in TRAIN_ONLY]
    out += [(["explore", "kernel", "--no-train", *flags], text, 2) for flags, text in EXPLORE]
    out += [(["sweep", "--kernels", "3", "--widths", "1", "--activations", "relu", *flags], text, 2) for flags, text in SWEEP]
    out += CHECK
    out += [(argv, text, 2) for argv, text in OTHER]
    out += _from_other_modules()
    seen, unique = set(), []
    for argv, text, code in out:
        key = tuple(argv)
        if key not in seen:
            seen.add(key)
            unique.append((argv, text, code))
    return unique


def _from_other_modules() -> list[tuple[list[str], str, int]]:
    """The older lists (``test_cli.BAD_FLAGS`` for train and derive, ``test_explore_cli.BAD``),
    so that one catalogue counts every distinct bad command line."""
    from test_cli import BAD_FLAGS
    from test_explore_cli import BAD

    out = [(["train", "--steps", "1", "--seeds", "1", "--out", "{dir}/t", *flags], text, 2) for flags, text in BAD_FLAGS]
    out += [(["derive", *flags], text, 2) for flags, text in BAD_FLAGS
            if not any(f in flags for f in ("--seeds", "--steps", "--lr", "--amplitudes"))]
    out += [(["explore", "kernel", "--no-train", *flags], text, 2) for flags, text in BAD]
    return out
