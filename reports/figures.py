"""The report's figures: matplotlib with the Agg backend, written as vector PDF.

Each function takes plain results data (the dicts stored in ``results.json``) and a path, and
returns the path it wrote or ``None`` when the data it needs is absent. Nothing here computes a
claim; it only draws what the results hold.
"""

from __future__ import annotations

import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.colors import ListedColormap  # noqa: E402

plt.rcParams.update(
    {
        "font.size": 8,
        "axes.titlesize": 8,
        "axes.labelsize": 8,
        "legend.fontsize": 7,
        "xtick.labelsize": 7,
        "ytick.labelsize": 7,
        "pdf.fonttype": 42,
        "figure.dpi": 100,
    }
)


def _save(fig, path: Path) -> Path:
    path = Path(path)
    fig.savefig(path, format="pdf", bbox_inches="tight", metadata={"CreationDate": None, "ModDate": None})
    plt.close(fig)
    return path


def filters(derived: dict | None, learned: dict | None, path: Path) -> Path | None:
    """Learned filters next to the derived (A1 background-counter) filter.

    ``derived``: ``{"offsets": [...], "w": [[...]], "b": [...], "label": str}`` (channels of
    the derived construction). ``learned``: ``{"offsets": [...], "members": [{"id": e,
    "w": [[...]] (C x k), "b": [...], "loss": float, "success": bool}, ...]}``. Filters are
    drawn scaled by ``1/|b_c|`` so that the kill threshold ``W[J] <= -b/a`` is comparable.
    """
    panels = []
    if derived and derived.get("w"):
        panels.append(("derived: " + derived.get("label", "construction"), derived["offsets"], derived["w"], derived["b"], None))
    for m in (learned or {}).get("members", [])[:3]:
        tag = "success" if m.get("success") else "no success"
        panels.append((f"trained #{m['id']}\n({tag}, loss {m['loss']:.2g})", learned["offsets"], m["w"], m["b"], m))
    if not panels:
        return None
    fig, axes = plt.subplots(1, len(panels), figsize=(min(7.0, 1.8 * len(panels) + 0.4), 2.2), sharey=False,
                             squeeze=False)
    for ax, (title, offsets, w, b, _) in zip(axes[0], panels):
        for c, (row, bias) in enumerate(zip(w, b)):
            scale = abs(bias) if abs(bias) > 1e-12 else 1.0
            ax.plot(offsets, [x / scale for x in row], marker="o", ms=3, lw=1, label=f"c={c}: w/|b|")
        ax.axhline(0, color="0.6", lw=0.6)
        ax.set_title(title, fontsize=7)
        ax.set_xlabel("offset t")
        ax.set_xticks(list(offsets))
    axes[0][0].set_ylabel("tap / |bias|")
    axes[0][0].legend(loc="best", frameon=False)
    fig.tight_layout()
    return _save(fig, path)


def response(curves: list[dict], path: Path) -> Path | None:
    """``y(r, a)`` against ``r`` for a few amplitudes, one panel per network.

    ``curves``: ``[{"label": str, "radii": [...], "amplitudes": ["1/2", ...], "y": [[...] per
    amplitude]}]``.
    """
    curves = [c for c in curves if c and c.get("y")]
    if not curves:
        return None
    fig, axes = plt.subplots(1, len(curves), figsize=(2.6 * len(curves) + 0.4, 2.4), squeeze=False)
    for ax, curve in zip(axes[0], curves):
        radii = curve["radii"]
        ax.plot(radii, radii, color="0.7", lw=1.5, ls="--", label="y = r")
        for a, ys in zip(curve["amplitudes"], curve["y"]):
            ax.plot(radii, ys, marker=".", ms=4, lw=1, label=f"a = {a}")
        ax.set_title(curve["label"], fontsize=7)
        ax.set_xlabel("radius r")
    axes[0][0].set_ylabel("y(r, a)")
    axes[0][0].legend(loc="best", frameon=False)
    fig.tight_layout()
    return _save(fig, path)


REGIME_COLORS = ("#3b6fb6", "#f2b134", "#d1495b", "#9aa0a6", "#6aa84f")


