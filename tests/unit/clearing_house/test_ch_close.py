"""close_position: realised P&L against the pool, spread on exit, never paused."""

import boa
from ch_helpers import assert_conserved, closing_log, open_vault, set_spot

from ringfence.risk_table import ETH


def test_close__unchanged_market__returns_collateral_minus_spreads(funded, trader, other_trader):
    pid = open_vault(funded, trader, [(2000, True, -1)], 1_000)
    pool_cash = funded.pool.cash()
    with boa.env.prank(trader):
        pnl = funded.ch.close_position(pid, funded.units(100))
    log = closing_log(funded.ch)
    assert type(log).__name__ == "PositionClosed"
    assert pnl < 0 and log.pnl == pnl
    loss = (-pnl + 10**12 - 1) // 10**12  # rounded up against the trader
    assert log.returned == funded.units(1_000) - loss
    assert funded.pool.cash() == pool_cash + loss
    assert funded.ch.free_balance(trader) == funded.units(99_000) + log.returned
    assert funded.view.position(pid).owner == "0x" + "00" * 20
    assert funded.pool.series_net_size(funded.series[(2000, True)]) == 0
    assert funded.pool.series_size_entry(funded.series[(2000, True)]) == 0
    assert funded.pool.locked_notional() == 0
    assert_conserved(funded, [trader, other_trader])


def test_close__winning_long__pool_pays_gain(funded, trader, other_trader):
    pid = open_vault(funded, trader, [(2000, True, 1)], 500)
    set_spot(funded, 2400)
    pool_cash = funded.pool.cash()
    with boa.env.prank(trader):
        pnl = funded.ch.close_position(pid, funded.units(100))
    gain = pnl // 10**12
    assert gain > funded.units(200)
    assert funded.pool.cash() == pool_cash - gain
    assert funded.ch.free_balance(trader) == funded.units(99_500) + funded.units(500) + gain
    assert_conserved(funded, [trader, other_trader])


def test_close__someone_elses_vault__reverts(funded, trader, other_trader):
    pid = open_vault(funded, trader, [(2000, True, -1)], 1_000)
    with boa.env.prank(other_trader), boa.reverts("clearing: not owner"):
        funded.ch.close_position(pid, funded.units(100))


def test_close__cost_above_max__reverts(funded, trader):
    pid = open_vault(funded, trader, [(2000, True, -5)], 5_000)
    with boa.env.prank(trader), boa.reverts("clearing: cost above max"):
        funded.ch.close_position(pid, 0)


def test_close__paused__still_allowed(funded, trader):
    pid = open_vault(funded, trader, [(2000, True, -1)], 1_000)
    with boa.env.prank(funded.guardian):
        funded.registry.set_paused(True)
    with boa.env.prank(trader):
        funded.ch.close_position(pid, funded.units(100))
    assert funded.view.position(pid).collateral == 0


def test_close__stale_oracle__reverts(funded, trader):
    pid = open_vault(funded, trader, [(2000, True, -1)], 1_000)
    funded.oracle.set_stale(ETH, True)
    with boa.env.prank(trader), boa.reverts("oracle: stale price"):
        funded.ch.close_position(pid, funded.units(100))


def test_close__twice__reverts(funded, trader):
    pid = open_vault(funded, trader, [(2000, True, -1)], 1_000)
    with boa.env.prank(trader):
        funded.ch.close_position(pid, funded.units(100))
        with boa.reverts("clearing: no position"):
            funded.ch.close_position(pid, funded.units(100))


def test_close__pool_liability__back_to_zero(funded, trader):
    pid = open_vault(funded, trader, [(2000, True, -1), (2200, True, 1)], 1_000)
    assert funded.pool.liability() < 0  # the spreads are the pool's
    with boa.env.prank(trader):
        funded.ch.close_position(pid, funded.units(100))
    assert funded.pool.liability() == 0
    assert funded.pool.series_open_legs(funded.series[(2200, True)]) == 0
