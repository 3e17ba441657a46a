"""radiuscnn.numeric.checkpoint: round trip, and every corruption is a one-line CheckpointError."""

import hashlib
import json
import math
import pickle

import pytest
import safetensors.torch
import torch

from radiuscnn.numeric.checkpoint import (
    PARAMS_FILE,
    RUN_FILE,
    CheckpointError,
    diverged_members,
    integrity_hash,
    load_run,
    save_run,
)
from radiuscnn.numeric.ensemble import TrainConfig, train
from radiuscnn.theory.config import Config


@pytest.fixture(scope="module")
def trained():
    cfg = Config(size=15, radii=range(0, 7), head="fc")
    tcfg = TrainConfig(seeds=3, steps=20, dtype="float64", amplitudes=3)
    return cfg, tcfg, train(cfg, tcfg)


@pytest.fixture
def run_dir(tmp_path, trained):
    cfg, tcfg, result = trained
    return save_run(tmp_path / "run", cfg, tcfg, result)


def reseal(meta: dict) -> dict:
    """Recompute the integrity hash, as a forger who knows the scheme would (it is a check
    against edits and corruption, not a signature)."""
    return {**meta, "integrity": integrity_hash(meta)}


def rehash(run_dir):
    """Record the current tensor file's hash, as a forger who edited both files would."""
    meta = json.loads((run_dir / RUN_FILE).read_text())
    meta["tensors"]["sha256"] = hashlib.sha256((run_dir / PARAMS_FILE).read_bytes()).hexdigest()
    (run_dir / RUN_FILE).write_text(json.dumps(reseal(meta)))


def edit_json(run_dir, change, seal=True):
    meta = json.loads((run_dir / RUN_FILE).read_text())
    change(meta)
    (run_dir / RUN_FILE).write_text(json.dumps(reseal(meta) if seal else meta))


def expect_error(run_dir, pattern):
    with pytest.raises(CheckpointError, match=pattern) as error:
        load_run(run_dir)
    assert "\n" not in str(error.value)


def test_roundtrip(run_dir, trained):
    cfg, tcfg, result = trained
    cfg2, tcfg2, params, metrics = load_run(run_dir)
    assert cfg2 == cfg and tcfg2 == tcfg
    assert set(params) == set(result.params)
    assert all(torch.equal(params[n], result.params[n]) for n in params)
    assert metrics["loss"] == result.loss.tolist() and metrics["success"] == result.success.tolist()
    assert metrics["history_steps"] == list(result.history_steps) and metrics["member_seeds"] == [0, 1, 2]
    assert metrics["success_rate"] == result.success_rate and metrics["tolerance"] == tcfg.tolerance
    # plain JSON (no NaN literals), tensor file in safetensors format
    json.loads((run_dir / RUN_FILE).read_text(), parse_constant=lambda c: pytest.fail(f"non-JSON {c}"))
    assert set(safetensors.torch.load_file(run_dir / PARAMS_FILE)) == {"w", "b", "V", "beta"}


def test_non_finite_losses_are_stored_as_null(tmp_path, trained):
    cfg, tcfg, result = trained
    from dataclasses import replace

    bad = replace(result, loss=torch.tensor([float("nan"), 1.0, float("inf")], dtype=torch.float64))
    _, _, _, metrics = load_run(save_run(tmp_path / "r", cfg, tcfg, bad))
    assert metrics["loss"] == [None, 1.0, None]


def test_missing_directory_and_files(tmp_path, run_dir):
    expect_error(tmp_path / "nowhere", "missing")
    (run_dir / PARAMS_FILE).unlink()
    expect_error(run_dir, "params.safetensors: missing file")
    (run_dir / RUN_FILE).unlink()
    expect_error(run_dir, "run.json: missing file")


