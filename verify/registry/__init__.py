"""One claim registry shared by the claim tests (``pytest verify``) and the report.

:data:`CLAIMS` is the catalogue (:mod:`.catalogue`), :class:`Claim` an entry, ``claim.check(
Inputs(cfg, ...))`` decides it on one configuration and returns a frozen :class:`ClaimResult`
(status, numbers, tolerance, sample).
"""

from radiuscnn.verify.registry.catalogue import BY_ID, CLAIMS, get, markdown_table
from radiuscnn.verify.registry.types import PASSING, STATUSES, Claim, ClaimResult, Inputs

__all__ = ["BY_ID", "CLAIMS", "PASSING", "STATUSES", "Claim", "ClaimResult", "Inputs", "get", "markdown_table"]
