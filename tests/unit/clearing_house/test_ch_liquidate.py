"""liquidate / liquidate_many: partial and whole, rewards, fees, the shortfall waterfall."""

import boa
import pytest
from ch_helpers import assert_conserved, closing_log, open_vault, set_spot

from ringfence.risk_table import ETH, WAD


@pytest.fixture
def short_call(funded, trader):
    """A short ATM call funded just above its initial margin."""
    return open_vault(funded, trader, [(2000, True, -4)], 1_200)


def _first_unhealthy_spot(proto, pid, start, step):
    spot = start
    while not proto.view.is_liquidatable(pid):
        spot += step
        set_spot(proto, spot)
    return spot


def test_liquidate__healthy_position__reverts(funded, short_call, liquidator):
    assert not funded.view.is_liquidatable(short_call)
    with boa.env.prank(liquidator), boa.reverts("clearing: healthy position"):
        funded.ch.liquidate(short_call)


def test_liquidate__closed_position__reverts(funded, liquidator):
    with boa.env.prank(liquidator), boa.reverts("clearing: no position"):
        funded.ch.liquidate(42)


def test_liquidate__just_below_maintenance__partial_leaves_equity_above_im(
    funded, trader, other_trader, short_call, liquidator
):
    _first_unhealthy_spot(funded, short_call, 2000, 5)
    equity, im, mm = funded.ch.health(short_call)
    assert equity < mm
    with boa.env.prank(liquidator):
        fraction = funded.ch.liquidate(short_call)
    logs = funded.ch.get_logs()
    log, state = logs[-2], logs[-1]
    assert type(log).__name__ == "PositionLiquidated"
    # the snapshot is the stored result: an indexer applies it, never recomputes it
    assert type(state).__name__ == "VaultState"
    assert state.collateral == funded.view.position(short_call).collateral
    assert state.sizes[0] == funded.view.position(short_call).legs[0].size
    assert 0 < fraction < WAD and log.fraction == fraction
    equity_after, im_after, _ = funded.ch.health(short_call)
    assert equity_after >= im_after  # SPEC 4.4
    (leg,) = funded.view.position(short_call).legs
    assert -4 * WAD < leg.size < 0
    assert funded.ch.free_balance(liquidator) == log.reward > 0
    assert funded.ch.insurance_fund() == log.insurance_fee > 0
    # bounded reward: at most liquidation_reward (5 %) of the closed maintenance margin
    assert log.reward * 10**12 <= mm * fraction // WAD * 5 // 100 + 10**12
    assert funded.ch.free_balance(trader) == funded.units(100_000 - 1_200)  # untouched
    assert_conserved(funded, [trader, other_trader, liquidator])


def test_liquidate__equity_below_penalty__whole_vault_nothing_left(funded, trader, liquidator):
    pid = open_vault(funded, trader, [(2000, True, -1)], 2_000)
    spot = _first_unhealthy_spot(funded, pid, 2000, 25)
    # once equity <= (reward + fee) x MM no partial close can restore IM
    equity, _, mm = funded.ch.health(pid)
    while equity > mm // 10:
        spot += 5
        set_spot(funded, spot)
        equity, _, mm = funded.ch.health(pid)
    assert equity > 0
    with boa.env.prank(liquidator):
        assert funded.ch.liquidate(pid) == WAD
    log = closing_log(funded.ch)
    assert log.shortfall == 0
    assert log.reward + log.insurance_fee + log.returned <= equity // 10**12 + 1
    assert funded.view.position(pid).collateral == 0
    assert funded.ch.free_balance(trader) == funded.units(98_000) + log.returned


def test_liquidate__rest_below_min_size__whole_vault_remainder_to_owner(
    funded, trader, other_trader, liquidator
):
    pid = open_vault(funded, trader, [(2000, True, -0.0012)], 1)
    _first_unhealthy_spot(funded, pid, 2000, 10)
    with boa.env.prank(liquidator):
        assert funded.ch.liquidate(pid) == WAD
    log = closing_log(funded.ch)
    assert log.shortfall == 0 and log.returned > 0
    assert funded.ch.free_balance(trader) == funded.units(100_000 - 1) + log.returned
    assert funded.view.position(pid).legs == []
    assert_conserved(funded, [trader, other_trader, liquidator])


