"""Exact certificates for small linear feasibility problems ``A x <= b, E x = e`` (x free).

Rows are sparse: ``({column: Fraction}, rhs)``. Floating-point LPs (HiGHS, through
``scipy.optimize.linprog`` or :mod:`theory.float_lp`) find candidates; nothing is concluded
from them alone. Two exact certificates, each checked in ``Fraction`` arithmetic:

* a feasible point: ``x = x0 + N y`` parametrises ``E x = e`` exactly (reduced row echelon form
  over the rationals, SymPy's sparse ``DomainMatrix``); a max-margin LP in ``y``
  (``max delta : A (x0 + N y) + delta |A_i| <= b``) gives an interior point, rounded to
  rationals and checked; rows that are tight at every solution (implicit equalities: their
  largest possible slack is 0) join ``E`` first;
* infeasibility (Farkas): ``y >= 0``, ``lambda`` with ``A^T y + E^T lambda = 0`` and
  ``b . y + e . lambda = -1`` (summing the rows with these weights gives ``0 <= -1``). The float
  LP's vertex (:func:`theory.float_lp.minimise`) fixes the support of ``y``; the exact solution
  on that support is projected from the float one and checked (``y >= 0`` and both identities
  exactly, over the sparse rows: :func:`check_farkas`).

(SymPy's own exact simplex, ``sympy.solvers.simplex.linprog``, returned points violating the
equalities in SymPy 1.14 on these problems, so it is not used.)
"""

from __future__ import annotations

from fractions import Fraction
from typing import Sequence

import numpy as np

Row = dict  # {column: Fraction}
TOL = 1e-9
BOX = 100.0  # |y| <= BOX in the max-margin LP (keeps the rational point small)


def _exact_matrix(rows: Sequence[tuple[Row, Fraction]], n: int) -> tuple[list[list[Fraction]], list[Fraction]]:
    A = [[Fraction(0)] * n for _ in rows]
    for i, (row, _) in enumerate(rows):
        for j, x in row.items():
            A[i][j] += Fraction(x)
    return A, [Fraction(r) for _, r in rows]


def affine_parametrisation(E: list[list[Fraction]], e: list[Fraction], n: int):
    """``(x0, N)`` with ``{x : E x = e} = {x0 + N y}`` exactly, or ``None`` when inconsistent
    (dense rows; :func:`affine_parametrisation_sparse` does the work)."""
    return affine_parametrisation_sparse([{j: x for j, x in enumerate(row) if x} for row in E], e, n)


def affine_parametrisation_sparse(E: Sequence[Row], e: Sequence[Fraction], n: int):
    """``(x0, N)`` with ``{x : E x = e} = {x0 + N y}`` exactly, or ``None`` when inconsistent;
    ``E`` as sparse rows ``{column: Fraction}``. From the reduced row echelon form of ``[E | e]``
    (unique, so the result does not depend on how it is computed): ``x0`` is 0 on the free
    columns and the pivot entries of the last column on the pivots; column ``f`` of ``N`` is the
    unit vector of the ``f``-th free column minus its pivot-row entries."""
    if not E:
        return [Fraction(0)] * n, [[Fraction(int(i == j)) for j in range(n)] for i in range(n)]
    from sympy.polys.domains import QQ
    from sympy.polys.matrices import DomainMatrix

    mpq = QQ.dtype  # the domain's rational type, built directly (QQ(p, q) is much slower)
    aug = {}
    for i, (row, r) in enumerate(zip(E, e)):
        entries = {j: mpq(x.numerator, x.denominator) for j, x in row.items() if x}
        if r:
            entries[n] = mpq(r.numerator, r.denominator)
        if entries:
            aug[i] = entries
    rref, pivots = DomainMatrix(aug, (len(E), n + 1), QQ).rref()
    if n in pivots:
        return None
    sdm = rref.to_sparse().rep
    pivot_rows = [sdm.get(i, {}) for i in range(len(pivots))]
    x0 = [Fraction(0)] * n
    for p, row in zip(pivots, pivot_rows):
        x0[p] = _qq(row.get(n, 0))
    pivot_set = set(pivots)
    free = [j for j in range(n) if j not in pivot_set]
    N = [[Fraction(0)] * len(free) for _ in range(n)]
    for f, j in enumerate(free):
        N[j][f] = Fraction(1)
        for p, row in zip(pivots, pivot_rows):
            if j in row:
                N[p][f] = -_qq(row[j])
    return x0, N


