"""Bring your own network (issue 13): models trained by a plain PyTorch loop, or written from a
derived construction, are imported, checked against the original and explained.

The data of every test is built here with plain torch (the pulses/disks of THEORY.md section
1 on an evenly spaced amplitude grid), independently of ``numeric.data``; expected verdicts
come from the theory (A1 counter, D1 ring law, D2 row counter), not from the code under test.
Refusals of modules and files outside the family are in ``test_importer_errors.py``.
"""

from __future__ import annotations

import json
from fractions import Fraction

import pytest
import torch
from torch import nn

import radiuscnn
from radiuscnn.numeric.importer import ModelImportError
from radiuscnn.theory.config import Config
from torch_nets import AMPLITUDES, disk_net, pulse_net


def grid(cfg: Config):
    """``(x, r)`` over radii x ``AMPLITUDES`` evenly spaced amplitudes, radius-major."""
    i = torch.arange(-cfg.M, cfg.M + 1)
    amps = torch.linspace(float(cfg.a_min), float(cfg.a_max), AMPLITUDES, dtype=torch.float64)
    xs, rs = [], []
    for r in cfg.radii:
        mask = (i.abs() <= r) if cfg.dim == 1 else (i[:, None] ** 2 + i[None, :] ** 2 <= r * r)
        for a in amps:
            xs.append(a * mask.to(torch.float64))
            rs.append(float(r))
    return torch.stack(xs).unsqueeze(1), torch.tensor(rs, dtype=torch.float64)


def grid_errors(net: nn.Module, cfg: Config) -> torch.Tensor:
    x, r = grid(cfg)
    with torch.no_grad():
        return net.double()(x).reshape(-1) - r


