"""The ``radiuscnn`` command line: derive, train, check, explore, report.

Every command shares the configuration flags of theory/THEORY.md section 3 (defaults: section 6);
training commands add the trainer flags. Invalid input never prints a traceback: argparse
errors and :class:`~theory.config.ConfigError` become one line on stderr and exit code 2.
"""

from __future__ import annotations

import argparse
import os
import sys

from radiuscnn.theory.config import ACTIVATIONS, HEADS, PADDINGS, Config, ConfigError, default_config
from radiuscnn.theory.config import parse_amplitude, parse_radii

EXIT_USAGE = 2


class OneLineParser(argparse.ArgumentParser):
    """argparse, but a usage error is a single line naming the flag (no usage dump)."""

    def error(self, message: str) -> None:  # noqa: D401 - argparse API
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def add_config_flags(p: argparse.ArgumentParser) -> None:
    """The shared configuration flags; ``None`` means "the default for --dim"."""
    g = p.add_argument_group("configuration (defaults: theory/THEORY.md section 6)")
    g.add_argument("--dim", type=int, choices=(1, 2), default=1, help="1: pulses, 2: disks (default 1)")
    g.add_argument("--size", type=int, help="N = 2M+1, odd, >= 3 (default 33)")
    g.add_argument("--kernel", type=int, help="kernel size k >= 1 (default 5 in 1D, 3 in 2D)")
    g.add_argument("--channels", type=int, help="channels C >= 1 (default 2)")
    g.add_argument("--activation", choices=ACTIVATIONS, help="activation sigma (default relu)")
    g.add_argument("--alpha", help="leaky_relu slope, 0 < alpha < 1 (default 1/10)")
    g.add_argument("--padding", choices=(*PADDINGS, "same"), metavar="{" + ",".join(PADDINGS) + "}",
                   help="zeros (alias: same, as PyTorch calls it), valid, circular (default zeros)")
    g.add_argument("--head", choices=HEADS, help="gap (mean, then linear) or fc (default gap)")
    g.add_argument("--radii", help="radius set LO:HI inclusive (default 0:14 in 1D, 1:12 in 2D)")
    g.add_argument("--amplitude", help="fixed amplitude A or interval LO:HI (default 0.5:1.5)")


def add_train_flags(p: argparse.ArgumentParser, seeds: int | None = None) -> None:
    """The trainer flags; defaults are :class:`numeric.ensemble.TrainConfig`'s own."""
    from dataclasses import fields

    from radiuscnn.numeric.train_config import TrainConfig

    default = {f.name: f.default for f in fields(TrainConfig)}
    seeds = default["seeds"] if seeds is None else seeds
    g = p.add_argument_group("training")
    g.add_argument("--seeds", type=int, default=seeds, help=f"networks trained at once, E >= 1 (default {seeds})")
    g.add_argument("--steps", type=int, default=None, help=f"optimiser steps >= 0 (default {default['steps']})")
    g.add_argument("--lr", type=float, default=None, help=f"learning rate > 0 (default {default['lr']})")
    g.add_argument("--optimizer", choices=("adam", "gd"), default=default["optimizer"],
                   help="adam, or gd = plain gradient descent (default adam)")
    g.add_argument("--seed", type=int, default=default["seed"], help="base seed; member e uses seed+e (default 0)")
    g.add_argument("--dtype", choices=("float32", "float64"), default=default["dtype"],
                   help=f"(default {default['dtype']})")
    g.add_argument("--amplitudes", type=int, default=None,
                   help="training amplitudes: an evenly spaced grid of this many points over the "
                   f"interval, endpoints included (default {default['amplitudes']})")
    g.add_argument("--threads", type=int, default=1,
                   help="torch threads (default 1: the tensors are tiny, so more threads only add "
                   "synchronisation; measured several times slower on a loaded 2-core machine)")


def config_from_args(args: argparse.Namespace) -> Config:
    """The validated :class:`Config` the flags describe (raises ConfigError)."""
    base = default_config(args.dim)
    changes = {}
    for name in ("size", "kernel", "channels", "activation", "padding", "head"):
        value = getattr(args, name, None)
        if value is not None:
            changes[name] = value
    if changes.get("padding") == "same":
        changes["padding"] = "zeros"
    if getattr(args, "alpha", None) is not None:
        changes["alpha"] = args.alpha
    if getattr(args, "radii", None) is not None:
        changes["radii"] = parse_radii(args.radii)
    if getattr(args, "amplitude", None) is not None:
        changes["amplitude"] = parse_amplitude(args.amplitude)
    return base.with_(**changes)


