"""The loss landscape of the GAP head on the training grid (THEORY.md section 10, claims L1a, L1b).

Training minimises ``L(theta) = (1/B) sum_{r in R, a in grid} (y(r, a) - r)^2`` over the grid
``R x {a_0..a_{K-1}}`` (``B = |R| K``, amplitudes ``a_j = a_min + j (a_max - a_min)/(K-1)``).
For a piecewise-linear ``sigma`` a *grid regime* ``rho`` assigns every (channel ``c``, run
``J``, grid amplitude ``a``) term the piece ``p`` holding ``z = a W_c[J] + b_c``; its region
``Omega_rho`` (every ``z`` strictly inside its piece) is open. On ``Omega_rho`` the GAP output is

    y(r, a) = beta + (1/|I|) sum_c sum_J n_J(r) [ s_p (a U_c[J] + U_c[b]) + t_p v_c ]

with ``U_c = v_c (w_c, b_c)``, linear in the *lifted* parameters
``x = (beta, U_1..U_C, v_1..v_C)`` (``U_c = (U_c[t] for t = -h_l..h_r, U_c[b])``), so

    L = ||X_rho x - r||^2 / B,      X_rho[(r, a), beta]   = 1
                                    X_rho[(r, a), U_c[t]] = (a/|I|) sum_{J ∋ t} n_J(r) s_p(c,J,a)
                                    X_rho[(r, a), U_c[b]] = (1/|I|) sum_J n_J(r) s_p(c,J,a)
                                    X_rho[(r, a), v_c]    = (1/|I|) sum_J n_J(r) t_p(c,J,a)

(rows radius-major, as ``numeric.data``). L1a: ``L_rho* = min_x ||X_rho x - r||^2 / B`` is an
exact rational and the minimisers form the affine set ``x_p + null(X_rho)``; here it comes from
the normal equations ``X^T X x = X^T r`` solved by SymPy's ``DomainMatrix`` over ``QQ``
(reduced row echelon form and null space). L1b: ``theta in Omega_rho`` with
``L(theta) = L_rho*`` is a local minimum of ``L`` (``L >= L_rho*`` on the open region).
Every number here is a ``Fraction``; nothing imports torch.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache
from typing import Callable

from sympy import QQ
from sympy.polys.matrices import DomainMatrix

from radiuscnn.theory.activations import PiecewiseLinear
from radiuscnn.theory.config import Config, ConfigError
from radiuscnn.theory.network import Params
from radiuscnn.theory.runs import Run, run_counts, run_sum, runs_in_data

TermKey = tuple[int, Run, Fraction]  # (channel c, run J, grid amplitude a)


def amplitude_grid(cfg: Config, n: int) -> tuple[Fraction, ...]:
    """The training amplitudes ``a_j = a_min + j (a_max - a_min)/(n - 1)``, ``j = 0..n-1``
    (``(a_min,)`` for ``n = 1`` or a fixed amplitude): the grid of ``numeric.data``, exactly."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ConfigError(f"--amplitudes: the number of amplitude grid points must be an integer >= 1, got {n!r}")
    if n == 1 or cfg.fixed_amplitude:
        return (cfg.a_min,)
    step = (cfg.a_max - cfg.a_min) / (n - 1)
    return tuple(cfg.a_min + j * step for j in range(n))


def grid_samples(cfg: Config, amplitudes) -> tuple[tuple[int, Fraction], ...]:
    """``(r, a)`` radius-major over ``R x amplitudes`` (the rows of ``X_rho``)."""
    return tuple((r, Fraction(a)) for r in cfg.radii for a in amplitudes)


def term_keys(cfg: Config, amplitudes) -> tuple[TermKey, ...]:
    """Every (channel, run of the data, grid amplitude), channel-major."""
    return tuple((c, run, Fraction(a)) for c in range(cfg.channels) for run in runs_in_data(cfg) for a in amplitudes)


# --------------------------------------------------------------------------------------------
# Grid regimes
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class GridTerm:
    """One term ``z = a W_c[J] + b_c`` at a grid amplitude: its piece and its ``margin``
    ``min(z - lo_p, hi_p - z)`` (``None`` when the piece is the whole line; ``<= 0`` means the
    point is not strictly inside the piece)."""

    channel: int
    run: Run
    amplitude: Fraction
    z: Fraction
    piece: int
    margin: Fraction | None

    def describe(self) -> str:
        run = "{" + ",".join(map(str, self.run)) + "}"
        return f"channel {self.channel}, run {run}, a = {self.amplitude}: z = {float(self.z):.6g} (piece {self.piece})"


