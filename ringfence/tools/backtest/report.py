"""The backtest's output: ``summary.json``, rich tables on the terminal, PNG charts.

Charts (matplotlib, Agg backend), one panel per start:

- ``breach_rates.png`` -- breach rate per strategy at every horizon, against the promised
  1 - confidence (dashed);
- ``loss_over_mm.png`` -- the distribution of loss / MM at the longest horizon per strategy:
  box from the 5th to the 95th percentile, whiskers from the 0.5th to the 99.5th, a dot at
  ES / MM and a cross at the worst path; 1.0 is insolvency;
- ``capital.png`` -- IM against Reg-T and Deribit-standard new money per strategy.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import matplotlib
import numpy as np

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

CHARTS = ("breach_rates.png", "loss_over_mm.png", "capital.png")
VERDICT_STYLE = {"pass": "[green]pass[/]", "fail": "[bold red]FAIL[/]", "conservative": "cons"}


def write_json(out: Path, summary: dict) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    path = out / "summary.json"
    path.write_text(json.dumps(summary, indent=2, allow_nan=False) + "\n")
    return path


def _console() -> Console:
    return Console(width=None if sys.stdout.isatty() else 170, highlight=False)


def _pct(x: float) -> str:
    return f"{100 * x:.2f}"


def print_tables(summary: dict, console: Console | None = None) -> None:
    console = console or _console()
    inputs = summary["inputs"]
    confidence = inputs["confidence"]
    for name, start in summary["starts"].items():
        horizons = list(start["horizons"])
        table = Table(
            title=(
                f"{name} start: spot {start['start']['spot']:g}, regime "
                f"{start['start']['regime']}, {start['paths']:,} paths -- breach = loss > MM; "
                f"Kupiec at {100 * confidence:g} %"
            ),
            title_justify="left",
        )
        table.add_column("strategy")
        table.add_column("MM", justify="right")
        table.add_column("IM", justify="right")
        for h in horizons:
            table.add_column(f"{h} breach %", justify="right")
            table.add_column(f"{h} Kupiec", justify="center")
            table.add_column(f"{h} ES/MM", justify="right")
        for s in start["strategies"]:
            row = [s["name"], f"{s['mm']:.2f}", f"{s['im']:.2f}"]
            for h in horizons:
                f = s["horizons"][h]
                row += [
                    _pct(f["breach_rate"]),
                    VERDICT_STYLE[f["kupiec"]["verdict"]],
                    f"{f['es_over_mm']:.2f}",
                ]
            table.add_row(*row)
        counts = []
        for h in horizons:
            hs = start["horizons"][h]
            counts.append(f"{h}: {len(hs['kupiec_fail'])} of {hs['strategies']} fail")
        table.caption = "Kupiec " + "; ".join(counts) + " (cons = rejected for too few breaches)"
        console.print(table)

    capital = Table(
        title="capital per strategy unit: Ringfence IM vs new money under Reg-T and Deribit",
        title_justify="left",
    )
    capital.add_column("strategy")
    starts = list(summary["starts"])
    for name in starts:
        for col in ("IM", "Reg-T", "Deribit", "IM/Reg-T"):
            capital.add_column(f"{name} {col}", justify="right")
    first = summary["starts"][starts[0]]["strategies"]
    for i, s in enumerate(first):
        row = [s["name"]]
        for name in starts:
            c = summary["starts"][name]["strategies"][i]["capital"]
            ratio = "-" if c["im_over_reg_t"] is None else f"{c['im_over_reg_t']:.2f}"
            row += [
                f"{c['im']:.2f}",
                f"{c['reg_t_new_money']:.2f}",
                f"{c['deribit_new_money']:.2f}",
                ratio,
            ]
        capital.add_row(*row)
    row = ["[bold]book[/]"]
    for name in starts:
        b = summary["starts"][name]["book"]
        row += [
            f"{b['im']:.2f}",
            f"{b['reg_t_new_money']:.2f}",
            f"{b['deribit_new_money']:.2f}",
            f"[bold]{b['im_over_reg_t']:.2f}[/]",
        ]
    capital.add_row(*row, end_section=True)
    console.print(capital)


# ---------------------------------------------------------------------------------------
# Charts


def _panels(n: int, height: float):
    fig, axes = plt.subplots(n, 1, figsize=(14, height * n), dpi=100, squeeze=False)
    return fig, [a[0] for a in axes]


def _grouped_bars(ax, start: dict, columns: list[tuple[str, list[float]]]) -> np.ndarray:
    """One group of bars per strategy, one bar per (label, values) column; the x positions."""
    x = np.arange(len(start["strategies"]))
    width = 0.8 / len(columns)
    for j, (text, values) in enumerate(columns):
        ax.bar(x + (j - (len(columns) - 1) / 2) * width, values, width, label=text)
    return x


def _finish(ax, x, start: dict, ylabel: str, title: str) -> None:
    names = [s["name"] for s in start["strategies"]]
    ax.set_xticks(x, names, rotation=60, ha="right", fontsize=8)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(axis="y", alpha=0.3)
    ax.legend(fontsize=8, ncol=4)


def _save(fig, path: Path) -> Path:
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def chart_breaches(out: Path, summary: dict) -> Path:
    starts = summary["starts"]
    p = 1.0 - summary["inputs"]["confidence"]
    fig, axes = _panels(len(starts), 4.6)
    for ax, (name, start) in zip(axes, starts.items(), strict=True):
        columns = [
            (h, [100 * s["horizons"][h]["breach_rate"] for s in start["strategies"]])
            for h in start["horizons"]
        ]
        x = _grouped_bars(ax, start, columns)
        ax.axhline(100 * p, color="black", ls="--", lw=1, label=f"promised {100 * p:g} %")
        _finish(ax, x, start, "breach rate (%)", f"{name} start: paths whose loss exceeds MM")
    return _save(fig, out / "breach_rates.png")


def chart_losses(out: Path, summary: dict, loss_over_mm: dict) -> Path:
    starts = summary["starts"]
    fig, axes = _panels(len(starts), 4.8)
    for ax, (name, start) in zip(axes, starts.items(), strict=True):
        horizon = list(start["horizons"])[-1]
        boxes = []
        for s in start["strategies"]:
            x = loss_over_mm[name][horizon][s["key"]]
            q = np.quantile(x, [0.005, 0.05, 0.5, 0.95, 0.995])
            boxes.append({"whislo": q[0], "q1": q[1], "med": q[2], "q3": q[3], "whishi": q[4]})
        pos = np.arange(len(boxes))
        ax.bxp(boxes, positions=pos, showfliers=False)
        es = [s["horizons"][horizon]["es_over_mm"] for s in start["strategies"]]
        worst = [s["horizons"][horizon]["worst_over_mm"] for s in start["strategies"]]
        ax.scatter(pos, es, color="tab:red", s=14, zorder=3, label="ES / MM")
        ax.scatter(pos, worst, color="tab:purple", marker="x", s=14, zorder=3, label="worst / MM")
        ax.axhline(1.0, color="black", ls="--", lw=1, label="loss = MM (insolvent)")
        ax.set_yscale("symlog", linthresh=1.0)
        title = f"{name} start: loss / MM after {horizon} (box 5-95 %, whiskers 0.5-99.5 %)"
        _finish(ax, pos, start, "loss / MM", title)
    return _save(fig, out / "loss_over_mm.png")


def chart_capital(out: Path, summary: dict) -> Path:
    starts = summary["starts"]
    fig, axes = _panels(len(starts), 4.6)
    for ax, (name, start) in zip(axes, starts.items(), strict=True):
        columns = [
            (text, [s["capital"][key] for s in start["strategies"]])
            for key, text in (
                ("im", "Ringfence IM"),
                ("reg_t_new_money", "Reg-T new money"),
                ("deribit_new_money", "Deribit new money"),
            )
        ]
        x = _grouped_bars(ax, start, columns)
        ratio = start["book"]["im_over_reg_t"]
        title = f"{name} start: capital to open (book IM / Reg-T new money = {ratio:.2f})"
        _finish(ax, x, start, "quote per strategy unit", title)
    return _save(fig, out / "capital.png")


def write_charts(out: Path, summary: dict, loss_over_mm: dict) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    return [
        chart_breaches(out, summary),
        chart_losses(out, summary, loss_over_mm),
        chart_capital(out, summary),
    ]
