"""Kernel-size edge cases, row by row (THEORY.md sections 3-5, claims F2, A1, A4).

For a base configuration and every kernel size ``k`` and padding of a sweep, one
:class:`KernelRow` collects what the theory engine derives for ``cfg.with_(kernel=k,
padding=p)``:

* ``n_runs``, ``constraint_rank`` (F1/F2, as in :func:`theory.derive.derive`): the number of
  distinct window contents ``J`` over the data and the exact rank of the fixed-amplitude
  zero-loss system ``beta + (1/|I|) sum_J n_J(r) g_J = r`` (``r in R``) in the unknowns
  ``(g_J, beta)`` (:func:`runs_and_rank`);
* ``beta``, ``vb``, ``r_max`` (A1, :func:`theory.counter.background_counter`): the background
  counter ``y = beta + (v b/|I|) n_empty(r)`` solved at ``r = 0, 1`` and its largest exact
  prefix ``0..r_max`` (``-1``: no counter), proved exact there and refuted at ``r_max + 1``;
* ``min_channels`` (A4, :func:`theory.width.width_detail`): the smallest width with an exact
  amplitude-invariant solution per activation, with its status ('exact', 'upper bound',
  'impossible'; :data:`theory.width.STATUSES`);
* ``flags``: the edge cases of F2, each a :class:`Flag` with a one-line reason
  (:func:`edge_flags`).

Edge-case definitions (``h_l = (k-1)//2``, ``h_r = k-1-h_l``; the pulse is ``[-r, r]``; the
window of placement ``i`` covers inputs ``[i-h_l, i+h_r]``; placements ``i in -M..M``):

=========================  ====================================================================
``k=1``                    ``k = 1``: one tap, runs are only ``∅`` and the full window.
``even-k``                 ``k`` even, so ``h_l != h_r``: the 'same' window (and the 'valid'
                           output range ``-M+h_l..M-h_r``) is not symmetric under ``i -> -i``.
``k>=N``                   ``k >= N``: every window spans the whole signal.
``window-wider-than-pulse`` some ``r in R`` with ``2r+1 < k``: no window lies inside the pulse.
``border``                 some ``r in R`` and placement ``i`` whose window meets the pulse
                           *and* leaves ``-M..M`` (zeros: reads the padding next to the pulse;
                           circular: wraps around; valid: that output position is dropped).
                           Equivalent closed form: ``k >= 2`` and ``r >= M - k + 2``.
``no-background``          some ``r in R`` with ``n_∅(r) = 0`` (from :func:`theory.runs.run_counts`):
                           every output position sees the pulse, so a full-support background
                           counter outputs ``beta`` at all such radii (exact on at most one of
                           them; a counter whose outer taps vanish may still work, see A4).
``invalid``                the configuration does not exist (``k > N`` with valid padding:
                           :class:`~theory.config.ConfigError`); the row carries the reason.
=========================  ====================================================================

Performance note (mathematically neutral): for the analytic activations the A3 impossibility
is checked on the two smallest radii of ``R`` with one channel. A network exact on ``R`` is
exact on every subset, and the A3 argument holds for every width, so impossibility there is
impossibility on ``R``; only the symbolic ``a = 0`` check becomes smaller. When ``R`` has a
single radius the full configuration is used.

Everything here is pure: no I/O, no training (the trained columns are in
``verify/explore_train.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache
from typing import Callable, Iterable

from radiuscnn.theory.config import ACTIVATIONS, Config, ConfigError
from radiuscnn.theory.runs import run_counts

FLAGS = (
    "k=1",
    "even-k",
    "k>=N",
    "window-wider-than-pulse",
    "border",
    "no-background",
    "invalid",
)


@dataclass(frozen=True)
class Flag:
    """One edge case of a row: its name (one of :data:`FLAGS`) and a one-line reason."""

    flag: str
    reason: str

    def to_json(self) -> dict:
        return {"flag": self.flag, "reason": self.reason}


@dataclass(frozen=True)
class KernelRow:
    """Derived columns for one ``(k, padding)`` of a sweep (module docstring).

    For an invalid configuration every derived column is ``None`` and ``flags`` holds the
    ``invalid`` flag with the :class:`ConfigError` message. ``min_channels`` /
    ``min_channels_status`` are ``(activation, value)`` pairs in :data:`ACTIVATIONS` order
    (``None`` for a fixed amplitude, where A4 does not apply).
    """

    kernel: int
    padding: str
    h_l: int
    h_r: int
    out_size: int | None
    n_runs: int | None
    constraint_rank: int | None
    beta: Fraction | None
    vb: Fraction | None
    r_max: int | None
    min_channels: tuple[tuple[str, int | None], ...] | None
    min_channels_status: tuple[tuple[str, str], ...] | None
    flags: tuple[Flag, ...]

    @property
    def valid(self) -> bool:
        return not any(f.flag == "invalid" for f in self.flags)

    @property
    def flag_names(self) -> tuple[str, ...]:
        return tuple(f.flag for f in self.flags)

    def to_json(self) -> dict:
        """Plain JSON data; rationals as strings (exact)."""
        return {
            "kernel": self.kernel,
            "padding": self.padding,
            "h_l": self.h_l,
            "h_r": self.h_r,
            "out_size": self.out_size,
            "n_runs": self.n_runs,
            "constraint_rank": self.constraint_rank,
            "beta": None if self.beta is None else str(self.beta),
            "vb": None if self.vb is None else str(self.vb),
            "r_max": self.r_max,
            "min_channels": None if self.min_channels is None else dict(self.min_channels),
            "min_channels_status": None
            if self.min_channels_status is None
            else dict(self.min_channels_status),
            "flags": [f.to_json() for f in self.flags],
        }

    @classmethod
    def from_json(cls, data: dict) -> "KernelRow":
        """The row :meth:`to_json` wrote (rationals read back exactly)."""
        def rational(value):
            return None if value is None else Fraction(value)

        def pairs(value):
            return None if value is None else tuple(value.items())

        return cls(
            kernel=data["kernel"], padding=data["padding"], h_l=data["h_l"], h_r=data["h_r"],
            out_size=data["out_size"], n_runs=data["n_runs"], constraint_rank=data["constraint_rank"],
            beta=rational(data["beta"]), vb=rational(data["vb"]), r_max=data["r_max"],
            min_channels=pairs(data["min_channels"]), min_channels_status=pairs(data["min_channels_status"]),
            flags=tuple(Flag(f["flag"], f["reason"]) for f in data["flags"]),
        )


# --------------------------------------------------------------------------------------------
# Edge-case flags
# --------------------------------------------------------------------------------------------
def _halves(k: int) -> tuple[int, int]:
    return (k - 1) // 2, k - 1 - (k - 1) // 2


def _radii_text(radii: Iterable[int]) -> str:
    radii = list(radii)
    if len(radii) > 2 and radii == list(range(radii[0], radii[-1] + 1)):
        return f"r = {radii[0]}..{radii[-1]}"
    return "r in {" + ", ".join(map(str, radii)) + "}"


def kernel_flags(k: int, size: int, padding: str) -> tuple[Flag, ...]:
    """The flags that depend on ``k``, ``N`` and the padding only (``k=1``, ``even-k``,
    ``k>=N``); they exist even when the configuration itself is invalid."""
    h_l, h_r = _halves(k)
    out = []
    if k == 1:
        out.append(Flag("k=1", "one tap (h_l = h_r = 0): every window is a single input, the only "
                               "runs are the empty and the full window and no padding is ever read"))
    if k % 2 == 0:
        where = {
            "zeros": "'same' pads h_l left and h_r right",
            "valid": f"the valid outputs i = -M+{h_l}..M-{h_r} are off-centre",
            "circular": "the window [i-h_l, i+h_r] is off-centre",
        }.get(padding, "the window is off-centre")
        out.append(Flag("even-k", f"h_l = {h_l} != h_r = {h_r}: {where}, so i -> -i does not map "
                                  "windows to windows (no reflection symmetry, I1b)"))
    if k >= size:
        what = {
            "zeros": "each window covers all N inputs plus padding",
            "valid": "a single output position (k = N)",
            "circular": "windows wrap around the whole signal" + (" more than once" if k > size else ""),
        }.get(padding, "each window covers the whole signal")
        out.append(Flag("k>=N", f"k = {k} >= N = {size}: {what}"))
    return tuple(out)


def border_radii(cfg: Config) -> tuple[int, ...]:
    """Radii ``r in R`` for which some placement ``i in -M..M`` has a window ``[i-h_l, i+h_r]``
    that meets the pulse ``[-r, r]`` and leaves ``[-M, M]`` (enumerated, not the closed form)."""
    M = cfg.M
    out = []
    for r in cfg.radii:
        for i in range(-M, M + 1):
            lo, hi = i - cfg.h_l, i + cfg.h_r
            if lo <= r and hi >= -r and (lo < -M or hi > M):
                out.append(r)
                break
    return tuple(out)


def no_background_radii(cfg: Config) -> tuple[int, ...]:
    """Radii ``r in R`` with ``n_∅(r) = 0``: no output position sees only background."""
    return tuple(r for r in cfg.radii if run_counts(cfg, r).get((), 0) == 0)


def edge_flags(cfg: Config) -> tuple[Flag, ...]:
    """The edge-case flags of a (valid) configuration, in :data:`FLAGS` order."""
    out = list(kernel_flags(cfg.kernel, cfg.size, cfg.padding))
    narrow = [r for r in cfg.radii if 2 * r + 1 < cfg.kernel]
    if narrow:
        out.append(Flag("window-wider-than-pulse",
                        f"2r+1 < k = {cfg.kernel} for {_radii_text(narrow)}: the whole pulse fits "
                        "inside one window, no window lies inside the pulse"))
    border = border_radii(cfg)
    if border:
        how = {
            "zeros": "and reads the zero padding next to the pulse",
            "valid": "so that output position is dropped by valid padding",
            "circular": "and wraps around to the other end of the signal",
        }[cfg.padding]
        out.append(Flag("border", f"for {_radii_text(border)} a window that meets the pulse leaves "
                                  f"-M..M = -{cfg.M}..{cfg.M} {how}"))
    empty = no_background_radii(cfg)
    if empty:
        tail = (": a full-support background counter outputs beta at all of them, so it is exact "
                "on at most one" if len(empty) > 1 else ": a full-support background counter outputs beta there")
        out.append(Flag("no-background", f"n_empty(r) = 0 for {_radii_text(empty)} (every output "
                                         f"position sees the pulse){tail}"))
    return tuple(out)


# --------------------------------------------------------------------------------------------
# Rows
# --------------------------------------------------------------------------------------------
@lru_cache(maxsize=None)
def _analytic(name: str) -> bool:
    from radiuscnn.theory.analytic import is_analytic_form

    return is_analytic_form(name)


def widths(cfg: Config) -> tuple[tuple[tuple[str, int | None], ...], tuple[tuple[str, str], ...]] | None:
    """A4 per activation: ``((name, min C), ...), ((name, status), ...)``; ``None`` for a fixed
    amplitude. Analytic activations are checked on the two smallest radii, one channel (module
    docstring); the others on ``cfg`` itself (as :func:`theory.width.min_channels`)."""
    from radiuscnn.theory.width import width_detail

    if cfg.fixed_amplitude:
        return None
    values, statuses = [], []
    for name in ACTIVATIONS:
        target = cfg
        if _analytic(name) and len(cfg.radii) >= 2:
            target = cfg.with_(radii=cfg.radii[:2], channels=1)
        detail = width_detail(target, name)
        if target is not cfg and detail.status != "impossible":
            detail = width_detail(cfg, name)  # the reduction only transfers impossibility
        values.append((name, detail.min_channels))
        statuses.append((name, detail.status))
    return tuple(values), tuple(statuses)


def runs_and_rank(cfg: Config) -> tuple[int, int]:
    """``(n_runs, constraint_rank)`` exactly as :func:`theory.derive.derive` computes
    ``Derivation.n_runs`` and ``.constraint_rank`` (:func:`theory.runs.runs_in_data`; the exact
    rank of :func:`theory.constraints.linear_system` by :func:`theory.constraints.reduce_system`),
    without derive's symbolic counts and bulk reduction, which the sweep does not need and which
    cost about twice as much again. ``verify/test_explore.py`` checks the equality with
    ``derive(cfg).to_json()``."""
    from radiuscnn.theory.constraints import linear_system, reduce_system
    from radiuscnn.theory.runs import runs_in_data

    return len(runs_in_data(cfg)), reduce_system(linear_system(cfg)).rank


def invalid_row(k: int, padding: str, size: int, error: ConfigError) -> KernelRow:
    """The row of a configuration that cannot exist (the reason is the ConfigError message)."""
    h_l, h_r = _halves(k)
    return KernelRow(k, padding, h_l, h_r, None, None, None, None, None, None, None, None,
                     (*kernel_flags(k, size, padding), Flag("invalid", str(error))))


def kernel_row(cfg: Config, k: int, padding: str) -> KernelRow:
    """The derived row of ``cfg.with_(kernel=k, padding=padding)`` (2D: :mod:`theory.explore_2d`)."""
    from radiuscnn.theory.counter import background_counter

    if cfg.dim == 2:
        from radiuscnn.theory.explore_2d import kernel_row_2d

        return kernel_row_2d(cfg, k, padding)
    try:
        c = cfg.with_(kernel=k, padding=padding)
    except ConfigError as error:
        return invalid_row(k, padding, cfg.size, error)
    n_runs, rank = runs_and_rank(c)
    bc = background_counter(c)
    w = widths(c)
    return KernelRow(
        kernel=k,
        padding=padding,
        h_l=c.h_l,
        h_r=c.h_r,
        out_size=c.out_size,
        n_runs=n_runs,
        constraint_rank=rank,
        beta=bc.beta,
        vb=bc.vb,
        r_max=bc.r_max,
        min_channels=None if w is None else w[0],
        min_channels_status=None if w is None else w[1],
        flags=edge_flags(c),
    )


def sweep(kernels: Iterable[int], paddings: Iterable[str]) -> tuple[tuple[int, str], ...]:
    """The ``(k, padding)`` pairs of a sweep, ``k``-major, in the given orders."""
    paddings = tuple(paddings)
    return tuple((k, p) for k in kernels for p in paddings)


def kernel_rows(
    cfg: Config,
    kernels: Iterable[int],
    paddings: Iterable[str],
    progress: Callable[[int, int, str], None] | None = None,
) -> list[KernelRow]:
    """:func:`kernel_row` for every ``k`` in ``kernels`` and every padding (``k``-major).
    ``progress(done, total, label)``, if given, is called after each row (no I/O here)."""
    pairs = sweep(kernels, paddings)
    rows = []
    for done, (k, p) in enumerate(pairs, 1):
        rows.append(kernel_row(cfg, k, p))
        if progress is not None:
            progress(done, len(pairs), f"k={k} {p}")
    return rows


def parse_kernels(text: str) -> tuple[int, ...]:
    """``'LO:HI'`` (inclusive, ``1 <= LO <= HI``) or ``'K'`` -> the kernel sizes; a bad value
    raises :class:`ConfigError` naming ``--kernels``."""
    usage = "--kernels: expected LO:HI with integers 1 <= LO <= HI (inclusive) or a single K"
    parts = str(text).split(":")
    try:
        values = [int(p) for p in parts]
    except ValueError:
        raise ConfigError(f"{usage}, got {text!r}") from None
    if len(values) == 1:
        values *= 2
    if len(values) != 2:
        raise ConfigError(f"{usage}, got {text!r}")
    lo, hi = values
    if lo < 1 or lo > hi:
        raise ConfigError(f"{usage}, got {text!r}")
    return tuple(range(lo, hi + 1))


def parse_paddings(text: str) -> tuple[str, ...]:
    """``'zeros,valid,circular'`` (any non-empty subset, comma separated, no repeats)."""
    from radiuscnn.theory.config import PADDINGS

    names = [p.strip() for p in str(text).split(",") if p.strip()]
    bad = [p for p in names if p not in PADDINGS]
    if not names or bad or len(set(names)) != len(names):
        raise ConfigError(f"--paddings: expected a comma-separated subset of {','.join(PADDINGS)}, got {text!r}")
    return tuple(names)