def regimes(regime: dict | None, path: Path) -> Path | None:
    """Regime map: which (channel, run) terms of each network are killed / alive / crossing.

    ``regime``: ``{"labels": ["killed", "alive", "crossing", ...], "columns": ["c0 {}", ...],
    "rows": [{"id": e, "success": bool, "codes": [int per column]}]}`` where a code indexes
    ``labels``.
    """
    if not regime or not regime.get("rows") or not regime.get("columns"):
        return None
    labels = regime["labels"]
    rows = regime["rows"]
    grid = [r["codes"] for r in rows]
    cmap = ListedColormap(list(REGIME_COLORS[: len(labels)]))
    height = min(9.0, max(2.6, 1.4 + 0.09 * len(rows)))
    width = min(7.0, max(3.5, 1.6 + 0.22 * len(regime["columns"])))
    fig, ax = plt.subplots(figsize=(width, height))
    ax.imshow(grid, aspect="auto", interpolation="nearest", cmap=cmap, vmin=-0.5, vmax=len(labels) - 0.5)
    ax.set_xticks(range(len(regime["columns"])))
    ax.set_xticklabels(regime["columns"], rotation=90, fontsize=5)
    step = max(1, math.ceil(len(rows) / 32))
    ticks = list(range(0, len(rows), step))
    ax.set_yticks(ticks)
    ax.set_yticklabels([f"#{rows[i]['id']}{'*' if rows[i].get('success') else ''}" for i in ticks], fontsize=5)
    ax.set_xlabel("channel and run J")
    ax.set_ylabel("network, best first (* solved)")
    handles = [plt.Rectangle((0, 0), 1, 1, color=REGIME_COLORS[i]) for i in range(len(labels))]
    ax.legend(handles, labels, loc="lower center", bbox_to_anchor=(0.5, 1.01), ncol=len(labels), frameon=False)
    fig.tight_layout()
    return _save(fig, path)


def success(losses: list[float] | None, threshold: float | None, rates: list[dict] | None, path: Path) -> Path | None:
    """Final-loss histogram (log scale, success threshold marked) and success rates per
    configuration (``rates``: ``[{"label": str, "successes": int, "total": int}]``)."""
    has_losses = bool(losses)
    has_rates = bool(rates)
    if not has_losses and not has_rates:
        return None
    n = int(has_losses) + int(has_rates)
    fig, axes = plt.subplots(1, n, figsize=(3.2 * n + 0.4, 2.4), squeeze=False)
    k = 0
    if has_losses:
        ax = axes[0][k]
        k += 1
        floor = 1e-16
        logs = [math.log10(max(float(x), floor)) for x in losses if x is not None and math.isfinite(float(x))]
        if logs:
            ax.hist(logs, bins=min(30, max(5, len(logs) // 2)), color="#3b6fb6")
        if threshold:
            ax.axvline(math.log10(threshold), color="#d1495b", lw=1, ls="--", label="success threshold")
            ax.legend(loc="best", frameon=False)
        ax.set_xlabel("log10 final training loss")
        ax.set_ylabel("networks")
    if has_rates:
        ax = axes[0][k]
        labels = [r["label"] for r in rates]
        values = [r["successes"] / r["total"] if r["total"] else 0.0 for r in rates]
        ax.bar(range(len(rates)), values, color="#6aa84f")
        ax.set_xticks(range(len(rates)))
        ax.set_xticklabels(labels, rotation=60 if len(rates) > 4 else 0, ha="right" if len(rates) > 4 else "center")
        ax.set_ylim(0, 1)
        ax.set_ylabel("success rate")
    fig.tight_layout()
    return _save(fig, path)


def landscape(losses: list[float] | None, marks: list[dict] | None, path: Path) -> Path | None:
    """Final-loss histogram (log scale) with the derived critical values (``marks``:
    ``[{"label", "value"}]``, e.g. the plateau loss and Var(r)) as vertical lines."""
    logs = [math.log10(max(float(x), 1e-16)) for x in losses or () if x is not None and math.isfinite(float(x))]
    if not logs:
        return None
    fig, ax = plt.subplots(figsize=(5.2, 2.4))
    ax.hist(logs, bins=min(40, max(5, len(logs) // 2)), color="#3b6fb6")
    for mark, color in zip(marks or (), ("#d1495b", "#edae49", "#00798c", "#30638e")):
        ax.axvline(math.log10(mark["value"]), color=color, lw=1.2, ls="--", label=mark["label"])
    ax.legend(loc="upper left", frameon=False, fontsize=7)
    ax.set_xlabel("log10 final training loss")
    ax.set_ylabel("networks")
    fig.tight_layout()
    return _save(fig, path)


def series(panels: list[dict], path: Path) -> Path | None:
    """Generic line panels: ``[{"title", "xlabel", "ylabel", "logy": bool, "lines": [{"x", "y",
    "label", "style"}]}]`` (used for the kernel sweep and the 2D section)."""
    panels = [p for p in panels if p and p.get("lines")]
    if not panels:
        return None
    fig, axes = plt.subplots(1, len(panels), figsize=(3.0 * len(panels) + 0.4, 2.4), squeeze=False)
    for ax, panel in zip(axes[0], panels):
        for line in panel["lines"]:
            xs = [x for x, y in zip(line["x"], line["y"]) if y is not None]
            ys = [y for y in line["y"] if y is not None]
            ax.plot(xs, ys, line.get("style", "o-"), ms=3, lw=1, label=line.get("label"))
        if panel.get("logy"):
            ax.set_yscale("log")
        ax.set_title(panel.get("title", ""), fontsize=7)
        ax.set_xlabel(panel.get("xlabel", ""))
        ax.set_ylabel(panel.get("ylabel", ""))
        if any(line.get("label") for line in panel["lines"]):
            ax.legend(loc="best", frameon=False)
    fig.tight_layout()
    return _save(fig, path)
