"""``radiuscnn explore kernel``: presentation of the rows (Rich table and legend, CSV, plot).

The table abbreviates the flags and the minimal widths (``1/2/2/1`` for
relu/leaky_relu/abs/hardtanh); the CSV holds every derived column, the flag reasons and the
trained columns; the plot draws the constraint rank, ``r_max`` (and the success rate)
against ``k``, one line per padding.
"""

from __future__ import annotations

import csv
from pathlib import Path

PL_WIDTHS = ("relu", "leaky_relu", "abs", "hardtanh")
FLAG_SHORT = {"k=1": "k=1", "even-k": "even", "k>=N": "k>=N", "window-wider-than-pulse": "wide",
              "border": "border", "no-background": "no-bg", "invalid": "invalid"}


def widths_text(row: dict) -> str:
    """Minimal widths of relu/leaky_relu/abs/hardtanh as ``1/2/2/1`` (``?`` after the value:
    upper bound only, minimality not decided; ``-``: no construction known). The analytic activations (A3) have none and are left out."""
    widths, status = row["min_channels"], row.get("min_channels_status") or {}
    if widths is None:
        return "n/a"
    return "/".join("-" if widths.get(name) is None
                    else f"{widths[name]}{'?' if status.get(name) == 'upper bound' else ''}"
                    for name in PL_WIDTHS)


def table(rows: list[dict], trained: bool, title: str):
    from rich.table import Table

    t = Table(title=title)
    for name in ("k", "pad", "runs", "rank", "beta", "vb", "r_max", "min C r/l/a/h", "flags"):
        t.add_column(name, justify="left" if name in ("pad", "flags") else "right")
    if trained:
        for name in ("success", "families", "checks"):
            t.add_column(name, justify="right" if name == "success" else "left")

    def text(value):
        return "-" if value is None else str(value)

    for row in rows:
        cells = [str(row["kernel"]), row["padding"], text(row["n_runs"]), text(row["constraint_rank"]),
                 text(row["beta"]), text(row["vb"]), text(row["r_max"]), widths_text(row),
                 " ".join(FLAG_SHORT.get(f["flag"], f["flag"]) for f in row["flags"]) or "-"]
        if trained:
            if row.get("success_rate") is None:
                cells += ["-", "-", "-"]
            else:
                fam = row["families"]
                fams = fam if isinstance(fam, str) else ", ".join(f"{k} {v}" for k, v in fam.items())
                checks = {True: "pass", False: "FAIL", None: "-"}[row["checks_pass"]]
                cells += [f"{row['success_rate']:.0%}", fams, checks]
        t.add_row(*cells)
    return t


LEGEND = (
    "beta, vb = v b, r_max: the one-ReLU background counter (A1; r_max = -1: none). "
    "min C r/l/a/h: minimal widths (A4) for relu/leaky_relu/abs/hardtanh ('2?' = upper bound: "
    "a construction is proved but the width below is not excluded; '-' = none: impossible or no construction known); analytic activations have none (A3). "
    "Flags: k=1; even = even k (h_l != h_r); k>=N; wide = 2r+1 < k for some r; border = a window "
    "meeting the pulse leaves -M..M; no-bg = n_empty(r) = 0 for some r; invalid = no such "
    "configuration. Reasons: --json or --csv."
)


CSV_FIXED = ("kernel", "padding", "h_l", "h_r", "out_size", "n_runs", "constraint_rank", "beta", "vb", "r_max")


def write_csv(path: Path, rows: list[dict], trained: bool, incomplete: str | None = None) -> None:
    """One line per row: the derived columns, ``min_channels_<activation>``, ``flags`` (names,
    ``;``-separated), ``flag_reasons``; trained: ``success_rate``, ``families`` (``name:count``
    ``;``-separated), ``checks_pass``. An interrupted sweep (``incomplete``: why) starts with
    the comment line ``# incomplete: ...`` (``pandas.read_csv(comment="#")`` skips it)."""
    from radiuscnn.theory.config import ACTIVATIONS

    header = [*CSV_FIXED, *(f"min_channels_{a}" for a in ACTIVATIONS), "flags", "flag_reasons"]
    if trained:
        header += ["success_rate", "families", "checks_pass"]
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="") as handle:
        if incomplete is not None:
            handle.write(f"# incomplete: {incomplete}\n")
        writer = csv.writer(handle)
        writer.writerow(header)
        for row in rows:
            widths = row["min_channels"] or {}
            line = [("" if row[c] is None else row[c]) for c in CSV_FIXED]
            line += [("" if widths.get(a) is None else widths[a]) for a in ACTIVATIONS]
            line += [";".join(f["flag"] for f in row["flags"]),
                     " | ".join(f"{f['flag']}: {f['reason']}" for f in row["flags"])]
            if trained:
                fam = row.get("families")
                line += ["" if row.get("success_rate") is None else row["success_rate"],
                         "" if fam is None else fam if isinstance(fam, str)
                         else ";".join(f"{k}:{v}" for k, v in fam.items()),
                         "" if row.get("checks_pass") is None else row["checks_pass"]]
            writer.writerow(line)


PLOT_SUFFIXES = (".pdf", ".png")
STYLES = {"zeros": ("o", "-"), "valid": ("s", "--"), "circular": ("^", ":")}  # overlaps stay visible


def write_plot(path: Path, rows: list[dict], paddings, trained: bool, title: str) -> None:
    """Constraint rank, r_max (and success rate) against ``k``, one line per padding
    (matplotlib Agg; invalid rows are gaps)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = [("constraint_rank", "constraint rank (F1/F2)"), ("r_max", "background counter r_max (A1)")]
    if trained:
        panels.append(("success_rate", "success rate (T1)"))
    fig, axes = plt.subplots(1, len(panels), figsize=(4.2 * len(panels), 3.4), squeeze=False)
    for ax, (key, label) in zip(axes[0], panels):
        for padding in paddings:
            mine = [r for r in rows if r["padding"] == padding]
            ks = [r["kernel"] for r in mine]
            ys = [float("nan") if r.get(key) is None else float(r[key]) for r in mine]
            marker, style = STYLES.get(padding, ("o", "-"))
            ax.plot(ks, ys, marker=marker, linestyle=style, markersize=4, label=padding, alpha=0.85)
        ax.set_xlabel("kernel size k")
        ax.set_title(label, fontsize=10)
        ax.grid(alpha=0.3)
    axes[0][0].legend(title="padding", fontsize=8)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
