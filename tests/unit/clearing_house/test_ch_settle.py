"""settle / settle_many: after expiry, at the oracle's settlement price."""

import boa
import pytest
from ch_helpers import assert_conserved, closing_log, open_vault

from ringfence.risk_table import ETH, WAD


@pytest.fixture(scope="session")
def keeper():
    return boa.env.generate_address("keeper")


def _expire(proto, settlement_price=None):
    boa.env.time_travel(seconds=proto.expiry - boa.env.evm.patch.timestamp + 60)
    if settlement_price is not None:
        proto.oracle.set_settlement_price(ETH, proto.expiry, int(settlement_price * WAD))


def test_settle__before_expiry__reverts(funded, trader, keeper):
    pid = open_vault(funded, trader, [(2000, True, 1)], 500)
    with boa.env.prank(keeper), boa.reverts("clearing: not expired"):
        funded.ch.settle(pid)


def test_settle__before_settlement_price__reverts(funded, trader, keeper):
    pid = open_vault(funded, trader, [(2000, True, 1)], 500)
    _expire(funded)
    with boa.env.prank(keeper), boa.reverts("clearing: no settlement price"):
        funded.ch.settle(pid)


def test_settle__long_call_in_the_money__pays_payoff_minus_entry(
    funded, trader, other_trader, keeper
):
    pid = open_vault(funded, trader, [(2000, True, 2)], 500)
    (leg,) = funded.view.position(pid).legs
    _expire(funded, 2300)
    with boa.env.prank(keeper):
        pnl = funded.ch.settle(pid)
    log = closing_log(funded.ch)
    assert type(log).__name__ == "PositionSettled"
    assert pnl == 2 * (300 * WAD - leg.entry_price)  # SPEC 4.8: exactly the payoff
    assert log.returned == funded.units(500) + pnl // 10**12
    assert funded.ch.free_balance(trader) == funded.units(100_000) + pnl // 10**12
    assert funded.view.position(pid).legs == []  # a settled vault is empty
    assert_conserved(funded, [trader, other_trader])


def test_settle__short_put_out_of_the_money__keeps_entry(funded, trader, keeper):
    pid = open_vault(funded, trader, [(1800, False, -1)], 1_000)
    (leg,) = funded.view.position(pid).legs
    _expire(funded, 2100)
    with boa.env.prank(keeper):
        pnl = funded.ch.settle(pid)
    assert pnl == leg.entry_price
    assert funded.ch.free_balance(trader) == funded.units(100_000) + pnl // 10**12


def test_settle__short_loss_beyond_collateral__shortfall_not_from_free_balance(
    funded, trader, other_trader, keeper
):
    pid = open_vault(funded, trader, [(2000, True, -1)], 300)
    _expire(funded, 3000)
    with boa.env.prank(keeper):
        funded.ch.settle(pid)
    log = closing_log(funded.ch)
    assert log.shortfall > 0 and log.returned == 0
    assert funded.ch.free_balance(trader) == funded.units(99_700)
    assert_conserved(funded, [trader, other_trader])


def test_settle__twice__reverts(funded, trader, keeper):
    pid = open_vault(funded, trader, [(2000, True, 1)], 500)
    _expire(funded, 2000)
    with boa.env.prank(keeper):
        funded.ch.settle(pid)
        with boa.reverts("clearing: no position"):
            funded.ch.settle(pid)


def test_settle__stale_spot__still_settles(funded, trader, keeper):
    pid = open_vault(funded, trader, [(2000, True, 1)], 500)
    _expire(funded, 2100)
    funded.oracle.set_stale(ETH, True)
    with boa.env.prank(keeper):
        funded.ch.settle(pid)
    assert funded.view.position(pid).legs == []


def test_settle_many__mixed_batch__settles_only_ready_vaults(funded, trader, keeper):
    ready = open_vault(funded, trader, [(2000, True, 1)], 500)
    later_expiry = funded.expiry + 7 * 86_400
    funded.oracle.set_vol(ETH, later_expiry, 8 * 10**17)
    with boa.env.prank(funded.governance):
        later = funded.registry.list_series(ETH, 2000 * WAD, later_expiry, True, 100 * WAD)
    with boa.env.prank(trader):
        pending = funded.ch.open_position([(later, WAD)], funded.units(500), funded.units(100))
    _expire(funded, 2000)
    with boa.env.prank(keeper):
        assert funded.ch.settle_many([ready, pending, 77]) == 1
    assert funded.view.position(ready).legs == []
    assert len(funded.view.position(pending).legs) == 1


def test_settle__last_leg_of_expired_series__drops_it_from_active(funded, trader, keeper):
    sid = funded.series[(2000, True)]
    pid = open_vault(funded, trader, [(2000, True, 1)], 500)
    _expire(funded, 2000)
    with boa.env.prank(keeper):
        funded.ch.settle(pid)
    assert sid not in funded.pool.active_series()
