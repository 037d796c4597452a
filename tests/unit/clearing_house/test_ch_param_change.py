"""Governance cannot liquidate healthy vaults by changing the margin (issue 16): the owner
raised the stresses and made 8 of 8 vaults opened at 1.5 x IM liquidatable in the same
transaction, taking more reward than their collateral. A change now waits a day after
its announcement; the vaults whose owners top up in between stay healthy."""

import boa
from ch_helpers import open_vault

from ringfence.risk_table import DEFAULT_PARAMS, ETH, params_tuple

TIGHT = params_tuple(
    {
        **DEFAULT_PARAMS,
        "spot_shock": 5 * 10**17,
        "crash_factor": 3 * 10**18,
        "vol_up": 4 * 10**18,
        "im_factor": 3 * 10**18,
        "min_short_margin": 5 * 10**17,
    }
)


def _vaults_at_one_and_a_half_im(proto, trader):
    pids = []
    for strike, is_call in [(1800, False), (2000, True), (2200, True), (2000, False)] * 2:
        with boa.env.anchor():
            probe = open_vault(proto, trader, [(strike, is_call, -1)], 5_000)
            equity, im, _ = proto.ch.health(probe)
        cost = proto.units(5_000) * 10**12 - equity
        collateral = -(-(im * 3 // 2 + cost) // 10**12)
        legs = [(proto.series[(strike, is_call)], -(10**18))]
        with boa.env.prank(trader):
            pids.append(proto.ch.open_position(legs, collateral, 2**256 - 1))
    return pids


def test_param_change__same_block__no_vault_becomes_liquidatable(funded, trader, liquidator):
    pids = _vaults_at_one_and_a_half_im(funded, trader)
    with boa.env.prank(funded.governance):
        funded.registry.set_risk_params(ETH, TIGHT)
    for pid in pids:
        assert not funded.view.is_liquidatable(pid)
        with boa.env.prank(liquidator), boa.reverts("clearing: healthy position"):
            funded.ch.liquidate(pid)
    with boa.env.prank(liquidator):
        assert funded.ch.liquidate_many(pids) == 0


def test_param_change__after_the_delay__topped_up_vaults_stay_healthy(funded, trader, liquidator):
    pids = _vaults_at_one_and_a_half_im(funded, trader)
    with boa.env.prank(funded.governance):
        funded.registry.set_risk_params(ETH, TIGHT)
    (queued, effective_at) = funded.registry.pending_risk_params(ETH)
    # The owner reads the announced parameters and tops up what the new MM needs.
    topped = pids[:4]
    for pid in topped:
        with boa.env.prank(trader):
            funded.ch.add_collateral(pid, funded.units(2_000))
    boa.env.time_travel(seconds=effective_at - boa.env.evm.patch.timestamp)
    funded.oracle.set_price(ETH, funded.oracle.price(ETH))  # keep the oracle fresh
    funded.registry.apply_risk_params(ETH)
    assert tuple(funded.registry.risk_params(ETH)) == TIGHT
    for pid in topped:
        assert not funded.view.is_liquidatable(pid)
    liquidatable = [pid for pid in pids[4:] if funded.view.is_liquidatable(pid)]
    assert liquidatable, "the tightened margin must bite on vaults left at 1.5 x the old IM"
    with boa.env.prank(liquidator):
        for pid in liquidatable:
            collateral = funded.view.position(pid).collateral
            free_before = funded.ch.free_balance(liquidator)
            funded.ch.liquidate(pid)
            # the reward never exceeds what the vault held
            assert funded.ch.free_balance(liquidator) - free_before <= collateral