@dataclass(frozen=True)
class GridRegime:
    """``rho``: the piece of every term of :func:`term_keys` (``pieces`` aligned with ``keys``)."""

    keys: tuple[TermKey, ...]
    pieces: tuple[int, ...]

    def piece(self, c: int, run: Run, a) -> int:
        return self._index()[(c, run, Fraction(a))]

    def _index(self) -> dict:
        cache = self.__dict__.get("_cache")
        if cache is None:
            cache = dict(zip(self.keys, self.pieces))
            object.__setattr__(self, "_cache", cache)
        return cache

    def channel_pieces(self, c: int) -> frozenset[int]:
        return frozenset(p for (ch, _, _), p in zip(self.keys, self.pieces) if ch == c)


def piece_margin(act: PiecewiseLinear, piece: int, z: Fraction) -> Fraction | None:
    """``min(z - lo_p, hi_p - z)`` (``None`` when the piece has no finite end)."""
    lo, hi = act.pieces[piece].lo, act.pieces[piece].hi
    gaps = ([z - lo] if lo is not None else []) + ([hi - z] if hi is not None else [])
    return min(gaps) if gaps else None


def grid_terms(cfg: Config, act: PiecewiseLinear, p: Params, amplitudes, regime: GridRegime | None = None) -> tuple[GridTerm, ...]:
    """Every term at ``p``; with ``regime`` the margins are measured to *its* pieces (a term
    outside its assigned piece then has a negative margin), else to the piece holding ``z``."""
    out = []
    for c, run, a in term_keys(cfg, amplitudes):
        z = a * run_sum(p.w[c], cfg, run) + p.b[c]
        piece = act.piece_index(z) if regime is None else regime.piece(c, run, a)
        out.append(GridTerm(c, run, a, z, piece, piece_margin(act, piece, z)))
    return tuple(out)


def grid_regime(cfg: Config, act: PiecewiseLinear, p: Params, amplitudes) -> GridRegime:
    """The grid regime read at ``p`` (a ``z`` on a breakpoint gets the left piece, margin 0)."""
    terms = grid_terms(cfg, act, p, amplitudes)
    return GridRegime(tuple((t.channel, t.run, t.amplitude) for t in terms), tuple(t.piece for t in terms))


def regime_from(cfg: Config, amplitudes, rule: Callable[[int, Run, Fraction], int]) -> GridRegime:
    """A regime given by ``rule(c, J, a) -> piece`` (e.g. every term alive)."""
    keys = term_keys(cfg, amplitudes)
    return GridRegime(keys, tuple(rule(*k) for k in keys))


def min_margin(terms) -> Fraction | None:
    margins = [t.margin for t in terms if t.margin is not None]
    return min(margins) if margins else None


def tightest(terms) -> GridTerm | None:
    """The term with the smallest margin (first of them)."""
    bounded = [t for t in terms if t.margin is not None]
    return min(bounded, key=lambda t: t.margin) if bounded else None


# --------------------------------------------------------------------------------------------
# Lifted parameters and the design matrix
# --------------------------------------------------------------------------------------------
def lifted_names(cfg: Config) -> tuple[str, ...]:
    """``beta, U[c,t] (t = -h_l..h_r), U[c,b]`` per channel, then ``v[c]``."""
    names = ["beta"]
    for c in range(cfg.channels):
        names += [f"U[{c},{t}]" for t in cfg.offsets] + [f"U[{c},b]"]
    return (*names, *(f"v[{c}]" for c in range(cfg.channels)))


def lift(p: Params) -> tuple[Fraction, ...]:
    """``x = (beta, v_c (w_c, b_c) per channel, v_c per channel)``."""
    x = [p.beta]
    for c in range(p.channels):
        x += [p.v[c] * w for w in p.w[c]] + [p.v[c] * p.b[c]]
    return tuple(x) + tuple(p.v)


def unlift(cfg: Config, x, fallback: Params) -> Params | None:
    """``theta`` with ``lift(theta) = x``: ``w_c, b_c = U_c / v_c``. A channel with
    ``v_c = 0`` and ``U_c = 0`` keeps ``fallback``'s filter and bias; ``None`` when some
    ``v_c = 0`` but ``U_c != 0`` (not reachable: ``theta`` would be at infinity)."""
    k, C = cfg.kernel, cfg.channels
    v = tuple(x[1 + C * (k + 1) + c] for c in range(C))
    w, b = [], []
    for c in range(C):
        U = x[1 + c * (k + 1): 1 + (c + 1) * (k + 1)]
        if v[c] == 0:
            if any(U):
                return None
            w.append(tuple(fallback.w[c]))
            b.append(fallback.b[c])
            continue
        w.append(tuple(u / v[c] for u in U[:k]))
        b.append(U[k] / v[c])
    return Params(w=tuple(w), b=tuple(b), beta=x[0], v=v)


