"""Review fixes: output places probed before any work, runs never silently overwritten,
unique default run names, sweep --json when shards remain, negative-looking flag values."""

from __future__ import annotations

import json

from radiuscnn.cli import join_negative_values, main
from radiuscnn.commands._paths import check_output_dir, check_output_file

TINY = ["--size", "9", "--kernel", "3", "--radii", "0:3", "--amplitudes", "2", "--seeds", "1", "--steps", "1"]


def run_cli(argv):
    try:
        return main(argv)
    except SystemExit as exit_:
        return exit_.code


def test_probe_leaves_nothing_behind(tmp_path):
    assert check_output_dir(tmp_path / "a" / "b", "--out") == tmp_path / "a" / "b"
    assert check_output_dir(tmp_path, "--out") == tmp_path
    assert check_output_file(tmp_path / "rows.csv", "--csv") == tmp_path / "rows.csv"
    assert list(tmp_path.iterdir()) == []


def test_train_refuses_an_existing_run_unless_overwrite(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["train", *TINY, "--out", str(out), "--json"]) == 0
    before = (out / "run.json").read_bytes()
    capsys.readouterr()
    assert run_cli(["train", *TINY, "--seed", "5", "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "already holds a run" in err[0] and "--overwrite" in err[0]
    assert (out / "run.json").read_bytes() == before
    assert main(["train", *TINY, "--seed", "5", "--out", str(out), "--overwrite", "--json"]) == 0
    assert json.loads((out / "run.json").read_text())["train"]["seed"] == 5


def test_default_run_names_differ_in_every_field():
    from radiuscnn.commands.train import default_run_dir
    from radiuscnn.numeric.train_config import TrainConfig
    from radiuscnn.theory.config import default_config

    cfg, tcfg = default_config(1), TrainConfig()
    variants = [(cfg, tcfg), (cfg.with_(radii=(0, 1, 2)), tcfg), (cfg.with_(amplitude=(1, 1)), tcfg),
                (cfg, tcfg.with_(seeds=3)), (cfg, tcfg.with_(steps=7))]
    names = {default_run_dir(c, t) for c, t in variants}
    assert len(names) == len(variants)
    assert default_run_dir(cfg, tcfg) == default_run_dir(default_config(1), TrainConfig())  # stable


def test_an_os_error_at_save_time_is_one_line(tmp_path, capsys, monkeypatch):
    import radiuscnn.numeric.checkpoint as checkpoint

    def fail(directory, *args, **kwargs):
        raise FileNotFoundError(2, "No such file or directory", str(directory))

    monkeypatch.setattr(checkpoint, "save_run", fail)
    assert run_cli(["train", *TINY, "--out", str(tmp_path / "r"), "--json"]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1 and "No such file" in err


def test_sweep_refuses_a_bad_shard_before_creating_the_folder(tmp_path):
    out = tmp_path / "sw5"
    assert run_cli(["sweep", *TINY, "--out", str(out), "--shard", "3/2"]) == 2
    assert not out.exists()


def test_sweep_json_when_shards_remain(tmp_path, capsys):
    out = tmp_path / "sw"
    assert main(["sweep", *TINY, "--seeds", "2", "--shard-seeds", "1", "--out", str(out),
                 "--shard", "0/2", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data == {"pending": 1, "trained": 1, "shards": 2, "out": str(out)}


def test_negative_looking_values_are_joined_to_their_flag():
    assert join_negative_values(["derive", "--radii", "-1:6", "--alpha", "-1", "--amplitude", "-2"]) == \
        ["derive", "--radii=-1:6", "--alpha=-1", "--amplitude=-2"]
    assert join_negative_values(["derive", "--radii", "--json"]) == ["derive", "--radii", "--json"]
    assert join_negative_values(["train", "--seed", "-1"]) == ["train", "--seed", "-1"]  # not a flag of the list
