"""Which derived claims hold for which flags: ``derive`` never prints a result derived for
other flags than the ones given. Each entry says, in one line, which flag a claim does not
support and why; the claim's keys are left out of the JSON (``not_applicable`` lists them).

1D (THEORY.md sections 3-6): the runs and counts (R1) hold for every head and activation;
the zero-loss system and bulk equations (F1/F2) are those of the GAP head
``beta + (1/|I|) sum_J n_J(r) g_J = r``; the background counter (A1) is a one-channel ReLU
GAP network; the minimal widths (A4) and the linear-plateau loss (L1c) are derived for the
GAP head; the dead loss (L1d, constant output) holds for every head.
2D (D1): the GAP error floor and the FC ring law are derived for ReLU networks.
"""

from __future__ import annotations

GAP_KEYS = ("constraint_rank", "n_unknowns", "consistent", "identifiable", "gauge", "bulk_region",
            "bulk_equations", "background_counter", "min_channels", "min_channels_reason", "plateau_loss")


def not_applicable(cfg) -> list[dict]:
    """``[{"flag", "claims", "keys", "reason"}]`` for the flags of ``cfg`` a claim does not support."""
    out = []
    if cfg.dim == 1:
        if cfg.head != "gap":
            out.append({"flag": f"--head {cfg.head}", "claims": ["F1", "F2", "A1", "A4", "L1c"],
                        "keys": list(GAP_KEYS),
                        "reason": "the zero-loss system, the background counter, the minimal widths and "
                                  "the plateau loss are derived for the GAP head only; runs and counts (R1) "
                                  "and the dead loss (L1d) are shown"})
        elif cfg.activation != "relu":
            out.append({"flag": f"--activation {cfg.activation}", "claims": ["A1"], "keys": ["background_counter"],
                        "reason": "the background counter is a one-channel ReLU network; the minimal "
                                  "widths (A4) cover every activation"})
    elif cfg.activation != "relu":
        out.append({"flag": f"--activation {cfg.activation}", "claims": ["D1"],
                    "keys": ["gap_error_floor", "one_channel_floor", "fc_ring_law"],
                    "reason": "the GAP error floor and the FC ring law are derived for ReLU networks"})
    return out


def apply_scope(cfg, data: dict) -> dict:
    """``data`` without the keys of claims the flags do not support, plus ``not_applicable``."""
    entries = not_applicable(cfg)
    dropped = {key for entry in entries for key in entry["keys"]}
    return {**{k: v for k, v in data.items() if k not in dropped}, "not_applicable": entries}


def scope_lines(cfg) -> list[str]:
    """One plain line per unsupported flag."""
    return [f"not applicable: {e['flag']} is not supported by {', '.join(e['claims'])}: {e['reason']}"
            for e in not_applicable(cfg)]
