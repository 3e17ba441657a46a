"""``radiuscnn derive``: what the architecture forces, derived by the theory engine."""

from __future__ import annotations

from radiuscnn.commands._output import print_json


def register(sub) -> None:
    from radiuscnn.cli import add_config_flags

    p = sub.add_parser(
        "derive",
        help="derive runs, counts, constraints and the amplitude-invariance results",
        description="Derive (SymPy, exact) the run decomposition (R1), the fixed-amplitude "
        "constraints (F1, F2), the background counter (A1) and minimal widths (A4) for a "
        "configuration; in 2D the D1 error floor and ring law.",
    )
    add_config_flags(p)
    fmt = p.add_mutually_exclusive_group()
    fmt.add_argument("--json", action="store_true", help="machine-readable JSON on stdout")
    fmt.add_argument("--latex", action="store_true", help="LaTeX strings of the derived equations")
    p.set_defaults(run=run)


def derivation_json(cfg) -> dict:
    """Everything ``derive --json`` prints for ``cfg``: only what holds for its flags, and a
    ``not_applicable`` list for the rest (:mod:`radiuscnn.commands._scope`)."""
    from radiuscnn.commands._scope import apply_scope, not_applicable

    skipped = {key for entry in not_applicable(cfg) for key in entry["keys"]}
    return apply_scope(cfg, _derivation_json(cfg, skipped))


def _derivation_json(cfg, skipped=frozenset()) -> dict:
    if cfg.dim == 2:
        from radiuscnn.theory.disk import d1_json

        if "fc_ring_law" in skipped:
            return {"config": cfg.to_json()}
        return {"config": cfg.to_json(), **d1_json(cfg)}
    from radiuscnn.theory.counter import background_counter
    from radiuscnn.theory.derive import derive
    from radiuscnn.theory.width import FIXED_AMPLITUDE_REASON, min_channels

    data = derive(cfg).to_json()
    if "background_counter" not in skipped:
        data["background_counter"] = background_counter(cfg).to_json()
    if "min_channels" not in skipped:
        data["min_channels"] = min_channels(cfg)
        if data["min_channels"] is None:
            data["min_channels_reason"] = FIXED_AMPLITUDE_REASON
    from radiuscnn.numeric.train_config import TrainConfig
    from radiuscnn.theory.plateau import landscape_json

    data.update(landscape_json(cfg, TrainConfig().amplitudes))  # L1c, L1d on the default training grid
    return data


def run(args) -> int:
    import shutil

    from radiuscnn.cli import config_from_args
    from radiuscnn.commands._scope import scope_lines

    cfg = config_from_args(args)
    if args.json:
        print_json(derivation_json(cfg))
        return 0
    # plain print, not a Rich console: Rich would re-wrap long formulas and LaTeX lines
    for line in scope_lines(cfg):
        print(line)
    if cfg.dim == 2:
        data = derivation_json(cfg)
        for key in ("gap_error_floor", "fc_ring_law"):
            if key in data:
                print(f"{key}: {data[key]}")
        return 0
    from radiuscnn.theory.derive import derive

    derivation = derive(cfg)
    if args.latex:
        for name, tex in derivation.latex().items():
            print(f"% {name}\n{tex}\n")
        return 0
    width = max(40, shutil.get_terminal_size((80, 24)).columns)
    data = derivation_json(cfg)
    text = derivation.pretty(width)
    if "constraint_rank" not in data:  # --head fc: only the head-independent part (R1)
        text = text.split("\n\nZero-loss system")[0]
    print(text)
    if "background_counter" in data:
        _print_wrapped(f"background counter (A1): {data['background_counter']}", width)
    if "min_channels" in data:
        _print_wrapped(f"minimal widths (A4): {data['min_channels'] if data['min_channels'] is not None else data['min_channels_reason']}", width)
    return 0


def _print_wrapped(text: str, width: int) -> None:
    import textwrap

    print(textwrap.fill(text, width, subsequent_indent="    ", break_on_hyphens=False))
