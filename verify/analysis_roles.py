"""The role of every weight (part 3 of :mod:`verify.analysis`): determined by an equation,
constrained by an inequality (with its slack), or free; for analytic ``sigma`` from the
numerical Jacobian of the outputs."""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Callable

import torch

from radiuscnn.theory.config import Config
from radiuscnn.theory.network import Params, head_terms
from radiuscnn.theory.runs import Run
from radiuscnn.verify.analysis_equations import Equation
from radiuscnn.verify.analysis_terms import TermState, parameter_values

ROLES = ("determined", "inequality", "free")


# --------------------------------------------------------------------------------------------
# 3. Roles
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class WeightRole:
    """The role of one parameter (module docstring, item 3). ``equation`` is the equation with
    the largest coefficient and ``coefficient`` that coefficient (determined); ``slack`` the
    smallest margin of the terms it keeps on their pieces and ``constraint`` names the tightest
    (inequality); ``equations`` counts the equations it appears in."""

    name: str
    value: Fraction
    role: str
    equation: str | None = None
    coefficient: Fraction | None = None
    equations: int = 0
    slack: Fraction | None = None
    constraint: str | None = None

    def detail(self) -> str:
        """One human-readable line: the equation, or the slack, or why it is free."""
        if self.role == "determined":
            more = f" (+{self.equations - 1} more)" if self.equations > 1 else ""
            return f"{self.equation}, coefficient {float(self.coefficient):.4g}{more}"
        if self.role == "inequality":
            return f"slack {float(self.slack):.4g}: {self.constraint}"
        return self.constraint or "no effect on the outputs on the data"

    def to_json(self) -> dict:
        return {
            "name": self.name,
            "value": float(self.value),
            "role": self.role,
            "equation": self.equation,
            "coefficient": None if self.coefficient is None else float(self.coefficient),
            "equations": self.equations,
            "slack": None if self.slack is None else float(self.slack),
            "constraint": self.constraint,
        }


def _used_terms(cfg: Config, p: Params) -> set[tuple[int, Run]]:
    """Terms ``(c, J)`` whose activation reaches the output: some radius uses them with a
    non-zero head weight."""
    heads = [(x,) for x in p.v] if cfg.head == "gap" else p.V
    live = [[h != 0 for h in row] for row in heads]
    return {(c, run) for r in cfg.radii for run, column, n in head_terms(cfg, r) if n != 0
            for c in range(p.channels) if live[c][column]}


def _above(tol) -> Callable[[Fraction], bool]:
    """``coef -> |coef| > tol`` for Fractions ``coef``, as Python compares a Fraction with a
    float (exactly, through the float's rational value), in integers: ``|n| t_d > t_n d``."""
    if not math.isfinite(tol):
        return lambda coef: abs(coef) > tol
    tn, td = Fraction(tol).as_integer_ratio()
    return lambda coef: abs(coef.numerator) * td > tn * coef.denominator


def roles(
    cfg: Config, p: Params, terms: tuple[TermState, ...], eqs: tuple[Equation, ...], coefficient_tol: float
) -> tuple[WeightRole, ...]:
    """Every parameter's role from the equations' coefficients and the terms' margins."""
    values = parameter_values(cfg, p)
    used = _used_terms(cfg, p)
    appearances: dict[str, list[tuple[str, Fraction]]] = {}
    above = _above(coefficient_tol)
    for eq in eqs:
        for name, coef in eq.coefficients:
            if above(coef):
                appearances.setdefault(name, []).append((eq.name, coef))
    out = []
    for name, value in values.items():
        found = appearances.get(name, [])
        count = len(found)
        best = max(found, key=lambda item: abs(item[1])) if found else None  # first of the largest
        if best is not None:
            out.append(WeightRole(name, value, "determined", best[0], best[1], count))
            continue
        constrained = [t for t in terms if (t.channel, t.run) in used and _enters(name, t) and t.margin is not None]
        if constrained:
            tight = min(constrained, key=lambda t: t.margin)
            what = f"keeps run {list(tight.run)} of channel {tight.channel} {tight.status}"
            out.append(WeightRole(name, value, "inequality", slack=tight.margin, constraint=what))
        else:
            out.append(WeightRole(name, value, "free", constraint="no effect on the outputs on the data"))
    return tuple(out)


def _enters(name: str, term: TermState) -> bool:
    """Whether parameter ``name`` enters ``z_{c,J} = a W_c[J] + b_c`` of ``term``."""
    if name.startswith("w["):
        c, t = (int(x) for x in name[2:-1].split(","))
        return c == term.channel and t in term.run
    if name.startswith("b["):
        return int(name[2:-1]) == term.channel
    return False


def output_jacobian(cfg: Config, params: dict, e: int, x: torch.Tensor) -> torch.Tensor:
    """``d y_b / d theta`` of member ``e`` on the batch ``x``, float64, shape (B, #parameters)
    with the columns in :func:`parameter_names` order (autograd, vectorised)."""
    from radiuscnn.numeric.model import forward

    names = ["w", "b", "v" if cfg.head == "gap" else "V", "beta"]
    member = tuple(params[k][e : e + 1].detach().to(torch.float64) for k in names)

    def outputs(*tensors):
        return forward(cfg, dict(zip(names, tensors)), x.to(torch.float64)).output[0]

    blocks = torch.autograd.functional.jacobian(outputs, member, vectorize=True)
    return torch.cat([j.reshape(j.shape[0], -1) for j in blocks], dim=1)


def jacobian_roles(cfg: Config, params: dict, e: int, x: torch.Tensor, coefficient_tol: float) -> tuple[WeightRole, ...]:
    """Roles from the float64 autograd Jacobian of the outputs on the batch ``x`` (for
    activations without pieces): determined when some ``|d y_b / d theta| > tol``, else free."""
    from radiuscnn.numeric.model import to_exact

    jac = output_jacobian(cfg, params, e, x).abs().max(dim=0).values
    values = parameter_values(cfg, to_exact(cfg, params, e))
    out = []
    for (name, value), size in zip(values.items(), jac.tolist()):
        if size > coefficient_tol:
            out.append(WeightRole(name, value, "determined", "outputs on the data (numerical Jacobian)",
                                  Fraction(size), x.shape[0]))
        else:
            out.append(WeightRole(name, value, "free", constraint="zero Jacobian on the data"))
    return tuple(out)


def roles_summary(rs: tuple[WeightRole, ...]) -> dict[str, int]:
    return {role: sum(r.role == role for r in rs) for role in ROLES}


