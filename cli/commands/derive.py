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
        return derivation_json_2d(cfg)
    from radiuscnn.theory.counter import background_counter
    from radiuscnn.theory.derive import derive
    from radiuscnn.theory.width import FIXED_AMPLITUDE_REASON, width_entries

    data = derive(cfg).to_json()
    if "background_counter" not in skipped:
        data["background_counter"] = background_counter(cfg).to_json()
    if "min_channels" not in skipped:
        # A4 per activation: {"value", "status": exact | upper bound | impossible | not applicable, "reason"}
        data["min_channels"] = width_entries(cfg)
        if cfg.fixed_amplitude:
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
        width = max(40, shutil.get_terminal_size((80, 24)).columns)
        for line in derivation_text_2d(derivation_json(cfg)).splitlines():
            _print_wrapped(line, width)
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
        _print_wrapped(counter_text(cfg, data["background_counter"]), width)
    if "min_channels" in data:
        for line in min_channels_text(cfg).splitlines():
            _print_wrapped(line, width)
    return 0


def _print_wrapped(text: str, width: int) -> None:
    import textwrap

    indent = " " * (len(text) - len(text.lstrip()))
    print(textwrap.fill(text, width, initial_indent="", subsequent_indent=indent + "    ", break_on_hyphens=False))

def counter_text(cfg, bc: dict) -> str:
    """The A1 line of the plain output, in words."""
    if bc.get("r_max") is None or bc["r_max"] < 0:
        return "background counter (A1): none for this configuration"
    text = (f"background counter (A1): beta = {bc['beta']}, v b = {bc['vb']}; exact on radii 0..{bc['r_max']} "
            "for every amplitude of the interval")
    beyond = [r for r in cfg.radii if r > bc["r_max"]]
    if beyond:
        which = f"radius {beyond[0]}" if len(beyond) == 1 else f"radii {beyond[0]}..{beyond[-1]}"
        text += (f"; it fails on the {which} of R (windows there reach the border), "
                 "so on this R the full-support counter is not exact (A4 may still use a reduced support)")
    return text


def min_channels_text(cfg) -> str:
    """The A4 lines of the plain output: one sentence per activation saying which case holds."""
    from radiuscnn.theory.width import FIXED_AMPLITUDE_REASON, min_width_details

    if cfg.fixed_amplitude:
        return f"minimal widths (A4): not applicable: {FIXED_AMPLITUDE_REASON}"
    lines = ["minimal widths (A4):"]
    lines += [f"  {d.sentence()}" for d in min_width_details(cfg).values()]
    return "\n".join(lines)


# ---------------------------------------------------------------------------------- 2D (D1, D2)
def derivation_json_2d(cfg) -> dict:
    """``derive --dim 2 --json``: patterns and the zero-loss system (F1 in 2D), the D1 floors
    and ring law, and D2 (``min_channels`` per activation, same shape as 1D, and the
    construction)."""
    from radiuscnn.theory.disk import d1_json
    from radiuscnn.theory.disk_width import d2_json
    from radiuscnn.theory.patterns import patterns_json

    return {"config": cfg.to_json(), **patterns_json(cfg), **d1_json(cfg), **d2_json(cfg)}


def derivation_text_2d(data: dict) -> str:
    """Human-readable lines for the plain ``derive --dim 2``."""
    cfg, system = data["config"], data["system"]
    lines = [
        f"2D derivation for N={cfg['size']}, k={cfg['kernel']}, padding={cfg['padding']}, "
        f"R={cfg['radii'][0]}..{cfg['radii'][-1]}, A=[{cfg['amplitude'][0]}, {cfg['amplitude'][1]}]",
        f"Window patterns (F1 in 2D): {data['n_patterns']} distinct k x k 0/1 patterns over all positions and radii",
        f"Zero-loss system at a fixed amplitude: {system['n_equations']} equations, {system['n_unknowns']} "
        f"unknowns, exact rank {system['constraint_rank']}, {'consistent' if system['consistent'] else 'INCONSISTENT'}",
    ]
    floor, gap, ring = data.get("one_channel_floor"), data.get("gap_error_floor"), data.get("fc_ring_law")
    if floor is not None and gap is not None:
        lines += [f"D1 one-channel background counter: floor RMSE {floor['rmse']:.4f} (exact MSE {floor['mse']}), "
                  f"{floor['scope']}, attained by support {floor['support']}; full support: RMSE {gap['rmse']:.4f}",
                  "  (a floor for the amplitude-invariant counter only: a one-channel network that gives up "
                  "invariance can do better)"]
    if ring is not None:
        lines.append(f"FC ring law: {'proved exact' if ring['exact'] else 'not exact'} (max error {ring['max_error']})")
    con = data.get("construction")
    if con is not None:
        lines.append(f"D2 row counter: S1 = {con['S1']}, S2 = {con['S2']}: #Bg_S1 - #Bg_S2 = {con['differences']} "
                     f"= (rho - beta)/q with beta = {con['beta']}, q = {con['q']}; {con['channels']} ReLU "
                     f"channels, {'proved exact' if con['proof']['exact'] else 'REFUTED'} on R x A "
                     f"({con['proof']['points']} points)")
    lines.append("Minimal widths (D2):")
    for name, e in data["min_channels"].items():
        what = {"upper bound": f"at most {e['value']}" if e["value"] is not None else "unknown",
                "exact": f"exactly {e['value']}", "impossible": "impossible at every width",
                "not applicable": "not applicable"}[e["status"]]
        lines.append(f"  {name}: {what} ({e['reason']})")
    return "\n".join(lines)