def _qq(x) -> Fraction:
    """A SymPy ``QQ`` element (or 0) as a ``Fraction``."""
    return Fraction(int(x.numerator), int(x.denominator)) if x else Fraction(0)


def satisfies(A, b, E, e, x) -> bool:
    """Exact check of ``A x <= b`` and ``E x = e``."""
    def dot(row):
        return sum((a * xi for a, xi in zip(row, x) if a), Fraction(0))

    return all(dot(r) <= bi for r, bi in zip(A, b)) and all(dot(r) == ei for r, ei in zip(E, e))


def _max_margin(G: np.ndarray, h: np.ndarray):
    """``max delta`` s.t. ``G y + delta |G_i| <= h``, ``delta <= 1``; returns ``(delta, y)``."""
    from scipy.optimize import linprog

    m, d = G.shape
    norms = np.linalg.norm(G, axis=1)
    norms[norms == 0] = 1.0
    c = np.zeros(d + 1)
    c[-1] = -1.0
    res = linprog(c, A_ub=np.hstack([G, norms[:, None]]), b_ub=h,
                  bounds=[(-BOX, BOX)] * d + [(None, 1.0)], method="highs")
    if res.status != 0:
        return None, None
    return res.x[-1], res.x[:-1]


def exact_point(ub: Sequence[tuple[Row, Fraction]], eq: Sequence[tuple[Row, Fraction]], n: int,
                rounds: int = 6) -> list[Fraction] | None:
    """A rational ``x`` with ``A x <= b``, ``E x = e`` (checked exactly), or ``None``."""
    A, b = _exact_matrix(ub, n)
    E, e = _exact_matrix(eq, n)
    A_all, b_all = None, None
    for _ in range(rounds):
        par = affine_parametrisation(E, e, n)
        if par is None:
            return None
        x0, N = par
        d = len(N[0]) if N else 0
        if not A or d == 0:
            return x0 if satisfies(A_all or A, b_all or b, E, e, x0) else None
        Af = np.array([[float(x) for x in row] for row in A])
        Nf = np.array([[float(x) for x in row] for row in N])
        x0f = np.array([float(x) for x in x0])
        G = Af @ Nf
        h = np.array([float(x) for x in b]) - Af @ x0f
        delta, y = _max_margin(G, h)
        if delta is None:
            return None
        if delta > TOL:
            for den in (1, 2, 10, 100, 10**4, 10**6, 10**9):
                yq = [Fraction(v).limit_denominator(den) for v in y]
                x = [x0[i] + sum((N[i][j] * yq[j] for j in range(d) if N[i][j]), Fraction(0)) for i in range(n)]
                if satisfies(A_all or A, b_all or b, E, e, x) and satisfies(A, b, E, e, x):
                    return x
            return None
        # implicit equalities: rows whose slack cannot be made positive
        slack = h - G @ y
        tight = [i for i in range(len(A)) if slack[i] < 1e-7]
        from scipy.optimize import linprog

        moved = []
        for i in tight:
            res = linprog(G[i], A_ub=G, b_ub=h, bounds=[(-BOX, BOX)] * d, method="highs")
            if res.status == 0 and h[i] - res.fun < 1e-8:
                moved.append(i)
        if not moved:
            return None
        # implicit equalities join E (and are still checked as inequalities at the end)
        E += [A[i] for i in moved]
        e += [b[i] for i in moved]
        keep = [i for i in range(len(A)) if i not in moved]
        A_all, b_all = A_all or A, b_all or b
        A, b = [A[i] for i in keep], [b[i] for i in keep]
    return None


