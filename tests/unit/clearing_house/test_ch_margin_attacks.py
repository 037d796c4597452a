"""The margin attacks of the review, as the attacker ran them, against the new margin.

- a pod worth ~10,000 opened on a few tokens of collateral (a small near-expiry long
  straddle beside a large short straddle), then a 1 % move: no bad debt, and the
  liquidator's reward never exceeds what the vault holds;
- two mirrored vaults of one attacker at their initial margin, every 0.5 % oracle update
  either way, the loser liquidated by the attacker, the winner closed: no profit from the
  pool in any branch;
- a trader liquidating their own vault collects no more than it held.
"""

import boa
import pytest
from ch_helpers import assert_conserved

from ringfence.risk_table import DAY, ETH, WAD, deploy_protocol

HOUR = 3_600


@pytest.fixture
def market():
    """The protocol at spot 2000 / 80 % vol, a 30-day expiry and a 2-hour one."""
    proto = deploy_protocol(decimals=6)
    now = boa.env.evm.patch.timestamp
    near = now + 2 * HOUR
    proto.oracle.set_vol(ETH, near, 8 * 10**17)
    with boa.env.prank(proto.governance):
        for is_call in (True, False):
            proto.series[("near", is_call)] = proto.registry.list_series(
                ETH, 2000 * WAD, near, is_call, 10_000 * WAD
            )
    return proto


def _at_initial_margin(proto, owner, legs):
    """Open `legs` [(series key, size units)] with collateral = IM + cost, rounded up."""
    encoded = [(proto.series[key], int(size * WAD)) for key, size in legs]
    proto.fund(owner, proto.units(10_000_000))
    with boa.env.anchor():
        with boa.env.prank(owner):
            probe = proto.ch.open_position(encoded, proto.units(5_000_000), proto.units(10**6))
        equity, im, _ = proto.ch.health(probe)
    cost = proto.units(5_000_000) * 10**12 - equity
    need = -(-(im + cost) // 10**12)
    with boa.env.prank(owner):
        pid = proto.ch.open_position(encoded, need, proto.units(10**6))
    return pid, need


POD = [(("near", True), 1), (("near", False), 1), ((2000, True), -25), ((2000, False), -25)]


def test_pod__near_expiry_long_beside_shorts__margin_covers_a_crash_not_three_tokens(market):
    trader = boa.env.generate_address("trader")
    pid, collateral = _at_initial_margin(market, trader, POD)
    # the old expansion let this pod open on ~3 tokens: now it needs real collateral
    assert collateral > market.units(1_000)
    for move in (0.99, 1.01):
        with boa.env.anchor():
            market.oracle.set_price(ETH, int(2000 * move * WAD))
            equity, im, mm = market.ch.health(pid)
            assert equity > mm  # a 1 % move leaves a vault at IM healthy


@pytest.mark.parametrize("move", [0.5, 0.8, 1.25, 2.0])
def test_pod__crash_then_liquidation__reward_and_fee_within_what_the_vault_holds(market, move):
    trader, liquidator = (boa.env.generate_address(n) for n in ("trader", "liquidator"))
    pid, collateral = _at_initial_margin(market, trader, POD)
    market.oracle.set_price(ETH, int(2000 * move * WAD))
    assert market.view.is_liquidatable(pid)
    with boa.env.prank(liquidator):
        market.ch.liquidate(pid)
    liq = [e for e in market.ch.get_logs() if type(e).__name__ == "PositionLiquidated"][-1]
    assert liq.reward + liq.insurance_fee <= collateral
    assert market.ch.free_balance(liquidator) == liq.reward
    assert_conserved(market, [trader, liquidator])


@pytest.mark.parametrize("move", [0.995, 1.005, 0.98, 1.02])
def test_mirrored_vaults__any_oracle_step__attacker_takes_nothing_from_the_pool(market, move):
    """The attacker holds both sides at IM; whatever the step, liquidating the loser
    (themselves, as liquidator) and closing the winner returns no more than they put in."""
    attacker = boa.env.generate_address("attacker")
    mirror = [(key, -size) for key, size in POD]
    market.fund(attacker, market.units(10_000_000))
    start = market.ch.free_balance(attacker) + market.units(20_000_000)  # fund() twice below
    a, _ = _at_initial_margin(market, attacker, POD)
    b, _ = _at_initial_margin(market, attacker, mirror)
    pool_nav = market.pool.totalAssets()
    market.oracle.set_price(ETH, int(2000 * move * WAD))
    with boa.env.prank(attacker):
        for pid in (a, b):
            if market.view.is_liquidatable(pid):
                market.ch.liquidate(pid)
        for pid in (a, b):
            if market.view.position(pid).legs:
                market.ch.close_position(pid, market.units(10**6))
    assert market.ch.free_balance(attacker) <= start
    assert market.pool.totalAssets() >= pool_nav - market.units(1)  # rounding only
    assert_conserved(market, [attacker])


def test_self_liquidation__owner_as_liquidator__collects_no_more_than_the_vault_held(market):
    trader = boa.env.generate_address("trader")
    pid, collateral = _at_initial_margin(market, trader, [((2000, True), -10)])
    free_before = market.ch.free_balance(trader)
    market.oracle.set_price(ETH, 2600 * WAD)  # deep: bad debt territory
    with boa.env.prank(trader):
        market.ch.liquidate(pid)
    assert market.ch.free_balance(trader) - free_before <= collateral
    assert market.ch.free_balance(trader) - free_before == 0  # the loss took it all


def test_long_one_day_call__no_gamma_credit__mm_covers_a_day_of_decay(market):
    """A single long 1-day ATM call had MM 8x below its true scenario loss: now MM >= the
    value it can lose in a day (time decay and a vol drop at unchanged spot)."""
    now = boa.env.evm.patch.timestamp
    expiry = now + DAY
    market.oracle.set_vol(ETH, expiry, 8 * 10**17)
    with boa.env.prank(market.governance):
        sid = market.registry.list_series(ETH, 2000 * WAD, expiry, True, 10_000 * WAD)
    valuation = market.engine.evaluate(
        ETH, [((2000 * WAD, expiry, True), WAD)], market.registry.risk_params(ETH)
    )
    # the horizon is a day: the whole value of the call can go
    assert valuation.maintenance == valuation.marks[0]
    assert sid
