"""The claim registry's plain data: a claim, the inputs of its check, and its result.

A :class:`Claim` is data (ID, title, the THEORY section, what is proved exactly, what is only
tested numerically, tolerances, sample sizes) plus one function ``check(inputs) ->
ClaimResult``. Every check is split into *measure* (compute the numbers from the engine, the
trainer or the checkers) and a pure :attr:`Claim.decide` over those numbers and the claim's
tolerances, so a unit test can feed ``decide`` a wrong number and watch it fail.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

PASSING = ("proved", "derived", "tested")  # exact proof; symbolic derivation; numerical test
STATUSES = PASSING + ("failed", "partial", "not_applicable")


class MissingInput(ValueError):
    """A check needs an input the caller did not give (e.g. R1 without trained networks)."""


@dataclass(frozen=True)
class Inputs:
    """What a check may read. ``cfg``: the 1D configuration; ``tcfg``: the training
    configuration (``numeric.train_config.TrainConfig``); ``params``: a trained ensemble's
    tensors ``{"w", "b", "v" | "V", "beta"}`` (R1, T1); ``analyses``: the
    ``verify.analysis.NetworkAnalysis`` of those members, if already computed (T1);
    ``cfg2``: the 2D configuration (D1); ``landscapes``: the ``verify.landscape.Landscape``
    certificates of those members, if already computed (L2, read by L3)."""

    cfg: Any
    tcfg: Any = None
    params: Mapping | None = None
    analyses: tuple | None = None
    cfg2: Any = None
    landscapes: tuple | None = None


@dataclass(frozen=True)
class ClaimResult:
    """One claim decided on one configuration.

    ``status`` in :data:`STATUSES`; ``numbers`` the measured values the decision read;
    ``tolerance`` the thresholds it applied (from the registry entry); ``sample`` what was
    measured (members, steps, amplitudes, ...); ``reason`` one line; ``evidence`` the engine
    objects the numbers came from (for the report's prose; not serialised)."""

    claim: str
    status: str
    numbers: Mapping[str, Any]
    tolerance: Mapping[str, Any]
    sample: Mapping[str, Any]
    reason: str = ""
    evidence: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def passed(self) -> bool:
        return self.status in PASSING

    def to_json(self) -> dict:
        return {"status": self.status, "numbers": dict(self.numbers), "tolerance": dict(self.tolerance),
                "sample": dict(self.sample), "reason": self.reason}

    def describe(self) -> str:
        """One line for test output: status, numbers, tolerance and sample."""
        def show(m):
            return ", ".join(f"{k} = {v}" for k, v in m.items()) or "none"

        return (f"{self.claim}: {self.status} ({self.reason}); numbers: {show(self.numbers)}; "
                f"tolerance: {show(self.tolerance)}; sample: {show(self.sample)}")


@dataclass(frozen=True)
class Claim:
    """One entry of the catalogue (theory/THEORY.md section 5)."""

    id: str
    title: str
    theory: str  # the section of theory/THEORY.md that states it ("5.1")
    exact: str  # what is proved or derived exactly ("" when nothing is)
    numerical: str  # what is only tested numerically ("" when nothing is)
    how: str  # one line: how it is checked (the README's table)
    tolerances: Mapping[str, Any]
    sample: Mapping[str, Any]
    report_label: str  # the report section (LaTeX label)
    measure: Callable[["Claim", Inputs], tuple[dict, dict, dict]]  # -> numbers, sample, evidence
    decide: Callable[[Mapping, Mapping], tuple[str, str]]  # (numbers, tolerances) -> status, reason

    def check(self, inputs: Inputs) -> ClaimResult:
        """Measure on ``inputs`` and decide with this entry's tolerances."""
        numbers, sample, evidence = self.measure(self, inputs)
        if numbers.get("not_applicable"):
            return ClaimResult(self.id, "not_applicable", {}, dict(self.tolerances), sample,
                               str(numbers["not_applicable"]), evidence)
        status, reason = self.decide(numbers, self.tolerances)
        return ClaimResult(self.id, status, numbers, dict(self.tolerances), sample, reason, evidence)


def not_applicable(why: str, evidence: dict | None = None) -> tuple[dict, dict, dict]:
    """What a ``measure`` returns when the claim says nothing about the configuration."""
    return {"not_applicable": why}, {}, evidence or {}
