"""The keeper's metrics as plain data, and their Prometheus export.

:class:`KeeperMetrics` is a dataclass the core fills (``snapshot`` reads the counters the
index and the sender keep); :class:`KeeperCollector` exposes it to prometheus-client, so
the bot shell only registers the collector and serves the registry.

===================================== ======= =============================================
metric                                type    meaning
===================================== ======= =============================================
keeper_positions_indexed              gauge   open positions in the index
keeper_candidates                     gauge   vaults below the pre-screen ratio, last scan
keeper_confirmed                      gauge   of those, liquidatable on-chain, last scan
keeper_settleable                     gauge   vaults ready to settle, last scan
keeper_vaults_total{action,outcome}   counter vaults by action (liquidate, settle) and
                                              outcome (sent, mined, lost, failed, dry_run,
                                              isolated); lost = another keeper was first,
                                              isolated = left out of a batch because its
                                              own simulation reverts (bisected)
keeper_replacements_total             counter same-nonce fee replacements sent
keeper_fee_ceiling_waits_total        counter sends/replacements held back by the ceiling
keeper_simulation_reverts_total       counter batches whose eth_call simulation reverted
keeper_reorgs_total                   counter reorgs detected by the index
keeper_deep_reorgs_total              counter reorgs deeper than the undo window
keeper_range_refusals_total           counter eth_getLogs ranges refused by the node
keeper_scan_seconds                   gauge   duration of the last scan (index + model
                                              + confirmation + sends)
keeper_last_block                     gauge   last block the index has processed
keeper_signer_balance_wei             gauge   native balance of the keeper's account
===================================== ======= =============================================
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector, CollectorRegistry

if TYPE_CHECKING:
    from keeper.index import Index
    from keeper.sender import Sender

ACTIONS = ("liquidate", "settle", "execute")  # execute: LP requests of the pool
OUTCOMES = ("sent", "mined", "lost", "failed", "dry_run", "isolated")


@dataclass
class KeeperMetrics:
    """Every figure the keeper reports; counters are totals since start."""

    positions_indexed: int = 0
    candidates: int = 0
    confirmed: int = 0
    settleable: int = 0
    vaults: dict[tuple[str, str], int] = field(
        default_factory=lambda: {(a, o): 0 for a in ACTIONS for o in OUTCOMES}
    )
    replacements: int = 0
    fee_ceiling_waits: int = 0
    simulation_reverts: int = 0
    reorgs: int = 0
    deep_reorgs: int = 0
    range_refusals: int = 0
    scan_seconds: float = 0.0
    last_block: int = 0
    signer_balance_wei: int = 0

    def snapshot(self, index: Index | None = None, sender: Sender | None = None) -> None:
        """Copy the counters kept by the index and the sender into this record."""
        if index is not None:
            self.positions_indexed = len(index.book.positions)
            self.last_block = index.block
            self.reorgs = index.reorgs
            self.deep_reorgs = index.deep_reorgs
            self.range_refusals = index.range_refusals
        if sender is not None:
            c = sender.counters
            for action in ACTIONS:
                for outcome, table in (
                    ("sent", c.sent),
                    ("mined", c.mined),
                    ("lost", c.lost),
                    ("failed", c.failed),
                    ("dry_run", c.dry_run),
                    ("isolated", c.isolated),
                ):
                    self.vaults[(action, outcome)] = table[action]
            self.replacements = c.replacements
            self.fee_ceiling_waits = c.ceiling_waits
            self.simulation_reverts = c.simulation_reverts


class KeeperCollector(Collector):
    """prometheus-client collector reading a :class:`KeeperMetrics` at scrape time."""

    def __init__(self, metrics: KeeperMetrics):
        self.metrics = metrics

    def collect(self) -> Iterator[Metric]:
        m = self.metrics

        def gauge(name: str, doc: str, value: float) -> GaugeMetricFamily:
            return GaugeMetricFamily(name, doc, value=value)

        def counter(name: str, doc: str, value: float) -> CounterMetricFamily:
            return CounterMetricFamily(name, doc, value=value)

        yield gauge("keeper_positions_indexed", "Open positions in the index", m.positions_indexed)
        yield gauge("keeper_candidates", "Vaults below the pre-screen ratio", m.candidates)
        yield gauge("keeper_confirmed", "Candidates liquidatable on-chain", m.confirmed)
        yield gauge("keeper_settleable", "Vaults ready to settle", m.settleable)
        vaults = CounterMetricFamily(
            "keeper_vaults",
            "Vaults (liquidate, settle) and LP requests (execute) by action and outcome",
            labels=["action", "outcome"],
        )
        for (action, outcome), value in sorted(m.vaults.items()):
            vaults.add_metric([action, outcome], value)
        yield vaults
        yield counter("keeper_replacements", "Same-nonce fee replacements", m.replacements)
        yield counter(
            "keeper_fee_ceiling_waits", "Sends held back by the fee ceiling", m.fee_ceiling_waits
        )
        yield counter(
            "keeper_simulation_reverts", "Batches whose simulation reverted", m.simulation_reverts
        )
        yield counter("keeper_reorgs", "Reorgs detected by the index", m.reorgs)
        yield counter("keeper_deep_reorgs", "Reorgs deeper than the undo window", m.deep_reorgs)
        yield counter("keeper_range_refusals", "eth_getLogs ranges refused", m.range_refusals)
        yield gauge("keeper_scan_seconds", "Duration of the last scan", m.scan_seconds)
        yield gauge("keeper_last_block", "Last block processed by the index", m.last_block)
        yield gauge("keeper_signer_balance_wei", "Keeper account balance", m.signer_balance_wei)


def register(
    metrics: KeeperMetrics, registry: CollectorRegistry | None = None
) -> CollectorRegistry:
    """Register a collector of ``metrics`` in ``registry`` (a new one by default)."""
    registry = registry or CollectorRegistry()
    registry.register(KeeperCollector(metrics))
    return registry
