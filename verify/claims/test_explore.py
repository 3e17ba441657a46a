"""Claims behind ``radiuscnn explore kernel`` (THEORY.md F2, A1, A4; :mod:`theory.explore`).

Every derived column of :func:`theory.explore.kernel_rows` is compared with a computation that
shares no code with the engine:

* ``n_runs``, ``constraint_rank``: :mod:`verify.brute_force` (explicit pulses, ``np.pad``,
  ``sliding_window_view``; rank in float64 by ``numpy.linalg.matrix_rank``, numerical), and
  ``theory.derive.derive(cfg).to_json()`` (the same quantities as the command ``derive``);
* ``beta``, ``vb``, ``r_max``: background positions counted as all-zero brute-force windows,
  the exactness equations ``beta + q n(r) = r`` solved at ``r = 0, 1`` in ``Fraction``
  arithmetic here, and ``r_max`` also *proved* (exact on ``0..r_max``, refuted at ``r_max + 1``,
  :func:`theory.counter.verify_r_max`, exact interval proofs of :mod:`theory.proof`);
* ``min_channels``: equal to :func:`theory.width.min_channels` (the sweep reduces the analytic
  A3 check to two radii); every piecewise-linear construction of the claimed width evaluated by
  an independent numpy forward pass on brute-force windows, on 41 amplitudes of the interval
  (numerical, ``|y - r| < 1e-8``); the lower bounds (``C - 1`` impossible) and A3 are the
  engine's arguments and are not re-derived here;
* flags: their direct definitions (sentinel-padded windows for ``border``, brute-force window
  counts for ``no-background``, ``Config`` raising for ``invalid``, ``2r+1 < k``, parity).

Sweeps: N = 9 with all radii, N = 7 with small radii {0, 1}, N = 11 with radii {3, 4, 5}
reaching the border, k = 1..N+2 (so k >= N and the invalid valid-padding rows occur), all three
paddings; and the embedded default (N = 33, k = 1..9, slow).
"""

from __future__ import annotations

import hashlib
import inspect
from fractions import Fraction
from functools import lru_cache

import numpy as np
import pytest
from numpy.lib.stride_tricks import sliding_window_view

from radiuscnn.theory.config import ACTIVATIONS, PADDINGS, Config, ConfigError, default_config
from radiuscnn.theory.explore import FLAGS, KernelRow, edge_flags, kernel_rows
from radiuscnn.verify import brute_force as bf

SWEEPS: dict[str, Config] = {
    "N9-all": Config(size=9, radii=tuple(range(5))),
    "N7-small": Config(size=7, radii=(0, 1)),
    "N11-border": Config(size=11, radii=(3, 4, 5)),
}
PL = ("relu", "leaky_relu", "abs", "hardtanh")


@lru_cache(maxsize=None)
def sweep_rows(name: str) -> dict[tuple[int, str], KernelRow]:
    """The engine's rows of sweep ``name`` (derived once per source version: a warm run reads
    them from ``.cache/verify``, :func:`verify.atlas.cached_json`)."""
    from radiuscnn.verify.atlas import cached_json

    cfg = SWEEPS[name] if name != "default" else default_config()
    kernels = range(1, cfg.size + 3) if name != "default" else range(1, 10)
    rows = cached_json("sweep", {"config": cfg.to_json(), "kernels": list(kernels), "paddings": list(PADDINGS)},
                       lambda: [row.to_json() for row in kernel_rows(cfg, kernels, PADDINGS)])
    return {(row.kernel, row.padding): row for row in map(KernelRow.from_json, rows)}


def base(name: str) -> Config:
    return SWEEPS[name] if name != "default" else default_config()


def same_worker(name: str):
    """With ``pytest -n`` and ``--dist loadgroup``: every test of sweep ``name`` runs in one
    worker, so each sweep (seconds of exact searches) is derived once, not once per worker.
    ``make test`` uses ``--dist load`` (the mark is then ignored): the sweeps' rows are cached
    across runs, and sharing out single tests measured faster cold and warm."""
    return pytest.mark.xdist_group(f"sweep-{name}")


def cases(names=tuple(SWEEPS)):
    out = []
    for name in names:
        cfg = base(name)
        kernels = range(1, cfg.size + 3) if name != "default" else range(1, 10)
        out += [pytest.param(name, k, p, id=f"{name}-k{k}-{p}", marks=same_worker(name))
                for k in kernels for p in PADDINGS]
    return out


def names(*chosen: str):
    return [pytest.param(name, marks=same_worker(name)) for name in chosen]


