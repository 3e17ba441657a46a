"""Bring your own network (issue 13): modules and model files outside the family are refused
in one line, a :class:`ModelImportError` (or exit code 1 from the CLI), never a traceback; a
custom module in the family is still recognised by its parameter names and shapes; the CLI's
``check --model`` flags (safetensors, flag conflicts, ``--fail-on``) behave as documented.

Companion of ``test_importer.py`` (imports that succeed and are explained)."""

from __future__ import annotations

import json

import pytest
import torch
from torch import nn

import radiuscnn
from radiuscnn.numeric.importer import ModelImportError
from radiuscnn.theory.config import Config
from torch_nets import AMPLITUDES, pulse_net


# ----------------------------------------------------------------------------------------------
# Refusals: one line, a ModelImportError, never a traceback
# ----------------------------------------------------------------------------------------------
class Custom(nn.Module):
    """A custom module in the family: found by its parameters, sigma applied in forward()."""

    def __init__(self):
        super().__init__()
        self.features, self.readout = nn.Conv1d(1, 3, 5, padding=2), nn.Linear(3, 1)

    def forward(self, x):
        return self.readout(torch.relu(self.features(x)).mean(dim=-1)).squeeze(-1)


def test_custom_module_is_recognised_by_parameter_names_and_shapes():
    imported = radiuscnn.import_model(Custom(), Config(size=11, radii=range(0, 6)), AMPLITUDES)
    assert (imported.cfg.channels, imported.cfg.kernel, imported.cfg.head) == (3, 5, "gap")
    assert imported.reading.names == ("features", "readout") and imported.max_difference <= 1e-12
    with pytest.raises(ModelImportError, match="differ"):  # sigma is not readable: a wrong guess is caught
        radiuscnn.import_model(Custom(), Config(size=11, radii=range(0, 6), activation="tanh"))


