"""The demo's verdicts, computed from chain facts only (never from the keeper's claims).

Pure functions over plain data, so each rule is unit-tested without a chain:

- ``check_isolation`` — for one liquidation transaction and one owner: the owner's other
  vaults are unchanged, the free balance moved by exactly what the liquidation returned (and
  never down), and the owner lost at most the liquidated vaults' collateral (SPEC §4.1, §4.5);
- ``was_healthy`` — a liquidated vault whose health at the block before the liquidation shows
  ``equity >= maintenance`` (or cannot be read) counts as a healthy liquidation (SPEC §4.3);
- ``latencies`` — wall seconds from the oracle update that preceded a liquidation to the
  block that mined it;
- ``summarize`` — the summary.json document.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

WAD = 10**18

Vault = tuple[int, tuple]  # (collateral base units, legs)


@dataclass(frozen=True)
class Liquidation:
    position_id: int
    owner: str
    liquidator: str
    block: int
    tx_hash: str
    fraction: int  # WAD: 1e18 = the whole vault
    returned: int  # base units back to the owner's free balance
    reward: int
    insurance_fee: int
    shortfall: int

    @property
    def full(self) -> bool:
        return self.fraction >= WAD


def check_isolation(
    owner: str,
    liquidated: Mapping[int, int],
    vaults_before: Mapping[int, Vault],
    vaults_after: Mapping[int, Vault],
    free_before: int,
    free_after: int,
) -> list[str]:
    """Violations of isolation for ``owner`` across one liquidation transaction.

    ``liquidated`` maps the owner's vaults liquidated in that transaction to what each
    returned; ``vaults_*`` hold every open vault of the owner (collateral, legs) at the block
    before and at the block of the transaction (closed vaults are absent)."""
    problems = []
    for vault_id, before in vaults_before.items():
        if vault_id in liquidated:
            continue
        after = vaults_after.get(vault_id)
        if after != before:
            problems.append(
                f"{owner}: vault {vault_id} changed by another vault's liquidation "
                f"({before} -> {after})"
            )
    returned = sum(liquidated.values())
    if free_after < free_before:
        problems.append(f"{owner}: free balance debited {free_before} -> {free_after}")
    elif free_after != free_before + returned:
        problems.append(
            f"{owner}: free balance moved {free_after - free_before}, liquidation returned "
            f"{returned}"
        )
    wealth_before = free_before + sum(c for c, _ in vaults_before.values())
    wealth_after = free_after + sum(c for c, _ in vaults_after.values())
    at_stake = sum(vaults_before[v][0] for v in liquidated if v in vaults_before)
    if wealth_before - wealth_after > at_stake:
        problems.append(
            f"{owner}: lost {wealth_before - wealth_after}, more than the liquidated "
            f"collateral {at_stake}"
        )
    return problems


def was_healthy(health_before: Any) -> bool:
    """True when the vault was NOT provably liquidatable at the block before: its health
    ``(equity, initial, maintenance)`` shows equity >= maintenance, or could not be read."""
    if not isinstance(health_before, tuple | list) or len(health_before) != 3:
        return True
    equity, _initial, maintenance = health_before
    return int(equity) >= int(maintenance)


def latencies(
    liquidation_blocks: Sequence[int], update_blocks: Sequence[int], wall: Mapping[int, float]
) -> list[float]:
    """Seconds from the latest oracle update strictly before each liquidation's block to the
    liquidation's block, on the wall clock of ``wall`` (block -> first seen)."""
    updates = sorted(set(update_blocks))
    out = []
    for block in liquidation_blocks:
        before = [u for u in updates if u < block]
        if not before or block not in wall or before[-1] not in wall:
            continue
        out.append(max(0.0, wall[block] - wall[before[-1]]))
    return out


def margin_ratio(health: Any) -> float | None:
    """equity / maintenance of a live vault (1.0 = at the liquidation line)."""
    if not isinstance(health, tuple | list) or len(health) != 3:
        return None
    equity, _initial, maintenance = (int(x) for x in health)
    if maintenance <= 0:
        return None
    return equity / maintenance


def summarize(
    *,
    positions_opened: int,
    liquidations: Sequence[Liquidation],
    unhealthy_left: int,
    healthy_liquidated: int,
    isolation_violations: int,
    bad_debt: float,
    insurance_fund_end: float,
    pool_nav_start: float,
    pool_nav_end: float,
    latency_s: Sequence[float],
    duration_s: float,
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The summary.json document (keys fixed by the demo's brief; amounts in whole tokens).

    ``liquidated_full`` counts liquidations that closed the whole vault and
    ``liquidated_partial`` those that closed a fraction (one vault may have both)."""
    full = sum(1 for x in liquidations if x.full)
    return {
        "positions_opened": positions_opened,
        "liquidated_full": full,
        "liquidated_partial": len(liquidations) - full,
        "unhealthy_left": unhealthy_left,
        "healthy_liquidated": healthy_liquidated,
        "isolation_violations": isolation_violations,
        "bad_debt": round(bad_debt, 6),
        "insurance_fund_end": round(insurance_fund_end, 6),
        "pool_nav_start": round(pool_nav_start, 6),
        "pool_nav_end": round(pool_nav_end, 6),
        "keeper_latency_s": {
            "median": round(statistics.median(latency_s), 3) if latency_s else None,
            "max": round(max(latency_s), 3) if latency_s else None,
            "samples": len(latency_s),
        },
        "duration_s": round(duration_s, 1),
        **(extra or {}),
    }


def verdict(summary: Mapping[str, Any]) -> list[str]:
    """The demo's pass conditions that failed (empty list = pass)."""
    failed = []
    for key in ("unhealthy_left", "healthy_liquidated", "isolation_violations"):
        if summary[key] != 0:
            failed.append(f"{key} = {summary[key]} (must be 0)")
    if summary.get("frozen_reads"):
        failed.append(f"frozen_reads = {summary['frozen_reads']} (the NAV must always read)")
    if summary["liquidated_full"] + summary["liquidated_partial"] == 0:
        failed.append("no liquidation happened")
    return failed
