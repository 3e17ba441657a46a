"""Checkers for claims R1, F1, F2: each compares the theory engine with an independent
computation and returns a :class:`CheckResult` (``ok`` + details), so that a deliberately
wrong input can be shown to be rejected (tests/test_theory_engine.py).

Independent sides: :mod:`verify.brute_force` (numpy windows, float64 rank) and
:func:`torch_forward`, an explicit float64 PyTorch forward pass (``F.pad`` + ``F.conv1d`` +
activation + head) that knows nothing about runs. Tolerances are stated where floats enter.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Callable, Iterable

import numpy as np
import sympy as sp
import torch
import torch.nn.functional as F

from radiuscnn.numeric.activations import torch_spec
from radiuscnn.theory.activations import piecewise_linear
from radiuscnn.theory.config import Config
from radiuscnn.theory.constraints import BulkEquations, bulk_equations
from radiuscnn.theory.counts import count_mismatches
from radiuscnn.theory.network import Params, output
from radiuscnn.theory.runs import run_counts, run_pattern
from radiuscnn.theory.symbolic import exact_output, substitution
from radiuscnn.verify import brute_force as bf


@dataclass(frozen=True)
class CheckResult:
    """``ok`` iff no problem was found; ``details`` lists the problems (or one summary line)."""

    claim: str
    ok: bool
    details: tuple[str, ...] = field(default_factory=tuple)

    def __bool__(self) -> bool:
        return self.ok

    def __str__(self) -> str:
        head = f"{self.claim}: {'OK' if self.ok else 'FAILED'}"
        return "\n  ".join([head, *self.details[:20]])


def _result(claim: str, problems: list[str], summary: str = "") -> CheckResult:
    return CheckResult(claim, not problems, tuple(problems) if problems else ((summary,) if summary else ()))


def random_params(cfg: Config, seed: int) -> Params:
    """Seeded random rational parameters that fit ``cfg`` (numerators -9..9, denominators 1..6)."""
    rng = random.Random(seed)

    def q() -> Fraction:
        return Fraction(rng.randint(-9, 9), rng.randint(1, 6))

    C, k = cfg.channels, cfg.kernel
    return Params(
        w=tuple(tuple(q() for _ in range(k)) for _ in range(C)),
        b=tuple(q() for _ in range(C)),
        beta=q(),
        v=tuple(q() for _ in range(C)) if cfg.head == "gap" else None,
        V=tuple(tuple(q() for _ in range(cfg.out_size)) for _ in range(C)) if cfg.head == "fc" else None,
    )


# --- counts -----------------------------------------------------------------------------------
def check_symbolic_counts(cfg: Config, counts: dict | None = None) -> CheckResult:
    """R1: symbolic ``n_J(r)`` (default :func:`theory.counts.symbolic_counts`) equal the finite
    counts of :func:`theory.runs.run_counts` for every ``r = 0..M`` (zeros/valid)."""
    return _result("R1 symbolic counts = finite counts", count_mismatches(cfg, counts), f"r = 0..{cfg.M}")


def check_counts_brute(cfg: Config, counts: dict[int, dict] | None = None) -> CheckResult:
    """R1/F2: the engine's ``{r: {J: n_J(r)}}`` (default :func:`theory.runs.run_counts` over
    ``cfg.radii``) equal the brute-force window counts, run by run (as 0/1 patterns)."""
    counts = {r: run_counts(cfg, r) for r in cfg.radii} if counts is None else counts
    problems = []
    for r in cfg.radii:
        engine = {run_pattern(cfg, run): n for run, n in counts.get(r, {}).items() if n}
        brute = bf.window_counts(cfg, r)
        if engine != brute:
            diff = sorted(set(engine.items()) ^ set(brute.items()))
            problems.append(f"r={r}: engine and brute force differ on {diff[:4]}")
    return _result("R1 run counts = brute-force window counts", problems, f"radii {list(cfg.radii)}")


def check_n_runs(cfg: Config, n_runs: int) -> CheckResult:
    """F2: the number of distinct window contents equals the brute-force count."""
    brute = bf.n_runs(cfg)
    ok = n_runs == brute
    return CheckResult("F2 n_runs = brute force", ok, (f"engine {n_runs}, brute force {brute}",))


def check_rank(cfg: Config, rank: int) -> CheckResult:
    """F1/F2: the exact rank equals the float64 ``numpy.linalg.matrix_rank`` of the brute-force
    system matrix (default SVD tolerance)."""
    brute = bf.rank(cfg)
    return CheckResult("F1 rank = brute force", rank == brute, (f"engine {rank}, brute force {brute}",))


# --- the bulk equations -----------------------------------------------------------------------
def _coefficients(expr: sp.Expr) -> dict[str, Fraction]:
    """``{'beta' | 'g_0011' | '1': coefficient}`` of an expression linear in ``beta`` and ``g``."""
    out: dict[str, Fraction] = {}
    for term, coef in sp.expand(expr).as_coefficients_dict().items():
        name = "1" if term == 1 else str(term)
        out[name] = out.get(name, Fraction(0)) + Fraction(int(sp.Rational(coef).p), int(sp.Rational(coef).q))
    return {k: v for k, v in out.items() if v}


def _brute_equation(cfg: Config, r: int) -> dict[str, Fraction]:
    """Coefficients of ``beta + (1/|I|) sum_J n_J(r) g_J - r`` from brute-force counts."""
    counts = bf.window_counts(cfg, r)
    size = sum(counts.values())
    eq = {"g_" + "".join(map(str, p)): Fraction(n, size) for p, n in counts.items()}
    eq["beta"] = Fraction(1)
    eq["1"] = Fraction(-r)
    return eq


def _combine(a: dict, b: dict, ca=1, cb=1) -> dict[str, Fraction]:
    keys = set(a) | set(b)
    out = {k: ca * a.get(k, 0) + cb * b.get(k, 0) for k in keys}
    return {k: Fraction(v) for k, v in out.items() if v}


def _parallel(u: dict, v: dict) -> bool:
    keys = sorted(set(u) | set(v))
    rows = np.array([[float(u.get(k, 0)) for k in keys], [float(v.get(k, 0)) for k in keys]])
    return bool(np.linalg.matrix_rank(rows) == 1)


def _network_value(cfg: Config, p: Params, a: Fraction, pattern: str) -> float:
    """``g_J = sum_c v_c sigma(a W_c[J] + b_c)`` from the 0/1 pattern, in float64 torch."""
    mask = torch.tensor([int(ch) for ch in pattern], dtype=torch.float64)
    w = torch.tensor([[float(x) for x in row] for row in p.w], dtype=torch.float64)
    z = float(a) * (w @ mask) + torch.tensor([float(x) for x in p.b], dtype=torch.float64)
    v = torch.tensor([float(x) for x in p.v], dtype=torch.float64)
    return float((v * torch_activation(cfg, z)).sum())


def check_bulk_equations(
    cfg: Config, eqs: BulkEquations | None = None, params: Params | None = None, a=Fraction(1), tol=1e-12
) -> CheckResult:
    """F1: on consecutive bulk radii ``r, r+1`` of the data, the brute-force equations
    ``E(r)`` satisfy ``E(r+1) - E(r) ∥ slope_g`` and ``E(r) - r (E(r+1) - E(r)) = intercept_g``
    (exact rationals); every bulk radius obeys ``E(r) = r·slope + intercept``; and (with
    ``params``, GAP head) the network forms ``slope``/``intercept`` equal the g-forms with
    ``g_J`` computed from the pattern in float64 torch (within ``tol``)."""
    eqs = bulk_equations(cfg) if eqs is None else eqs
    if eqs is None:
        return CheckResult("F1 bulk equations", True, ("no bulk radius in the data",))
    problems = []
    slope_g = _coefficients(eqs.slope_g.lhs - eqs.slope_g.rhs)
    intercept_g = _coefficients(eqs.intercept_g.lhs - eqs.intercept_g.rhs)
    pairs = [(r, r + 1) for r in eqs.radii if r + 1 in eqs.radii]
    slopes = {}
    for r, s in pairs:
        e_r = _brute_equation(cfg, r)
        slopes[r] = slope = _combine(_brute_equation(cfg, s), e_r, 1, -1)  # E(r+1) - E(r)
        if not _parallel(slope, slope_g):
            problems.append(f"r={r},{s}: E(r+1)-E(r) = {slope} is not a multiple of the slope equation")
        intercept = _combine(e_r, slope, 1, -r)  # E(r) - r (E(r+1) - E(r))
        if intercept != intercept_g:
            problems.append(f"r={r}: E(r) - r*slope = {intercept} != intercept {intercept_g}")
    if slopes:
        slope = next(iter(slopes.values()))
        for t in eqs.radii:
            if _combine(_brute_equation(cfg, t), _combine(intercept_g, slope, 1, t), 1, -1):
                problems.append(f"bulk radius {t}: its equation is not slope*r + intercept")
    if params is not None and cfg.head == "gap":
        values = substitution(cfg, params, a)
        for name in ("slope", "intercept"):
            net, gform = getattr(eqs, name), getattr(eqs, name + "_g")
            want = 0.0
            for key, coef in _coefficients(gform.lhs - gform.rhs).items():
                if key == "1":
                    value = 1.0
                elif key == "beta":
                    value = float(params.beta)
                else:  # g_<pattern>
                    value = _network_value(cfg, params, a, key[2:])
                want += float(coef) * value
            got = float((net.lhs - net.rhs).xreplace(values))
            if abs(got - want) > tol * max(1.0, abs(want)):
                problems.append(f"{name}: network form {got} != g-form {want}")
    summary = f"bulk radii {list(eqs.radii)}, {len(pairs)} consecutive pairs"
    return _result("F1 bulk equations = definition", problems, summary)


# --- the decomposition against PyTorch ----------------------------------------------------------
def torch_activation(cfg: Config, z: torch.Tensor) -> torch.Tensor:
    """sigma in float64 torch, written from its definition (softplus without a threshold)."""
    return torch_spec(cfg.activation).definition(z, float(cfg.alpha))


def torch_forward(cfg: Config, p: Params, r: int, a) -> float:
    """The reference: pulse -> pad -> ``F.conv1d`` -> sigma -> head, all float64.

    Zeros: ``F.pad`` constant ``(h_l, h_r)``; circular: ``F.pad(mode='circular')``, or index
    arithmetic modulo ``N`` when the padding exceeds ``N`` (``F.pad`` wraps at most once);
    valid: no padding. ``F.conv1d`` is a cross-correlation, as the architecture specifies."""
    n, h_l, h_r = cfg.size, (cfg.kernel - 1) // 2, cfg.kernel - 1 - (cfg.kernel - 1) // 2
    pulse = [float(a) if abs(i) <= r else 0.0 for i in range(-cfg.M, cfg.M + 1)]
    x = torch.tensor(pulse, dtype=torch.float64).reshape(1, 1, n)
    if cfg.padding == "zeros":
        x = F.pad(x, (h_l, h_r), mode="constant", value=0.0)
    elif cfg.padding == "circular":
        if max(h_l, h_r) <= n:
            x = F.pad(x, (h_l, h_r), mode="circular")
        else:
            x = x[..., torch.arange(-h_l, n + h_r) % n]
    w = torch.tensor([[float(t) for t in row] for row in p.w], dtype=torch.float64).unsqueeze(1)
    b = torch.tensor([float(t) for t in p.b], dtype=torch.float64)
    u = torch_activation(cfg, F.conv1d(x, w, b))[0]  # (C, |I|)
    if cfg.head == "gap":
        v = torch.tensor([float(t) for t in p.v], dtype=torch.float64)
        return float(p.beta) + float((v * u.mean(dim=1)).sum())
    V = torch.tensor([[float(t) for t in row] for row in p.V], dtype=torch.float64)
    return float(p.beta) + float((V * u).sum())


def decomposition_exact(cfg: Config, p: Params) -> Callable:
    """``(r, a) -> y`` by :func:`theory.network.output` with the exact piecewise-linear sigma."""
    sigma = piecewise_linear(cfg.activation, cfg.alpha)
    if sigma is None:
        raise ValueError(f"{cfg.activation} is not piecewise linear")
    return lambda r, a: output(cfg, p, r, a, sigma)


def decomposition_symbolic(cfg: Config, p: Params) -> Callable:
    """``(r, a) -> y`` by exact substitution into :func:`theory.symbolic.output_expr`."""
    return lambda r, a: exact_output(cfg, p, r, a)


def check_decomposition(
    cfg: Config,
    params: Params,
    amplitudes: Iterable,
    decomposition: Callable | None = None,
    reference: Callable | None = None,
    tol: float = 1e-12,
) -> CheckResult:
    """R1: ``decomposition(r, a)`` equals ``reference(r, a)`` (default :func:`torch_forward` with
    ``params``) on every radius of ``cfg.radii`` and amplitude, within ``tol`` (absolute, scaled
    by ``max(1, |y|)``). The default decomposition is :func:`decomposition_exact` for
    piecewise-linear sigma, else the symbolic output evaluated with ``evalf``."""
    if decomposition is None:
        if piecewise_linear(cfg.activation, cfg.alpha) is not None:
            decomposition = decomposition_exact(cfg, params)
        else:
            decomposition = lambda r, a: float(sp.N(exact_output(cfg, params, r, a), 30))  # noqa: E731
    reference = (lambda r, a: torch_forward(cfg, params, r, a)) if reference is None else reference
    problems, worst, n = [], 0.0, 0
    for r in cfg.radii:
        for a in amplitudes:
            mine, ref = decomposition(r, a), reference(r, a)
            err = abs(float(mine) - ref)
            worst, n = max(worst, err), n + 1
            if err > tol * max(1.0, abs(ref)):
                problems.append(f"r={r}, a={a}: decomposition {float(mine)!r} != {ref!r} ({err:.3g})")
    return _result("R1 decomposition = torch forward", problems, f"{n} samples, max error {worst:.3g}")
