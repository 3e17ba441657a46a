"""Unit tests of theory.float_lp (HiGHS through highspy): the incremental feasibility LP agrees
with scipy's linprog, a one-shot LP finds the optimum, and nothing is printed."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import numpy as np
from scipy.optimize import linprog

from radiuscnn.theory.float_lp import IncrementalLP, RowBlock, minimise


def block(A, lower, upper) -> RowBlock:
    starts, index, value = [], [], []
    for row in A:
        starts.append(len(index))
        nz = np.flatnonzero(row)
        index += list(nz)
        value += list(row[nz])
    return RowBlock(lower, upper, starts, index, value)


def linprog_feasible(rows, n, col_lower, col_upper) -> bool:
    ub = [(a, u) for a, lo, u in rows if lo == -np.inf]
    eq = [(a, u) for a, lo, u in rows if lo != -np.inf]
    res = linprog(np.zeros(n),
                  A_ub=np.array([a for a, _ in ub]) if ub else None, b_ub=[u for _, u in ub] or None,
                  A_eq=np.array([a for a, _ in eq]) if eq else None, b_eq=[u for _, u in eq] or None,
                  bounds=list(zip(col_lower, col_upper)), method="highs")
    return res.status == 0


def test_incremental_lp_agrees_with_linprog_on_random_stacks():
    """Random pushes and pops of small integer rows (inequalities and equations); after every
    change both solvers are asked whether the current system is feasible."""
    rng = np.random.default_rng(7)
    agree = feasible_seen = infeasible_seen = 0
    for trial in range(12):
        n = int(rng.integers(2, 6))
        col_lower = [-np.inf] * (n - 1) + [0.0]
        col_upper = [np.inf] * (n - 1) + [1.0]
        lp = IncrementalLP(col_lower, col_upper)
        stack: list[list] = []
        for step in range(25):
            if stack and rng.random() < 0.35:
                stack.pop()
                lp.pop()
            else:
                k = int(rng.integers(1, 3))
                A = rng.integers(-3, 4, size=(k, n)).astype(float)
                b = rng.integers(-2, 4, size=k).astype(float)
                equal = rng.random() < 0.2
                lower = b if equal else np.full(k, -np.inf)
                rows = [(A[i], lower[i], b[i]) for i in range(k)]
                lp.push(block(A, lower, b))
                stack.append(rows)
            flat = [row for rows in stack for row in rows]
            expected = linprog_feasible(flat, n, col_lower, col_upper)
            assert lp.feasible() == expected, (trial, step)
            agree += 1
            feasible_seen += expected
            infeasible_seen += not expected
    assert agree == 12 * 25 and feasible_seen > 20 and infeasible_seen > 20


def test_minimise_finds_the_optimum_and_reports_failure():
    # min -z0 - z1 : z0 + 2 z1 <= 4, 3 z0 + z1 <= 6, z >= 0  ->  z = (8/5, 6/5), value -14/5
    columns = block(np.array([[1.0, 3.0], [2.0, 1.0]]), [0, 0], [0, 0])  # columns of M
    z, value = minimise([-1.0, -1.0], [0, 0], [np.inf, np.inf], columns, 2,
                        [-np.inf, -np.inf], [4.0, 6.0])
    assert np.allclose(z, [1.6, 1.2]) and abs(value + 2.8) < 1e-9
    # infeasible: z0 >= 1 and z0 <= 0
    assert minimise([0.0], [1.0], [np.inf], block(np.array([[1.0]]), [0], [0]), 1,
                    [-np.inf], [0.0]) is None


def test_highs_prints_nothing_in_a_fresh_process(capfd):
    """highspy.Highs() prints a banner at its first construction in a process; the module must
    not (it would corrupt ``derive --json``). Checked at the file-descriptor level."""
    code = textwrap.dedent("""
        from radiuscnn.theory.float_lp import IncrementalLP, RowBlock, minimise
        lp = IncrementalLP([-1e30, 0.0], [1e30, 1.0])
        lp.push(RowBlock([-float('inf')], [-1.0], [0], [1], [-1.0]))
        assert lp.feasible()
        lp.push(RowBlock([-float('inf')], [-2.0], [0], [1], [1.0]))
        assert not lp.feasible()
        lp.pop()
        assert lp.feasible()
        assert minimise([1.0], [0.0], [1.0], RowBlock([0], [0], [0], [0], [1.0]), 1, [0.0], [1.0])
    """)
    done = subprocess.run([sys.executable, "-c", code])
    out, err = capfd.readouterr()
    assert done.returncode == 0, err
    assert out == "" and err == ""
