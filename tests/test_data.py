"""radiuscnn.numeric.data: pulses, disks, the amplitude grid and the sample order."""

from fractions import Fraction

import pytest
import torch

from radiuscnn.numeric.data import amplitude_grid, make_dataset
from radiuscnn.theory.config import Config, ConfigError


def test_amplitude_grid_is_evenly_spaced_with_both_endpoints():
    cfg = Config()  # amplitude [1/2, 3/2]
    grid = amplitude_grid(cfg, 11)
    assert grid[0] == Fraction(1, 2) and grid[-1] == Fraction(3, 2)
    assert len(grid) == 11
    assert {b - a for a, b in zip(grid, grid[1:])} == {Fraction(1, 10)}
    assert amplitude_grid(cfg, 2) == (Fraction(1, 2), Fraction(3, 2))


def test_amplitude_grid_single_point_cases():
    assert amplitude_grid(Config(), 1) == (Fraction(1, 2),)
    fixed = Config(amplitude=(Fraction(2), Fraction(2)))
    assert amplitude_grid(fixed, 7) == (Fraction(2),)


@pytest.mark.parametrize("bad", [0, -1, 2.0, True, "3"])
def test_amplitude_grid_rejects_bad_counts(bad):
    with pytest.raises(ConfigError, match="--amplitudes"):
        amplitude_grid(Config(), bad)


def test_dataset_1d_is_radius_major_and_matches_the_definition():
    cfg = Config(size=9, radii=(0, 2, 4), amplitude=(Fraction(1, 2), Fraction(1)))
    data = make_dataset(cfg, 3, torch.float64)
    amps = (Fraction(1, 2), Fraction(3, 4), Fraction(1))
    assert data.samples == tuple((r, a) for r in (0, 2, 4) for a in amps)
    assert data.x.shape == (9, 9) and data.y.shape == (9,) and data.x.dtype == torch.float64
    assert len(data) == 9 and data.amplitudes == amps and data.radii == (0, 2, 4)
    for b, (r, a) in enumerate(data.samples):
        assert data.y[b] == r
        for i in range(-cfg.M, cfg.M + 1):
            assert data.x[b, i + cfg.M] == (float(a) if abs(i) <= r else 0.0)
        assert data.x[b].sum() == pytest.approx(float(a) * (2 * r + 1))


def test_dataset_2d_disks_match_the_definition():
    cfg = Config(dim=2, size=11, kernel=3, radii=(0, 1, 3, 5))
    data = make_dataset(cfg, 2, torch.float32)
    assert data.x.shape == (8, 11, 11) and data.x.dtype == torch.float32 and data.dtype == torch.float32
    for b, (rho, a) in enumerate(data.samples):
        assert data.y[b] == rho
        for i in range(-cfg.M, cfg.M + 1):
            for j in range(-cfg.M, cfg.M + 1):
                inside = i * i + j * j <= rho * rho
                assert data.x[b, i + cfg.M, j + cfg.M] == (torch.tensor(float(a), dtype=torch.float32) if inside else 0)
    # symmetric under the dihedral group of the grid
    assert torch.equal(data.x, data.x.flip(-1)) and torch.equal(data.x, data.x.transpose(-1, -2))


def test_dataset_is_deterministic():
    a, b = make_dataset(Config(), 11, torch.float32), make_dataset(Config(), 11, torch.float32)
    assert torch.equal(a.x, b.x) and torch.equal(a.y, b.y) and a.samples == b.samples
