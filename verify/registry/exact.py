"""Measures and decisions of the claims proved or derived exactly: F1, F2, A1-A4, D1.

Each ``measure_X(claim, inputs)`` returns ``(numbers, sample, evidence)`` (plain numbers, what
was measured, the engine objects for the report); each ``decide_X(numbers, tolerances)`` is a
pure function returning ``(status, reason)``.
"""

from __future__ import annotations

from fractions import Fraction

from radiuscnn.verify.registry.types import Inputs, not_applicable

ONE_D = "a 1D claim; the configuration is 2D"
PADDINGS = ("zeros", "valid", "circular")


def _q(x) -> str | None:
    return None if x is None else str(Fraction(x))


# ---------------------------------------------------------------------------------------- F1
def measure_f1(claim, inputs: Inputs):
    """The fixed-amplitude system of ``theory.derive`` against the independent brute force
    (``verify.brute_force``: sliding windows, numpy rank)."""
    from radiuscnn.theory.derive import derive
    from radiuscnn.verify import brute_force

    cfg = inputs.cfg
    if cfg.dim != 1:
        return not_applicable(ONE_D)
    d = derive(cfg)
    numbers = {"n_runs": d.n_runs, "constraint_rank": d.constraint_rank, "consistent": bool(d.consistent),
               "brute_force_n_runs": brute_force.n_runs(cfg), "brute_force_rank": brute_force.rank(cfg)}
    return numbers, {"radii": len(cfg.radii)}, {"derivation": d}


def decide_f1(n, tol):
    if not n["consistent"]:
        return "failed", "the zero-loss system is inconsistent"
    if (n["n_runs"], n["constraint_rank"]) != (n["brute_force_n_runs"], n["brute_force_rank"]):
        return "failed", "runs or rank differ from the brute force"
    return "derived", "exact rank equals the brute force"


# ---------------------------------------------------------------------------------------- F2
def f2_kernels(cfg, largest: int) -> list[int]:
    """k = 1..largest and k = N, N+1 (the ``k >= N`` edge)."""
    return sorted(set(range(1, largest + 1)) | {cfg.size, cfg.size + 1})


def measure_f2(claim, inputs: Inputs):
    """Runs (``theory.runs``) and exact rank (``theory.constraints``) per kernel size and
    padding, each against the brute force."""
    from radiuscnn.theory import constraints
    from radiuscnn.theory.config import ConfigError
    from radiuscnn.theory.runs import runs_in_data
    from radiuscnn.verify import brute_force

    cfg = inputs.cfg
    if cfg.dim != 1:
        return not_applicable(ONE_D)
    rows, mismatches, cases = [], [], 0
    for k in f2_kernels(cfg, claim.sample["kernels_up_to"]):
        row = {"kernel": k}
        for padding in PADDINGS:
            try:
                c = cfg.with_(kernel=k, padding=padding)
            except ConfigError:
                row[padding] = None
                continue
            entry = {"n_runs": len(runs_in_data(c)), "rank": constraints.rank(constraints.linear_system(c))}
            cases += 1
            if (entry["n_runs"], entry["rank"]) != (brute_force.n_runs(c), brute_force.rank(c)):
                mismatches.append(f"k={k} {padding}")
            row[padding] = entry
        rows.append(row)
    numbers = {"cases": cases, "mismatches": len(mismatches)}
    return numbers, {"kernels": len(rows), "paddings": len(PADDINGS)}, {"rows": rows, "mismatched": mismatches}


def decide_f2(n, tol):
    if n["mismatches"]:
        return "failed", f"{n['mismatches']} of {n['cases']} cases differ from the brute force"
    return "derived", f"all {n['cases']} cases equal the brute force"


