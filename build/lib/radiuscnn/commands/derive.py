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
    """Everything ``derive --json`` prints for ``cfg``."""
    if cfg.dim == 2:
        from radiuscnn.theory.disk import d1_json

        return {"config": cfg.to_json(), **d1_json(cfg)}
    from radiuscnn.theory.counter import background_counter
    from radiuscnn.theory.derive import derive
    from radiuscnn.theory.width import FIXED_AMPLITUDE_REASON, min_channels

    data = derive(cfg).to_json()
    data["background_counter"] = background_counter(cfg).to_json()
    data["min_channels"] = min_channels(cfg)
    if data["min_channels"] is None:
        data["min_channels_reason"] = FIXED_AMPLITUDE_REASON
    return data


def run(args) -> int:
    from radiuscnn.cli import config_from_args

    cfg = config_from_args(args)
    if args.json:
        print_json(derivation_json(cfg))
        return 0
    # plain print, not a Rich console: Rich would re-wrap long formulas and LaTeX lines
    if cfg.dim == 2:
        from radiuscnn.theory.disk import d1_json

        for key, value in d1_json(cfg).items():
            print(f"{key}: {value}")
        return 0
    from radiuscnn.theory.derive import derive

    derivation = derive(cfg)
    if args.latex:
        for name, tex in derivation.latex().items():
            print(f"% {name}\n{tex}\n")
        return 0
    print(derivation.pretty())
    data = derivation_json(cfg)
    print(f"background counter (A1): {data['background_counter']}")
    print(f"minimal widths (A4): {data['min_channels'] if data['min_channels'] is not None else data['min_channels_reason']}")
    return 0
