"""The pool as counterparty: it receives traders' realised losses, pays their gains, and
bears bad debt only after the insurance fund."""

import boa

from ringfence.risk_table import ETH, WAD


def _open(proto, trader, strike, is_call, size, collateral):
    proto.fund(trader, proto.units(100_000))
    with boa.env.prank(trader):
        return proto.ch.open_position(
            [(proto.series[(strike, is_call)], int(size * WAD))],
            proto.units(collateral),
            proto.units(10_000),
        )


def test_close__trader_gain__paid_from_pool_cash(proto, trader):
    pid = _open(proto, trader, 2000, True, 1, 500)
    proto.oracle.set_price(ETH, 2400 * WAD)
    cash = proto.pool.cash()
    nav = proto.pool.totalAssets()
    with boa.env.prank(trader):
        pnl = proto.ch.close_position(pid, proto.units(100))
    (closed,) = [e for e in proto.ch.get_logs() if type(e).__name__ == "PositionClosed"]
    assert proto.pool.cash() == cash - pnl // 10**12
    # NAV already counted the gain at mark: it moves only by the exit spread the pool earns
    assert abs(proto.pool.totalAssets() - (nav + closed.cost)) <= 2


def test_liquidation_bad_debt__insurance_first_then_pool(proto, trader):
    liquidator = boa.env.generate_address("liquidator")
    pid = _open(proto, trader, 2000, True, -1, 300)
    with boa.env.prank(trader):
        proto.ch.fund_insurance(proto.units(20))
    proto.oracle.set_price(ETH, 3000 * WAD)
    cash = proto.pool.cash()
    with boa.env.prank(liquidator):
        proto.ch.liquidate(pid)
    log = proto.ch.get_logs()[-2]  # the last is the emptied VaultState
    assert proto.ch.insurance_fund() == 0
    # the pool got the collateral plus what insurance had left after the reward
    assert proto.pool.cash() == cash + proto.units(300) + proto.units(20) - log.reward
    assert proto.pool.liability() == 0
