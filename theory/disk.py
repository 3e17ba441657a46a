"""Two dimensions: centred disks (THEORY.md sections 1, 2, 7, claim D1; I1c of section 6).

The mathematics below is implemented in five modules; this one re-exports their public names
and assembles the D1 summary (:func:`d1_json`):

* :mod:`theory.disk_geometry`: disks, windows, patterns, background counts (exact enumeration);
* :mod:`theory.disk_proof`: exact 2D parameters, the output and the interval proof;
* :mod:`theory.exact_lstsq`: exact least squares over the rationals;
* :mod:`theory.disk_floor`: the GAP background-counter error floors (D1, GAP head);
* :mod:`theory.disk_ring`: the FC ring law (D1, FC head).

Data and architecture: as in :mod:`theory.disk_geometry` (centred digital disks
``x = a 1[D_rho]``, ``conv(1 -> C, k x k, bias) -> sigma -> head`` with PyTorch conventions).

Patterns (the 2D runs). On a disk the window of ``p`` holds ``a`` times the indicator of the
*pattern* ``J_p(rho) = {(s, t) : p + (s, t) in D_rho}`` (a set of window offsets, stored as
the sorted tuple of offsets; ``()`` is the empty pattern), so the pre-activation is
``z_{c,p} = a W_c[J_p(rho)] + b_c`` with the pattern sum ``W_c[J] = sum_{(s,t) in J} w_c[s,t]``:

    GAP: y(rho, a) = beta + (1/n_outputs) sum_c v_c sum_J n_J(rho) sigma(a W_c[J] + b_c)
    FC:  y(rho, a) = beta + sum_{c,p} V_{c,p} sigma(a W_c[J_p(rho)] + b_c).

Background. ``Bg(rho) = {p in I^2 : J_p(rho) = ()}``, the output pixels whose window misses
the disk; ``#background(rho) = n_outputs - |(D_rho (+) T) ∩ I^2|`` with ``T`` the reflected
window. It is computed by enumerating windows (:mod:`theory.disk_geometry`, never by a
closed formula); an independent numpy sliding-window count lives in :mod:`verify.background_count_2d`.
For a *support* ``S ⊆ [-h_l, h_r]^2`` (the taps that are nonzero) ``Bg_S(rho) = {p : J_p(rho) ∩ S = ∅}``.

D1, GAP head. One ReLU channel with ``b > 0`` and a filter that is ``<= -b/a_min`` on every
nonempty pattern (e.g. every tap on ``S`` strictly negative enough, taps off ``S`` zero)
outputs ``y = beta + (v b / n_outputs) #Bg_S(rho)``, independent of ``a``. ``#Bg(rho)`` is not
affine in ``rho`` (the disk area grows like ``pi rho^2``), so the least-squares affine fit of
``rho`` on ``#Bg(rho)`` over ``R`` leaves a positive residual: its RMSE is the error floor of
that family. Exact rationals throughout (normal equations); only the RMSE, a square root, is
also reported as a float next to the exact MSE.

D1, FC head (ring law). ``ring_rho = Bg(rho') \\ Bg(rho)`` for consecutive radii
``rho' < rho`` of ``R``: the pixels that leave the background. With one ReLU channel, taps
strictly negative (every nonempty pattern killed on the whole interval), ``b > 0``,
``V_p = -(rho - rho')/(b |ring_rho|)`` on ``ring_rho`` and 0 elsewhere, and
``beta = max R`` (which makes the smallest radius exact), ``y(rho, a) = rho`` exactly for every
``rho in R`` and every ``a`` in the interval; :func:`prove_2d` proves it (THEORY.md section 8:
the output is piecewise linear in ``a`` with kinks at ``a W_c[J] + b_c = `` a breakpoint of
``sigma``; it is evaluated exactly at the endpoints and every kink). The radial profile
``|V| b / Δrho = 1/|ring_rho|`` follows ``1/(2 pi d)`` at ring radius ``d = rho``
asymptotically; the Steiner formula for the dilated disk,
``area(disk_rho (+) square_{k-1}) = pi rho^2 + 4 (k-1) rho + (k-1)^2``, gives the finite-``rho``
correction ``1/(pi (rho^2 - rho'^2)/Δrho + 4 (k-1))`` reported alongside.

I1c. Pixels in ``Bg(rho)`` for every ``rho in R`` see an all-zero window on every sample, so
their feature is ``sigma(b_c)`` on every sample whatever the filter: their FC weights get
identical gradients and keep their initial pairwise differences.
"""

from __future__ import annotations

from radiuscnn.theory.config import Config
from radiuscnn.theory.disk_floor import (
    SupportFloor,
    background_counter_params,
    best_support_floor,
    gap_error_floor,
    named_supports,
    support_floor,
    two_channel_floor,
)
from radiuscnn.theory.disk_geometry import (
    Offset,
    Pattern,
    Pixel,
    always_background,
    background,
    background_count,
    background_counts,
    disk,
    output_pixels,
    pattern_at,
    pattern_counts,
    pattern_masks,
    patterns,
    seen_pixel,
    window_offsets,
)
from radiuscnn.theory.disk_proof import IntervalProof, Params2D, check_shapes_2d, output_2d, pattern_sum, prove_2d
from radiuscnn.theory.disk_ring import Ring, fc_ring_law, ring_law_params, rings
from radiuscnn.theory.exact_lstsq import AffineFit, affine_fit, least_squares_exact

__all__ = [
    "AffineFit", "IntervalProof", "Offset", "Params2D", "Pattern", "Pixel", "Ring", "SupportFloor",
    "affine_fit", "always_background", "background", "background_count", "background_counter_params",
    "background_counts", "best_support_floor", "check_shapes_2d", "d1_json", "disk", "fc_ring_law",
    "gap_error_floor", "least_squares_exact", "named_supports", "output_2d", "output_pixels", "pattern_at",
    "pattern_counts", "pattern_masks", "pattern_sum", "patterns", "prove_2d", "ring_law_params", "rings",
    "seen_pixel", "support_floor", "two_channel_floor", "window_offsets",
]


def d1_json(cfg: Config) -> dict:
    """What ``radiuscnn derive --dim 2 --json`` prints for D1 (plain JSON, exact as strings)."""
    ring = fc_ring_law(cfg)
    return {
        "gap_error_floor": gap_error_floor(cfg),
        "fc_ring_law": {"exact": ring["exact"], "max_error": ring["max_error"]},
    }