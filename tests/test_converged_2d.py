"""Unit tests of the converged-2D analysis: the family checker refuses a perturbed network."""

from __future__ import annotations

import numpy as np

from radiuscnn.theory.config import Config
from radiuscnn.theory.disk_width import counter_network, row_counter
from radiuscnn.verify.converged_2d import flatness, gap_family

CFG = Config(dim=2, size=11, kernel=3, radii=(1, 2, 3))


def arrays(params):
    w = np.array([[[float(x) for x in row] for row in wc] for wc in params.w])
    b = np.array([float(x) for x in params.b])
    return w, b


def test_row_counter_is_recognised_and_a_perturbed_one_is_not():
    w, b = arrays(counter_network(CFG, "relu", row_counter(CFG)))
    assert gap_family(CFG, w, b) == "row counter"
    assert gap_family(CFG, w[:1], b[:1]) == "background counter"
    bad = w.copy()
    bad[0, 1, 1] = 5.0  # a positive tap: windows meeting it are alive, not killed
    assert gap_family(CFG, bad, b) == "none"
    assert gap_family(CFG, w, -b) == "none"  # b < 0: not a background counter


def test_flatness():
    assert flatness(np.array([[1.0], [0.5], [0.5], [0.5], [0.5], [0.5]])) == 0.0
    assert flatness(np.array([[1.0], [0.9], [0.8], [0.7], [0.6], [0.3]])) > 0.5