def config_or_none(name: str, k: int, padding: str) -> Config | None:
    try:
        return base(name).with_(kernel=k, padding=padding)
    except ConfigError:
        return None


# --------------------------------------------------------------------------------------------
# Independent computations
# --------------------------------------------------------------------------------------------
def bf_background(cfg: Config) -> tuple[tuple[int, ...], int]:
    """``n_empty(r)`` for ``r = 0..M`` (all-zero brute-force windows) and ``|I|``."""
    counts = tuple(int((bf.windows(cfg, r).sum(axis=1) == 0).sum()) for r in range(cfg.M + 1))
    return counts, bf.windows(cfg, 0).shape[0]


def bf_counter(cfg: Config) -> tuple[Fraction | None, Fraction | None, int]:
    """``(beta, v b, r_max)`` of the background counter from brute-force counts."""
    n, out_size = bf_background(cfg)
    if n[0] == n[1]:
        return None, None, -1
    q = Fraction(1, n[1] - n[0])
    beta = -q * n[0]
    r_max = -1
    for r, count in enumerate(n):
        if beta + q * count != r:
            break
        r_max = r
    return beta, q * out_size, r_max


def bf_border_radii(cfg: Config) -> tuple[int, ...]:
    """Radii whose pulse shares a window with a sentinel placed beyond ``-M..M`` ('same'
    placements: the pulse padded with ``-1`` on ``h_l`` left and ``h_r`` right)."""
    h_l = (cfg.kernel - 1) // 2
    h_r = cfg.kernel - 1 - h_l
    out = []
    for r in cfg.radii:
        x = np.pad(bf.pulse(cfg, r), (h_l, h_r), mode="constant", constant_values=-1)
        w = sliding_window_view(x, cfg.kernel)
        if bool(((w == 1).any(axis=1) & (w == -1).any(axis=1)).any()):
            out.append(r)
    return tuple(out)


NUMPY_SIGMA = {
    "relu": lambda z, alpha: np.maximum(z, 0.0),
    "leaky_relu": lambda z, alpha: np.where(z >= 0, z, alpha * z),
    "abs": lambda z, alpha: np.abs(z),
    "hardtanh": lambda z, alpha: np.clip(z, -1.0, 1.0),
}


def numpy_gap_output(cfg: Config, params: dict, name: str, r: int, amplitudes: np.ndarray) -> np.ndarray:
    """``y(r, a)`` of a GAP network on brute-force windows, float64, one value per amplitude;
    ``params`` the float dict of :func:`gap_construction`."""
    windows = bf.windows(cfg, r).astype(np.float64)  # (|I|, k), columns t = -h_l..h_r
    w, b, v = (np.array(params[key], dtype=np.float64) for key in ("w", "b", "v"))  # w: (C, k)
    z = amplitudes[:, None, None] * (windows @ w.T)[None] + b[None, None]  # (A, |I|, C)
    features = NUMPY_SIGMA[name](z, float(cfg.alpha)).mean(axis=1)  # (A, C)
    return float(params["beta"]) + features @ v


def gap_construction(cfg: Config, name: str) -> dict:
    """``theory.width.width_detail(cfg, name)``'s construction as plain data: ``channels`` and
    the parameters ``w, b, v, beta`` as floats (what :func:`numpy_gap_output` reads), and
    ``one_channel_excluded`` (the bulk-pair argument or a certified complete C = 1 search).
    Derived once per source (of the engine and of this function), like the sweep rows
    (:func:`verify.atlas.cached_json`): the forward pass that checks it runs on every call."""
    from radiuscnn.theory.width import width_detail
    from radiuscnn.verify.atlas import cached_json

    def derive() -> dict:
        detail = width_detail(cfg, name)
        p = detail.params
        searches = detail.searches or ()
        return {"channels": p.channels, "w": [[float(x) for x in row] for row in p.w],
                "b": [float(x) for x in p.b], "v": [float(x) for x in p.v], "beta": float(p.beta),
                "one_channel_excluded": bool(detail.lower_bound.one_channel_impossible
                                             or (searches and searches[0].excludes))}

    # the key holds this function's own source too: verify/claims is not in the source hash
    code = hashlib.sha256(inspect.getsource(gap_construction).encode()).hexdigest()
    return cached_json("construction", {"config": cfg.to_json(), "activation": name, "code": code}, derive)


