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

import math
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache
from typing import Callable

from sympy import QQ
from sympy.polys.matrices import DomainMatrix

from radiuscnn.theory.activations import PiecewiseLinear
from radiuscnn.theory.config import Config, ConfigError
from radiuscnn.theory.network import Params, check_shapes
from radiuscnn.theory.rational import common_denominator
from radiuscnn.theory.runs import Run, run_counts, runs_in_data

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
    """Every (channel, run of the data, grid amplitude), channel-major (memoised per
    configuration and grid: the same tuple object for equal arguments)."""
    return _term_keys(cfg, tuple(Fraction(a) for a in amplitudes))


@lru_cache(maxsize=256)
def _term_keys(cfg: Config, amplitudes: tuple[Fraction, ...]) -> tuple[TermKey, ...]:
    return tuple((c, run, a) for c in range(cfg.channels) for run in runs_in_data(cfg) for a in amplitudes)


# --------------------------------------------------------------------------------------------
# Integers over a common denominator (exact; Fraction arithmetic term by term is the slow path)
# --------------------------------------------------------------------------------------------
class DesignMatrix(tuple):
    """``X_rho`` as a tuple of rows (equal to the plain tuple) that keeps its
    :func:`integer_matrix` form once computed."""


def integer_matrix(X) -> tuple[tuple[tuple[int, ...], ...], int]:
    """``(N, D)`` with ``X = N / D`` entrywise (one common denominator for the whole matrix;
    remembered on a :class:`DesignMatrix`)."""
    cached = getattr(X, "_integer", None)
    if cached is not None:
        return cached
    flat, D = common_denominator(v for row in X for v in row)
    n = len(X[0]) if X else 0
    out = tuple(flat[i * n:(i + 1) * n] for i in range(len(X))), D
    if isinstance(X, DesignMatrix):
        X._integer = out
    return out


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

    def __hash__(self) -> int:
        """The dataclass hash ``hash((keys, pieces))``, remembered (regimes key memoised
        solves; rehashing every ``Fraction`` amplitude each time was a cost of its own)."""
        cached = self.__dict__.get("_hash")
        if cached is None:
            cached = hash((self.keys, self.pieces))
            object.__setattr__(self, "_hash", cached)
        return cached

    def channel_pieces(self, c: int) -> frozenset[int]:
        return frozenset(p for (ch, _, _), p in zip(self.keys, self.pieces) if ch == c)


def piece_margin(act: PiecewiseLinear, piece: int, z: Fraction) -> Fraction | None:
    """``min(z - lo_p, hi_p - z)`` (``None`` when the piece has no finite end)."""
    lo, hi = act.pieces[piece].lo, act.pieces[piece].hi
    gaps = ([z - lo] if lo is not None else []) + ([hi - z] if hi is not None else [])
    return min(gaps) if gaps else None


