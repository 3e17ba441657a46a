"""Sharded sweeps (verify.sweep): two shards merged equal the unsharded ensemble."""

import pytest
import torch
from rounding import assert_alike

from radiuscnn.numeric.ensemble import TrainConfig, train
from radiuscnn.theory.config import Config, ConfigError
from radiuscnn.verify import sweep

BASE = Config(size=13, kernel=3, channels=1, radii=tuple(range(0, 5)))
TCFG = TrainConfig(seeds=5, steps=60, lr=0.02, amplitudes=3)
CELLS = [(BASE, TCFG), (BASE.with_(activation="tanh", channels=2), TCFG.with_(seed=10))]


def test_shards_cover_every_seed_once():
    got = sweep.shards(CELLS, 3)
    assert [(s.cell, s.tcfg.seed, s.tcfg.seeds) for s in got] == [(0, 0, 3), (0, 3, 2), (1, 10, 3), (1, 13, 2)]
    assert len({s.name for s in got}) == 4
    with pytest.raises(ConfigError, match="shard-seeds"):
        sweep.shards(CELLS, 0)


def test_two_shards_merged_equal_the_unsharded_run(tmp_path):
    assert sweep.run(CELLS, tmp_path / "a", per_shard=3, select=(0, 2)) == 2  # one task of two
    with pytest.raises(ConfigError, match="not been run"):
        sweep.merge(CELLS, tmp_path / "a", 3)
    assert sweep.run(CELLS, tmp_path / "a", per_shard=3, select=(1, 2)) == 2
    assert sweep.run(CELLS, tmp_path / "a", per_shard=3) == 0  # resumable: nothing left
    sharded = sweep.merge(CELLS, tmp_path / "a", 3)
    sweep.run(CELLS, tmp_path / "b", per_shard=5, jobs=2)
    whole = sweep.merge(CELLS, tmp_path / "b", 5)
    assert [c["member_seeds"] for c in sharded] == [c["member_seeds"] for c in whole]
    for (cfg, tcfg), cell, other in zip(CELLS, sharded, whole):
        direct = train(cfg, tcfg, engine="fast")  # independent of the sweep's files
        assert cell["member_seeds"] == list(tcfg.member_seeds)
        assert cell["success"] == other["success"] == direct.success.tolist()
        assert_alike(cell["loss"], direct.loss.to(torch.float64))
        assert_alike(other["loss"], direct.loss.to(torch.float64))
        for name, tensor in direct.params.items():
            assert_alike(torch.tensor(cell["params"][name], dtype=tensor.dtype), tensor)
            assert_alike(torch.tensor(other["params"][name], dtype=tensor.dtype), tensor)


def test_bad_selection_is_one_clear_error(tmp_path):
    with pytest.raises(ConfigError, match="I/N"):
        sweep.pending(CELLS, tmp_path, 3, select=(2, 2))


def test_cli_runs_a_sharded_grid(tmp_path, capsys):
    from radiuscnn.cli import main

    flags = ["sweep", "--size", "13", "--radii", "0:4", "--kernels", "3", "--activations", "relu,abs",
             "--seeds", "4", "--shard-seeds", "2", "--steps", "40", "--out", str(tmp_path)]
    assert main(flags + ["--shard", "1/2"]) == 0
    assert "2 of 4 still to run" in capsys.readouterr().out
    assert main(flags + ["--json"]) == 0
    import json

    cells = json.loads(capsys.readouterr().out)
    assert [c["config"]["activation"] for c in cells] == ["relu", "abs"] and cells[0]["member_seeds"] == [0, 1, 2, 3]
    assert main(flags[:-2] + ["--out", str(tmp_path), "--shard", "x"]) == 2
    assert "--shard" in capsys.readouterr().err
