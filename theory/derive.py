"""``derive(cfg)``: the run decomposition and fixed-amplitude constraints of one configuration
(THEORY.md sections 3-4, claims R1, F1, F2), bundled for printing, JSON and LaTeX.

    runs            distinct window contents J over all positions and radii of the data
    counts          n_J(r) for every r in R (finite, theory.runs)
    symbolic_counts n_J(r) in r and M (zeros/valid; None for circular: numeric only)
    system          beta + (1/|I|) sum_J n_J(r) g_J = r, r in R; its exact rank and
                    identifiable combinations (row space); the gauge g_J + c, beta - c
    bulk_region     r >= r0, M - r >= H: counts affine in r (only empty/full/prefix/suffix)
    bulk_equations  slope and intercept equations on the bulk radii (None without any)

``to_json`` is a plain dict builder; other modules add keys to its result.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from radiuscnn.theory.config import Config
from radiuscnn.theory.constraints import (
    BulkEquations,
    LinearSystem,
    bulk_equations,
    gauge_direction,
    is_null,
    linear_system,
    pattern_label,
    reduce_system,
)
from radiuscnn.theory.counts import BulkRegion, bulk_region, run_type, symbolic_counts
from radiuscnn.theory.runs import Run, run_counts, runs_in_data


@dataclass(frozen=True)
class Derivation:
    config: Config
    runs: tuple[Run, ...]
    counts: dict[int, dict[Run, int]]
    symbolic_counts: dict[Run, sp.Expr] | None
    system: LinearSystem
    constraint_rank: int
    consistent: bool
    identifiable: tuple
    gauge: tuple[int, ...]
    bulk_region: BulkRegion | None
    bulk_equations: BulkEquations | None

    @property
    def n_runs(self) -> int:
        """Number of distinct window contents (0/1 patterns) in the data."""
        return len(self.runs)

    def label(self, run: Run) -> str:
        return pattern_label(self.config, run)

    # --- renderings ----------------------------------------------------------------------
    def __repr__(self) -> str:
        c = self.config
        return (f"Derivation({c.dim}D N={c.size} k={c.kernel} {c.padding}, radii {c.radii[0]}..{c.radii[-1]}: "
                f"{self.n_runs} window contents, constraint rank {self.constraint_rank}, "
                f"{'consistent' if self.consistent else 'inconsistent'})")

    def to_json(self) -> dict:
        """Plain JSON data (expressions as SymPy strings, runs named by their 0/1 pattern)."""
        cfg, label = self.config, self.label
        region, eqs = self.bulk_region, self.bulk_equations
        return {
            "config": cfg.to_json(),
            "n_runs": self.n_runs,
            "runs": [{"pattern": label(j), "offsets": list(j), "type": run_type(cfg, j)} for j in self.runs],
            "counts": {str(r): {label(j): n for j, n in c.items()} for r, c in self.counts.items()},
            "symbolic_counts": None
            if self.symbolic_counts is None
            else {label(j): str(n) for j, n in self.symbolic_counts.items()},
            "constraint_rank": self.constraint_rank,
            "n_unknowns": len(self.system.unknowns),
            "consistent": self.consistent,
            "identifiable": [str(x) for x in self.identifiable],
            "gauge": {str(x): c for x, c in zip(self.system.unknowns, self.gauge)},
            "bulk_region": None
            if region is None
            else {
                "r0": region.r0,
                "H": region.H,
                "symbolic": region.symbolic,
                "condition": f"r >= {region.r0} and M - r >= {region.H}",
                "counts": {label(j): str(n) for j, n in region.counts.items()},
            },
            "bulk_equations": None
            if eqs is None
            else {
                "radii": list(eqs.radii),
                "implied": eqs.implied,
                "slope": str(eqs.slope),
                "intercept": str(eqs.intercept),
                "slope_g": str(eqs.slope_g),
                "intercept_g": str(eqs.intercept_g),
            },
        }

    def pretty(self, width: int | None = None) -> str:
        """A readable text rendering (sympy.pretty for the formulas); ``width``: wrap every
        line, formulas included, to that many columns (``None``: no wrapping)."""
        cfg, label = self.config, self.label

        def pp(expr, indent: int) -> str:
            if width is None:
                return sp.pretty(expr, use_unicode=True, wrap_line=False)
            return sp.pretty(expr, use_unicode=True, wrap_line=True, num_columns=max(width - indent, 20))

        out = [
            f"Derivation for N={cfg.size} (M={cfg.M}), k={cfg.kernel} (h_l={cfg.h_l}, h_r={cfg.h_r}), "
            f"padding={cfg.padding}, head={cfg.head}, |I|={cfg.out_size}, R={list(cfg.radii)}",
            "",
            f"Runs in the data (R1): {self.n_runs} distinct window contents",
        ]
        for j in self.runs:
            counts = " ".join(str(self.counts[r].get(j, 0)) for r in cfg.radii)
            out.append(f"  {label(j)}  {run_type(cfg, j):9s} n_J(r) for r in R: {counts}")
        if self.symbolic_counts is None:
            out += ["", "Symbolic counts: numeric only for circular padding."]
        else:
            extra = len(self.symbolic_counts) - self.n_runs
            scope = (f" ({len(self.symbolic_counts)} candidate window contents; {extra} of them have "
                     f"n_J(r) = 0 for every r in R)") if extra > 0 else ""
            out += ["", f"Symbolic counts n_J(r) in r and M{scope}:"]
            for j, n in self.symbolic_counts.items():
                out.append(f"  {label(j)}: " + pp(n, 6).replace("\n", "\n      "))
        out += [
            "",
            f"Zero-loss system (F1): {len(self.system.radii)} equations, "
            f"{len(self.system.unknowns)} unknowns, rank {self.constraint_rank}, "
            f"{'consistent' if self.consistent else 'INCONSISTENT'}",
            "Identifiable combinations (row space basis):",
        ]
        out += ["  " + pp(x, 2).replace("\n", "\n  ") for x in self.identifiable]
        out.append("Gauge (invisible): g_J -> g_J + c for every J, beta -> beta - c")
        region, eqs = self.bulk_region, self.bulk_equations
        out.append("")
        if region is None:
            out.append("Bulk region: none")
        else:
            kind = "symbolic" if region.symbolic else f"numeric for N={cfg.size}"
            out.append(f"Bulk region ({kind}): r >= {region.r0}, M - r >= {region.H}; affine counts:")
            out += [f"  {label(j)}: {pp(n, 8)}" for j, n in region.counts.items()]
        if eqs is None:
            out.append("Bulk equations: none (no bulk radius in the data)")
        else:
            note = "equivalent to the bulk equations" if eqs.implied else "sufficient only (one bulk radius)"
            out.append(f"Bulk equations on r in {list(eqs.radii)} ({note}):")
            for name in ("slope_g", "slope", "intercept_g", "intercept"):
                text = pp(getattr(eqs, name), 4)
                out.append(f"  {name}:\n    " + text.replace("\n", "\n    "))
        if width is None:
            return "\n".join(out)
        import textwrap

        lines = "\n".join(out).split("\n")
        return "\n".join(
            "\n".join(textwrap.wrap(line, width, subsequent_indent=" " * (len(line) - len(line.lstrip()) + 4),
                                    break_on_hyphens=False)) if len(line) > width else line
            for line in lines)

    def latex(self, printer=sp.latex) -> dict[str, str]:
        """LaTeX strings of the derived formulas, keyed by name; ``printer`` turns one SymPy
        object into LaTeX (``sympy.latex`` by default; the report passes its own)."""
        label = self.label
        tex = {
            "system": r"\begin{aligned}"
            + r"\\ ".join(printer(e).replace("=", "&=", 1) for e in self.system.equations())
            + r"\end{aligned}",
            "identifiable": r",\quad ".join(printer(x) for x in self.identifiable),
        }
        if self.symbolic_counts is not None:
            tex["symbolic_counts"] = r"\begin{aligned}" + r"\\ ".join(
                rf"n_{{{label(j)}}}(r) &= {printer(n)}" for j, n in self.symbolic_counts.items()
            ) + r"\end{aligned}"
        if self.bulk_region is not None:
            tex["bulk_counts"] = r",\quad ".join(
                rf"n_{{{label(j)}}} = {printer(n)}" for j, n in self.bulk_region.counts.items()
            )
        if self.bulk_equations is not None:
            for name in ("slope", "intercept", "slope_g", "intercept_g"):
                tex[name] = printer(getattr(self.bulk_equations, name))
        return tex


def derive(cfg: Config) -> Derivation:
    """Runs, counts, constraints and the bulk reduction of a 1D configuration."""
    if cfg.dim != 1:
        raise ValueError("radiuscnn.theory.derive handles 1D configurations (dim=1)")
    system = linear_system(cfg)
    gauge = gauge_direction(system)
    if not is_null(system, gauge):
        raise AssertionError("the gauge direction changes an equation: counts do not sum to |I|")
    region = bulk_region(cfg)
    reduction = reduce_system(system)
    return Derivation(
        config=cfg,
        runs=runs_in_data(cfg),
        counts={r: dict(run_counts(cfg, r)) for r in cfg.radii},
        symbolic_counts=None if cfg.padding == "circular" else symbolic_counts(cfg),
        system=system,
        constraint_rank=reduction.rank,
        consistent=reduction.consistent,
        identifiable=reduction.identifiable,
        gauge=gauge,
        bulk_region=region,
        bulk_equations=bulk_equations(cfg, region),
    )