# --------------------------------------------------------------------------------------------
# Derived columns
# --------------------------------------------------------------------------------------------
@pytest.mark.fast
@pytest.mark.parametrize("name, k, padding", cases())
def test_F2_runs_and_rank_equal_brute_force(name, k, padding):
    row = sweep_rows(name)[(k, padding)]
    cfg = config_or_none(name, k, padding)
    if cfg is None:
        assert not row.valid and row.n_runs is None and row.constraint_rank is None
        return
    assert row.n_runs == bf.n_runs(cfg)
    assert row.constraint_rank == bf.rank(cfg)
    assert (row.h_l, row.h_r, row.out_size) == ((k - 1) // 2, k - 1 - (k - 1) // 2, bf.windows(cfg, 0).shape[0])


@pytest.mark.fast
@pytest.mark.parametrize("name", names("N9-all", "N11-border"))
def test_F2_runs_and_rank_equal_derive(name):
    from radiuscnn.theory.derive import derive

    for (k, padding), row in sweep_rows(name).items():
        if row.valid:
            data = derive(base(name).with_(kernel=k, padding=padding)).to_json()
            assert (row.n_runs, row.constraint_rank) == (data["n_runs"], data["constraint_rank"]), (k, padding)


@pytest.mark.fast
@pytest.mark.parametrize("name, k, padding", cases())
def test_A1_counter_columns_equal_brute_force(name, k, padding):
    row = sweep_rows(name)[(k, padding)]
    cfg = config_or_none(name, k, padding)
    if cfg is None:
        assert (row.beta, row.vb, row.r_max) == (None, None, None)
        return
    assert (row.beta, row.vb, row.r_max) == bf_counter(cfg)


@pytest.mark.fast
@pytest.mark.parametrize("name, k, padding", cases())
def test_A1_r_max_proved_exact_and_refuted_next(name, k, padding):
    from radiuscnn.theory.counter import verify_r_max

    row = sweep_rows(name)[(k, padding)]
    cfg = config_or_none(name, k, padding)
    if cfg is None:
        return
    check = verify_r_max(cfg, row.r_max)
    assert check.ok, check.reason
    if row.r_max >= 0:
        assert check.exact.proved
        assert check.next is None if row.r_max == cfg.M else check.next.refuted


@pytest.mark.fast
@pytest.mark.parametrize("name", names(*SWEEPS))
def test_A4_min_channels_equal_theory_width(name):
    """The sweep's widths (A3 reduced to two radii) are :func:`theory.width.min_channels` of
    each row's configuration (the full search; cached across runs as the rows are)."""
    from radiuscnn.theory.width import min_channels
    from radiuscnn.verify.atlas import cached_json

    rows = sweep_rows(name)
    valid = [(k, padding) for (k, padding), row in rows.items() if row.valid]
    widths = cached_json("widths", {"config": base(name).to_json(), "rows": valid},
                         lambda: [min_channels(base(name).with_(kernel=k, padding=p)) for k, p in valid])
    width = dict(zip(valid, widths))
    for (k, padding), row in rows.items():
        if not row.valid:
            assert row.min_channels is None
            continue
        assert dict(row.min_channels) == width[k, padding], (k, padding)
        for act in ACTIVATIONS:
            if dict(row.min_channels_status)[act] == "impossible":
                assert dict(row.min_channels)[act] is None


@pytest.mark.fast
@pytest.mark.parametrize("name, k, padding", cases())
def test_A4_constructions_pass_an_independent_forward_pass(name, k, padding):
    row = sweep_rows(name)[(k, padding)]
    cfg = config_or_none(name, k, padding)
    if cfg is None:
        return
    amplitudes = np.linspace(float(cfg.a_min), float(cfg.a_max), 41)
    widths = dict(row.min_channels)
    for act in PL:
        if widths[act] is None:
            continue
        construction = gap_construction(cfg, act)
        assert construction["channels"] == widths[act]
        c = cfg.with_(channels=widths[act], activation=act, head="gap")
        for r in cfg.radii:
            y = numpy_gap_output(c, construction, act, r, amplitudes)
            assert np.max(np.abs(y - r)) < 1e-8, (act, r)
        if dict(row.min_channels_status)[act] == "exact" and widths[act] == 2:
            # one channel excluded: bulk-pair argument or a certified complete regime search
            assert construction["one_channel_excluded"]


# --------------------------------------------------------------------------------------------
# Flags
# --------------------------------------------------------------------------------------------
@pytest.mark.fast
@pytest.mark.parametrize("name, k, padding", cases())
def test_F2_flags_match_direct_definitions(name, k, padding):
    row = sweep_rows(name)[(k, padding)]
    cfg0 = base(name)
    cfg = config_or_none(name, k, padding)
    names = set(row.flag_names)
    assert set(names) <= set(FLAGS) and len(names) == len(row.flags)
    assert ("k=1" in names) == (k == 1)
    assert ("even-k" in names) == (k % 2 == 0)
    assert ("k>=N" in names) == (k >= cfg0.size)
    if cfg is None:
        assert padding == "valid" and k > cfg0.size
        (invalid,) = [f for f in row.flags if f.flag == "invalid"]
        assert "--kernel" in invalid.reason
        return
    assert "invalid" not in names
    assert row.flags == edge_flags(cfg)
    assert ("window-wider-than-pulse" in names) == any(2 * r + 1 < k for r in cfg.radii)
    border = bf_border_radii(cfg)
    assert ("border" in names) == bool(border)
    # closed form: k >= 2 and some r >= M - k + 2
    assert bool(border) == (k >= 2 and max(cfg.radii) >= cfg.M - k + 2)
    no_bg = [r for r in cfg.radii if bf.window_counts(cfg, r).get((0,) * k, 0) == 0]
    assert ("no-background" in names) == bool(no_bg)
    for flag in row.flags:
        assert flag.reason and "\n" not in flag.reason


@pytest.mark.fast
def test_invalid_row_is_a_row_not_a_crash():
    rows = kernel_rows(Config(size=7, radii=(0, 1, 2)), [8], ["valid", "zeros"])
    assert [(r.kernel, r.padding, r.valid) for r in rows] == [(8, "valid", False), (8, "zeros", True)]
    with pytest.raises(ConfigError):
        Config(size=7, radii=(0, 1, 2), kernel=8, padding="valid")
    data = rows[0].to_json()
    assert data["n_runs"] is None and data["r_max"] is None
    assert [f["flag"] for f in data["flags"]] == ["even-k", "k>=N", "invalid"]


@pytest.mark.fast
def test_rows_are_kernel_major_and_json_shaped():
    rows = kernel_rows(Config(size=7, radii=(0, 1)), [2, 3], ["circular", "zeros"])
    assert [(r.kernel, r.padding) for r in rows] == [(2, "circular"), (2, "zeros"), (3, "circular"), (3, "zeros")]
    data = rows[0].to_json()
    for key in ("kernel", "padding", "n_runs", "constraint_rank", "beta", "vb", "r_max", "min_channels", "flags"):
        assert key in data
    assert set(data["min_channels"]) == set(ACTIVATIONS)
    assert all(set(f) == {"flag", "reason"} for f in data["flags"])


@pytest.mark.fast
def test_rows_read_back_from_json_are_the_rows():
    """The cached sweeps (:func:`sweep_rows`) are rows read back from JSON: the same rows,
    rationals and all (valid, invalid, fixed-amplitude)."""
    rows = (kernel_rows(Config(size=7, radii=(0, 1, 2)), [3, 8], ["valid", "zeros"])
            + kernel_rows(Config(size=7, radii=(0, 1, 2), amplitude=(1, 1)), [3], ["zeros"]))
    assert any(not r.valid for r in rows) and any(r.beta not in (None, 0) for r in rows)
    for row in rows:
        assert KernelRow.from_json(row.to_json()) == row


@pytest.mark.fast
def test_cached_derivation_is_computed_once_per_key(tmp_path):
    from radiuscnn.verify.atlas import cached_json

    calls = []

    def compute():
        calls.append(1)
        return [{"beta": "1/3"}]

    assert cached_json("t", {"n": 1}, compute, tmp_path) == [{"beta": "1/3"}]
    assert cached_json("t", {"n": 1}, compute, tmp_path) == [{"beta": "1/3"}] and len(calls) == 1
    assert cached_json("t", {"n": 2}, compute, tmp_path) and len(calls) == 2  # another key: derived again
    assert cached_json("t", {"n": 1}, compute, None) and len(calls) == 3  # no cache


@pytest.mark.fast
def test_fixed_amplitude_has_no_widths():
    (row,) = kernel_rows(Config(size=7, radii=(0, 1, 2), amplitude=(1, 1)), [3], ["zeros"])
    assert row.min_channels is None and row.n_runs is not None


# --------------------------------------------------------------------------------------------
# The embedded default (N = 33, k = 1..9)
# --------------------------------------------------------------------------------------------
@pytest.mark.slow
@pytest.mark.parametrize("name, k, padding", cases(("default",)))
def test_default_sweep_equals_brute_force(name, k, padding):
    row = sweep_rows(name)[(k, padding)]
    cfg = config_or_none(name, k, padding)
    assert row.n_runs == bf.n_runs(cfg)
    assert row.constraint_rank == bf.rank(cfg)
    assert (row.beta, row.vb, row.r_max) == bf_counter(cfg)
    assert ("border" in row.flag_names) == bool(bf_border_radii(cfg))
