"""keeper.health against the deployed contracts: the model vs ``ClearingHouse.health``.

Runs the real ClearingHouse + MarginEngine + Registry on titanoboa's in-process EVM (no
node) with two listed expiries (30 and 90 days), opens 1-4 leg vaults — long, short,
spreads, calendars across the two expiries — moves spot (/100 to x100), vols (to 5.0) and
time (an hour before expiry, expired without and with a settlement price) and requires the
float64 model to match every on-chain equity, MM and IM: within 1e-12 relative, or within
1e-15 of the vault's gross amounts for a near-cancelling figure (``test_health.agree``),
and always within the model's own ``tolerance``. Every vault the chain finds below
maintenance must be a pre-screen candidate at ``prescreen_ratio`` 1 (or, with every leg
expired at a fixed price, one the planner settles).
"""

from __future__ import annotations

import boa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_health import agree

from keeper.health import Market, model_health
from keeper.index import Leg, Position, RiskParams, Series
from keeper.planner import rank
from ringfence.risk_table import DAY, DEFAULT_PARAMS, ETH, WAD, deploy_protocol, params_tuple
from ringfence.spread import opening_cost

U = "0x" + ETH.hex()
HOUR = 3_600
SCALE = 10**12  # 6-decimal quote token
FAR_STRIKES = (1600, 2000, 2400)

#: Risk parameter sets the hypothesis test draws from: the defaults, a long horizon with a
#: positive rate (the rate allowance), and no short floor with a negative rate (margins
#: down to the numerical allowance).
PARAM_SETS = [
    DEFAULT_PARAMS,
    {**DEFAULT_PARAMS, "spot_shock": 2 * 10**16, "spot_sigmas": 6 * WAD, "crash_factor": 3 * WAD,
     "vol_up": 2 * WAD, "vol_down": 8 * 10**17, "vol_tenor_cap": 4 * WAD, "horizon": 7 * DAY,
     "rate": 5 * 10**16},
    {**DEFAULT_PARAMS, "min_short_margin": 0, "rate": -(10**17), "horizon": 60,
     "im_factor": 3 * WAD},
]  # fmt: skip


@pytest.fixture(scope="module")
def venue():
    """The protocol with a second expiry 60 days after the first, and a funded trader."""
    proto = deploy_protocol(decimals=6)
    far = proto.expiry + 60 * DAY
    with boa.env.prank(proto.governance):
        for strike in FAR_STRIKES:
            for is_call in (True, False):
                proto.series[(strike, is_call, far)] = proto.registry.list_series(
                    ETH, strike * WAD, far, is_call, 10_000 * WAD
                )
    proto.oracle.set_vol(ETH, far, 6 * 10**17)
    trader = boa.env.generate_address("trader")
    proto.fund(trader, proto.units(10**9))
    return proto, far, trader


def _series(proto, key) -> int:
    return proto.series[key]


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


def _market(proto, series) -> Market:
    """The oracle as the keeper reads it (``fetch_market``), at the current block."""
    now = boa.env.evm.patch.timestamp
    vols, settlement = {}, {}
    for sid, s in series.items():
        if s.expiry > now:
            vols[sid] = proto.oracle.vol(ETH, s.strike, s.expiry)
        else:
            fixed = proto.oracle.settlement_price(ETH, s.expiry)
            if fixed:
                settlement[(U, s.expiry)] = fixed
    return Market(now, spot={U: proto.oracle.price(ETH)}, vol=vols, settlement=settlement)


def _gross(p: Position, series, market: Market) -> float:
    spot = market.spot[U] / WAD
    total = p.collateral * SCALE / WAD
    for leg in p.legs:
        k = series[leg.series_id].strike / WAD
        total += abs(leg.size / WAD) * (max(1.5 * spot, k) + leg.entry_price / WAD)
    return total