def test_liquidate__bad_debt__insurance_pays_first_then_pool(
    funded, trader, other_trader, liquidator
):
    pid = open_vault(funded, trader, [(2000, True, -1)], 300)
    with boa.env.prank(other_trader):
        funded.ch.fund_insurance(funded.units(50))
    set_spot(funded, 3000)  # the call is worth ~1000: far beyond the collateral
    equity, _, _ = funded.ch.health(pid)
    assert equity < 0
    pool_cash = funded.pool.cash()
    free_before = funded.ch.free_balance(trader)
    with boa.env.prank(liquidator):
        assert funded.ch.liquidate(pid) == WAD
    logs = funded.ch.get_logs()
    bad = [e for e in logs if type(e).__name__ == "BadDebt"][0]
    liq = logs[-2]
    assert bad.insurance_paid == funded.units(50)
    assert liq.shortfall > funded.units(500)
    assert bad.pool_loss == liq.shortfall - funded.units(50)
    assert funded.ch.insurance_fund() == 0
    assert funded.ch.free_balance(trader) == free_before  # never the owner's free balance
    assert liq.returned == 0
    assert funded.pool.cash() == pool_cash + funded.units(300) + funded.units(50) - liq.reward
    assert_conserved(funded, [trader, other_trader, liquidator])


def test_liquidate__stale_oracle__reverts(funded, short_call, liquidator):
    set_spot(funded, 2600)
    assert funded.view.is_liquidatable(short_call)
    funded.oracle.set_stale(ETH, True)
    with boa.env.prank(liquidator), boa.reverts("oracle: stale price"):
        funded.ch.liquidate(short_call)


def test_liquidate__leaves_other_vaults_and_free_balances_alone(
    funded, trader, other_trader, liquidator
):
    victim = open_vault(funded, trader, [(2000, True, -1)], 300)
    bystander = open_vault(funded, trader, [(2000, False, -1)], 1_000)
    neighbour = open_vault(funded, other_trader, [(2000, True, -1)], 5_000)
    set_spot(funded, 2400)
    before = {p: funded.view.position(p) for p in (bystander, neighbour)}
    free_before = (funded.ch.free_balance(trader), funded.ch.free_balance(other_trader))
    with boa.env.prank(liquidator):
        assert funded.ch.liquidate_many([victim, bystander, neighbour]) == 1
    assert {p: funded.view.position(p) for p in (bystander, neighbour)} == before
    assert funded.ch.free_balance(other_trader) == free_before[1]
    assert funded.ch.free_balance(trader) == free_before[0]  # the victim had nothing left


def test_liquidate_many__healthy_and_closed_ids__skipped(funded, short_call, liquidator):
    with boa.env.prank(liquidator):
        assert funded.ch.liquidate_many([short_call, 999]) == 0
    assert funded.view.position(short_call).collateral == funded.units(1_200)


def test_liquidate__pod_leg_rounding__remaining_legs_keep_min_size(funded, trader, liquidator):
    pid = open_vault(funded, trader, [(2000, True, -0.0015), (2200, True, 0.0015)], 1)
    set_spot(funded, 2600)
    if funded.view.is_liquidatable(pid):
        with boa.env.prank(liquidator):
            funded.ch.liquidate(pid)
        for leg in funded.view.position(pid).legs:
            assert abs(leg.size) >= 10**15


def test_liquidate__bad_debt__no_reward_or_fee_beyond_the_collateral(
    funded, trader, other_trader, liquidator
):
    """A reward the vault cannot pay is not paid by anyone else: no bad debt of its own."""
    pid = open_vault(funded, trader, [(2000, True, -1)], 300)
    set_spot(funded, 3000)
    pool_cash = funded.pool.cash()
    with boa.env.prank(liquidator):
        assert funded.ch.liquidate(pid) == WAD
    liq = closing_log(funded.ch)
    assert (liq.reward, liq.insurance_fee, liq.returned) == (0, 0, 0)
    assert funded.ch.free_balance(liquidator) == 0
    # the pool received the whole collateral and bears the rest of the loss
    assert funded.pool.cash() == pool_cash + funded.units(300)
    assert funded.ch.insurance_fund() == 0
    assert_conserved(funded, [trader, other_trader, liquidator])
