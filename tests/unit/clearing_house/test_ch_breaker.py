"""While the oracle's spot breaker holds on an underlying (its published spot lags the
signers' median, docs/oracle.md), the clearing house takes no new risk on it, releases no
collateral and closes nothing at the lagging price, and the pool prices no share from it;
liquidation, top-ups and settlement go on at the published values (docs/solvency.md)."""

import boa
import pytest
from ch_helpers import open_vault, set_spot

from ringfence.risk_table import ETH, WAD


@pytest.fixture
def held(funded):
    def _hold(on: bool = True):
        funded.oracle.set_breaker_held(ETH, on)

    return _hold


def test_breaker_held__open__reverts(funded, trader, held):
    held()
    with boa.reverts("clearing: breaker held"):
        open_vault(funded, trader, [(2000, True, -1)], 1_000)
    held(False)
    open_vault(funded, trader, [(2000, True, -1)], 1_000)


def test_breaker_held__remove_collateral_and_close__revert_add_collateral_goes_on(
    funded, trader, held
):
    pid = open_vault(funded, trader, [(2000, True, -1)], 2_000)
    held()
    with boa.env.prank(trader):
        with boa.reverts("clearing: breaker held"):
            funded.ch.remove_collateral(pid, funded.units(1))
        with boa.reverts("clearing: breaker held"):
            funded.ch.close_position(pid, 2**256 - 1)
        funded.ch.add_collateral(pid, funded.units(10))
    assert funded.view.position(pid).collateral == funded.units(2_010)


def test_breaker_held__liquidation_at_the_published_price__goes_on(
    funded, trader, liquidator, held
):
    pid = open_vault(funded, trader, [(2000, True, -1)], 400)
    set_spot(funded, 2_600)  # the published (clamped) price
    held()
    assert funded.view.is_liquidatable(pid)
    with boa.env.prank(liquidator):
        assert funded.ch.liquidate_many([pid]) == 1
    logs = [type(e).__name__ for e in funded.ch.get_logs()]
    assert "PositionLiquidated" in logs and "BatchSkipped" not in logs


def test_breaker_held__settlement__goes_on(funded, trader, held):
    pid = open_vault(funded, trader, [(2000, True, -1)], 1_000)
    boa.env.time_travel(seconds=funded.expiry - boa.env.evm.patch.timestamp)
    funded.oracle.set_settlement_price(ETH, funded.expiry, 2_100 * WAD)
    held()
    funded.ch.settle(pid)
    assert len(funded.view.position(pid).legs) == 0


def test_breaker_held__pool_requests_and_their_execution__revert(funded, trader, held):
    open_vault(funded, trader, [(2000, True, -1)], 1_000)  # an active series: requests only
    lp = funded.lp
    funded.token.mint(lp, funded.units(200))
    with boa.env.prank(lp):
        funded.token.approve(funded.pool.address, funded.units(200))
        queued = funded.pool.request_redeem(10**6, lp)  # before the breaker holds
    boa.env.time_travel(seconds=funded.pool.LP_DELAY())
    held()
    with boa.env.prank(lp):
        with boa.reverts("pool: breaker held"):
            funded.pool.request_deposit(funded.units(100), lp)
        with boa.reverts("pool: breaker held"):
            funded.pool.request_redeem(10**6, lp)
    with boa.reverts("pool: breaker held"):
        funded.pool.execute_request(queued)  # a mature request waits for the breaker too
    held(False)
    funded.pool.execute_request(queued)
