"""The claim catalogue, parametrised over the registry (``radiuscnn.verify.registry``).

Each registry claim is decided on the embedded default configuration (THEORY.md section 9)
by the same ``check`` the report calls: R1 and T1 read the trained default ensemble (cached,
see conftest), D1 the default 2D configuration with the same amplitude interval. Each test
prints the claim's status, numbers, tolerance and sample. The families of detailed tests per
claim are in the other ``test_*.py`` files of this folder.
"""

from __future__ import annotations

import pytest

from radiuscnn.numeric.ensemble import one_thread
from radiuscnn.numeric.train_config import TrainConfig
from radiuscnn.theory.config import default_config
from radiuscnn.verify.registry import CLAIMS, Inputs

TRAINED = {"R1", "T1", "L2", "L3"}  # claims read from the trained default ensemble


def _inputs(claim_id: str, request) -> Inputs:
    cfg = default_config(1)
    cfg2 = default_config(2).with_(amplitude=cfg.amplitude)
    if claim_id in TRAINED:
        case = request.getfixturevalue("default_case")
        return Inputs(case.cfg, case.tcfg, params=case.run.params, analyses=tuple(case.analyses), cfg2=cfg2)
    return Inputs(cfg, TrainConfig(), cfg2=cfg2)


@pytest.mark.slow
@pytest.mark.parametrize("claim", CLAIMS, ids=[c.id for c in CLAIMS])
def test_registry_claim_holds_on_the_default(claim, request):
    inputs = _inputs(claim.id, request)
    with one_thread():
        result = claim.check(inputs)
    print("\n" + result.describe())
    assert result.claim == claim.id
    assert dict(result.tolerance) == dict(claim.tolerances)  # printed tolerances are the registry's
    assert result.passed, result.reason