def train_plain(net: nn.Module, cfg: Config, steps: int, lr: float, seed: int) -> nn.Module:
    """Minibatch Adam on random radii and amplitudes drawn uniformly from the interval."""
    torch.manual_seed(seed)
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    i = torch.arange(-cfg.M, cfg.M + 1)
    radii = torch.tensor(cfg.radii)
    for _ in range(steps):
        r = radii[torch.randint(0, len(radii), (32,))]
        a = float(cfg.a_min) + float(cfg.a_max - cfg.a_min) * torch.rand(32)
        if cfg.dim == 1:
            mask = i.abs()[None] <= r[:, None]
        else:
            mask = (i[:, None] ** 2 + i[None, :] ** 2)[None] <= (r * r)[:, None, None]
        x = (a.reshape(-1, *(1,) * cfg.dim) * mask).unsqueeze(1)
        loss = (net(x).reshape(-1) - r).pow(2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    return net


def assert_consistent(a, net, cfg):
    """The analysis agrees with the test's own evaluation of the original module."""
    err = grid_errors(net, cfg)
    assert a.max_difference <= 1e-12
    assert a.loss == pytest.approx(float(err.pow(2).mean()), rel=1e-9, abs=1e-15)
    assert a.network.solved == (float(err.pow(2).mean()) <= 1e-3)
    # the exact sup over the whole interval is at least the largest error on the grid
    assert float(a.proof.max_error) >= float(err.abs().max()) - 1e-9
    assert a.verdict.startswith("proved") == (a.proof.max_error <= Fraction(1, 2))
    json.dumps(a.to_json())
    assert "family=" in repr(a) and "verdict=" in repr(a)


# ----------------------------------------------------------------------------------------------
# Networks trained by a plain PyTorch loop
# ----------------------------------------------------------------------------------------------
def test_plain_loop_1d_network_is_imported_and_explained():
    cfg = Config(size=15, radii=range(0, 8))
    net = train_plain(pulse_net(), cfg, steps=2000, lr=0.03, seed=1)
    a = radiuscnn.explain(net, cfg, amplitudes=AMPLITUDES)
    assert (a.cfg.channels, a.cfg.kernel, a.cfg.head, a.cfg.activation) == (2, 3, "gap", "relu")
    assert_consistent(a, net, cfg)
    assert a.regime and a.equations and len(a.roles) == 2 * 3 + 2 + 2 + 1
    # the 1D family labels of verify.families (a counter whose run crosses the kink is named so)
    assert a.family.startswith("background counter") or a.family in (
        "saturated inside counter", "linear cancellation", "mixed counter", "mass plateau", "dead", "none")


def test_plain_loop_2d_network_is_imported_and_explained():
    cfg = Config(dim=2, size=9, kernel=3, radii=range(1, 5))
    net = train_plain(disk_net(), cfg, steps=400, lr=0.03, seed=0)
    a = radiuscnn.explain(net, cfg, amplitudes=AMPLITUDES)
    assert a.dim == 2 and a.cfg.channels == 2
    assert_consistent(a, net, cfg)
    assert len(a.regime) == 2
    assert a.family in ("one-channel background counter", "two-channel row counter", "2-channel background counter",
                        "amplitude-dependent", "plateau", "none")


@pytest.mark.parametrize("padding, mode, activation, head", [
    (1, "circular", nn.LeakyReLU(0.25), "fc"), ("valid", "zeros", nn.Tanh(), "fc"),
    ("same", "zeros", nn.Hardtanh(), "gap"), (1, "zeros", nn.Softplus(), "gap"),
    ("same", "circular", nn.Sigmoid(), "gap"), ("same", "zeros", nn.Identity(), "fc"),
])
def test_padding_activation_and_head_conventions_agree_with_pytorch(padding, mode, activation, head):
    """The side-by-side check on the whole data set is the test: FC flatten order, circular and
    valid padding, every activation map to the project's forward exactly (float64 rounding)."""
    torch.manual_seed(3)
    cfg = Config(size=11, radii=range(0, 6))
    conv = nn.Conv1d(1, 2, 3, padding=padding, padding_mode=mode)
    n = 9 if padding == "valid" else 11
    layers = [conv, activation] + ([nn.AdaptiveAvgPool1d(1)] if head == "gap" else []) + [nn.Flatten()]
    net = nn.Sequential(*layers, nn.Linear(2 * (n if head == "fc" else 1), 1))
    imported = radiuscnn.import_model(net, cfg, AMPLITUDES)
    expected_padding = "valid" if padding == "valid" else ("circular" if mode == "circular" else "zeros")
    assert (imported.cfg.padding, imported.cfg.head) == (expected_padding, head)
    assert imported.max_difference <= 1e-12


# ----------------------------------------------------------------------------------------------
# Derived constructions written into torch modules are proved exact
# ----------------------------------------------------------------------------------------------
def test_a1_counter_in_an_nn_conv1d_is_proved_exact(tmp_path, capsys):
    from radiuscnn.theory.counter import background_counter

    base = Config(size=9, kernel=3, channels=1, radii=range(0, 5))
    bc = background_counter(base)
    assert bc.r_max >= 1 and bc.proof_exact.proved
    p = bc.params
    net = pulse_net(C=1)
    with torch.no_grad():
        net[0].weight.copy_(torch.tensor([[[float(x) for x in p.w[0]]]]))
        net[0].bias.fill_(float(p.b[0]))
        net[4].weight.fill_(float(p.v[0]))
        net[4].bias.fill_(float(p.beta))
    cfg = base.with_(radii=range(0, bc.r_max + 1))
    verdict = radiuscnn.prove(net, cfg)
    assert verdict.status == "proved" and verdict.max_error == 0, verdict
    assert radiuscnn.explain(net, cfg).family == "background counter"
    torch.save(net.state_dict(), tmp_path / "counter.pt")
    from radiuscnn.cli import main

    assert main(["check", "--model", str(tmp_path / "counter.pt"), "--size", "9",
                 "--radii", f"0:{bc.r_max}", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["network"]["proof"]["status"] == "proved" and data["network"]["proof"]["max_error"] == "0"


def fc2d_module(cfg: Config, p) -> nn.Module:
    """A 2D Params2D written into Conv2d + (pool) + Linear."""
    C, n = p.channels, cfg.out_size
    conv = nn.Conv2d(1, C, cfg.kernel, padding="same")
    pool = [nn.AdaptiveAvgPool2d(1)] if p.v is not None else []
    lin = nn.Linear(C if p.v is not None else C * n * n, 1)
    with torch.no_grad():
        conv.weight.copy_(torch.tensor([[[[float(x) for x in row] for row in wc]] for wc in p.w]))
        conv.bias.copy_(torch.tensor([float(b) for b in p.b]))
        head = [float(x) for x in p.v] if p.v is not None else [float(x) for Vc in p.V for row in Vc for x in row]
        lin.weight.copy_(torch.tensor([head]))
        lin.bias.fill_(float(p.beta))
    return nn.Sequential(conv, nn.ReLU(), *pool, nn.Flatten(), lin).double()


def test_d1_ring_law_and_floor_counter_are_recognised():
    from radiuscnn.theory.disk_floor import background_counter_params, support_floor
    from radiuscnn.theory.disk_ring import ring_law_params

    fc = Config(dim=2, size=9, kernel=3, channels=1, head="fc", radii=range(1, 5))
    p = ring_law_params(fc)
    a = radiuscnn.explain(fc2d_module(fc, p), fc)
    # exact up to rounding V = -Δρ/|ring| and beta to float32 (relative error <= 2^-24 each)
    rounding = 2.0**-24 * (abs(float(p.beta)) + sum(abs(float(x)) for row in p.V[0] for x in row))
    assert a.family == "FC ring law" and a.network.ring_error <= 2.0**-24
    assert float(a.proof.max_error) <= rounding
    gap = fc.with_(head="gap")
    floor = support_floor(gap)
    a = radiuscnn.explain(fc2d_module(gap, background_counter_params(gap, floor)), gap)
    assert a.family == "one-channel background counter" and "at its floor" in a.network.detail
    assert a.network.rmse == pytest.approx(floor.fit.rmse, rel=1e-9)


def test_d2_row_counter_is_proved_exact():
    """THEORY.md section 7, D2: supports S1 = {(0, 0)}, S2 = {(0, 0), (0, 1)}; #Bg_S1 - #Bg_S2
    counts one pixel per row of the disk, 2 rho + 1, so y = -1/2 + (#Bg_S1 - #Bg_S2)/2."""
    from radiuscnn.theory.disk_proof import Params2D

    cfg = Config(dim=2, size=11, kernel=3, channels=2, radii=range(1, 5))
    tap = -2 / cfg.a_min
    zero = Fraction(0)
    w1 = ((zero,) * 3, (zero, tap, zero), (zero,) * 3)
    w2 = ((zero,) * 3, (zero, tap, tap), (zero,) * 3)
    n = Fraction(cfg.n_outputs)
    p = Params2D(w=(w1, w2), b=(Fraction(1), Fraction(1)), beta=Fraction(-1, 2), v=(n / 2, -n / 2))
    a = radiuscnn.explain(fc2d_module(cfg, p), cfg)
    assert a.family == "two-channel row counter"
    assert a.proof.max_error == 0 and radiuscnn.prove(p, cfg).status == "proved"


# ----------------------------------------------------------------------------------------------
# check RUN_DIR in 2D
# ----------------------------------------------------------------------------------------------
def test_check_analyses_a_2d_run(tmp_path, capsys):
    from radiuscnn.cli import main

    out = tmp_path / "run"
    assert main(["train", "--dim", "2", "--size", "9", "--radii", "1:4", "--seeds", "2", "--steps", "20",
                 "--out", str(out), "--json"]) == 0
    capsys.readouterr()
    assert main(["check", str(out), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert len(data["networks"]) == 2 and all(n["dim"] == 2 and n["proof"] for n in data["networks"])
    assert main(["check", str(out), "--network", "1"]) == 0
    assert "regime of each channel" in capsys.readouterr().out
    assert main(["check", str(out), "--fail-on", "unsolved"]) == 1  # 20 steps solve nothing
    assert "--fail-on unsolved: 2 of 2 networks unsolved" in capsys.readouterr().err


def test_2d_families_reject_networks_outside_them():
    """The family checks say no when the defining inequalities fail: a ring-law network whose
    filter lets nonempty patterns live, and a counter whose bias kills the background."""
    from dataclasses import replace

    from radiuscnn.theory.disk_floor import background_counter_params, support_floor
    from radiuscnn.theory.disk_ring import ring_law_params

    fc = Config(dim=2, size=9, kernel=3, channels=1, head="fc", radii=range(1, 5))
    p = ring_law_params(fc)
    alive = replace(p, w=(tuple(tuple(-x / 8 for x in row) for row in p.w[0]),))  # a W + b > 0 for small J
    a = radiuscnn.explain(fc2d_module(fc, alive), fc)
    assert a.family != "FC ring law" and not a.network.channels[0].counter
    gap = fc.with_(head="gap")
    q = background_counter_params(gap, support_floor(gap))
    dead = replace(q, b=(-q.b[0],))
    a = radiuscnn.explain(fc2d_module(gap, dead), gap)
    assert a.family != "one-channel background counter" and a.network.channels[0].background == "killed"


def test_explain_reads_run_directories_and_refuses_the_wrong_dimension(tmp_path, capsys):
    from radiuscnn.cli import main

    out = tmp_path / "run"
    assert main(["train", "--size", "9", "--kernel", "3", "--radii", "0:3", "--seeds", "2", "--steps", "5",
                 "--out", str(out), "--json"]) == 0
    capsys.readouterr()
    a = radiuscnn.explain(out, network=1)
    assert a.dim == 1 and a.max_difference is None and a.network.index == 1
    with pytest.raises(ModelImportError, match="2D"):
        radiuscnn.explain(disk_net(), Config(size=9, radii=range(0, 4)))


def test_check_model_2d_json(tmp_path, capsys):
    from radiuscnn.cli import main

    torch.manual_seed(0)
    path = tmp_path / "disk.pt"
    torch.save(disk_net().state_dict(), path)
    assert main(["check", "--model", str(path), "--size", "9", "--radii", "1:4", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["config"]["dim"] == 2 and data["import"]["max_difference"] <= 1e-12
    (network,) = data["networks"]
    assert network["proof"]["max_error"] and network["family"]


def test_prove_keeps_the_older_argument_order():
    from radiuscnn.theory.counter import background_counter
    from radiuscnn.theory.proof import Verdict

    bc = background_counter(Config(size=9, kernel=3, channels=1, radii=range(0, 5)))
    cfg = bc.cfg.with_(radii=range(0, bc.r_max + 1))
    for verdict in (radiuscnn.prove(cfg, bc.params), radiuscnn.prove(cfg, bc.params, "relu", 0)):
        assert isinstance(verdict, Verdict) and verdict.proved
    new = radiuscnn.prove(bc.params, cfg)
    assert new.status == "proved" and new.max_error == 0 and "proved" in repr(new)
    json.dumps(new.to_json())
