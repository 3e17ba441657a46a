"""Mutation benchmark for the T1 checks: perturb solved networks, count what the checks catch.

For every solved network of the cached T1 ensembles (``verify.atlas.T1_CASES``; trained on
first use) we draw mutants -- one random weight ``+ s N(0,1)``, every weight ``+ s N(0,1)``,
``beta + s``, the sign of one random weight flipped -- at magnitudes ``s`` in
``{1e-4, 1e-3, 1e-2, 1e-1, 1}``, and analyse each mutant exactly (``verify.analysis``). With
``dL`` the change of the grid MSE (exact rational arithmetic) and ``tau`` the training
tolerance (1e-3):

* a mutant *should be caught* when ``dL > tau``;
* the checks: **loss** (exact grid MSE from the section-5 equations ``> tau``), **verdict**
  (exact sup error ``> 1/2``: refuted), **residual** (some equation's share of the error
  ``> 1/2``), **certificate** (the original's proved bound ``|y - r| <= eps_0`` on ``R x A`` no
  longer holds), **regime** (some term changed piece);
* a mutant is *caught* when any check fires. Aim: every should-be-caught mutant is caught.

Also checked: the roles. Mutating only *free* weights, or an *inequality* weight by less than
half its slack, must leave the loss exactly unchanged (``role violations`` counts failures).

Run: ``python benchmarks/mutation.py [--per-net N] [--cases relu-C3,abs-C3,hardtanh-C2]``.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from radiuscnn.theory.proof import prove  # noqa: E402
from radiuscnn.verify.analysis import (  # noqa: E402
    NetworkAnalysis, Tolerances, analyse_ensemble, analyse_network, parameter_values, replace_parameters,
)
from radiuscnn.verify.atlas import CACHE, T1_CASES, train_cached  # noqa: E402

MAGNITUDES = (1e-4, 1e-3, 1e-2, 1e-1, 1.0)
KINDS = ("one weight", "all weights", "beta", "sign flip")
CHECKS = ("loss", "verdict", "residual", "certificate", "regime")


@dataclass(frozen=True)
class Mutant:
    case: str
    index: int
    kind: str
    magnitude: float
    dloss: float
    fired: tuple[str, ...]

    @property
    def caught(self) -> bool:
        return bool(self.fired)


def checks_fired(cfg, original: NetworkAnalysis, mutant_params, samples, tol: Tolerances) -> tuple[float, tuple[str, ...]]:
    """Analyse a mutant; return ``dL`` and the names of the checks that fire."""
    m = analyse_network(cfg, mutant_params, samples, tol, original.index)
    fired = []
    if m.loss > tol.loss:
        fired.append("loss")
    if m.verdict.refuted:
        fired.append("verdict")
    if not m.equations_hold:
        fired.append("residual")
    if prove(cfg, mutant_params, cfg.activation, eps=original.verdict.max_error).refuted:
        fired.append("certificate")
    if [t.status for t in m.terms] != [t.status for t in original.terms] or \
            [t.piece for t in m.terms] != [t.piece for t in original.terms]:
        fired.append("regime")
    return m.loss - original.loss, tuple(fired)


def mutate(rng: random.Random, values: dict, kind: str, s: float) -> dict:
    """New exact values for the mutated parameters."""
    names = list(values)
    if kind == "one weight":
        name = rng.choice(names)
        return {name: values[name] + Fraction(rng.gauss(0.0, s))}
    if kind == "all weights":
        return {n: values[n] + Fraction(rng.gauss(0.0, s)) for n in names}
    if kind == "beta":
        return {"beta": values["beta"] + Fraction(s) * rng.choice((-1, 1))}
    name = rng.choice(names)
    return {name: -values[name]}


def role_violations(cfg, p, a: NetworkAnalysis, samples, tol: Tolerances) -> tuple[int, int]:
    """Mutate each free weight (by +-1) and each inequality weight (by +-slack/2) alone in the
    network ``p`` analysed as ``a``; the grid loss must not change. Returns (violations, trials)."""
    bad = trials = 0
    for role in a.roles:
        if role.role == "free":
            step = Fraction(1)
        elif role.role == "inequality" and role.slack and role.slack > 0:
            step = role.slack / 2
        else:
            continue
        for sign in (1, -1):
            trials += 1
            moved = replace_parameters(cfg, p, {role.name: role.value + sign * step})
            if analyse_network(cfg, moved, samples, tol, a.index).loss != a.loss:
                bad += 1
    return bad, trials


def run(cases, per_net: int, seed: int) -> dict:
    from radiuscnn.numeric.data import make_dataset
    from radiuscnn.numeric.model import to_exact

    rng = random.Random(seed)
    mutants: list[Mutant] = []
    roles_bad = roles_trials = networks = 0
    for name in cases:
        cfg, tcfg = T1_CASES[name]
        ens = train_cached(cfg, tcfg, CACHE)
        tol = Tolerances(loss=tcfg.tolerance)
        samples = make_dataset(cfg, tcfg.amplitudes).samples
        for a in analyse_ensemble(cfg, ens.params, tcfg.amplitudes, tol):
            if not (a.solved and a.certified):
                continue
            networks += 1
            p = to_exact(cfg, ens.params, a.index)
            b, t = role_violations(cfg, p, a, samples, tol)
            roles_bad, roles_trials = roles_bad + b, roles_trials + t
            values = parameter_values(cfg, p)
            for kind in KINDS:
                for s in (MAGNITUDES if kind != "sign flip" else (0.0,)):
                    for _ in range(per_net):
                        mutant = replace_parameters(cfg, p, mutate(rng, values, kind, s))
                        dloss, fired = checks_fired(cfg, a, mutant, samples, tol)
                        mutants.append(Mutant(name, a.index, kind, s, dloss, fired))
    return {"mutants": mutants, "networks": networks, "roles": (roles_bad, roles_trials),
            "tau": T1_CASES[cases[0]][1].tolerance}


def report(result: dict) -> int:
    from rich.console import Console
    from rich.table import Table

    tau = result["tau"]
    mutants: list[Mutant] = result["mutants"]
    table = Table(title=f"mutation benchmark: {len(mutants)} mutants of {result['networks']} solved networks; "
                        f"should be caught: dL > tau = {tau:g}")
    for col in ("kind", "magnitude", "mutants", "dL > tau", "caught of those", *CHECKS, "flagged with dL <= tau"):
        table.add_column(col, justify="right")
    groups: dict[tuple[str, float], list[Mutant]] = {}
    for m in mutants:
        groups.setdefault((m.kind, m.magnitude), []).append(m)
    for (kind, s), ms in groups.items():
        big = [m for m in ms if m.dloss > tau]
        small = [m for m in ms if m.dloss <= tau]
        per_check = [f"{sum(c in m.fired for m in big)}" for c in CHECKS]
        table.add_row(kind, "-" if kind == "sign flip" else f"{s:g}", str(len(ms)), str(len(big)),
                      f"{sum(m.caught for m in big)}/{len(big)}", *per_check,
                      f"{sum(m.caught for m in small)}/{len(small)}")
    console = Console(width=150)
    console.print(table)
    big = [m for m in mutants if m.dloss > tau]
    caught = sum(m.caught for m in big)
    bad, trials = result["roles"]
    rate = caught / len(big) if big else 1.0
    console.print(f"caught {caught}/{len(big)} ({100 * rate:.1f}%) of the mutants that change the grid loss "
                  f"by more than {tau:g}; per check: " +
                  ", ".join(f"{c} {sum(c in m.fired for m in big)}" for c in CHECKS))
    small = [m for m in mutants if m.dloss <= tau]
    console.print(f"mutants with dL <= {tau:g}: {len(small)}, of which flagged (by the certificate or the "
                  f"regime: the proved bound or the pieces changed) {sum(m.caught for m in small)}")
    console.print(f"role check: {bad} violations in {trials} moves of free / inequality weights "
                  f"(free by 1, inequality by half the slack; the loss must not change)")
    return 0 if caught == len(big) and bad == 0 else 1


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", default="relu-C3,abs-C3,hardtanh-C2")
    parser.add_argument("--per-net", type=int, default=1, help="mutants per (network, kind, magnitude)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    start = time.perf_counter()
    result = run(args.cases.split(","), args.per_net, args.seed)
    code = report(result)
    print(f"{time.perf_counter() - start:.1f} s")
    return code


if __name__ == "__main__":
    sys.exit(main())
