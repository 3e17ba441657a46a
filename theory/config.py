"""The configuration of one problem instance and one architecture (THEORY.md sections 1, 2, 9).

A :class:`Config` fixes the data (size ``N = 2M+1``, radius set ``R``, amplitude interval
``A = [a_min, a_max]``) and the architecture ``conv(1->C, k, bias) -> sigma -> head``.
It is validated when built, so an invalid configuration cannot exist: every problem raises
:class:`ConfigError` whose message names the command-line flag and the allowed values.

Conventions (PyTorch, THEORY.md section 2): cross-correlation; ``padding='same'`` pads
``h_l = (k-1)//2`` on the left and ``h_r = k-1-h_l`` on the right, so output position ``i``
sees input positions ``i + t`` for window offsets ``t in [-h_l, h_r]``.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import asdict, dataclass, replace
from fractions import Fraction

from radiuscnn.theory.activation_registry import ACTIVATIONS  # the registry's names

PADDINGS = ("zeros", "valid", "circular")
PADDING_ALIASES = {"same": "zeros"}  # PyTorch's name for the zeros padding used here
HEADS = ("gap", "fc")

# Sizes the exact engine handles in reasonable time and memory: beyond them `derive` runs for
# minutes and can exhaust memory. Measured with `radiuscnn derive --json` on a loaded 2-core
# machine (one thread): N = 2049 / 4097 took 7 / 23 s; k = 129 / 257 (N = 33) 16 / 52 s, and
# k = 2001 used 11.8 GB; C = 32 / 64 took 18 / 32 s and C = 256 did not finish in 120 s;
# N = k = 129 took 48 s; in 2D N = 65 / 129 took 5 / 15 s.
MAX_SIZE = 4097
MAX_SIZE_2D = 129
MAX_KERNEL = 129
MAX_CHANNELS = 64
MAX_WINDOW_WORK = 129 * 129  # N * k: every window of every position is enumerated
LIMIT_REASON = ("the exact engine enumerates every window of every radius, so time and memory "
                "grow with N and k (and C for the widths); beyond this it runs for minutes and can exhaust memory")


class ConfigError(ValueError):
    """An invalid configuration; the message is one line naming the offending flag."""


def _fraction(text: str | int | float | Fraction, flag: str) -> Fraction:
    """Parse an exact rational ('0.5', '1/2', 3); reject NaN, infinities and garbage."""
    if isinstance(text, float) and not math.isfinite(text):
        raise ConfigError(f"{flag}: expected a finite number, got {text}")
    try:
        return Fraction(str(text).strip()) if not isinstance(text, Fraction) else text
    except (ValueError, ZeroDivisionError):
        raise ConfigError(f"{flag}: expected a finite number, got {text!r}") from None


def parse_radii(text: str) -> tuple[int, ...]:
    """``'LO:HI'`` (inclusive) or a single integer ``'R'`` -> the tuple of radii."""
    parts = str(text).split(":")
    try:
        values = [int(p) for p in parts]
    except ValueError:
        raise ConfigError(f"--radii: expected LO:HI with integers (inclusive), got {text!r}") from None
    if len(values) == 1:
        values = values * 2
    if len(values) != 2:
        raise ConfigError(f"--radii: expected LO:HI with integers (inclusive), got {text!r}")
    lo, hi = values
    if lo > hi:
        raise ConfigError(f"--radii: empty range {lo}:{hi} (need LO <= HI)")
    return tuple(range(lo, hi + 1))


def parse_amplitude(text: str) -> tuple[Fraction, Fraction]:
    """``'A'`` (fixed amplitude) or ``'LO:HI'`` (interval) -> ``(a_min, a_max)`` as rationals."""
    parts = str(text).split(":")
    if len(parts) not in (1, 2):
        raise ConfigError(f"--amplitude: expected A or LO:HI with 0 < LO <= HI, got {text!r}")
    values = [_fraction(p, "--amplitude") for p in parts]
    return (values[0], values[-1])


@dataclass(frozen=True)
class Config:
    """One problem and one architecture; see the module docstring for conventions.

    ``radii`` is the radius set ``R`` (sorted, distinct); ``amplitude = (a_min, a_max)``
    with ``a_min == a_max`` meaning a fixed amplitude. ``alpha`` is the leaky-ReLU slope.
    """

    dim: int = 1
    size: int = 33
    kernel: int = 5
    channels: int = 2
    activation: str = "relu"
    padding: str = "zeros"
    head: str = "gap"
    radii: tuple[int, ...] = tuple(range(0, 15))
    amplitude: tuple[Fraction, Fraction] = (Fraction(1, 2), Fraction(3, 2))
    alpha: Fraction = Fraction(1, 10)

    def __post_init__(self) -> None:
        _check_types(self)
        object.__setattr__(self, "padding", PADDING_ALIASES.get(self.padding, self.padding))
        object.__setattr__(self, "radii", tuple(sorted(set(int(r) for r in self.radii))))
        object.__setattr__(
            self, "amplitude", tuple(_fraction(a, "--amplitude") for a in self.amplitude)
        )
        object.__setattr__(self, "alpha", _fraction(self.alpha, "--alpha"))
        _validate(self)

    # --- derived sizes -------------------------------------------------------------------
    @property
    def N(self) -> int:  # noqa: N802 - the paper's notation
        return self.size

    @property
    def M(self) -> int:  # noqa: N802
        return (self.size - 1) // 2

    @property
    def h_l(self) -> int:
        return (self.kernel - 1) // 2

    @property
    def h_r(self) -> int:
        return self.kernel - 1 - self.h_l

    @property
    def offsets(self) -> tuple[int, ...]:
        """Window offsets ``t = -h_l .. h_r`` (one per filter tap, in filter order)."""
        return tuple(range(-self.h_l, self.h_r + 1))

    @property
    def positions(self) -> tuple[int, ...]:
        """Output positions ``I`` along one axis, in centred coordinates."""
        if self.padding == "valid":
            return tuple(range(-self.M + self.h_l, self.M - self.h_r + 1))
        return tuple(range(-self.M, self.M + 1))

    @property
    def out_size(self) -> int:
        """``|I|`` along one axis: ``N`` for zeros/circular, ``N-k+1`` for valid."""
        return len(self.positions)

    @property
    def n_outputs(self) -> int:
        """Number of output positions per channel (``|I|`` in 1D, ``|I|^2`` in 2D)."""
        return self.out_size**self.dim

    @property
    def a_min(self) -> Fraction:
        return self.amplitude[0]

    @property
    def a_max(self) -> Fraction:
        return self.amplitude[1]

    @property
    def fixed_amplitude(self) -> bool:
        return self.a_min == self.a_max

    def with_(self, **changes) -> "Config":
        """A copy with some fields changed (validated again)."""
        return replace(self, **changes)

    def to_json(self) -> dict:
        """Plain JSON data; rationals as strings so nothing is rounded."""
        d = asdict(self)
        d["radii"] = list(self.radii)
        d["amplitude"] = [str(a) for a in self.amplitude]
        d["alpha"] = str(self.alpha)
        return d

    @classmethod
    def from_json(cls, data: dict) -> "Config":
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        if "radii" in known:
            known["radii"] = tuple(known["radii"])
        if "amplitude" in known:
            known["amplitude"] = tuple(known["amplitude"])
        return cls(**known)


def default_config(dim: int = 1) -> Config:
    """The embedded default of THEORY.md section 9 for ``dim`` 1 or 2."""
    if dim == 2:
        return Config(dim=2, size=33, kernel=3, channels=2, radii=tuple(range(1, 13)))
    if dim != 1:
        raise ConfigError(f"--dim: expected 1 or 2, got {dim}")
    return Config()


def _is_int(x) -> bool:
    return isinstance(x, numbers.Integral) and not isinstance(x, bool)


def _check_types(c: Config) -> None:
    """Wrong Python types are a :class:`ConfigError` too (``Config(kernel="5")``), not TypeError."""
    for name in ("dim", "size", "kernel", "channels"):
        value = getattr(c, name)
        if not _is_int(value):
            raise ConfigError(f"--{name}: expected an integer, got {value!r} ({type(value).__name__})")
    for name in ("activation", "padding", "head"):
        value = getattr(c, name)
        if not isinstance(value, str):
            raise ConfigError(f"--{name}: expected a name, got {value!r} ({type(value).__name__})")
    radii = c.radii
    if isinstance(radii, (str, bytes)) or not hasattr(radii, "__iter__") or not all(_is_int(r) for r in radii):
        raise ConfigError(f"--radii: expected a sequence of integers, got {radii!r}")
    amp = c.amplitude
    if isinstance(amp, (str, bytes)) or not hasattr(amp, "__len__") or len(amp) != 2:
        raise ConfigError(f"--amplitude: expected a pair (a_min, a_max) (equal for a fixed amplitude), got {amp!r}")
    for value in (*amp, c.alpha):
        if isinstance(value, bool) or not isinstance(value, (int, float, str, Fraction)):
            flag = "--alpha" if value is c.alpha else "--amplitude"
            raise ConfigError(f"{flag}: expected a number, got {value!r} ({type(value).__name__})")


def _check_limits(c: Config) -> None:
    """Refuse sizes beyond the engine's reach (module constants; the message says why)."""
    size_limit = MAX_SIZE if c.dim == 1 else MAX_SIZE_2D
    for name, value, limit in (("size", c.size, size_limit), ("kernel", c.kernel, MAX_KERNEL),
                               ("channels", c.channels, MAX_CHANNELS)):
        if value > limit:
            where = f" in {c.dim}D" if name == "size" else ""
            raise ConfigError(f"--{name}: {value} exceeds the limit {limit}{where}: {LIMIT_REASON}")
    if c.size * c.kernel > MAX_WINDOW_WORK:
        raise ConfigError(f"--kernel: N * k = {c.size} * {c.kernel} exceeds the limit {MAX_WINDOW_WORK}: "
                          f"{LIMIT_REASON}")