def _compare(proto, ids) -> dict[str, float]:
    """Model vs chain for ``ids`` now; asserts agreement, tolerance and candidates.

    Returns the worst agreement ratio and worst relative error of the figures."""
    positions, series = _book(proto, ids)
    market = _market(proto, series)
    risk = {U: RiskParams(*proto.registry.risk_params(ETH))}
    h = model_health(positions, series, risk, market, proto.ch.SCALE())
    onchain = proto.view.health_many(ids)
    candidates = set(rank(h, prescreen_ratio=1.0))
    out = {"ratio": 0.0, "rel": 0.0, "unhealthy": 0}
    im_factor = risk[U].im_factor / WAD
    for i, (p, (ok, equity, initial, maintenance)) in enumerate(
        zip(positions, onchain, strict=True)
    ):
        assert ok, p  # every price the oracle reports has a mark (total domain)
        size = _gross(p, series, market)
        assert h.priced[i]
        for name, model, ref, tol in (
            ("equity", h.equity[i], equity, h.tolerance[i]),
            ("mm", h.maintenance[i], maintenance, h.tolerance[i]),
            ("im", h.initial[i], initial, im_factor * h.tolerance[i]),
        ):
            ratio = agree(model, ref, size)
            assert ratio <= 1.0, (name, p, model, ref / WAD, market)
            assert abs(model - ref / WAD) <= tol, (name, p, model, ref / WAD, tol)
            out["ratio"] = max(out["ratio"], ratio)
            if ref:
                out["rel"] = max(out["rel"], abs(model - ref / WAD) / abs(ref / WAD))
        if equity < maintenance:
            # a candidate, or (every leg expired with a fixed price) one to settle
            out["unhealthy"] += 1
            assert p.position_id in candidates or h.settleable[i], (p, equity, maintenance)
    return out


