"""The claim catalogue as data: one :class:`~radiuscnn.verify.registry.types.Claim` per ID.

Statements are in ``theory/THEORY.md`` (section 5, one subsection per claim). Each entry says what
is proved exactly, what is only tested numerically, with which tolerances and on which
sample; ``check`` decides it on one configuration. ``pytest verify``
(``verify/claims/test_catalogue.py``) and the report (``reports.collect``, through
``Context.claim``) both call these checks; the README's claims table is :func:`markdown_table`.

Adding a claim: append one :class:`Claim` to :data:`CLAIMS` (a ``measure`` and a pure
``decide``), give it a section in ``theory/THEORY.md`` and regenerate the README table with
``python -m radiuscnn.verify.registry --markdown``.
"""

from __future__ import annotations

from radiuscnn.verify.registry import exact as X
from radiuscnn.verify.registry import landscape as L
from radiuscnn.verify.registry import numerical as N
from radiuscnn.verify.registry.types import Claim

CLAIMS: tuple[Claim, ...] = (
    Claim(
        id="R1", title="run decomposition: the network sees a pulse only through run sums", theory="5.1",
        exact="the run counts n_J(r) of every radius sum to |I|; the decomposition is exact rational arithmetic",
        numerical="the decomposition against the float64 PyTorch forward pass of trained networks",
        how="exact rationals vs float64 torch",
        tolerances={"max_abs_diff": 1e-12}, sample={"members": 8},
        report_label="sec:runs", measure=N.measure_r1, decide=N.decide_r1),
    Claim(
        id="F1", title="fixed amplitude: the zero-loss system, its rank and bulk equations", theory="5.2",
        exact="the rank, consistency and identifiable combinations of the zero-loss system (SymPy, rationals)",
        numerical="the independent brute-force rank is numpy's SVD rank",
        how="exact rank vs independent brute force",
        tolerances={}, sample={}, report_label="sec:constraints", measure=X.measure_f1, decide=X.decide_f1),
    Claim(
        id="F2", title="kernel-size edge cases of the fixed-amplitude system", theory="5.3",
        exact="runs and rank for k = 1..9, N, N+1 and every padding",
        numerical="", how="sweep vs brute force",
        tolerances={}, sample={"kernels_up_to": 9},
        report_label="sec:constraints", measure=X.measure_f2, decide=X.decide_f2),
    Claim(
        id="A1", title="the one-channel ReLU background counter", theory="5.4",
        exact="beta, v b and r_max; the counter is proved exact on 0..r_max for every amplitude, refuted at r_max + 1",
        numerical="", how="exact interval proof; refuted at `r_max+1`",
        tolerances={}, sample={}, report_label="sec:a1", measure=X.measure_a1, decide=X.decide_a1),
    Claim(
        id="A2", title="structure of every one-channel ReLU zero-loss solution", theory="5.5",
        exact="the case analysis of the bulk slope and value equations (SymPy): exactly one case survives",
        numerical="", how="SymPy case analysis",
        tolerances={}, sample={}, report_label="sec:a2", measure=X.measure_a2, decide=X.decide_a2),
    Claim(
        id="A3", title="analytic activations: impossibility and loss-to-zero sequences", theory="5.6",
        exact="at a = 0 the symbolic output is the same for every radius (SymPy), for both heads",
        numerical="the losses of the rescaled sequences decrease to 0 (mpmath, 50 digits)",
        how="SymPy at `a = 0`; mpmath losses",
        tolerances={}, sample={}, report_label="sec:a3", measure=X.measure_a3, decide=X.decide_a3),
    Claim(
        id="A4", title="minimal width per activation, on every radius set", theory="5.7",
        exact="each construction is proved exact; one channel fewer is excluded by the bulk-pair argument or by "
              "an exhaustive regime search with exact LP (Farkas) certificates, else the width is an upper bound",
        numerical="", how="constructions proved exact; lower bound derived or searched, else `upper bound`",
        tolerances={}, sample={}, report_label="sec:a4", measure=X.measure_a4, decide=X.decide_a4),
    Claim(
        id="I1", title="training invariants: balancedness, reflection, FC background weights", theory="5.8",
        exact="",
        numerical="GD drift order of the balancedness, symmetric filters and FC background offsets, in float64",
        how="numerical, tolerances printed",
        tolerances={"gd_exponent_band": (1.8, 2.2), "adam_exponent_below": 1.5, "symmetry": 1e-10, "offsets": 1e-12},
        sample={"members": 4, "amplitudes": 5, "lrs": (0.01, 0.005, 0.0025), "flow_time": 0.5, "steps": 100},
        report_label="sec:training", measure=N.measure_i1, decide=N.decide_i1),
    Claim(
        id="T1", title="every trained weight: regime, equations, residuals, family, role", theory="5.9",
        exact="the verdict of each network over the whole amplitude interval (rational interval proof)",
        numerical="the slope and value residuals of trained float32 weights; success is a grid loss threshold",
        how="numerical residuals + exact verdict",
        tolerances={"loss": 1e-3, "residual": 0.5, "eps": "1/2"}, sample={},
        report_label="sec:training", measure=N.measure_t1, decide=N.decide_t1),
    Claim(
        id="D1", title="two dimensions: GAP error floor and FC ring law", theory="5.10",
        exact="the GAP background-counting floor (attained by a constructed network) and the FC ring law, proved",
        numerical="trained 2D networks compared with the floor and the ring law",
        how="exact enumeration and proof; trained comparison numerical",
        tolerances={}, sample={}, report_label="sec:d1", measure=X.measure_d1, decide=X.decide_d1),
    Claim(
        id="D2", title="two dimensions: window patterns, rank, and two channels exact", theory="5.14",
        exact="pattern counts and the exact rank of the 2D fixed-amplitude system; the two-channel ReLU row "
              "counter proved exact on the whole interval; minimal widths per activation (upper bounds in 2D)",
        numerical="the independent brute-force rank is numpy's float rank",
        how="exact vs numpy brute force; interval proof",
        tolerances={}, sample={}, report_label="sec:d1", measure=X.measure_d2, decide=X.decide_d2),
    Claim(
        id="L1", title="loss landscape: exact regime minima, the linear plateau, dead units, the way off the plateau",
        theory="5.11",
        exact="L_rho* per grid regime and its optimal set (rationals); L_plateau* (and its SymPy formula in the "
              "bulk); the dead loss Var(r); an exact descent direction from the plateau's boundary",
        numerical="the independent check of L_plateau* is a float64 least-squares fit",
        how="exact rationals; numpy lstsq as an independent check",
        tolerances={"lstsq_rel": 1e-10}, sample={"amplitudes": 11},
        report_label="sec:landscape", measure=L.measure_l1, decide=L.decide_l1),
    Claim(
        id="L2", title="every trained GAP network certified at a critical point of its grid regime", theory="5.12",
        exact="per network: the polished point lies in the regime, solves the normal equations and has loss "
              "exactly L_rho* (rational arithmetic)",
        numerical="which verdict training reaches is observed, not proved; gradient and perturbation checks in float64",
        how="exact certificate per network",
        tolerances={"min_assigned": 0.99, "gap": 1e-3}, sample={},
        report_label="sec:landscape", measure=L.measure_l2, decide=L.decide_l2),
    Claim(
        id="L3", title="the regime at initialisation predicts the outcome", theory="5.13",
        exact="a channel killed on the whole grid has zero gradient (checked: its weights are unchanged bit for bit)",
        numerical="the predicted and observed plateau rates over the seeds",
        how="trained ensemble, rates printed",
        tolerances={}, sample={},
        report_label="sec:landscape", measure=L.measure_l3, decide=L.decide_l3),
)

BY_ID = {c.id: c for c in CLAIMS}


def get(claim_id: str) -> Claim:
    """The registry entry ``claim_id``; a ``KeyError`` names the known IDs."""
    try:
        return BY_ID[claim_id]
    except KeyError:
        raise KeyError(f"unknown claim {claim_id!r}; known: {', '.join(BY_ID)}") from None


def _tolerance_text(claim: Claim) -> str:
    """`` (name value, ...)`` of the claim's tolerances, or nothing."""
    if not claim.tolerances:
        return ""
    def show(v):
        return "-".join(str(x) for x in v) if isinstance(v, (tuple, list)) else str(v)
    return " (" + ", ".join(f"{k.replace('_', ' ')} {show(v)}" for k, v in claim.tolerances.items()) + ")"


def markdown_table() -> str:
    """The README's claims table (``python -m radiuscnn.verify.registry --markdown``)."""
    lines = ["| ID | what is checked | how |", "| --- | --- | --- |"]
    lines += [f"| {c.id} | {c.title} | {c.how}{_tolerance_text(c)} |" for c in CLAIMS]
    return "\n".join(lines) + "\n"