# ---------------------------------------------------------------------------------------- A1
def measure_a1(claim, inputs: Inputs):
    """The background counter of ``theory.counter`` with its exact proof on ``0..r_max`` and
    its refutation at ``r_max + 1``."""
    from radiuscnn.theory.counter import background_counter

    cfg = inputs.cfg
    if cfg.dim != 1:
        return not_applicable(ONE_D)
    bc = background_counter(cfg)
    if bc.params is None or bc.proof_exact is None:
        return not_applicable(f"no background counter: {bc.reason}", {"counter": bc})
    numbers = {"beta": _q(bc.beta), "vb": _q(bc.vb), "r_max": bc.r_max,
               "proof": bc.proof_exact.status, "max_error": _q(bc.proof_exact.max_error),
               "next": None if bc.proof_next is None else bc.proof_next.status}
    return numbers, {"evaluation_points": bc.proof_exact.points}, {"counter": bc}


def decide_a1(n, tol):
    if n["proof"] != "proved":
        return "failed", f"the counter is {n['proof']} on 0..r_max"
    if n["next"] not in (None, "refuted"):
        return "failed", "the counter is not refuted at r_max + 1"
    return "proved", f"exact on 0..{n['r_max']}, refuted at {n['r_max'] + 1}"


# ---------------------------------------------------------------------------------------- A2
def measure_a2(claim, inputs: Inputs):
    """The case analysis of ``theory.structure``; the A1 counter checked against it."""
    from radiuscnn.theory.counter import background_counter
    from radiuscnn.theory.structure import check_structure, derive_structure

    cfg = inputs.cfg
    if cfg.dim != 1:
        return not_applicable(ONE_D)
    d = derive_structure(cfg)
    if not d.applies:
        return not_applicable(d.reason, {"structure": d})
    evidence = {"structure": d}
    numbers = {"cases": len(d.preliminary) + len(d.cases), "survivors": len(d.survivors), "counter_ok": None}
    bc = background_counter(cfg)
    if bc.params is not None and max(cfg.radii) <= bc.r_max:
        chk = check_structure(cfg, bc.params)
        evidence["counter_check"] = chk
        numbers["counter_ok"] = bool(chk.ok)
    return numbers, {}, evidence


def decide_a2(n, tol):
    if n["survivors"] != 1:
        return "failed", f"{n['survivors']} cases survive (expected exactly one)"
    if n["counter_ok"] is False:
        return "failed", "the A1 counter violates a conclusion"
    return "derived", "exactly one case survives"


# ---------------------------------------------------------------------------------------- A3
def measure_a3(claim, inputs: Inputs):
    """``theory.analytic``: the a = 0 step for every analytic activation (SymPy) and the
    loss -> 0 sequences (mpmath, at least ``sample["digits"]`` digits)."""
    from radiuscnn.theory import analytic

    cfg = inputs.cfg
    if cfg.dim != 1:
        return not_applicable(ONE_D)
    imps = {name: analytic.impossibility(cfg, name) for name in analytic.ANALYTIC_ACTIVATIONS}
    seqs = {name: analytic.loss_sequence(cfg, name) for name in analytic.LIMITS}
    applying = [i for i in imps.values() if i.applies]
    if not applying:
        return not_applicable("no analytic activation's argument applies (fixed amplitude or one radius)",
                              {"impossibility": imps, "sequences": seqs})
    available = [s for s in seqs.values() if s is not None]
    numbers = {"applying": len(applying), "proved": sum(i.proved for i in applying),
               "sequences": len(available), "decreasing": sum(bool(s.strictly_decreasing) for s in available)}
    sample = {"lambdas": min((len(s.rows) for s in available), default=0),
              "digits": min((min(s.digits) for s in available), default=None)}
    return numbers, sample, {"impossibility": imps, "sequences": seqs}


def decide_a3(n, tol):
    if n["proved"] != n["applying"]:
        return "failed", "the a = 0 step fails for an analytic activation"
    if n["decreasing"] != n["sequences"]:
        return "failed", "a loss sequence is not positive and strictly decreasing"
    return "proved", f"impossible for {n['applying']} analytic activations"


