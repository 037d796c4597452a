"""SPEC 4.3-4.5 on random vaults and market moves: an unhealthy vault can always be
liquidated (bad debt included), a partial liquidation leaves equity >= IM, a healthy one
cannot be liquidated, and the owner never loses more than the vault's collateral."""

import boa
from ch_helpers import assert_conserved, open_vault, set_spot
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ringfence.risk_table import ETH, WAD

SERIES = [(1600, False), (1800, False), (2000, True), (2000, False), (2200, True), (2400, True)]

legs_strategy = st.lists(
    st.tuples(st.sampled_from(SERIES), st.integers(min_value=-50, max_value=50).filter(bool)),
    min_size=1,
    max_size=4,
    unique_by=lambda leg: leg[0],
)


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    legs=legs_strategy,
    extra=st.integers(min_value=0, max_value=50),
    spot=st.integers(min_value=1_000, max_value=3_200),
    vol=st.integers(min_value=30, max_value=200),
)
def test_liquidate__random_vault_and_move__invariants_hold(proto, legs, extra, spot, vol):
    trader = boa.env.generate_address("trader")
    liquidator = boa.env.generate_address("liquidator")
    with boa.env.anchor():
        proto.fund(trader, proto.units(1_000_000))
        encoded = [(k, c, s / 10) for (k, c), s in legs]
        # fund at initial margin plus `extra` percent
        probe = open_vault(proto, trader, encoded, 500_000)
        equity, im, _ = proto.ch.health(probe)
        cost = proto.units(500_000) * 10**12 - equity
        with boa.env.prank(trader):
            proto.ch.close_position(probe, proto.units(500_000))
        collateral = (im + cost) * (100 + extra) // 100 // 10**18 + 1
        pid = open_vault(proto, trader, encoded, collateral)
        free = proto.ch.free_balance(trader)

        set_spot(proto, spot)
        proto.oracle.set_vol(ETH, proto.expiry, vol * WAD // 100)
        equity, im, mm = proto.ch.health(pid)
        if equity >= mm:
            assert not proto.view.is_liquidatable(pid)
            with boa.env.prank(liquidator), boa.reverts("clearing: healthy position"):
                proto.ch.liquidate(pid)
            return
        with boa.env.prank(liquidator):
            fraction = proto.ch.liquidate(pid)  # never reverts when unhealthy
        if fraction < WAD:
            equity_after, im_after, _ = proto.ch.health(pid)
            assert equity_after >= im_after
        else:
            assert proto.view.position(pid).legs == []
        assert proto.ch.free_balance(trader) >= free  # loss <= the vault's collateral
        assert_conserved(proto, [trader, liquidator])
