"""Prometheus metrics of the pusher (served on ``--metrics-port`` by the CLI).

=================================== ======= ==================================================
metric                              type    meaning
=================================== ======= ==================================================
oracle_last_pushed_value            gauge   last value accepted on-chain; labels feed, expiry
                                            ("spot": price in quote units; else ATM vol, 0.5 = 50%)
oracle_last_push_timestamp_seconds  gauge   observation time of that value (unix s)
oracle_deviation_at_push            gauge   deviation that triggered it (bps spot, vol points)
oracle_transactions_total           counter submit transactions by outcome (mined, reverted,
                                            timeout, superseded, failed, deferred,
                                            dry_run)
oracle_reports_total                counter reports by result (accepted, rejected)
oracle_replacements_total           counter same-nonce replacements sent
oracle_signer_balance_wei           gauge   native balance of the signer/relayer account
oracle_cycle_errors_total           counter cycles that hit a transient error, by kind
=================================== ======= ==================================================
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge


class Metrics:
    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        r = self.registry
        self.last_value = Gauge(
            "oracle_last_pushed_value",
            "Last value accepted on-chain",
            ["feed", "expiry"],
            registry=r,
        )
        self.last_time = Gauge(
            "oracle_last_push_timestamp_seconds",
            "Observation time of the last accepted value",
            ["feed", "expiry"],
            registry=r,
        )
        self.deviation = Gauge(
            "oracle_deviation_at_push",
            "Deviation at push (bps for spot, vol points for vol)",
            ["feed", "expiry"],
            registry=r,
        )
        self.transactions = Counter(
            "oracle_transactions", "Submit transactions by outcome", ["outcome"], registry=r
        )
        self.reports = Counter(
            "oracle_reports", "Reports by on-chain result", ["result"], registry=r
        )
        self.replacements = Counter(
            "oracle_replacements", "Same-nonce replacement transactions sent", registry=r
        )
        self.balance = Gauge(
            "oracle_signer_balance_wei", "Signer account balance (wei)", registry=r
        )
        self.published_gap = Gauge(
            "oracle_published_gap_bps",
            "Published spot minus the spot this pusher last pushed, bps of the pushed value "
            "(non-zero: other signers' fresh reports or the breaker moved the published value)",
            ["feed"],
            registry=r,
        )
        self.cycle_errors = Counter(
            "oracle_cycle_errors", "Cycles that hit a transient error", ["kind"], registry=r
        )
