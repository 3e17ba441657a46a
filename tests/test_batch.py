"""Batched sweeps (numeric.batch, verify.atlas.train_cached_many) equal the unbatched runs."""

import pytest
import torch
from rounding import assert_alike

from radiuscnn.numeric.batch import groups, train_many
from radiuscnn.numeric.ensemble import TrainConfig, train
from radiuscnn.theory.config import Config
from radiuscnn.verify.atlas import train_cached, train_cached_many

BASE = Config(size=13, kernel=3, channels=1, radii=tuple(range(0, 5)))
GRID = [BASE.with_(activation=a, channels=C) for C in (1, 2) for a in ("relu", "leaky_relu", "tanh")]


def test_groups_are_the_shapes():
    assert groups(GRID) == [[0, 1, 2], [3, 4, 5]]
    assert groups([BASE, BASE.with_(kernel=5), BASE.with_(activation="abs")]) == [[0, 2], [1]]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_batched_equals_unbatched(dtype):
    tcfg = TrainConfig(seeds=3, steps=120, lr=0.02, dtype=dtype, amplitudes=4)
    batched = train_many(GRID, tcfg, engine="fast")
    for cfg, got in zip(GRID, batched):
        alone = train(cfg, tcfg, engine="fast")
        assert_alike(got.params, alone.params)
        assert_alike(got.history, alone.history)
        assert torch.equal(got.success, alone.success)
        assert got.member_seeds == alone.member_seeds
    # different activations really train differently (the segments are applied)
    assert not torch.equal(batched[0].params["w"], batched[2].params["w"])


def test_reference_engine_is_trained_one_by_one():
    tcfg = TrainConfig(seeds=2, steps=30, amplitudes=3)
    for cfg, got in zip(GRID[:2], train_many(GRID[:2], tcfg, engine="autograd")):
        assert torch.equal(got.params["w"], train(cfg, tcfg, engine="autograd").params["w"])


def test_cached_many_equals_cached_one_by_one(tmp_path):
    tcfg = TrainConfig(seeds=2, steps=50, dtype="float64", amplitudes=3)
    many = train_cached_many(GRID, tcfg, tmp_path / "a")
    assert not any(run.cached for run in many)
    again = train_cached_many(GRID, tcfg, tmp_path / "a")
    assert all(run.cached for run in again)
    for cfg, run, loaded in zip(GRID, many, again):
        one = train_cached(cfg, tcfg, tmp_path / "b")
        assert run.loss == loaded.loss and run.success == one.success  # the cache gives back what it stored
        assert_alike(run.loss, one.loss)
        assert_alike(run.params, one.params)
