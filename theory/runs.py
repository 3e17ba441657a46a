"""The run decomposition, finite form (THEORY.md section 3, claim R1).

On a pulse ``x_i = a [|i| <= r]`` the window of output position ``i`` holds ``a`` times the
indicator of the *run*

    J_i(r) = { t in [-h_l, h_r] : the input seen at offset t lies in the pulse },

which for zero or valid padding is the interval ``[max(-h_l, -r-i), min(h_r, r-i)]`` (empty
when the bounds cross) and for circular padding is the union over wraps ``m`` of
``[-r-i-mN, r-i-mN] ∩ [-h_l, h_r]`` (so it can have two pieces). A run is stored as the
sorted tuple of its offsets; ``()`` is the empty run. The network sees the filter only
through the run sums ``W_c[J] = sum_{t in J} w_{c,t}``.

Here runs are computed from those interval formulas (not by sliding a window over an array;
that independent computation lives in ``verify/brute_force.py``).
"""

from __future__ import annotations

from collections import Counter
from functools import lru_cache

from radiuscnn.theory.config import Config

Run = tuple[int, ...]


def _interval(lo: int, hi: int) -> Run:
    return tuple(range(lo, hi + 1)) if lo <= hi else ()


def run_at(cfg: Config, i: int, r: int) -> Run:
    """``J_i(r)``: the offsets of position ``i``'s window that see the pulse of radius ``r``."""
    lo, hi = -cfg.h_l, cfg.h_r
    if cfg.padding != "circular":
        return _interval(max(lo, -r - i), min(hi, r - i))
    n = cfg.size
    offsets: set[int] = set()
    # input index i+t+mN must lie in [-r, r]; t ranges over k <= |m| N values, so a few wraps do
    for m in range(-(cfg.kernel // n) - 2, cfg.kernel // n + 3):
        offsets.update(_interval(max(lo, -r - i - m * n), min(hi, r - i - m * n)))
    return tuple(sorted(offsets))


@lru_cache(maxsize=4096)
def run_counts(cfg: Config, r: int) -> dict[Run, int]:
    """``n_J(r)``: how many output positions see run ``J`` (1D), as ``{J: count}``."""
    return dict(Counter(run_at(cfg, i, r) for i in cfg.positions))


@lru_cache(maxsize=1024)
def runs_in_data(cfg: Config) -> tuple[Run, ...]:
    """Distinct runs over all output positions and all radii of ``cfg.radii``, ordered by
    (length, offsets) so that the empty run comes first (memoised per configuration)."""
    seen = {run for r in cfg.radii for run in run_counts(cfg, r)}
    return tuple(sorted(seen, key=lambda run: (len(run), run)))


def run_pattern(cfg: Config, run: Run) -> tuple[int, ...]:
    """The 0/1 window content of a run, one entry per offset ``-h_l .. h_r``."""
    members = set(run)
    return tuple(int(t in members) for t in cfg.offsets)


def run_sum(filter_taps, cfg: Config, run: Run):
    """``W[J] = sum_{t in J} w_t`` for one channel's taps (indexed in filter order)."""
    total = 0
    for t in run:
        total = total + filter_taps[t + cfg.h_l]
    return total


def is_full(cfg: Config, run: Run) -> bool:
    return len(run) == cfg.kernel
