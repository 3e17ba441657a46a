"""Property tests (hypothesis), issue 16: random valid small configurations never crash
``derive``; random invalid flag strings never produce a traceback (``main`` in-process, stderr
captured). Kept fast: small N, bounded examples, no deadline (SymPy timing varies)."""

from __future__ import annotations

import contextlib
import io
import json
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from radiuscnn.cli import main
from radiuscnn.theory.config import ACTIVATIONS, HEADS, PADDINGS, Config, ConfigError

pytestmark = pytest.mark.filterwarnings("ignore")


def run_main(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(argv)
        except SystemExit as exit_:
            code = exit_.code
    return code, out.getvalue(), err.getvalue()


@st.composite
def small_configs(draw) -> list[str]:
    """Flags of a valid 1D configuration with N <= 13 (every flag drawn independently)."""
    size = draw(st.sampled_from([3, 5, 7, 9, 11, 13]))
    padding = draw(st.sampled_from((*PADDINGS, "same")))
    kernel = draw(st.integers(1, size if padding == "valid" else size + 2))
    m = (size - 1) // 2
    lo = draw(st.integers(0, m))
    hi = draw(st.integers(lo, m))
    a_lo = draw(st.fractions(min_value=Fraction(1, 4), max_value=2, max_denominator=8))
    a_hi = draw(st.one_of(st.just(a_lo), st.fractions(min_value=a_lo, max_value=3, max_denominator=8)))
    return ["--size", str(size), "--kernel", str(kernel), "--padding", padding,
            "--channels", str(draw(st.integers(1, 3))),
            "--activation", draw(st.sampled_from(ACTIVATIONS)), "--head", draw(st.sampled_from(HEADS)),
            "--radii", f"{lo}:{hi}", "--amplitude", f"{a_lo}:{a_hi}",
            "--alpha", str(draw(st.fractions(min_value=Fraction(1, 20), max_value=Fraction(9, 10), max_denominator=20)))]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_configs())
def test_random_valid_configurations_never_crash_derive(flags):
    code, out, err = run_main(["derive", "--json", *flags])
    assert code == 0, err
    data = json.loads(out)
    assert "Traceback" not in err and "not_applicable" in data
    code, out, err = run_main(["derive", *flags])
    assert code == 0 and "Traceback" not in err


FLAGS = ["--size", "--kernel", "--channels", "--activation", "--alpha", "--padding", "--head", "--radii",
         "--amplitude", "--dim", "--json", "--latex"]
JUNK = st.one_of(st.text(max_size=8), st.integers(-10**6, 10**6).map(str),
                 st.floats(allow_nan=True, allow_infinity=True).map(str),
                 st.sampled_from(["nan", "inf", "-0", "1e400", "1/0", "0:0", "::", ":", "1:", "1e-400", "\x00", "´"]))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(FLAGS), JUNK), min_size=1, max_size=4))
def test_random_flag_strings_never_produce_a_traceback(pairs):
    argv = ["derive"]
    for flag, value in pairs:
        argv += [flag] if flag in ("--json", "--latex") else [flag, value]
    # keep the valid ones cheap: a random string that happens to be valid must not run for long
    try:
        code, out, err = run_main([*argv, "--size", "9", "--radii", "0:2"] if "--size" not in argv else argv)
    except (ConfigError, ValueError, TypeError) as error:  # noqa: PERF203 - must never escape main
        pytest.fail(f"{argv}: escaped main: {error!r}")
    assert "Traceback" not in err
    if code != 0:
        lines = [ln for ln in err.splitlines() if ln.strip()]
        assert len(lines) == 1 and "error" in lines[0], (argv, err)


@settings(max_examples=30, deadline=None)
@given(st.dictionaries(st.sampled_from(["dim", "size", "kernel", "channels", "activation", "padding", "head",
                                        "radii", "amplitude", "alpha"]),
                       st.one_of(st.none(), st.booleans(), st.integers(-5, 50), st.floats(), st.text(max_size=4),
                                 st.lists(st.integers(-3, 20), max_size=3), st.tuples(st.floats(), st.floats())),
                       max_size=3))
def test_config_raises_only_config_error(kwargs):
    """``Config(kernel="5")`` raised TypeError; any wrong value is a ConfigError now."""
    try:
        Config(**kwargs)
    except ConfigError as error:
        assert "\n" not in str(error)


class Reached(Exception):
    """A random command line that happened to be valid reached the work (allowed, not run)."""


@contextlib.contextmanager
def no_work():
    from unittest import mock

    def stop(*args, **kwargs):
        raise Reached

    with mock.patch("radiuscnn.numeric.ensemble.train", stop), \
            mock.patch("radiuscnn.commands.explore.explore_kernels", stop), \
            mock.patch("radiuscnn.reports.build.build_report", stop):
        yield


COMMANDS = {
    "train": [*FLAGS[:10], "--seeds", "--steps", "--lr", "--optimizer", "--seed", "--dtype", "--amplitudes",
              "--threads", "--out", "--json"],
    "explore kernel": [*FLAGS[:10], "--kernels", "--paddings", "--jobs", "--csv", "--plot", "--train",
                       "--no-train", "--seeds", "--threads"],
    "report": [*FLAGS[:10], "--out", "--seeds", "--steps", "--threads", "--tex-only"],
    "check": ["--network", "--fail-on", "--details", "--json"],
}
SWITCHES = {"--json", "--latex", "--train", "--no-train", "--tex-only", "--details"}


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(sorted(COMMANDS)).flatmap(
    lambda command: st.tuples(st.just(command),
                              st.lists(st.tuples(st.sampled_from(COMMANDS[command]), JUNK), min_size=1, max_size=4))))
def test_random_flags_of_every_command_never_produce_a_traceback(drawn):
    command, pairs = drawn
    argv = command.split() + (["/nonexistent-run"] if command == "check" else [])
    for flag, value in pairs:
        argv += [flag] if flag in SWITCHES else [flag, value]
    with no_work():
        try:
            code, out, err = run_main(argv)
        except Reached:
            return
    assert "Traceback" not in err, argv
    assert code != 0, argv  # every value is junk or the run is missing
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1 and "error" in lines[0], (argv, err)