def train_config_from_args(args: argparse.Namespace):
    """The validated trainer configuration the flags describe (raises ConfigError)."""
    from radiuscnn.numeric.train_config import TrainConfig

    changes = {"seeds": args.seeds, "optimizer": args.optimizer, "seed": args.seed, "dtype": args.dtype}
    for name in ("steps", "lr", "amplitudes"):
        if getattr(args, name) is not None:
            changes[name] = getattr(args, name)
    threads = getattr(args, "threads", 1)
    if isinstance(threads, bool) or not isinstance(threads, int) or threads < 1:
        raise ConfigError(f"--threads: expected an integer >= 1, got {threads}")
    tcfg = TrainConfig(**changes)
    return tcfg


def build_parser() -> argparse.ArgumentParser:
    from radiuscnn.commands import check, derive, explore, report, sweep, train

    parser = OneLineParser(
        prog="radiuscnn",
        description="Derive, train, check and report on small CNNs that estimate the radius "
        "of a centred pulse (1D) or disk (2D). The theory and the claim IDs are stated in "
        "theory/THEORY.md in the source repository; python -m radiuscnn.verify.registry lists the claims.",
    )
    sub = parser.add_subparsers(dest="command", parser_class=OneLineParser)
    for module in (derive, train, check, explore, report, sweep):
        module.register(sub)
    return parser


class Terminated(KeyboardInterrupt):
    """SIGTERM, handled like Ctrl-C (workers stopped, partial results kept), exit 143."""


def _on_sigterm(signum, frame):
    raise Terminated


INTERRUPTED = (130, 143)


def entry() -> None:
    """The console script and ``python -m radiuscnn``: :func:`main`, then exit with its status.
    An interrupted run exits at once (streams flushed) with 130 or 143: the interpreter's own
    shutdown after a caught interrupt could otherwise end the process by the signal instead."""
    code = main()
    if code in INTERRUPTED:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (OSError, ValueError):
                pass
        os._exit(code)
    sys.exit(code)


def main(argv: list[str] | None = None) -> int:
    """The ``radiuscnn`` command: exit status 0 done, 1 failed, 2 bad input, 130/143 interrupted."""
    try:
        return _main(argv)
    except KeyboardInterrupt as interrupt:  # escaped the handler below (e.g. a signal during its clean-up)
        return 143 if isinstance(interrupt, Terminated) else 130


NEGATIVE_OK = ("--radii", "--amplitude", "--alpha")  # flags whose value may look like an option


def join_negative_values(argv: list[str]) -> list[str]:
    """``--radii -1:6`` -> ``--radii=-1:6``: argparse takes a value starting with ``-`` for an
    option ("expected one argument"); joined, the value reaches its own check and message."""
    out, i = [], 0
    while i < len(argv):
        if argv[i] in NEGATIVE_OK and i + 1 < len(argv) and argv[i + 1].startswith("-") \
                and not argv[i + 1].startswith("--"):
            out.append(f"{argv[i]}={argv[i + 1]}")
            i += 2
        else:
            out.append(argv[i])
            i += 1
    return out


def _main(argv: list[str] | None) -> int:
    import signal
    import threading

    parser = build_parser()
    args = parser.parse_args(join_negative_values(list(sys.argv[1:] if argv is None else argv)))
    if getattr(args, "run", None) is None:  # bare `radiuscnn` or `radiuscnn explore`
        (getattr(args, "parser", None) or parser).print_usage(sys.stderr)
        print(f"{parser.prog}: error: a command is required (see --help)", file=sys.stderr)
        return EXIT_USAGE
    sigint = None
    if threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGTERM, _on_sigterm)
    else:
        previous = None
    try:
        return int(args.run(args) or 0)
    except ConfigError as error:
        print(f"radiuscnn: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt as interrupt:
        if previous is not None:  # a second Ctrl-C must not break the clean-up message
            sigint = signal.signal(signal.SIGINT, signal.SIG_IGN)
        name = getattr(args, "command", None) or "radiuscnn"
        detail = getattr(interrupt, "detail", None) or "stopped"
        # a detail that already says "interrupted ..." is not prefixed a second time
        line = detail if detail.startswith("interrupted") else f"interrupted; {detail}"
        print(f"radiuscnn {name}: {line}", file=sys.stderr)
        terminated = isinstance(interrupt, Terminated) or getattr(interrupt, "terminated", False)
        return 143 if terminated else 130
    except BrokenPipeError:
        # the reader closed the pipe (e.g. `| head`): stop quietly, as Unix tools do
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except OSError as error:  # e.g. the output place vanished or filled up while working
        name = getattr(args, "command", None) or "radiuscnn"
        where = f": {error.filename}" if getattr(error, "filename", None) else ""
        print(f"radiuscnn {name}: error: {error.strerror or error}{where}", file=sys.stderr)
        return 1
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
        if sigint is not None:
            signal.signal(signal.SIGINT, sigint)


if __name__ == "__main__":
    entry()
