"""``derive --dim 2`` and ``explore kernel --dim 2``: output shapes and readable text."""

from __future__ import annotations

import json

from radiuscnn.cli import main

SMALL_2D = ["--dim", "2", "--size", "13", "--kernel", "3", "--radii", "1:5"]


def test_derive_2d_json_has_patterns_rank_widths_and_construction(capsys):
    assert main(["derive", *SMALL_2D, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    for key in ("n_patterns", "constraint_rank", "min_channels", "construction", "gap_error_floor",
                "one_channel_floor", "fc_ring_law"):
        assert key in data
    assert set(data["min_channels"]["relu"]) == {"value", "status", "reason"}
    assert data["min_channels"]["relu"]["value"] == 2 and data["construction"]["proof"]["exact"]
    assert data["min_channels"]["tanh"]["status"] == "impossible"


def test_derive_2d_plain_is_sentences_not_a_dict(capsys):
    assert main(["derive", *SMALL_2D]) == 0
    out = capsys.readouterr().out
    assert "Window patterns" in out and "D2 row counter" in out and "relu: at most 2" in out
    assert "{'" not in out  # no raw Python dict


def test_explore_kernel_2d_rows(capsys):
    no_kernel = [f for i, f in enumerate(SMALL_2D) if "--kernel" not in SMALL_2D[max(0, i - 1):i + 1]]
    assert main(["explore", "kernel", *no_kernel, "--kernels", "1:3", "--paddings", "zeros,valid",
                 "--no-train", "--jobs", "1", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [(r["kernel"], r["padding"]) for r in rows] == [(k, p) for k in (1, 2, 3) for p in ("zeros", "valid")]
    k3 = rows[4]
    assert k3["min_channels"]["relu"] == 2 and k3["min_channels_status"]["relu"] == "upper bound"
    assert rows[0]["min_channels_status"]["relu"] == "impossible"  # k = 1
