"""D1 on trained networks: two dimensions, centred disks (THEORY.md sections 6 (I1c), 7, 8).

Library code (usable outside pytest); every function returns plain frozen dataclasses or
dicts so the report can consume them. Notation of :mod:`theory.disk`: output pixels ``p``,
patterns ``J_p(rho)``, background ``Bg(rho)``, rings ``ring_rho = Bg(rho') \\ Bg(rho)``.
This module gathers the public names of the modules that do the work, one job each:

- :mod:`verify.background_count_2d`: :func:`brute_force_background_counts` counts all-zero
  windows with numpy, independently of the enumeration in :mod:`theory.disk`;
  :func:`check_background_counts` compares any counts with it.
- :mod:`verify.trained_2d_gap`: :func:`compare_gap`, trained GAP networks' RMSE against the
  one-channel background-counter floor, explained by effective support or by leaving the
  counter family.
- :mod:`verify.trained_2d_fc`: :func:`compare_fc`, trained FC networks in the ring-law regime
  against ``mean_{ring_rho} Vt = -Δrho/|ring_rho|``, ring by ring.
- :mod:`verify.regime_init`: :func:`regime_init` and :func:`train_in_regime` (alias
  :data:`train_fc_in_regime`), networks started inside that regime.
- :mod:`verify.trained_2d_i1c`: :func:`i1c_background_differences`, FC weights on pixels that
  are background on every sample keep their initial pairwise differences.
- :mod:`verify.trained_2d_plots`: :func:`plot_radial_profile`, :func:`plot_error_floor`.
- :mod:`verify.trained_2d_eval`: :func:`member_errors` and :func:`to_numpy`, shared helpers.
"""

from __future__ import annotations

from radiuscnn.verify.background_count_2d import (
    brute_force_background_counts,
    check_background_counts,
    disk_image,
)
from radiuscnn.verify.regime_init import RegimeTrainResult, regime_init, train_fc_in_regime, train_in_regime
from radiuscnn.verify.trained_2d_eval import member_errors, to_numpy
from radiuscnn.verify.trained_2d_fc import FcComparison, FcNet, RingFit, compare_fc, fc_regime, pattern_sums
from radiuscnn.verify.trained_2d_gap import GapComparison, GapNet, compare_gap, effective_support
from radiuscnn.verify.trained_2d_i1c import I1cReport, background_mask, i1c_background_differences
from radiuscnn.verify.trained_2d_plots import plot_error_floor, plot_radial_profile

__all__ = [
    "FcComparison",
    "FcNet",
    "GapComparison",
    "GapNet",
    "I1cReport",
    "RegimeTrainResult",
    "RingFit",
    "background_mask",
    "brute_force_background_counts",
    "check_background_counts",
    "compare_fc",
    "compare_gap",
    "disk_image",
    "effective_support",
    "fc_regime",
    "i1c_background_differences",
    "member_errors",
    "pattern_sums",
    "plot_error_floor",
    "plot_radial_profile",
    "regime_init",
    "to_numpy",
    "train_fc_in_regime",
    "train_in_regime",
]
