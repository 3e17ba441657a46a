"""2D window patterns and the fixed-amplitude zero-loss system (THEORY.md section 7; F1 in 2D).

On a disk ``x = a 1[D_rho]`` the window of output pixel ``p`` holds ``a`` times the 0/1
*pattern* ``J_p(rho) = {(s, t) in [-h_l, h_r]^2 : p + (s, t) in D_rho}`` (zeros, valid or
circular padding; :func:`theory.disk_geometry.pattern_counts` enumerates the windows). As in 1D
(section 4) the network sees the filter only through the pattern sums, and with one amplitude
``a`` zero loss is the *linear* system in the responses ``g_J = sum_c v_c sigma(a W_c[J] + b_c)``
and ``beta``:

    beta + (1/|I|^2) sum_J n_J(rho) g_J = rho,        rho in R,

one unknown per distinct pattern of the data plus ``beta``, one equation per radius. Its exact
rank (SymPy ``DomainMatrix`` over ``QQ``) and consistency are derived here; the gauge
``g_J -> g_J + c``, ``beta -> beta - c`` (the counts of every radius sum to ``|I|^2``) is
always in the null space, so the rank is at most ``n_patterns``.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache

from radiuscnn.theory.config import Config
from radiuscnn.theory.disk_geometry import Pattern, pattern_counts


@dataclass(frozen=True)
class PatternTable:
    """The distinct patterns over all output pixels and radii of ``R`` (ordered by size, then
    offsets; the empty pattern first) and ``counts[rho][J] = n_J(rho)``."""

    patterns: tuple[Pattern, ...]
    counts: dict[int, dict[Pattern, int]]

    @property
    def n_patterns(self) -> int:
        return len(self.patterns)

    def counts_per_radius(self, rho: int) -> tuple[int, ...]:
        return tuple(self.counts[rho].get(J, 0) for J in self.patterns)


@lru_cache(maxsize=128)
def pattern_table(cfg: Config) -> PatternTable:
    if cfg.dim != 2:
        raise ValueError("patterns are the 2D window contents (dim = 2)")
    counts = {rho: pattern_counts(cfg, rho) for rho in cfg.radii}
    seen = {J for c in counts.values() for J in c}
    return PatternTable(tuple(sorted(seen, key=lambda J: (len(J), J))), counts)


@dataclass(frozen=True)
class PatternSystem:
    """``A [g; beta] = rho``: row ``rho`` is ``(n_J(rho)/|I|^2 for J in patterns, 1)``."""

    radii: tuple[int, ...]
    n_patterns: int
    rank: int
    consistent: bool

    @property
    def n_unknowns(self) -> int:
        return self.n_patterns + 1

    def to_json(self) -> dict:
        return {"n_equations": len(self.radii), "n_unknowns": self.n_unknowns,
                "constraint_rank": self.rank, "consistent": self.consistent}


def system_rows(cfg: Config) -> list[list[Fraction]]:
    """The exact coefficient rows of the zero-loss system (without the right-hand side)."""
    table = pattern_table(cfg)
    n = cfg.n_outputs
    return [[Fraction(c, n) for c in table.counts_per_radius(rho)] + [Fraction(1)] for rho in cfg.radii]


def exact_rank(rows: list[list[Fraction]]) -> int:
    """Rank over the rationals (SymPy ``DomainMatrix`` over ``QQ``)."""
    from sympy.polys.domains import QQ
    from sympy.polys.matrices import DomainMatrix

    if not rows:
        return 0
    M = DomainMatrix([[QQ(x.numerator, x.denominator) for x in row] for row in rows], (len(rows), len(rows[0])), QQ)
    return M.rank()


@lru_cache(maxsize=128)
def pattern_system(cfg: Config) -> PatternSystem:
    """The fixed-amplitude system of ``cfg`` with its exact rank and consistency."""
    rows = system_rows(cfg)
    rank = exact_rank(rows)
    augmented = [row + [Fraction(rho)] for row, rho in zip(rows, cfg.radii)]
    return PatternSystem(cfg.radii, pattern_table(cfg).n_patterns, rank, exact_rank(augmented) == rank)


def patterns_json(cfg: Config) -> dict:
    """``n_patterns``, ``pattern_counts`` per radius (pattern = its offsets) and the system."""
    table = pattern_table(cfg)
    return {
        "n_patterns": table.n_patterns,
        "pattern_sizes": [len(J) for J in table.patterns],
        "constraint_rank": pattern_system(cfg).rank,
        "system": pattern_system(cfg).to_json(),
    }
