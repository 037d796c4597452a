"""keeper.health against the deployed contracts: model vs ``ClearingHouse.health_many``.

Runs the real ClearingHouse + MarginEngine on titanoboa's in-process EVM (no node), opens
one vault per strategy, moves spot, vol and time (past expiry at the end, where legs are
marked at their payoff at spot) and requires the float64 model to match every on-chain
equity, MM and IM to 1e-9 relative.
"""

from __future__ import annotations

import boa

from keeper.health import Market, model_health
from keeper.index import Leg, Position, RiskParams, Series
from ringfence.risk_table import DAY, ETH, WAD, deploy_protocol

U = "0x" + ETH.hex()
# (spot, vol WAD, days forward): the listed expiry is 30 days out, the last step passes it
SCENARIOS = [(2_000, 8 * 10**17, 0), (1_700, 12 * 10**17, 10), (2_600, 5 * 10**17, 15),
             (2_100, 7 * 10**17, 8)]  # fmt: skip


def _book(proto, ids):
    positions, series = [], {}
    for pid in ids:
        owner, underlying, collateral, legs = proto.view.position(pid)
        legs = tuple(Leg(*leg) for leg in legs)
        positions.append(Position(pid, owner, "0x" + underlying.hex(), collateral, legs))
        for leg in legs:
            u, strike, expiry, is_call, cap = proto.registry.series(leg.series_id)
            series[leg.series_id] = Series(
                leg.series_id, "0x" + u.hex(), strike, expiry, is_call, cap
            )
    return positions, series


def test_model_health__strategies_on_deployed_contracts__within_1e9_of_health_many(trader):
    proto = deploy_protocol(decimals=6)
    proto.fund(trader, proto.units(1_000_000))
    s = proto.series
    strategies = [
        [(s[(2000, True)], -WAD)],
        [(s[(1800, False)], -2 * WAD)],
        [(s[(2200, True)], 3 * WAD)],
        [(s[(2000, True)], WAD), (s[(2200, True)], -WAD)],
        [(s[(2000, True)], -WAD), (s[(2000, False)], -WAD)],
        [(s[(1600, False)], WAD), (s[(1800, False)], -WAD), (s[(2200, True)], -WAD),
         (s[(2400, True)], WAD)],
        [(s[(2400, True)], -(10**15))],
    ]  # fmt: skip
    with boa.env.prank(trader):
        ids = [proto.ch.open_position(legs, proto.units(2_000), 10**30) for legs in strategies]
    risk = {U: RiskParams(*proto.registry.risk_params(ETH))}

    worst = 0.0
    for spot, vol, days in SCENARIOS:
        if days:
            boa.env.time_travel(seconds=days * DAY)
        proto.oracle.set_price(ETH, spot * WAD)
        if boa.env.evm.patch.timestamp < proto.expiry:
            proto.oracle.set_vol(ETH, proto.expiry, vol)
        onchain = proto.view.health_many(ids)
        positions, series = _book(proto, ids)
        now = boa.env.evm.patch.timestamp
        live = {sid: x for sid, x in series.items() if x.expiry > now}
        market = Market(
            now,
            spot={U: proto.oracle.price(ETH)},
            vol={sid: proto.oracle.vol(ETH, x.strike, x.expiry) for sid, x in live.items()},
        )
        h = model_health(positions, series, risk, market, proto.ch.SCALE())
        for i, (equity, initial, maintenance) in enumerate(onchain):
            for model, ref in ((h.equity[i], equity), (h.maintenance[i], maintenance),
                               (h.initial[i], initial)):  # fmt: skip
                if ref == 0:  # e.g. no margin left on an expired out-of-the-money vault
                    assert abs(model) < 1e-12
                else:
                    worst = max(worst, abs(model - ref / WAD) / abs(ref / WAD))
    assert boa.env.evm.patch.timestamp > proto.expiry  # the last scenario is past expiry
    assert worst < 1e-9, worst