def design_matrix(cfg: Config, act: PiecewiseLinear, regime: GridRegime, amplitudes) -> tuple[tuple[Fraction, ...], ...]:
    """``X_rho`` (module docstring), one row per ``(r, a)`` of :func:`grid_samples` (memoised:
    trained networks share regimes)."""
    return _design_matrix(cfg, act, regime, tuple(Fraction(a) for a in amplitudes))


@lru_cache(maxsize=256)
def _design_matrix(cfg, act, regime, amplitudes):
    if cfg.head != "gap" or cfg.dim != 1:
        raise ValueError("the lifted least-squares model is for the 1D GAP head")
    k, C, size = cfg.kernel, cfg.channels, Fraction(cfg.out_size)
    rows = []
    for r, a in grid_samples(cfg, amplitudes):
        row = [Fraction(0)] * (1 + C * (k + 2))
        row[0] = Fraction(1)
        for c in range(C):
            base = 1 + c * (k + 1)
            for run, n in run_counts(cfg, r).items():
                piece = act.pieces[regime.piece(c, run, a)]
                if piece.slope:
                    weight = n * piece.slope / size
                    for t in run:
                        row[base + t + cfg.h_l] += a * weight
                    row[base + k] += weight
                if piece.intercept:
                    row[1 + C * (k + 1) + c] += n * piece.intercept / size
        rows.append(tuple(row))
    return tuple(rows)


def regime_loss_at(cfg: Config, act: PiecewiseLinear, p: Params, amplitudes) -> Fraction:
    """``L(theta)`` through the lifted model of ``theta``'s own regime (equal to the forward
    pass: ``sigma`` is continuous, so a ``z`` on a breakpoint may use either piece)."""
    regime = grid_regime(cfg, act, p, amplitudes)
    return lifted_loss(design_matrix(cfg, act, regime, tuple(amplitudes)), targets(cfg, amplitudes), lift(p))


def targets(cfg: Config, amplitudes) -> tuple[Fraction, ...]:
    return tuple(Fraction(r) for r, _ in grid_samples(cfg, amplitudes))


def lifted_outputs(X, x) -> tuple[Fraction, ...]:
    return tuple(sum((xi * ci for xi, ci in zip(row, x) if xi), Fraction(0)) for row in X)


def lifted_loss(X, y, x) -> Fraction:
    """``||X x - y||^2 / B``."""
    return sum(((o - t) ** 2 for o, t in zip(lifted_outputs(X, x), y)), Fraction(0)) / len(y)


def normal_residual(X, y, x) -> tuple[Fraction, ...]:
    """``X^T (X x - y)``: zero exactly when ``x`` minimises ``||X x - y||^2``."""
    e = [o - t for o, t in zip(lifted_outputs(X, x), y)]
    return tuple(sum((row[j] * ej for row, ej in zip(X, e) if row[j]), Fraction(0)) for j in range(len(x)))


# --------------------------------------------------------------------------------------------
# Exact least squares over QQ
# --------------------------------------------------------------------------------------------
def _dm(rows) -> DomainMatrix:
    rows = [list(r) for r in rows]
    n = len(rows[0]) if rows else 0
    return DomainMatrix([[QQ(f.numerator, f.denominator) for f in r] for r in rows], (len(rows), n), QQ)


def _fractions(dm: DomainMatrix) -> list[list[Fraction]]:
    return [[Fraction(int(q.numerator), int(q.denominator)) for q in row] for row in dm.to_list()]


def closest_point(base, directions, target) -> tuple[Fraction, ...]:
    """The point of ``base + span(directions)`` closest to ``target``: ``base + N c`` with
    ``N^T N c = N^T (target - base)`` (exact; ``N`` has the directions as columns)."""
    base = tuple(Fraction(v) for v in base)
    N = [tuple(u) for u in directions]
    if not N:
        return base
    diff = [Fraction(a) - b for a, b in zip(target, base)]
    gram = [[sum((p * q for p, q in zip(u, v) if p and q), Fraction(0)) for v in N] for u in N]
    rhs = [[sum((p * d for p, d in zip(u, diff) if p), Fraction(0))] for u in N]
    rref, pivots = _dm([g + h for g, h in zip(gram, rhs)]).rref()
    reduced, coef = _fractions(rref), [Fraction(0)] * len(N)
    for row, col in enumerate(pivots):
        coef[col] = reduced[row][-1]
    return tuple(b + sum((cj * u[i] for cj, u in zip(coef, N) if cj), Fraction(0)) for i, b in enumerate(base))