class TwoConv(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv, self.conv2, self.fc = nn.Conv1d(1, 2, 3, padding=1), nn.Conv1d(2, 2, 3, padding=1), nn.Linear(2, 1)


class Doubled(nn.Module):
    """In the family by its parameters, but forward() doubles the output."""

    def __init__(self):
        super().__init__()
        self.conv, self.head = nn.Conv1d(1, 2, 3, padding=1), nn.Linear(2, 1)

    def forward(self, x):
        return 2 * self.head(torch.relu(self.conv(x)).mean(-1))


MODULE_REFUSALS = [
    (lambda: nn.Sequential(nn.Conv1d(1, 2, 3, padding=1), nn.BatchNorm1d(2), nn.ReLU(), nn.Flatten(), nn.Linear(22, 1)), "BatchNorm1d"),
    (lambda: TwoConv(), "conv2"),
    (lambda: nn.Sequential(nn.Conv1d(1, 2, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool1d(1), nn.Flatten(), nn.Linear(2, 2)), "one output"),
    (lambda: nn.Sequential(nn.Conv1d(1, 2, 3, padding=1, bias=False), nn.ReLU(), nn.AdaptiveAvgPool1d(1), nn.Flatten(), nn.Linear(2, 1)), "bias"),
    (lambda: nn.Sequential(nn.Conv1d(1, 2, 3, padding=1, padding_mode="reflect"), nn.ReLU(), nn.AdaptiveAvgPool1d(1), nn.Flatten(), nn.Linear(2, 1)), "reflect"),
    (lambda: nn.Sequential(nn.Conv1d(1, 2, 3, padding=2), nn.ReLU(), nn.AdaptiveAvgPool1d(1), nn.Flatten(), nn.Linear(2, 1)), "padding"),
    (lambda: nn.Sequential(nn.Conv1d(1, 2, 3, padding=1), nn.ReLU6(), nn.AdaptiveAvgPool1d(1), nn.Flatten(), nn.Linear(2, 1)), "ReLU6"),
    (lambda: nn.Sequential(nn.Conv1d(1, 2, 3, padding=1), nn.ReLU(), nn.Flatten(), nn.Linear(7, 1)), "Linear(7, 1)"),
    (lambda: Doubled(), "differ"),
]


@pytest.mark.parametrize("make, words", MODULE_REFUSALS, ids=[w for _, w in MODULE_REFUSALS])
def test_modules_outside_the_family_are_refused_in_one_line(make, words):
    with pytest.raises(ModelImportError) as info:
        radiuscnn.explain(make(), Config(size=11, radii=range(0, 6)))
    message = str(info.value)
    assert words in message and "\n" not in message


def _state_dict():
    return pulse_net().state_dict()


def _with(**changes):
    sd = _state_dict()
    for key, value in changes.items():
        if value is None:
            sd.pop(key)
        else:
            sd[key] = value
    return sd


FILE_REFUSALS = {
    "missing key": (lambda p: torch.save(_with(**{"0.bias": None}), p), "no bias"),
    "extra key": (lambda p: torch.save(_with(**{"5.weight": torch.zeros(2, 1, 3), "5.bias": torch.zeros(2)}), p), "one convolution"),
    "extra buffer": (lambda p: torch.save(_with(**{"0.running_mean": torch.zeros(2)}), p), "running_mean"),
    "mismatched shapes": (lambda p: torch.save(_with(**{"0.bias": torch.zeros(3)}), p), "bias shape"),
    "mismatched head": (lambda p: torch.save(_with(**{"4.weight": torch.zeros(1, 5)}), p), "fits neither"),
    "NaN weights": (lambda p: torch.save(_with(**{"0.weight": torch.full((2, 1, 3), float("nan"))}), p), "NaN"),
    "pickled module": (lambda p: torch.save(pulse_net(), p), "is a pickled object, not a state_dict"),
    "garbage bytes": (lambda p: p.write_bytes(b"hello world garbage" * 10), "not a PyTorch checkpoint"),
    "empty file": (lambda p: p.write_bytes(b""), "not a PyTorch checkpoint"),
    "pickled list": (lambda p: torch.save([torch.zeros(2)], p), "not a state_dict"),
    "text file": (lambda p: p.write_text("hello\n"), "not a PyTorch checkpoint"),
    "bad safetensors": (lambda p: p.with_suffix(".safetensors").write_bytes(b"\x05\x00garbage"), "safetensors"),
}


@pytest.mark.parametrize("case", sorted(FILE_REFUSALS))
def test_bad_model_files_are_refused_in_one_line_without_traceback(case, tmp_path, capsys):
    from radiuscnn.cli import main

    write, words = FILE_REFUSALS[case]
    path = tmp_path / "model.pt"
    write(path)
    if not path.exists():
        path = path.with_suffix(".safetensors")
    code = main(["check", "--model", str(path), "--size", "11", "--radii", "0:5"])
    err = capsys.readouterr().err
    assert code == 1
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert words in err and "\x1b" not in err  # our own words, never torch's ANSI-coloured hints


def test_cli_refusal_through_the_console_script_has_no_traceback(tmp_path):
    import subprocess
    import sys

    path = tmp_path / "notes.pth"
    path.write_text("not a checkpoint")
    proc = subprocess.run([sys.executable, "-m", "radiuscnn", "check", "--model", str(path)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


def test_safetensors_file_and_flag_conflicts(tmp_path, capsys):
    import safetensors.torch

    from radiuscnn.cli import main

    path = tmp_path / "net.safetensors"
    safetensors.torch.save_file({k: v.contiguous() for k, v in _state_dict().items()}, str(path))
    assert main(["check", "--model", str(path), "--size", "11", "--radii", "0:5"]) == 0
    assert "max |y_imported - y_original|" in capsys.readouterr().out
    assert main(["check", "--model", str(path), "--kernel", "5"]) == 1
    assert "--kernel 5" in capsys.readouterr().err
    assert main(["check", "--model", str(path), "--dim", "2"]) == 1  # a Conv1d model is 1D
    assert "--dim 2" in capsys.readouterr().err


def test_check_model_fail_on_and_the_honest_state_dict_comparison(tmp_path, capsys):
    """An untrained network (outputs near 0, targets r in 0..5) is unsolved: --fail-on
    applies to --model as to RUN_DIR. A bare state_dict is compared with a reference built
    from the same flags, so the printed line and the JSON say sigma was not checked."""
    from radiuscnn.cli import main

    torch.manual_seed(0)
    path = tmp_path / "net.pt"
    torch.save(_state_dict(), path)
    flags = ["check", "--model", str(path), "--size", "11", "--radii", "0:5"]
    assert main(flags) == 0
    assert "sigma and padding taken from the flags, not checked" in capsys.readouterr().out
    assert main([*flags, "--fail-on", "unsolved"]) == 1
    assert "--fail-on unsolved: 1 of 1 networks unsolved" in capsys.readouterr().err
    assert main([*flags, "--json", "--fail-on", "unsolved"]) == 1
    record = json.loads(capsys.readouterr().out)["import"]
    assert record["activation_checked"] is False and "not checked" in record["compared_with"]