def _term_scan(cfg: Config, act: PiecewiseLinear, p: Params, amplitudes, regime: GridRegime | None):
    """Every term of :func:`term_keys` at ``p`` in integers over one common denominator ``D``:
    ``(keys, zs, pieces, margins, D)`` with ``z = zs[i] / D`` and the margin to the piece
    (``regime``'s, else the one holding ``z``, the left one at a breakpoint) ``margins[i] / D``
    (``None`` for a piece without finite end). ``D`` clears the amplitudes, the filter taps,
    the biases and the breakpoints, so every comparison is one of integers."""
    check_shapes(cfg, p)
    if p.channels != cfg.channels:
        raise ValueError(f"parameters of {p.channels} channel(s) for a configuration of {cfg.channels}")
    amplitudes = tuple(Fraction(a) for a in amplitudes)
    keys = term_keys(cfg, amplitudes)
    (an, A), runs = common_denominator(amplitudes), runs_in_data(cfg)
    _, L = common_denominator(act.breakpoints)
    wn, Q = common_denominator([*(x for row in p.w for x in row), *p.b])
    k, D = cfg.kernel, A * Q * L

    def scaled(v):  # D v, an integer for v a breakpoint (None: an infinite end)
        return None if v is None else Fraction(v).numerator * (D // Fraction(v).denominator)

    ends = [(scaled(q.lo), scaled(q.hi)) for q in act.pieces]
    breaks = tuple(scaled(x) for x in act.breakpoints)
    if regime is not None and regime.keys is not keys and regime.keys != keys:
        pieces_of = [regime.piece(*key) for key in keys]
    else:
        pieces_of = None if regime is None else regime.pieces
    zs, pieces, margins = [], [], []
    i = 0
    for c in range(cfg.channels):
        taps, bias = wn[c * k:(c + 1) * k], wn[p.channels * k + c] * A * L
        for run in runs:
            W = sum(taps[t + cfg.h_l] for t in run) * L
            for a in an:
                z = a * W + bias
                if pieces_of is None:
                    piece = next((j for j, x in enumerate(breaks) if z <= x), len(breaks))
                else:
                    piece = pieces_of[i]
                lo, hi = ends[piece]
                gaps = ([z - lo] if lo is not None else []) + ([hi - z] if hi is not None else [])
                zs.append(z)
                pieces.append(piece)
                margins.append(min(gaps) if gaps else None)
                i += 1
    return keys, zs, pieces, margins, D


def grid_terms(cfg: Config, act: PiecewiseLinear, p: Params, amplitudes, regime: GridRegime | None = None) -> tuple[GridTerm, ...]:
    """Every term at ``p``; with ``regime`` the margins are measured to *its* pieces (a term
    outside its assigned piece then has a negative margin), else to the piece holding ``z``."""
    keys, zs, pieces, margins, D = _term_scan(cfg, act, p, amplitudes, regime)
    return tuple(GridTerm(c, run, a, Fraction(z, D), piece, None if m is None else Fraction(m, D))
                 for (c, run, a), z, piece, m in zip(keys, zs, pieces, margins))


def tightest_term(cfg: Config, act: PiecewiseLinear, p: Params, amplitudes,
                  regime: GridRegime | None = None) -> GridTerm | None:
    """``tightest(grid_terms(...))`` without building every term: the first term with the
    smallest margin (``None`` when no piece has a finite end); its ``margin`` is
    ``min_margin(grid_terms(...))``."""
    keys, zs, pieces, margins, D = _term_scan(cfg, act, p, amplitudes, regime)
    best = None
    for i, m in enumerate(margins):
        if m is not None and (best is None or m < margins[best]):
            best = i
    if best is None:
        return None
    c, run, a = keys[best]
    return GridTerm(c, run, a, Fraction(zs[best], D), pieces[best], Fraction(margins[best], D))


def grid_regime(cfg: Config, act: PiecewiseLinear, p: Params, amplitudes) -> GridRegime:
    """The grid regime read at ``p`` (a ``z`` on a breakpoint gets the left piece, margin 0)."""
    keys, _, pieces, _, _ = _term_scan(cfg, act, p, amplitudes, None)
    return GridRegime(keys, tuple(pieces))


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


def piece_table(cfg: Config, regime: GridRegime, amplitudes) -> dict[tuple[int, Run], tuple[int, ...]]:
    """``{(c, J): (regime.piece(c, J, a) for a in amplitudes)}`` over the runs of the data,
    read by position when ``regime.keys`` are :func:`term_keys` (no ``Fraction`` hashing)."""
    amplitudes = tuple(Fraction(a) for a in amplitudes)
    K, keys = len(amplitudes), term_keys(cfg, amplitudes)
    if regime.keys is keys or regime.keys == keys:
        return {(c, run): regime.pieces[i:i + K] for i, (c, run, _) in zip(range(0, len(keys), K), keys[::K])}
    return {(c, run): tuple(regime.piece(c, run, a) for a in amplitudes)
            for c in range(cfg.channels) for run in runs_in_data(cfg)}


def design_matrix(cfg: Config, act: PiecewiseLinear, regime: GridRegime, amplitudes) -> tuple[tuple[Fraction, ...], ...]:
    """``X_rho`` (module docstring), one row per ``(r, a)`` of :func:`grid_samples` (memoised:
    trained networks share regimes)."""
    return _design_matrix(cfg, act, regime, tuple(Fraction(a) for a in amplitudes))


@lru_cache(maxsize=256)
def _design_matrix(cfg, act, regime, amplitudes):
    """Row ``(r, a)``, channel ``c``: with ``m_p[t] = sum_{J ∋ t, piece p} n_J(r)`` and
    ``m_p = sum_{J in piece p} n_J(r)`` (integers), ``X[U_c[t]] = (a/|I|) sum_p s_p m_p[t]``,
    ``X[U_c[b]] = (1/|I|) sum_p s_p m_p`` and ``X[v_c] = (1/|I|) sum_p t_p m_p``: the sums over
    runs of the module docstring grouped by piece (exactly the same numbers)."""
    if cfg.head != "gap" or cfg.dim != 1:
        raise ValueError("the lifted least-squares model is for the 1D GAP head")
    k, C, size = cfg.kernel, cfg.channels, Fraction(cfg.out_size)
    table = piece_table(cfg, regime, amplitudes)
    rows = []
    for r in cfg.radii:
        counts = run_counts(cfg, r)
        for ia, a in enumerate(amplitudes):
            row = [Fraction(0)] * (1 + C * (k + 2))
            row[0] = Fraction(1)
            for c in range(C):
                base = 1 + c * (k + 1)
                taps: dict[int, list[int]] = {}
                for run, n in counts.items():
                    entry = taps.setdefault(table[c, run][ia], [0] * (k + 1))
                    for t in run:
                        entry[t + cfg.h_l] += n
                    entry[k] += n
                for index, m in sorted(taps.items()):
                    piece = act.pieces[index]
                    if piece.slope:
                        weight = piece.slope / size
                        for j in range(k):
                            if m[j]:
                                row[base + j] += a * weight * m[j]
                        row[base + k] += weight * m[k]
                    if piece.intercept:
                        row[1 + C * (k + 1) + c] += m[k] * piece.intercept / size
            rows.append(tuple(row))
    return DesignMatrix(rows)


def regime_loss_at(cfg: Config, act: PiecewiseLinear, p: Params, amplitudes) -> Fraction:
    """``L(theta)`` through the lifted model of ``theta``'s own regime (equal to the forward
    pass: ``sigma`` is continuous, so a ``z`` on a breakpoint may use either piece)."""
    regime = grid_regime(cfg, act, p, amplitudes)
    return lifted_loss(design_matrix(cfg, act, regime, tuple(amplitudes)), targets(cfg, amplitudes), lift(p))


def targets(cfg: Config, amplitudes) -> tuple[Fraction, ...]:
    return tuple(Fraction(r) for r, _ in grid_samples(cfg, amplitudes))


def _errors(X, y, x) -> tuple[list[int], int]:
    """``X x - y = e / M`` with integers ``e`` and one denominator ``M`` (exact)."""
    (N, D), (xn, E), (yn, F) = integer_matrix(X), common_denominator(x), common_denominator(y)
    M = math.lcm(D * E, F)
    s, f = M // (D * E), M // F
    return [s * sum(a * b for a, b in zip(row, xn) if a) - f * t for row, t in zip(N, yn)], M


def lifted_outputs(X, x) -> tuple[Fraction, ...]:
    """``X x`` (exact, integer arithmetic over a common denominator)."""
    (N, D), (xn, E) = integer_matrix(X), common_denominator(x)
    return tuple(Fraction(sum(a * b for a, b in zip(row, xn) if a), D * E) for row in N)


def lifted_loss(X, y, x) -> Fraction:
    """``||X x - y||^2 / B``."""
    e, M = _errors(X, y, x)
    return Fraction(sum(v * v for v in e), M * M * len(y))


def normal_residual(X, y, x) -> tuple[Fraction, ...]:
    """``X^T (X x - y)``: zero exactly when ``x`` minimises ``||X x - y||^2``."""
    (N, D), (e, M) = integer_matrix(X), _errors(X, y, x)
    return tuple(Fraction(sum(row[j] * ej for row, ej in zip(N, e) if row[j]), D * M) for j in range(len(x)))


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


def _normal_equations(X, y) -> tuple[DomainMatrix, DomainMatrix]:
    """``G = X^T X`` and ``h = X^T y`` over ``QQ``, the products taken in integers
    (``X = N / D``, ``y = m / F``: ``G = N^T N / D^2``, ``h = N^T m / (D F)``); the same
    matrices as the ``QQ`` products, built from exact entries."""
    (N, D), (m, F) = integer_matrix(X), common_denominator(y)
    n = len(N[0]) if N else 0
    cols = list(zip(*N)) if N else [()] * n
    G = [[sum(p * q for p, q in zip(cols[i], cols[j]) if p) for j in range(n)] for i in range(n)]
    h = [[sum(p * q for p, q in zip(cols[i], m) if p)] for i in range(n)]
    return (_dm([[Fraction(v, D * D) for v in row] for row in G]),
            _dm([[Fraction(v[0], D * F)] for v in h]))


def regime_minimum(X, y) -> RegimeMinimum:
    """Solve ``min_x ||X x - y||^2`` exactly: the normal equations ``G x = h`` (``G = X^T X``,
    ``h = X^T y``, always consistent) in reduced row echelon form give a particular solution
    (free variables 0) and ``null(G) = null(X)`` the optimal directions."""
    G, h = _normal_equations(X, y)
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
    """``L(theta)`` on the grid through the run decomposition (the forward pass of
    ``theory.network.output``), exact for rational ``p``: independent of the lifted model.

    In integers: every term ``z = zs / D`` (:func:`_term_scan`, its piece the one holding
    ``z``) gives ``sigma(z) = (S s_p zs + S t_p D) / (S D)`` (``S`` clearing the slopes and
    intercepts); with ``v_c, beta`` over ``V``, ``y(r, a) = Y / M``, ``M = V |I| S D`` and
    ``Y = |I| S D beta V + sum_c v_c V sum_J n_J(r) (S D sigma(z_{c,J,a}))``, so
    ``L = sum (Y - r M)^2 / (M^2 B)``."""
    amplitudes = tuple(Fraction(a) for a in amplitudes)
    keys, zs, pieces, _, D = _term_scan(cfg, act, p, amplitudes, None)
    (sn, S) = common_denominator([*(q.slope for q in act.pieces), *(q.intercept for q in act.pieces)])
    slopes, intercepts = sn[:len(act.pieces)], sn[len(act.pieces):]
    sig = [slopes[q] * z + intercepts[q] * D for z, q in zip(zs, pieces)]
    (hn, V) = common_denominator([p.beta, *p.v])
    size, K = cfg.out_size, len(amplitudes)
    runs = {run: j for j, run in enumerate(runs_in_data(cfg))}
    M = V * size * S * D
    total, samples = 0, 0
    for r in cfg.radii:
        counts = [(runs[run], n) for run, n in run_counts(cfg, r).items()]
        for ia in range(K):
            Y = hn[0] * size * S * D
            for c in range(cfg.channels):
                base = c * len(runs)
                Y += hn[1 + c] * sum(n * sig[(base + j) * K + ia] for j, n in counts)
            total += (Y - r * M) ** 2
            samples += 1
    return Fraction(total, M * M * samples)

