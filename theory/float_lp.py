"""Floating-point linear programs through HiGHS's own Python bindings (``highspy``).

Floating point here only *prunes or proposes*: :mod:`theory.regime_search` descends where
:class:`IncrementalLP` calls a partial system feasible and records the nodes it calls
infeasible, and :func:`theory.exact_lp.farkas_certificate` takes the support of a Farkas
vector from :func:`minimise`; every conclusion is then checked in exact arithmetic
(:mod:`theory.exact_lp`).

Why not ``scipy.optimize.linprog`` (also HiGHS): its per-call overhead (option checking, dense
to sparse conversion, a fresh model) is about ten times HiGHS's own solve on the regime
search's small systems. :class:`IncrementalLP` keeps ONE model per search: the rows of a depth
first search node are appended when it descends and deleted when it backtracks, and each
feasibility test is a warm-started dual simplex from the previous basis.

A ``highspy.Highs()`` prints a banner to standard output the first time one is built in a
process, which would corrupt ``radiuscnn derive --json``; the bare ``highspy._Highs`` with
``output_flag`` switched off before anything else prints nothing
(``tests/test_float_lp.py`` checks this at the file-descriptor level in a fresh process).
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

INF = float("inf")


def silent_highs(**options):
    """A HiGHS instance that writes nothing (``output_flag`` off first), one thread, with
    ``options`` set (``setOptionValue``)."""
    import highspy

    h = highspy._Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("threads", 1)
    for key, value in options.items():
        h.setOptionValue(key, value)
    return h


def _status_names():
    import highspy

    return highspy.HighsModelStatus.kOptimal, highspy.HighsModelStatus.kInfeasible


class RowBlock:
    """Rows ``lower_i <= a_i . x <= upper_i`` in compressed sparse row form, ready for
    ``Highs.addRows`` (float64 values, int32 indices)."""

    __slots__ = ("lower", "upper", "starts", "index", "value")

    def __init__(self, lower, upper, starts, index, value):
        self.lower = np.asarray(lower, dtype=np.float64)
        self.upper = np.asarray(upper, dtype=np.float64)
        self.starts = np.asarray(starts, dtype=np.int32)
        self.index = np.asarray(index, dtype=np.int32)
        self.value = np.asarray(value, dtype=np.float64)

    def __len__(self) -> int:
        return len(self.lower)


class IncrementalLP:
    """Feasibility of ``{x : col_lower <= x <= col_upper, lower <= A x <= upper}`` where the
    rows of ``A`` form a stack of blocks: :meth:`push` appends a block, :meth:`pop` removes the
    newest.

    Zero objective, so the LP is a pure feasibility problem; dual simplex without presolve,
    warm-started: appended rows enter with their slacks basic (the basis stays dual feasible),
    and :meth:`pop` restores the basis saved when the block was pushed (deleting rows whose
    slacks are nonbasic would otherwise invalidate it and force a cold start)."""

    def __init__(self, col_lower: Sequence[float], col_upper: Sequence[float]):
        self.h = silent_highs(presolve="off", solver="simplex", simplex_strategy=1)
        lo = np.asarray(col_lower, dtype=np.float64)
        up = np.asarray(col_upper, dtype=np.float64)
        self.h.addVars(len(lo), lo, up)
        self.rows = 0
        self._stack: list[tuple[int, object]] = []  # (rows of the block, basis before it)
        self._optimal, self._infeasible = _status_names()

    def push(self, *blocks: RowBlock) -> None:
        """Append the rows of ``blocks`` (one level of the stack)."""
        basis = self.h.getBasis()
        self._stack.append((sum(len(b) for b in blocks), basis if basis.valid else None))
        for block in blocks:
            if len(block):
                self.h.addRows(len(block), block.lower, block.upper, len(block.index),
                               block.starts, block.index, block.value)
                self.rows += len(block)

    def pop(self) -> None:
        """Delete the rows of the newest block and restore the basis from before it."""
        count, basis = self._stack.pop()
        if count:
            self.rows -= count
            self.h.deleteRows(count, np.arange(self.rows, self.rows + count, dtype=np.int32))
        if basis is not None:
            self.h.setBasis(basis)

    def feasible(self) -> bool:
        """Whether HiGHS finds the current system feasible (floating point, tolerance 1e-7).

        A solve that ends neither optimal nor infeasible (numerical trouble from the warm
        start) is repeated once from scratch."""
        self.h.run()
        status = self.h.getModelStatus()
        if status not in (self._optimal, self._infeasible):
            self.h.clearSolver()
            self.h.run()
            status = self.h.getModelStatus()
        return status == self._optimal


def minimise(cost: Sequence[float], col_lower: Sequence[float], col_upper: Sequence[float],
             columns: RowBlock, num_row: int, row_lower: Sequence[float],
             row_upper: Sequence[float]) -> tuple[np.ndarray, float] | None:
    """``min cost . z`` over ``col_lower <= z <= col_upper``, ``row_lower <= M z <= row_upper``
    where ``columns`` holds the COLUMNS of ``M`` (its ``starts``/``index``/``value`` in
    compressed sparse column form; its ``lower``/``upper`` are ignored). Returns
    ``(z, cost . z)`` at an optimal vertex, or ``None`` when not solved to optimality."""
    import highspy

    h = silent_highs(presolve="off")
    lp = highspy.HighsLp()
    lp.num_col_ = len(cost)
    lp.num_row_ = num_row
    lp.col_cost_ = np.asarray(cost, dtype=np.float64)
    lp.col_lower_ = np.asarray(col_lower, dtype=np.float64)
    lp.col_upper_ = np.asarray(col_upper, dtype=np.float64)
    lp.row_lower_ = np.asarray(row_lower, dtype=np.float64)
    lp.row_upper_ = np.asarray(row_upper, dtype=np.float64)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.num_col_ = len(cost)
    lp.a_matrix_.num_row_ = num_row
    lp.a_matrix_.start_ = np.concatenate([columns.starts, [len(columns.index)]]).astype(np.int32)
    lp.a_matrix_.index_ = columns.index
    lp.a_matrix_.value_ = columns.value
    h.passModel(lp)
    h.run()
    if h.getModelStatus() != _status_names()[0]:
        return None
    z = np.asarray(h.getSolution().col_value, dtype=np.float64)
    return z, float(h.getInfo().objective_function_value)