def test_truncated_tensor_file(run_dir):
    blob = (run_dir / PARAMS_FILE).read_bytes()
    (run_dir / PARAMS_FILE).write_bytes(blob[: len(blob) // 2])
    expect_error(run_dir, "SHA-256 mismatch")
    rehash(run_dir)
    expect_error(run_dir, "not a valid safetensors file")


def test_flipped_byte(run_dir):
    blob = bytearray((run_dir / PARAMS_FILE).read_bytes())
    blob[-3] ^= 0x01
    (run_dir / PARAMS_FILE).write_bytes(bytes(blob))
    expect_error(run_dir, "SHA-256 mismatch")


def test_corrupt_header(run_dir):
    blob = bytearray((run_dir / PARAMS_FILE).read_bytes())
    blob[10] = ord("}")
    (run_dir / PARAMS_FILE).write_bytes(bytes(blob))
    rehash(run_dir)
    expect_error(run_dir, "not a valid safetensors file")


def test_corrupt_json(run_dir):
    (run_dir / RUN_FILE).write_text("{not json")
    expect_error(run_dir, "not valid JSON")
    (run_dir / RUN_FILE).write_text("[]")
    expect_error(run_dir, "not a radiuscnn-run file")


def test_wrong_version(run_dir):
    edit_json(run_dir, lambda m: m.update(version=99))
    expect_error(run_dir, "version 99 is not supported")


def test_config_that_does_not_match_the_tensors(run_dir):
    edit_json(run_dir, lambda m: m["config"].update(kernel=3))
    expect_error(run_dir, r"'w' has shape \(3, 2, 5\), the config needs \(3, 2, 3\)")


def test_head_that_does_not_match_the_tensors(run_dir):
    edit_json(run_dir, lambda m: m["config"].update(head="gap"))
    expect_error(run_dir, "do not match the config")


def test_invalid_config(run_dir):
    edit_json(run_dir, lambda m: m["config"].update(size=4))
    expect_error(run_dir, "invalid configuration: --size")
    edit_json(run_dir, lambda m: m["config"].update(size=15) or m["train"].update(lr=-1))
    expect_error(run_dir, "invalid configuration: --lr")


def test_wrong_member_count(run_dir):
    edit_json(run_dir, lambda m: m.update(members=4))
    expect_error(run_dir, "has shape")


def test_wrong_dtype(run_dir):
    edit_json(run_dir, lambda m: m["train"].update(dtype="float32"))
    expect_error(run_dir, "dtype torch.float64, the run was trained in float32")


@pytest.mark.parametrize("value", [math.nan, math.inf])
def test_non_finite_weights(run_dir, value):
    tensors = safetensors.torch.load_file(run_dir / PARAMS_FILE)
    tensors["b"][1, 0] = value
    safetensors.torch.save_file(tensors, run_dir / PARAMS_FILE)
    rehash(run_dir)
    expect_error(run_dir, "'b' contains NaN or infinite weights")


class Payload:
    """Unpickling this would create the marker file."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


def test_pickle_is_refused_without_executing(tmp_path, run_dir):
    marker = tmp_path / "pwned"
    blob = pickle.dumps({"w": Payload(marker)})
    pickle.loads(pickle.dumps(0))  # pickle itself works here; the loader must never call it
    (run_dir / PARAMS_FILE).write_bytes(blob)
    expect_error(run_dir, "SHA-256 mismatch")
    rehash(run_dir)
    expect_error(run_dir, "not a valid safetensors file")
    assert not marker.exists()
    torch_blob = tmp_path / "torch.pt"
    torch.save({"w": torch.zeros(3)}, torch_blob)  # a torch pickle zip is refused too
    (run_dir / PARAMS_FILE).write_bytes(torch_blob.read_bytes())
    rehash(run_dir)
    expect_error(run_dir, "not a valid safetensors file")


EDITS = {
    "activation": lambda m: m["config"].update(activation="abs"),
    "padding": lambda m: m["config"].update(padding="circular"),
    "amplitude": lambda m: m["config"].update(amplitude=["1/2", "2"]),
    "radii": lambda m: m["config"].update(radii=[0, 1, 2]),
    "train": lambda m: m["train"].update(lr=0.5),
    "metrics": lambda m: m["metrics"]["loss"].__setitem__(0, 0.0),
    "success": lambda m: m["metrics"]["success"].__setitem__(1, True),
    "tensor hash": lambda m: m["tensors"].update(sha256="0" * 64),
}


@pytest.mark.parametrize("edit", EDITS, ids=list(EDITS))
def test_an_edited_run_json_is_refused_in_one_line(run_dir, edit):
    """Issue 16.4: relu weights relabelled `abs` (or any other edit) must not load."""
    edit_json(run_dir, EDITS[edit], seal=False)
    expect_error(run_dir, "integrity hash mismatch")


def test_identical_trainings_give_identical_bytes(tmp_path):
    """Issue 16.4: hashes are reproducible (safetensors wrote its metadata map in hash order)."""
    cfg = Config(size=9, kernel=3, radii=range(0, 4))
    tcfg = TrainConfig(seeds=2, steps=5, amplitudes=2)
    dirs = [save_run(tmp_path / f"r{i}", cfg, tcfg, train(cfg, tcfg)) for i in range(4)]
    for name in (PARAMS_FILE, RUN_FILE):
        first = (dirs[0] / name).read_bytes()
        assert all((d / name).read_bytes() == first for d in dirs[1:]), name


def test_a_diverged_member_loads_and_is_listed(tmp_path, trained):
    """Issue 16.8: NaN weights are allowed in a member whose recorded loss is null."""
    from dataclasses import replace

    cfg, tcfg, result = trained
    params = {n: t.clone() for n, t in result.params.items()}
    params["w"][1] = math.nan
    loss = result.loss.clone()
    loss[1] = math.nan
    run = save_run(tmp_path / "r", cfg, tcfg, replace(result, params=params, loss=loss))
    _, _, loaded, metrics = load_run(run)
    assert diverged_members(loaded) == [1] and metrics["loss"][1] is None


def test_save_leaves_no_partial_directory(tmp_path, trained, monkeypatch):
    """Issue 16.2: a save that fails half-way leaves nothing that loads (nor a temp dir)."""
    import radiuscnn.numeric.checkpoint as ck

    cfg, tcfg, result = trained
    calls = []
    real = type(tmp_path).write_bytes

    def failing(self, data):
        calls.append(self.name)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(self, data)

    monkeypatch.setattr(type(tmp_path), "write_bytes", failing)
    with pytest.raises(KeyboardInterrupt):
        ck.save_run(tmp_path / "r", cfg, tcfg, result)
    monkeypatch.undo()
    assert list(tmp_path.iterdir()) == []
