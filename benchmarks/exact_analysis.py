"""The exact analysis in integers against its ``Fraction`` reference: speed, and byte-identity.

    PYTHONPATH=. .venv/bin/python benchmarks/exact_analysis.py [--repeats 5]
    PYTHONPATH=. .venv/bin/python benchmarks/exact_analysis.py --dump DIR
    PYTHONPATH=. .venv/bin/python benchmarks/exact_analysis.py --baseline 52cee47 [--repeats 5]

Workloads (the report's own calls on the embedded default configuration):

(a) ``verify.analysis.analyse_ensemble`` on the default configuration's trained ensemble
    (``Config()``, ``TrainConfig()``: 64 members, T1 of the report);
(b) the same on the kernel sweep's ensembles (k = 1..9 with the default padding, 16 members
    each, ``reports.collect_sweeps``), one member per call as ``verify.explore_train`` does;
(c) ``theory.disk_proof.prove_2d`` on 2D networks of ``default_config(2)`` with float64
    Gaussian weights (dyadic rationals like trained ones), GAP and FC heads, 8 each.

Each workload (the calls alone, without serialising their results) runs with the integer engine (``verify.analysis.INTEGER``, ``prove_2d``) and the
reference (``verify.analysis.FRACTION``, ``prove_2d_fraction``), interleaved, ``--repeats``
times after one warm-up of each (memoised geometry, imports); the table gives the median and
best seconds of each and the ratio reference / integer of the medians. Only the exact
computations differ between the engines (regime, equations, proof); the rest of an analysis
(errors from the equations, roles, families, plateau fit) is the same code in both, so the
ratio against the code before the integer engine is, if anything, larger.

``--dump DIR`` writes ``DIR/integer.json`` and ``DIR/fraction.json``: every result of every
workload serialised (``to_json`` of each analysis; ``to_json`` and ``per_radius`` of each
2D proof), with ``sort_keys``, and prints both sha256; they must be equal.

``--baseline REV`` times the same calls (default engine only) against the code of the commit
``REV`` itself (``git archive`` into a temporary directory, imported first through
``PYTHONPATH``): the parent saves the ensembles and 2D networks once, then runs one child
process per (code, repeat), alternating baseline and current, one at a time; each child warms
up once and reports the best of ``--repeats`` timings of each workload. The table gives the
median over the children of each side and the ratio baseline / current.

The ensembles are trained once and cached (``verify.atlas.train_cached``, ``.cache/verify``).
Single-threaded (``OMP_NUM_THREADS=1``, ``torch.set_num_threads(1)``); times are CPU seconds
(``time.process_time``).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import time
from pathlib import Path

import numpy as np
import torch

from radiuscnn.numeric.ensemble import TrainConfig
from radiuscnn.reports.collect_sweeps import EXPLORE_MEMBERS, F2_KERNELS
from radiuscnn.theory.config import Config, ConfigError, default_config
from radiuscnn.theory.disk_proof import Params2D
from radiuscnn.verify.atlas import train_cached


def default_ensemble():
    cfg, tcfg = Config(), TrainConfig()
    return cfg, tcfg, train_cached(cfg, tcfg).params


def sweep_ensembles():
    cfg, tcfg = Config(), TrainConfig()
    tsweep = tcfg.with_(seeds=min(tcfg.seeds, EXPLORE_MEMBERS))
    out = []
    for k in range(1, F2_KERNELS + 1):
        try:
            ck = cfg.with_(kernel=k)
        except ConfigError:
            continue
        out.append((ck, tsweep, train_cached(ck, tsweep).params))
    return out


def networks_2d(members: int = 8):
    rng = np.random.default_rng(2026)
    out = []
    for head in ("gap", "fc"):
        cfg = default_config(2).with_(head=head)
        C, k, n = cfg.channels, cfg.kernel, cfg.out_size
        for _ in range(members):
            out.append((cfg, Params2D.from_arrays(
                rng.normal(size=(C, k, k)) * 0.5, rng.normal(size=C) * 0.5, rng.normal(),
                v=rng.normal(size=C) if head == "gap" else None,
                V=rng.normal(size=(C, n, n)) * 0.1 if head == "fc" else None)))
    return out


def workloads():
    """``{name: (integer run, reference run, serialise)}``: each run returns its results,
    ``serialise`` turns them into JSON data (not timed)."""
    from radiuscnn.theory.disk_proof import prove_2d, prove_2d_fraction
    from radiuscnn.verify.analysis import FRACTION, INTEGER, Tolerances, analyse_ensemble

    cfg, tcfg, params = default_ensemble()
    sweep = sweep_ensembles()
    nets = networks_2d()

    def ensemble(engine):
        return analyse_ensemble(cfg, params, tcfg.amplitudes, engine=engine)

    def kernels(engine):
        out = []
        for ck, ts, ps in sweep:
            tol = Tolerances(loss=ts.tolerance)
            for e in range(ts.seeds):
                out += analyse_ensemble(ck, ps, ts.amplitudes, tol, [e], engine=engine)
        return out

    def proofs(prove):
        return [prove(c, q) for c, q in nets]

    def analyses_json(analyses):
        return [a.to_json() for a in analyses]

    def proofs_json(results):
        return [{**p.to_json(), "per_radius": [[rho, str(x)] for rho, x in p.per_radius]} for p in results]

    return {
        "analyse_ensemble, default ensemble": (lambda: ensemble(INTEGER), lambda: ensemble(FRACTION), analyses_json),
        "analyse_ensemble, kernel sweep": (lambda: kernels(INTEGER), lambda: kernels(FRACTION), analyses_json),
        "prove_2d, default 2D config": (lambda: proofs(prove_2d), lambda: proofs(prove_2d_fraction), proofs_json),
    }


def timed(run) -> float:
    """The process's CPU seconds of ``run()`` (single-threaded: its wall time on an idle core,
    less disturbed than the wall clock by other work on a shared machine)."""
    start = time.process_time()
    run()
    return time.process_time() - start


def bench(repeats: int) -> None:
    rows = []
    for name, (new, old, _) in workloads().items():
        new(), old()  # warm-up: memoised geometry and run counts, lazy imports
        t_new, t_old = [], []
        for rep in range(repeats):  # interleaved, alternating which goes first
            pair = ((t_new, new), (t_old, old)) if rep % 2 == 0 else ((t_old, old), (t_new, new))
            for times, run in pair:
                times.append(timed(run))
        rows.append((name, t_new, t_old))
    print(f"{'workload':38s} {'integer median/best':>20s} {'Fraction median/best':>21s} {'ratio':>6s}")
    for name, t_new, t_old in rows:
        m_new, m_old = statistics.median(t_new), statistics.median(t_old)
        print(f"{name:38s} {m_new:9.3f} / {min(t_new):7.3f}s {m_old:9.3f} / {min(t_old):7.3f}s {m_old / m_new:5.2f}x")


def dump(directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    results = {"integer": {}, "fraction": {}}
    for name, (new, old, serialise) in workloads().items():
        results["integer"][name], results["fraction"][name] = serialise(new()), serialise(old())
    digests = {}
    for engine, data in results.items():
        blob = json.dumps(data, sort_keys=True).encode()
        (directory / f"{engine}.json").write_bytes(blob)
        digests[engine] = hashlib.sha256(blob).hexdigest()
        print(f"{engine:9s} {digests[engine]}  {directory / f'{engine}.json'} ({len(blob)} bytes)")
    print("identical" if digests["integer"] == digests["fraction"] else "DIFFERENT")
    if digests["integer"] != digests["fraction"]:
        raise SystemExit(1)


def child(fixtures: Path, repeats: int) -> None:
    """Time the default-engine calls of whatever ``radiuscnn`` imports (the baseline or the
    current code) on the saved fixtures; print ``{workload: best seconds}`` as JSON."""
    from radiuscnn.theory.disk_proof import prove_2d as prove
    from radiuscnn.verify.analysis import Tolerances as Tol, analyse_ensemble as analyse

    data = torch.load(fixtures, weights_only=False)
    cfg, amplitudes, params = Config.from_json(data["default"][0]), data["default"][1], data["default"][2]
    sweep = [(Config.from_json(c), a, t, seeds, ps) for c, a, t, seeds, ps in data["sweep"]]
    nets = [(Config.from_json(c), q) for c, q in data["nets"]]
    runs = {
        "analyse_ensemble, default ensemble": lambda: analyse(cfg, params, amplitudes),
        "analyse_ensemble, kernel sweep": lambda: [analyse(c, ps, a, Tol(loss=t), [e]) for c, a, t, seeds, ps in sweep
                                                   for e in range(seeds)],
        "prove_2d, default 2D config": lambda: [prove(c, q) for c, q in nets],
    }
    best = {}
    for name, run in runs.items():
        run()  # warm-up
        best[name] = min(timed(run) for _ in range(repeats))
    print(json.dumps(best))


def baseline(rev: str, repeats: int, rounds: int = 3) -> None:
    import subprocess
    import sys
    import tempfile

    repo = Path(__file__).resolve().parents[1]
    with tempfile.TemporaryDirectory() as tmp:
        old = Path(tmp) / "radiuscnn"
        old.mkdir()
        archive = subprocess.run(["git", "-C", str(repo), "archive", rev], check=True, capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", str(old)], input=archive, check=True)
        cfg, tcfg, params = default_ensemble()
        fixtures = Path(tmp) / "fixtures.pt"
        torch.save({"default": (cfg.to_json(), tcfg.amplitudes, params),
                    "sweep": [(c.to_json(), t.amplitudes, t.tolerance, t.seeds, ps) for c, t, ps in sweep_ensembles()],
                    "nets": [(c.to_json(), q) for c, q in networks_2d()]}, fixtures)
        times: dict[str, dict[str, list[float]]] = {"baseline": {}, "current": {}}
        for _ in range(rounds):
            for side in ("baseline", "current"):
                env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
                env.update({"OMP_NUM_THREADS": "1", **({"PYTHONPATH": tmp} if side == "baseline" else {})})
                out = subprocess.run([sys.executable, __file__, "--child", str(fixtures), "--repeats", str(repeats)],
                                     check=True, capture_output=True, text=True, env=env, cwd=tmp).stdout
                for name, seconds in json.loads(out.splitlines()[-1]).items():
                    times[side].setdefault(name, []).append(seconds)
    print(f"baseline {rev} against the current code (best of {repeats} per process, median of {rounds} processes)")
    print(f"{'workload':38s} {'current':>9s} {'baseline':>9s} {'ratio':>6s}")
    for name in times["current"]:
        new, old = statistics.median(times["current"][name]), statistics.median(times["baseline"][name])
        print(f"{name:38s} {new:8.3f}s {old:8.3f}s {old / new:5.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--dump", type=Path, default=None, help="write both engines' results here and compare")
    parser.add_argument("--baseline", default=None, help="time the current code against this git revision")
    parser.add_argument("--child", type=Path, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    torch.set_num_threads(1)
    if args.child is not None:
        child(args.child, args.repeats)
    elif args.dump is not None:
        dump(args.dump)
    elif args.baseline is not None:
        baseline(args.baseline, args.repeats)
    else:
        bench(args.repeats)


if __name__ == "__main__":
    main()