def solve_square(A, b) -> list[Fraction]:
    """The solution of the non-singular system ``A c = b`` (exact, reduced row echelon form)."""
    rref, pivots = _dm([list(row) + [bi] for row, bi in zip(A, b)]).rref()
    if len(pivots) != len(A) or len(A) in pivots:
        raise ValueError("singular system")
    return [row[-1] for row in _fractions(rref)[: len(A)]]


def restrict(base, directions, equations) -> tuple[tuple[Fraction, ...], tuple[tuple[Fraction, ...], ...]] | None:
    """``base + span(directions)`` intersected with ``{x : g . x = 0 for g in equations}`` as a
    new ``(base, directions)``, or ``None`` when empty (exact)."""
    N = [tuple(u) for u in directions]
    if not equations:
        return tuple(base), tuple(N)
    m = len(N)
    A = [[sum((gi * u[i] for i, gi in enumerate(g) if gi), Fraction(0)) for u in N] for g in equations]
    b = [-sum((gi * base[i] for i, gi in enumerate(g) if gi), Fraction(0)) for g in equations]
    if m == 0:
        return (tuple(base), ()) if not any(b) else None
    rref, pivots = _dm([row + [bi] for row, bi in zip(A, b)]).rref()
    if m in pivots:
        return None
    reduced, c0 = _fractions(rref), [Fraction(0)] * m
    for row, col in enumerate(pivots):
        c0[col] = reduced[row][m]
    new_base = tuple(x + sum((cj * u[i] for cj, u in zip(c0, N) if cj), Fraction(0)) for i, x in enumerate(base))
    kernel = _fractions(_dm(A).nullspace()) if len(pivots) < m else []
    new_dirs = tuple(tuple(sum((kj * u[i] for kj, u in zip(k, N) if kj), Fraction(0)) for i in range(len(base)))
                     for k in kernel)
    return new_base, new_dirs


@dataclass(frozen=True)
class RegimeMinimum:
    """L1a for one regime: ``loss = L_rho*``, a minimiser ``particular``, a basis
    ``nullspace`` of ``null(X_rho)`` (the optimal set is ``particular + span(nullspace)``),
    ``rank`` of ``X_rho`` and ``samples = B``."""

    loss: Fraction
    particular: tuple[Fraction, ...]
    nullspace: tuple[tuple[Fraction, ...], ...]
    rank: int
    samples: int

    def project(self, x0) -> tuple[Fraction, ...]:
        """The point of the optimal set closest to ``x0`` (Euclidean, lifted coordinates)."""
        return closest_point(self.particular, self.nullspace, x0)

    def to_json(self) -> dict:
        return {"loss": str(self.loss), "loss_float": float(self.loss), "rank": self.rank,
                "nullity": len(self.nullspace), "samples": self.samples}


def regime_minimum(X, y) -> RegimeMinimum:
    """Solve ``min_x ||X x - y||^2`` exactly: the normal equations ``G x = h`` (``G = X^T X``,
    ``h = X^T y``, always consistent) in reduced row echelon form give a particular solution
    (free variables 0) and ``null(G) = null(X)`` the optimal directions."""
    Xd, yd = _dm(X), _dm([[v] for v in y])
    G, h = Xd.transpose() * Xd, Xd.transpose() * yd
    n = G.shape[1]
    rref, pivots = G.hstack(h).rref()
    reduced = _fractions(rref)
    x = [Fraction(0)] * n
    for row, col in enumerate(pivots):
        if col == n:
            raise AssertionError("normal equations are always consistent")
        x[col] = reduced[row][n]
    null = tuple(tuple(row) for row in _fractions(G.nullspace())) if len(pivots) < n else ()
    return RegimeMinimum(lifted_loss(X, y, x), tuple(x), null, len(pivots), len(y))


def solve_regime(cfg: Config, act: PiecewiseLinear, regime: GridRegime, amplitudes) -> RegimeMinimum:
    """``L_rho*`` and the optimal set of ``regime`` on the grid ``R x amplitudes`` (memoised)."""
    return _solve_regime(cfg, act, regime, tuple(Fraction(a) for a in amplitudes))


@lru_cache(maxsize=256)
def _solve_regime(cfg, act, regime, amplitudes):
    return regime_minimum(design_matrix(cfg, act, regime, amplitudes), targets(cfg, amplitudes))


def grid_loss(cfg: Config, act: PiecewiseLinear, p: Params, amplitudes) -> Fraction:
    """``L(theta)`` on the grid through the run decomposition (``theory.network.output``),
    exact for rational ``p``: independent of the lifted model."""
    from radiuscnn.theory.network import output

    samples = grid_samples(cfg, amplitudes)
    return sum(((output(cfg, p, r, a, act) - r) ** 2 for r, a in samples), Fraction(0)) / len(samples)
