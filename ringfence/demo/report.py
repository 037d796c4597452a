"""The demo's report: ``summary.json``, ``details.json``, a terminal table and PNG charts.

Charts (matplotlib, Agg backend), x axis in chain minutes from the scenario's start:

- ``spot_vol.png`` — spot and front-expiry ATM vol, a marker for every liquidation;
- ``margin_ratio.png`` — equity / maintenance of every vault before the scenario and after it
  (1.0 is the liquidation line, the initial margin sits at im_factor);
- ``insurance_nav.png`` — insurance fund and pool NAV over the same time.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

CHARTS = ("spot_vol.png", "margin_ratio.png", "insurance_nav.png")


def write(out: Path, summary: dict, details: dict, samples: list[dict], scen) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    (out / "details.json").write_text(
        json.dumps({**details, "samples": samples}, indent=2, default=str) + "\n"
    )
    charts(out, summary, details, samples, scen)
    print_table(summary, out)


def _timeline(samples: list[dict], details: dict):
    """Samples and liquidations before the expiry warp, x in chain minutes."""
    start = samples[0]["chain_time"]
    pre = [s for s in samples if s["phase"] not in ("settle", "expiry", "end")]
    cutoff = max(s["chain_time"] for s in pre)
    x = [(s["chain_time"] - start) / 60 for s in pre]
    liq = [(t - start) / 60 for t in details["liquidation_chain_times"] if t <= cutoff]
    late = sum(1 for t in details["liquidation_chain_times"] if t > cutoff)
    return pre, x, liq, late


def charts(out: Path, summary: dict, details: dict, samples: list[dict], scen) -> None:
    pre, x, liq, late = _timeline(samples, details)
    spot = [s["spot"] for s in pre]

    fig, ax = plt.subplots(figsize=(10, 5.6), dpi=110)
    ax.plot(x, spot, color="tab:blue", lw=2, label="spot (quote per ETH)")
    ax.set_xlabel("chain time since scenario start (minutes)")
    ax.set_ylabel("spot", color="tab:blue")
    ax.grid(alpha=0.3)
    vol_ax = ax.twinx()
    vol_ax.plot(
        x, [100 * (s["atm_vol"] or 0) for s in pre], color="tab:orange", lw=2, label="ATM vol (%)"
    )
    vol_ax.set_ylabel("front-expiry ATM vol (%)", color="tab:orange")
    if liq:
        counts = Counter(liq)
        times = sorted(counts)
        at = [_interp(x, spot, t) for t in times]
        ax.scatter(
            times, at, marker="v", color="tab:red", zorder=5,
            s=[20 + 6 * counts[t] for t in times],
            label=f"liquidations ({len(liq)}; marker size = count per update)",
        )  # fmt: skip
        for t, y in zip(times, at, strict=True):
            ax.annotate(str(counts[t]), (t, y), textcoords="offset points", xytext=(6, 4),
                        fontsize=8, color="tab:red")  # fmt: skip
    lines = ax.get_legend_handles_labels()
    more = vol_ax.get_legend_handles_labels()
    ax.legend(lines[0] + more[0], lines[1] + more[1], loc="upper center",
              bbox_to_anchor=(0.5, -0.13), ncol=3, fontsize=9, frameon=False)  # fmt: skip
    title = f"Scenario '{scen.name}': spot, ATM vol and liquidations"
    if late:
        title += f"\n(+{late} liquidations after the expiry warp, not shown)"
    ax.set_title(title)
    fig.tight_layout()
    fig.savefig(out / "spot_vol.png")
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(10, 5.2), dpi=110)
    before = [min(r, 6.0) for r in details["margin_ratio_start"] if r is not None]
    after = [min(max(r, 0.0), 6.0) for r in details["margin_ratio_after"] if r is not None]
    bins = [i / 10 for i in range(0, 61)]
    ax.hist(before, bins=bins, alpha=0.55, color="tab:blue", label=f"before ({len(before)} vaults)")
    ax.hist(
        after, bins=bins, alpha=0.55, color="tab:red", label=f"after ({len(after)} open vaults)"
    )
    ax.axvline(1.0, color="black", ls="--", lw=1.2, label="maintenance (liquidation line)")
    ax.set_xlabel("margin ratio = equity / maintenance margin (clipped to [0, 6]: 6 = 6 or more)")
    ax.set_ylabel("vaults")
    ax.set_title(
        f"Margin ratios before and after '{scen.name}' "
        "(partially liquidated vaults stay open, restored above IM)"
    )
    ax.legend()
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(out / "margin_ratio.png")
    plt.close(fig)

    fig, (top, bottom) = plt.subplots(2, 1, figsize=(10, 6.4), dpi=110, sharex=True)
    top.plot(x, [s["insurance_fund"] for s in pre], color="tab:green", lw=2)
    top.set_ylabel("insurance fund (tokens)")
    top.set_title(f"Insurance fund and pool NAV through '{scen.name}'")
    top.grid(alpha=0.3)
    nav = [(t, s["pool_nav"]) for t, s in zip(x, pre, strict=True) if s["pool_nav"] is not None]
    bottom.plot([t for t, _ in nav], [v for _, v in nav], color="tab:purple", lw=2)
    bottom.set_ylabel("pool NAV (tokens)")
    bottom.set_xlabel("chain time since scenario start (minutes)")
    bottom.ticklabel_format(axis="y", style="plain", useOffset=False)
    bottom.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(out / "insurance_nav.png")
    plt.close(fig)


def _interp(xs: list[float], ys: list[float], x: float) -> float:
    for (x0, y0), (x1, y1) in zip(
        zip(xs, ys, strict=False), zip(xs[1:], ys[1:], strict=False), strict=False
    ):
        if x0 <= x <= x1 and y0 is not None and y1 is not None:
            return y0 if x1 == x0 else y0 + (y1 - y0) * (x - x0) / (x1 - x0)
    return ys[-1]


def _borne_rows(summary: dict[str, Any]) -> list[tuple[str, str]]:
    """Who bore the bad debt, and the keeper outages, when the summary has them."""
    rows = []
    borne = summary.get("bad_debt_borne")
    if borne:
        rows += [
            ("  borne by the insurance fund", f"{borne['insurance']:,.2f}"),
            ("  borne by the pool (LPs)", f"{borne['pool']:,.2f}"),
            ("  vaults with bad debt", str(borne["vaults"])),
            ("claims owed to traders at the end", f"{borne['claims_owed_end']:,.2f}"),
        ]
    for outage in summary.get("keeper_outages") or []:
        rows.append(("keeper outage (scenario s)", f"{outage['from_t']} -> {outage.get('to_t')}"))
    if "frozen_reads" in summary:
        rows.append(("samples with an unreadable NAV", str(summary["frozen_reads"])))
    return rows


def print_table(summary: dict[str, Any], out: Path, console: Console | None = None) -> None:
    console = console or Console()
    table = Table(title=f"Ringfence demo — scenario {summary.get('scenario')}")
    table.add_column("metric")
    table.add_column("value", justify="right")
    latency = summary["keeper_latency_s"]
    rows = [
        ("positions opened", summary["positions_opened"]),
        (
            "liquidations: full / partial",
            f"{summary['liquidated_full']} / {summary['liquidated_partial']}",
        ),
        ("vaults liquidated", summary.get("vaults_liquidated")),
        ("vaults settled at expiry", summary.get("settled")),
        ("unhealthy left", summary["unhealthy_left"]),
        ("healthy liquidated", summary["healthy_liquidated"]),
        ("isolation violations", summary["isolation_violations"]),
        ("bad debt (tokens)", f"{summary['bad_debt']:,.2f}"),
        *_borne_rows(summary),
        ("insurance fund end (tokens)", f"{summary['insurance_fund_end']:,.2f}"),
        (
            "pool NAV start -> end",
            f"{summary['pool_nav_start']:,.0f} -> {summary['pool_nav_end']:,.0f}",
        ),
        ("keeper latency median / max (s)", f"{latency['median']} / {latency['max']}"),
        ("duration (s)", summary["duration_s"]),
    ]
    for name, value in rows:
        table.add_row(name, str(value))
    console.print(table)
    seed = summary.get("seed_straddle")
    if seed:
        console.print(
            f"seed straddle: as two vaults {seed['split_vaults_liquidated']}/"
            f"{seed['split_vaults']} liquidated; as one pod {seed['pods_liquidated']}/"
            f"{seed['pods']} liquidated"
        )
    kinds = Table(title="by position kind")
    for column in ("kind", "opened", "liquidated", "fully", "settled"):
        kinds.add_column(column, justify="left" if column == "kind" else "right")
    for kind, row in summary.get("by_kind", {}).items():
        kinds.add_row(
            kind, *(str(row[k]) for k in ("opened", "liquidated", "fully_liquidated", "settled"))
        )
    console.print(kinds)
    console.print(f"report: {out / 'summary.json'}, charts: {', '.join(CHARTS)}")
