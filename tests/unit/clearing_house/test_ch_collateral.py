"""add_collateral / remove_collateral."""

import boa
from ch_helpers import assert_conserved, open_vault

from ringfence.risk_table import ETH


def test_add_collateral__owner__moves_free_into_vault(funded, trader, other_trader):
    pid = open_vault(funded, trader, [(2000, True, -1)], 1_000)
    with boa.env.prank(trader):
        funded.ch.add_collateral(pid, funded.units(250))
    log = funded.ch.get_logs()[-1]
    assert type(log).__name__ == "VaultState"
    assert (log.position_id, log.collateral) == (pid, funded.units(1_250))
    assert log.sizes == [-(10**18), 0, 0, 0]
    assert funded.view.position(pid).collateral == funded.units(1_250)
    assert funded.ch.free_balance(trader) == funded.units(100_000 - 1_250)
    assert_conserved(funded, [trader, other_trader])


def test_add_collateral__not_owner__reverts(funded, trader, other_trader):
    pid = open_vault(funded, trader, [(2000, True, -1)], 1_000)
    with boa.env.prank(other_trader), boa.reverts("clearing: not owner"):
        funded.ch.add_collateral(pid, 1)


def test_add_collateral__paused_and_stale__still_allowed(funded, trader):
    pid = open_vault(funded, trader, [(2000, True, -1)], 1_000)
    with boa.env.prank(funded.guardian):
        funded.registry.set_paused(True)
    funded.oracle.set_stale(ETH, True)
    with boa.env.prank(trader):
        funded.ch.add_collateral(pid, 1)
    assert funded.view.position(pid).collateral == funded.units(1_000) + 1


def test_add_collateral__closed_position__reverts(funded, trader):
    with boa.env.prank(trader), boa.reverts("clearing: no position"):
        funded.ch.add_collateral(7, 1)


def test_remove_collateral__within_initial_margin__credits_free(funded, trader):
    pid = open_vault(funded, trader, [(2000, True, -1)], 1_000)
    with boa.env.prank(trader):
        funded.ch.remove_collateral(pid, funded.units(500))
    assert funded.ch.get_logs()[-1].collateral == funded.units(500)
    equity, im, _ = funded.ch.health(pid)
    assert equity >= im
    assert funded.ch.free_balance(trader) == funded.units(99_500)


def test_remove_collateral__below_initial_margin__reverts(funded, trader):
    pid = open_vault(funded, trader, [(2000, True, -1)], 1_000)
    equity, im, _ = funded.ch.health(pid)
    excess = (equity - im) // 10**12  # 6-decimal units
    with boa.env.prank(trader):
        with boa.reverts("clearing: below initial margin"):
            funded.ch.remove_collateral(pid, excess + 1)
        funded.ch.remove_collateral(pid, excess)
    equity, im, _ = funded.ch.health(pid)
    assert equity >= im


def test_remove_collateral__above_collateral__reverts(funded, trader):
    pid = open_vault(funded, trader, [(2000, True, 1)], 1_000)
    with boa.env.prank(trader), boa.reverts("clearing: above collateral"):
        funded.ch.remove_collateral(pid, funded.units(1_000) + 1)


def test_remove_collateral__not_owner__reverts(funded, trader, other_trader):
    pid = open_vault(funded, trader, [(2000, True, -1)], 1_000)
    with boa.env.prank(other_trader), boa.reverts("clearing: not owner"):
        funded.ch.remove_collateral(pid, 1)


def test_remove_collateral__paused__reverts(funded, trader):
    pid = open_vault(funded, trader, [(2000, True, -1)], 1_000)
    with boa.env.prank(funded.guardian):
        funded.registry.set_paused(True)
    with boa.env.prank(trader), boa.reverts("clearing: paused"):
        funded.ch.remove_collateral(pid, 1)


def test_remove_collateral__stale_oracle__reverts(funded, trader):
    pid = open_vault(funded, trader, [(2000, True, -1)], 1_000)
    funded.oracle.set_stale(ETH, True)
    with boa.env.prank(trader), boa.reverts("oracle: stale price"):
        funded.ch.remove_collateral(pid, 1)