def _open(proto, trader, legs, margin: float) -> int:
    """Open ``legs`` with collateral IM + opening spread + ``margin`` x IM (+ 1 base unit):
    a vault close to its initial margin, so that market moves take it below maintenance."""
    params = proto.registry.risk_params(ETH)
    terms = [proto.registry.series(sid)[1:4] for sid, _ in legs]
    priced = [(t, size) for t, (_, size) in zip(terms, legs, strict=True)]
    value = proto.engine.evaluate(ETH, priced, params)
    sizes = [size for _, size in legs]
    spread = opening_cost(params.spread_vol, sizes, value.vegas, value.deltas, value.spot)
    spread += len(legs)
    need = value.initial + spread + int(margin * value.initial)
    with boa.env.prank(trader):
        return proto.ch.open_position(legs, need // SCALE + 2, 10**30)


def _move(proto, far, spot: float, vols: tuple[float, float], seconds: int, fix: bool):
    if seconds:
        boa.env.time_travel(seconds=seconds)
    now = boa.env.evm.patch.timestamp
    proto.oracle.set_price(ETH, int(spot * WAD))
    for expiry, vol in zip((proto.expiry, far), vols, strict=True):
        if expiry > now:
            proto.oracle.set_vol(ETH, expiry, int(vol * WAD))
        elif fix and not proto.oracle.settlement_price(ETH, expiry):
            proto.oracle.set_settlement_price(ETH, expiry, int(0.9 * spot * WAD))


def test_model_health__strategies_through_a_market_path__match_the_chain(venue):
    proto, far, trader = venue
    s = proto.series
    strategies = [
        [(s[(2000, True)], -WAD)],  # short call
        [(s[(1800, False)], -2 * WAD)],  # short put
        [(s[(2200, True)], 3 * WAD)],  # long call
        [(s[(2000, True)], WAD), (s[(2200, True)], -WAD)],  # call spread
        [(s[(2000, True)], -WAD), (s[(2000, False)], -WAD)],  # short straddle
        [(s[(1600, False)], WAD), (s[(1800, False)], -WAD), (s[(2200, True)], -WAD),
         (s[(2400, True)], WAD)],  # iron condor
        [(s[(2400, True)], -(10**15))],  # the smallest leg
        [(s[(2000, True)], -WAD), (s[(2000, True, far)], WAD)],  # calendar
        [(s[(2000, False)], 2 * WAD), (s[(1600, False, far)], -WAD),
         (s[(2400, True, far)], -WAD // 2)],  # mixed across expiries
        [(s[(2000, True)], WAD), (s[(2000, False)], WAD)],  # long straddle
    ]  # fmt: skip
    ids = [_open(proto, trader, legs, margin=0.05) for legs in strategies]
    ids += [_open(proto, trader, legs, margin=3.0) for legs in strategies]
    until_expiry = proto.expiry - boa.env.evm.patch.timestamp
    path = [  # (spot, (near vol, far vol), seconds forward, fix settlement prices)
        (2_000, (0.8, 0.6), 0, False),
        (200_000, (0.8, 0.6), 0, False),  # spot x100
        (20, (0.8, 0.6), 0, False),  # spot / 100
        (2_000, (5.0, 5.0), 0, False),  # vol 5.0
        (1_900, (0.05, 0.3), HOUR, False),
        (2_150, (1.5, 0.9), until_expiry - 2 * HOUR, False),  # an hour before expiry
        (2_100, (1.2, 0.7), 2 * HOUR, False),  # expired, no settlement price: at spot
        (1_700, (1.2, 0.7), 6 * HOUR, False),
        (1_800, (1.2, 0.7), HOUR, True),  # settlement price fixed at 1620
        (2_500, (1.2, 3.0), 59 * DAY, True),  # the far expiry a day away
    ]
    unhealthy = 0
    for spot, vols, seconds, fix in path:
        _move(proto, far, spot, vols, seconds, fix)
        unhealthy += _compare(proto, ids)["unhealthy"]
    assert proto.oracle.settlement_price(ETH, proto.expiry) > 0  # the path passed expiry
    assert unhealthy > 0  # the path took vaults below maintenance


legs_strategy = st.lists(
    st.tuples(
        st.sampled_from([2000, 1800, 2200, 1600, 2400]),
        st.booleans(),
        st.booleans(),  # the far expiry (strikes 1600 / 2000 / 2400 only)
        st.sampled_from([-5_000, -1_000, -137, -1, 1, 250, 1_000, 4_999]),  # x 1e15
    ).filter(lambda leg: not leg[2] or leg[0] in FAR_STRIKES),
    min_size=1,
    max_size=4,
    unique_by=lambda leg: leg[:3],
)


@settings(max_examples=120, deadline=None)
@given(
    legs=legs_strategy,
    params=st.sampled_from(range(len(PARAM_SETS))),
    margin=st.sampled_from([0.0, 0.02, 0.5]),
    spot=st.sampled_from([20.0, 700.0, 1_500.0, 1_950.0, 2_000.0, 2_300.0, 3_000.0, 2e5]),
    vols=st.tuples(st.sampled_from([0.01, 0.4, 0.8, 2.0, 5.0]), st.sampled_from([0.3, 5.0])),
    when=st.sampled_from(["now", "hour", "near", "expired", "fixed", "far"]),
)
def test_model_health__any_legs_params_and_market_move__match_the_chain(
    venue, legs, params, margin, spot, vols, when
):
    proto, far, trader = venue
    with boa.env.anchor():
        with boa.env.prank(proto.governance):
            proto.registry.set_risk_params(ETH, params_tuple(PARAM_SETS[params]))
        ids = [
            _open(
                proto,
                trader,
                [(proto.series[(k, c, far) if f else (k, c)], z * 10**15) for k, c, f, z in legs],
                margin,
            )
        ]
        left = proto.expiry - boa.env.evm.patch.timestamp
        seconds = {"now": 0, "hour": HOUR, "near": left - HOUR, "expired": left + HOUR,
                   "fixed": left + HOUR, "far": left + 60 * DAY - HOUR}[when]  # fmt: skip
        _move(proto, far, spot, vols, seconds, fix=when in ("fixed", "far"))
        _compare(proto, ids)
