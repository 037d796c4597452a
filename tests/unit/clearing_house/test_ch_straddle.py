"""The seed's straddle story: isolated legs vs one risk pod, on 6- and 18-decimal tokens.

A 90-day long straddle as two vaults (long call, long put), each funded at its initial
margin (futures-style: less than the premium): a 20 % crash liquidates the call vault only;
the put vault and the free balance are untouched. The same two legs in one pod, funded with
the same total collateral, net against each other and survive the same crash.
"""

import boa
import pytest
from ch_helpers import assert_conserved, set_spot

from ringfence.risk_table import ETH, WAD

DAYS = 90


@pytest.fixture
def straddle(any_proto, trader):
    """Call and put series at 2000 expiring in 90 days; the trader has 100,000 free."""
    proto = any_proto
    expiry = boa.env.evm.patch.timestamp + DAYS * 86_400
    proto.oracle.set_vol(ETH, expiry, 8 * 10**17)
    with boa.env.prank(proto.governance):
        call = proto.registry.list_series(ETH, 2000 * WAD, expiry, True, 10_000 * WAD)
        put = proto.registry.list_series(ETH, 2000 * WAD, expiry, False, 10_000 * WAD)
    proto.fund(trader, proto.units(100_000))
    return proto, call, put


def _open(proto, trader, legs, collateral):
    with boa.env.prank(trader):
        return proto.ch.open_position(legs, collateral, proto.units(1_000_000))


def _at_initial_margin(proto, trader, legs):
    """Open `legs` with the least whole-unit collateral the clearing house accepts."""
    probe = _open(proto, trader, legs, proto.units(20_000))
    equity, im, _ = proto.ch.health(probe)
    cost = proto.units(20_000) * 10 ** (18 - proto.decimals) - equity
    with boa.env.prank(trader):
        proto.ch.close_position(probe, proto.units(20_000))
    need = proto.units(-(-(im + cost) // 10**18) + 1)
    return _open(proto, trader, legs, need), need


def test_straddle__two_vaults__crash_liquidates_only_the_call(straddle, trader, liquidator):
    proto, call_series, put_series = straddle
    call, _ = _at_initial_margin(proto, trader, [(call_series, 10 * WAD)])
    put, _ = _at_initial_margin(proto, trader, [(put_series, 10 * WAD)])
    free = proto.ch.free_balance(trader)
    put_before = proto.view.position(put)

    set_spot(proto, 1600)  # -20 %
    assert proto.view.is_liquidatable(call)
    assert not proto.view.is_liquidatable(put)
    with boa.env.prank(liquidator):
        assert proto.ch.liquidate_many([call, put]) == 1

    log = [e for e in proto.ch.get_logs() if type(e).__name__ == "PositionLiquidated"][-1]
    assert log.position_id == call
    assert proto.view.position(put) == put_before  # ring-fenced
    assert proto.ch.free_balance(trader) == free + log.returned  # only the call's remainder
    equity, im, mm = proto.ch.health(put)
    assert equity > im  # the winning leg is now richly margined
    assert_conserved(proto, [trader, liquidator])


def test_straddle__one_pod__same_crash_nets_and_survives(straddle, trader, liquidator):
    proto, call_series, put_series = straddle
    _, call_need = _at_initial_margin(proto, trader, [(call_series, 10 * WAD)])
    _, put_need = _at_initial_margin(proto, trader, [(put_series, 10 * WAD)])
    legs = [(call_series, 10 * WAD), (put_series, 10 * WAD)]
    pod = _open(proto, trader, legs, call_need + put_need)  # the same money, pooled
    _, im_pod, _ = proto.ch.health(pod)

    set_spot(proto, 1600)
    equity, _, mm = proto.ch.health(pod)
    assert equity >= mm
    assert not proto.view.is_liquidatable(pod)
    with boa.env.prank(liquidator), boa.reverts("clearing: healthy position"):
        proto.ch.liquidate(pod)
    assert len(proto.view.position(pod).legs) == 2
    assert im_pod > 0