def _columns(rows: Sequence[tuple[Row, Fraction]]):
    """The rows as the COLUMNS of a sparse float matrix (:class:`theory.float_lp.RowBlock`)."""
    from radiuscnn.theory.float_lp import RowBlock

    starts, index, value = [], [], []
    for row, _ in rows:
        starts.append(len(index))
        for j, x in row.items():
            if x:
                index.append(j)
                value.append(float(x))
    return RowBlock(np.zeros(len(rows)), np.zeros(len(rows)), starts, index, value)


def farkas_certificate(ub, eq, n: int):
    """Exact ``(y, lam)`` proving ``A x <= b, E x = e`` infeasible, or ``None``.

    The float LP ``min b.y + e.lam : A^T y + E^T lam = 0, 0 <= y <= 1, -1 <= lam <= 1`` (the
    box keeps it bounded) gives a vertex with negative value; scaled to value -1 its ``y > 0``
    entries are the support ``S``. The exact system ``A_S^T y_S + E^T lam = 0``,
    ``b_S . y_S + e . lam = -1`` is solved exactly (:func:`affine_parametrisation_sparse`), the
    point of its solution set nearest the float vertex rounded to rationals, and the result
    checked exactly by :func:`check_farkas`."""
    from radiuscnn.theory.float_lp import minimise

    m, p = len(ub), len(eq)
    rows = list(ub) + list(eq)
    cost = [float(r) for _, r in rows]
    sol = minimise(cost, [0.0] * m + [-1.0] * p, [1.0] * (m + p), _columns(rows), n,
                   np.zeros(n), np.zeros(n))
    if sol is None or sol[1] > -TOL:
        return None
    z = sol[0] / -sol[1]  # scaled so the objective is -1
    support = [i for i in range(m) if z[i] > TOL]
    cols = support + [m + j for j in range(p)]
    # exact system on the support: [A_S^T E^T] (y_S, lam) = 0, b_S.y_S + e.lam = -1
    system: list[Row] = [{} for _ in range(n + 1)]
    for pos, i in enumerate(cols):
        row, rhs = rows[i]
        for k, x in row.items():
            if x:
                system[k][pos] = x
        if rhs:
            system[n][pos] = Fraction(rhs)
    rhs = [Fraction(0)] * n + [Fraction(-1)]
    par = affine_parametrisation_sparse(system, rhs, len(cols))
    if par is None:
        return None
    x0, N = par
    zf = np.array([z[i] for i in cols])
    if N and N[0]:
        Nf = np.array([[float(x) for x in row] for row in N])
        t, *_ = np.linalg.lstsq(Nf, zf - np.array([float(x) for x in x0]), rcond=None)
        tq = [Fraction(v).limit_denominator(10**6) for v in t]
        sol = [x0[i] + sum((N[i][j] * tq[j] for j in range(len(tq)) if N[i][j]), Fraction(0))
               for i in range(len(cols))]
    else:
        sol = x0
    y = [Fraction(0)] * m
    for i, s in zip(support, sol[: len(support)]):
        y[i] = s
    lam = sol[len(support):]
    return (y, lam) if check_farkas(ub, eq, n, y, lam) else None


def check_farkas(ub, eq, n: int, y, lam) -> bool:
    """Exact check: ``y >= 0``, ``A^T y + E^T lam = 0`` and ``b . y + e . lam < 0`` (sums over
    the sparse rows with nonzero weight only)."""
    if len(y) != len(ub) or len(lam) != len(eq) or any(yi < 0 for yi in y):
        return False
    column = [Fraction(0)] * n
    value = Fraction(0)
    for (row, rhs), weight in zip(list(ub) + list(eq), list(y) + list(lam)):
        if not weight:
            continue
        for k, x in row.items():
            column[k] += x * weight
        value += rhs * weight
    return all(c == 0 for c in column) and value < 0