def _validate(c: Config) -> None:
    """Raise :class:`ConfigError` naming the flag for the first invalid field."""
    if c.dim not in (1, 2):
        raise ConfigError(f"--dim: expected 1 or 2, got {c.dim}")
    if c.size < 3 or c.size % 2 == 0:
        raise ConfigError(f"--size: N must be odd and >= 3 (N = 2M+1), got {c.size}")
    if c.kernel < 1:
        raise ConfigError(f"--kernel: k must be >= 1, got {c.kernel}")
    if c.channels < 1:
        raise ConfigError(f"--channels: C must be >= 1, got {c.channels}")
    if c.activation not in ACTIVATIONS:
        raise ConfigError(f"--activation: expected one of {', '.join(ACTIVATIONS)}, got {c.activation!r}")
    if c.padding not in PADDINGS:
        raise ConfigError(f"--padding: expected one of {', '.join(PADDINGS)}, got {c.padding!r}")
    if c.head not in HEADS:
        raise ConfigError(f"--head: expected one of {', '.join(HEADS)}, got {c.head!r}")
    _check_limits(c)
    if c.padding == "valid" and c.kernel > c.size:
        raise ConfigError(
            f"--kernel: k = {c.kernel} is larger than N = {c.size}; with --padding valid k must be <= N"
        )
    if not c.radii:
        raise ConfigError("--radii: the radius set is empty")
    bad = [r for r in c.radii if not 0 <= r <= c.M]
    if bad:
        raise ConfigError(f"--radii: radius {bad[0]} outside 0..M = 0..{c.M} for N = {c.size}")
    lo, hi = c.amplitude
    if lo <= 0:
        raise ConfigError(f"--amplitude: amplitudes must be > 0, got {lo}")
    if lo > hi:
        raise ConfigError(f"--amplitude: need LO <= HI, got {lo}:{hi}")
    if not 0 < c.alpha < 1:
        raise ConfigError(f"--alpha: leaky-ReLU slope must satisfy 0 < alpha < 1, got {c.alpha}")
