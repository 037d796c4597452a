"""The demo's verdicts: isolation check, healthy-liquidation rule, latency, summary."""

import pytest

from ringfence.demo.analysis import (
    WAD,
    Liquidation,
    check_isolation,
    latencies,
    margin_ratio,
    summarize,
    verdict,
    was_healthy,
)

LEGS_A = ((1, WAD, 5 * WAD),)
LEGS_B = ((2, -WAD, 7 * WAD),)


def test_check_isolation__only_vault_shrinks_and_remainder_returned__no_violation():
    before = {1: (1_000, LEGS_A), 2: (2_000, LEGS_B)}
    after = {2: (2_000, LEGS_B)}  # vault 1 fully liquidated, vault 2 untouched
    assert check_isolation("trader", {1: 300}, before, after, 5_000, 5_300) == []


def test_check_isolation__other_vault_collateral_changed__violation():
    before = {1: (1_000, LEGS_A), 2: (2_000, LEGS_B)}
    after = {2: (1_900, LEGS_B)}
    problems = check_isolation("trader", {1: 300}, before, after, 5_000, 5_300)
    assert len(problems) == 1 and "vault 2 changed" in problems[0]


def test_check_isolation__other_vault_legs_changed__violation():
    before = {1: (1_000, LEGS_A), 2: (2_000, LEGS_B)}
    after = {2: (2_000, ((2, -WAD // 2, 7 * WAD),))}
    assert any("vault 2" in p for p in check_isolation("t", {1: 0}, before, after, 0, 0))


def test_check_isolation__free_balance_debited__violation():
    before = {1: (1_000, LEGS_A)}
    problems = check_isolation("trader", {1: 0}, before, {}, 5_000, 4_000)
    assert any("free balance debited" in p for p in problems)


def test_check_isolation__free_balance_moved_more_than_returned__violation():
    before = {1: (1_000, LEGS_A)}
    problems = check_isolation("trader", {1: 100}, before, {}, 5_000, 5_500)
    assert any("liquidation returned 100" in p for p in problems)


def test_check_isolation__partial_liquidation__remaining_vault_counts_as_wealth():
    before = {1: (1_000, LEGS_A)}
    after = {1: (600, ((1, WAD // 2, 5 * WAD),))}
    assert check_isolation("trader", {1: 50}, before, after, 0, 50) == []


def test_check_isolation__loss_beyond_vault_collateral__violation():
    # the owner's other vault vanished as well: more lost than the liquidated collateral
    before = {1: (1_000, LEGS_A), 2: (2_000, LEGS_B)}
    problems = check_isolation("trader", {1: 0}, before, {}, 0, 0)
    assert any("more than the liquidated collateral" in p for p in problems)


@pytest.mark.parametrize(
    ("health", "healthy"),
    [
        ((9 * WAD, 12 * WAD, 10 * WAD), False),  # equity < MM: liquidatable
        ((10 * WAD, 12 * WAD, 10 * WAD), True),  # equity == MM: healthy
        ((-5 * WAD, 12 * WAD, 10 * WAD), False),  # underwater
        (None, True),  # unreadable (stale oracle): not provably unhealthy
    ],
)
def test_was_healthy__health_before_liquidation__classified(health, healthy):
    assert was_healthy(health) is healthy


def test_latencies__latest_update_strictly_before_each_liquidation():
    wall = {10: 100.0, 11: 100.2, 12: 100.5, 20: 105.0, 21: 106.25}
    assert latencies([12, 21], [10, 11, 20], wall) == pytest.approx([0.3, 1.25])


def test_latencies__liquidation_before_any_update__skipped():
    assert latencies([5], [10], {5: 1.0, 10: 2.0}) == []


def test_margin_ratio__equity_over_maintenance():
    assert margin_ratio((15 * WAD, 12 * WAD, 10 * WAD)) == pytest.approx(1.5)
    assert margin_ratio((15 * WAD, 0, 0)) is None


def _liquidation(fraction: int) -> Liquidation:
    return Liquidation(1, "trader", "keeper", 10, "0x01", fraction, 0, 0, 0, 0)


def test_summarize__full_and_partial_counted_and_latency_stats():
    summary = summarize(
        positions_opened=900,
        liquidations=[_liquidation(WAD), _liquidation(WAD // 3), _liquidation(WAD // 2)],
        unhealthy_left=0, healthy_liquidated=0, isolation_violations=0, bad_debt=1.5,
        insurance_fund_end=10.0, pool_nav_start=1e7, pool_nav_end=9.9e6,
        latency_s=[0.2, 0.4, 1.0], duration_s=100.04,
    )  # fmt: skip
    assert summary["liquidated_full"] == 1 and summary["liquidated_partial"] == 2
    assert summary["keeper_latency_s"] == {"median": 0.4, "max": 1.0, "samples": 3}
    assert verdict(summary) == []


QUIET = dict(
    positions_opened=1, liquidations=[], unhealthy_left=0, healthy_liquidated=0,
    isolation_violations=0, bad_debt=0, insurance_fund_end=0, pool_nav_start=0,
    pool_nav_end=0, latency_s=[], duration_s=1,
)  # fmt: skip


def test_verdict__unhealthy_left_or_no_liquidation__fails():
    summary = summarize(**{**QUIET, "unhealthy_left": 2})
    failed = verdict(summary)
    assert "unhealthy_left = 2 (must be 0)" in failed and "no liquidation happened" in failed
    assert summary["keeper_latency_s"]["median"] is None


def test_verdict__a_frozen_nav_read__fails():
    assert not any("frozen" in f for f in verdict(summarize(**QUIET, extra={"frozen_reads": 0})))
    failed = verdict(summarize(**QUIET, extra={"frozen_reads": 3}))
    assert "frozen_reads = 3 (the NAV must always read)" in failed