# ---------------------------------------------------------------------------------------- A4
def measure_a4(claim, inputs: Inputs):
    """``theory.width.min_width_details``: constructions proved exactly, one channel fewer
    excluded by the derived lower bound."""
    from radiuscnn.theory.width import min_width_details

    cfg = inputs.cfg
    if cfg.dim != 1:
        return not_applicable(ONE_D)
    if cfg.fixed_amplitude:
        return not_applicable("A4 concerns an amplitude interval; this configuration has a fixed amplitude")
    details = min_width_details(cfg)
    settled = sum(d.status in ("exact", "impossible") and (d.verdict is None or d.verdict.status == "proved")
                  for d in details.values())
    numbers = {"activations": len(details), "settled": settled,
               "min_channels": {name: d.min_channels for name, d in details.items()}}
    return numbers, {}, {"details": details}


def decide_a4(n, tol):
    if n["settled"] != n["activations"]:
        return "partial", f"{n['activations'] - n['settled']} activations not settled exactly"
    return "proved", f"minimal width settled for all {n['activations']} activations"


# ---------------------------------------------------------------------------------------- D1
def measure_d1(claim, inputs: Inputs):
    """``theory.disk_floor`` / ``theory.disk_ring``: the GAP error floor (attained exactly) and the FC ring law (proved)."""
    from radiuscnn.theory.disk_floor import gap_error_floor
    from radiuscnn.theory.disk_ring import fc_ring_law

    cfg2 = inputs.cfg2 if inputs.cfg2 is not None else inputs.cfg
    if cfg2.dim != 2:
        return not_applicable("a 2D claim; no 2D configuration given")
    floor, ring = gap_error_floor(cfg2), fc_ring_law(cfg2)
    numbers = {"gap_rmse": floor["rmse"], "gap_affine": bool(floor["affine"]), "gap_attained": bool(floor["attained"]),
               "fc_exact": bool(ring["exact"]), "fc_max_error": ring["max_error"]}
    return numbers, {"radii": len(cfg2.radii), "evaluation_points": ring.get("points")}, {"gap": floor, "fc": ring}


def decide_d1(n, tol):
    if n["gap_affine"] or not n["gap_attained"]:
        return "failed", "the GAP floor is zero or not attained"
    if not n["fc_exact"]:
        return "failed", "the FC ring law is not exact"
    return "proved", "GAP floor attained exactly; FC ring law exact"


# ---------------------------------------------------------------------------------------- D2
def measure_d2(claim, inputs: Inputs):
    """2D on a par with 1D: the window patterns and the exact rank of the fixed-amplitude
    system (``theory.patterns``) against an independent numpy brute force
    (``verify.brute_force``: explicit images, sliding windows, float rank), and the
    two-channel ReLU row counter (``theory.disk_width``) proved exact on the whole interval."""
    from radiuscnn.theory.disk_width import construction_json
    from radiuscnn.theory.patterns import pattern_system, pattern_table
    from radiuscnn.verify import brute_force as bf

    cfg2 = inputs.cfg2 if inputs.cfg2 is not None else inputs.cfg
    if cfg2.dim != 2:
        return not_applicable("a 2D claim; no 2D configuration given")
    table, system = pattern_table(cfg2), pattern_system(cfg2)
    con = construction_json(cfg2)
    numbers = {"n_patterns": table.n_patterns, "brute_force_n_patterns": len(bf.distinct_windows(cfg2)),
               "constraint_rank": system.rank, "brute_force_rank": bf.rank(cfg2),
               "row_counter": None if con is None else ("proved" if con["proof"]["exact"] else "refuted")}
    return numbers, {"radii": len(cfg2.radii)}, {"construction": con}


def decide_d2(n, tol):
    if n["n_patterns"] != n["brute_force_n_patterns"] or n["constraint_rank"] != n["brute_force_rank"]:
        return "failed", "the 2D patterns or rank differ from the brute force"
    if n["row_counter"] is None:
        return "failed", "no row counter for this configuration"
    if n["row_counter"] != "proved":
        return "failed", f"the row counter is {n['row_counter']}, not proved exact"
    return "proved", (f"{n['n_patterns']} patterns, rank {n['constraint_rank']} (brute force agrees); "
                      "two-channel row counter proved exact")
