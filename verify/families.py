"""Family labels that say exactly what they are (THEORY.md sections 5 and 10).

A family name is given only when the network satisfies that family's derived conditions
exactly, over the whole amplitude interval:

- *background counter*: every non-empty run the head uses is killed for every ``a`` in
  ``[a_min, a_max]`` (A1/A2's ``W[J] <= -b/a_min``) and the empty run is not. A channel that
  would be one except that some non-empty run *crosses* the kink inside the interval is not a
  strict counter (its proof is "within eps", not exact): it is labelled
  ``background counter (<run> crosses kink)``, naming the run (``centre tap`` for ``{0}``).
- *mass plateau* (L1c): every channel is constant on the data or *alive*: all its used terms,
  the empty run included, on one sloped piece for the whole interval; then
  ``y = beta' + a sum_t u_t phi_t(r)`` exactly, the amplitude-proportional plateau.
- *dead* (L1d): every channel constant on the data, so ``y`` is constant and
  ``L >= Var(r)``.

This module holds the rules; ``verify.analysis.channel_kinds`` and ``family_of`` call them.
"""

from __future__ import annotations

CROSSING_SUFFIX = " crosses kink)"
ALIVE = "alive"
CONSTANT = "constant"


def run_label(run: tuple[int, ...]) -> str:
    """``centre tap`` for ``{0}``, ``tap t`` for one tap, else ``taps t0 to t1`` (no dots: the
    label is a key of the report's results, whose paths are dotted)."""
    if run == (0,):
        return "centre tap"
    if len(run) == 1:
        return f"tap {run[0]}"
    if run == tuple(range(run[0], run[-1] + 1)):
        return f"taps {run[0]} to {run[-1]}"
    return "taps " + ", ".join(map(str, run))


def counter_kind(crossing_runs) -> str:
    """The kind of a background-counting channel: strict, or naming its crossing runs."""
    runs = sorted(set(crossing_runs), key=lambda r: (len(r), r))
    if not runs:
        return "background counter"
    names = ", ".join(run_label(r) for r in runs)
    verb = " crosses kink)" if len(runs) == 1 else " cross kink)"
    return f"background counter ({names}{verb}"


def is_alive_channel(statuses, pieces) -> bool:
    """All used terms of the channel (empty run included) alive on one piece, none crossing."""
    return bool(statuses) and set(statuses) == {"alive"} and len(set(pieces)) == 1


def is_background_counter(kind: str) -> bool:
    return kind == "background counter" or (kind.startswith("background counter (") and "kink)" in kind)


def solved_counter_family(counters: set[str]) -> str | None:
    """The family of a solved network whose channels are background counters (strict or not):
    the strict name only when every counter is strict, else the crossing label(s)."""
    if not counters or not all(is_background_counter(k) for k in counters):
        return None
    loose = sorted(k for k in counters if k != "background counter")
    return "; ".join(loose) if loose else "background counter"


def unsolved_family(kinds) -> str | None:
    """``dead`` (every channel constant), ``mass plateau`` (constant or alive channels, at least
    one alive), or ``None``."""
    kinds = set(kinds)
    if kinds and kinds == {CONSTANT}:
        return "dead"
    if kinds and kinds <= {CONSTANT, ALIVE} and ALIVE in kinds:
        return "mass plateau"
    return None


def is_solution_family(name: str) -> bool:
    """Whether ``name`` is the family of a solved network (for the claim tests)."""
    return name in ("background counter", "saturated inside counter", "mixed counter", "linear cancellation",
                    "analytic approximation") or all(is_background_counter(p) for p in name.split("; "))
