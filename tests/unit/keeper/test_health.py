"""keeper.health: the float64 pre-screen against an integer reference of ClearingHouse._health.

The reference follows the contract line by line in WAD integers (Vyper's truncating
signed division included), with Black-Scholes from the 50-digit mpmath model rounded to
WAD — i.e. what the contract computes, up to its own BS error (< 1e-13 relative).
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest

from keeper.health import Health, Market, margin_requirement, model_health
from keeper.index import Leg, Position, RiskParams, Series
from ringfence import bs_reference

WAD = 10**18
DAY = 86_400
NOW = 1_750_000_000
ETH = "0x" + b"ETH".ljust(32, b"\0").hex()
BTC = "0x" + b"BTC".ljust(32, b"\0").hex()
TRADER = "0x" + "7ade" * 10
EXPIRY = NOW + 30 * DAY
LONG_EXPIRY = NOW + 200 * DAY
PAST = NOW - DAY

PARAMS = RiskParams(
    spot_shock=15 * 10**16,
    vol_shock=10 * 10**16,
    im_factor=125 * 10**16,
    min_short_margin=2 * 10**16,
    liquidation_reward=5 * 10**16,
    insurance_fee=5 * 10**16,
    spread_vol=5 * 10**15,
    rate=3 * 10**16,
    min_size=10**15,
)


def _series() -> dict[int, Series]:
    rows = [
        (1, ETH, 2_000, EXPIRY, True),
        (2, ETH, 2_000, EXPIRY, False),
        (3, ETH, 2_400, EXPIRY, True),
        (4, ETH, 1_600, EXPIRY, False),
        (5, ETH, 1_800, LONG_EXPIRY, False),
        (6, ETH, 1_900, PAST, False),  # expired, settlement fixed
        (7, BTC, 60_000, EXPIRY, True),
        (8, BTC, 55_000, PAST, True),  # expired, no settlement price yet
        (9, ETH, 2_500, PAST, True),  # expired out of the money at the settlement price
    ]
    return {sid: Series(sid, u, k * WAD, exp, call, 10**24) for sid, u, k, exp, call in rows}


SERIES = _series()
RISK = {ETH: PARAMS, BTC: replace(PARAMS, rate=0)}
MARKET = Market(
    timestamp=NOW,
    spot={ETH: 2_050 * WAD + 123_456_789, BTC: 61_000 * WAD},
    vol={1: 8 * 10**17, 2: 82 * 10**16, 3: 75 * 10**16, 4: 9 * 10**17, 5: 7 * 10**17,
         7: 55 * 10**16},
    settlement={(ETH, PAST): 1_850 * WAD},
)  # fmt: skip


def pos(pid: int, collateral: int, *legs: tuple[int, int, int], underlying: str = ETH) -> Position:
    return Position(pid, TRADER, underlying, collateral, tuple(Leg(s, z, e) for s, z, e in legs))


# Hand-built vaults (collateral in 6-decimal base units unless noted)
VAULTS = [
    pos(1, 400_000_000, (1, -WAD, 100 * WAD)),  # short call
    pos(2, 150_000_000, (1, 2 * WAD, 190 * WAD), (3, -2 * WAD, 60 * WAD)),  # call spread
    pos(3, 900_000_000, (1, -WAD // 2, 180 * WAD), (2, -WAD // 2, 150 * WAD)),  # straddle
    pos(4, 5_000_000, (3, 3 * WAD, 20 * WAD)),  # all long: capped at mark value
    pos(  # condor: four legs netting inside the vault
        5,
        250_000_000,
        (4, WAD, 30 * WAD),
        (2, -WAD, 120 * WAD),
        (1, -WAD, 140 * WAD),
        (3, WAD, 50 * WAD),
    ),
    pos(6, 80_000_000, (6, -WAD, 20 * WAD), (5, -WAD // 4, 60 * WAD)),  # expired + live leg
    pos(7, 9_000_000_000, (7, -WAD // 10, 3_000 * WAD), underlying=BTC),
    pos(8, 2_000_000_000, (8, -WAD // 10, 4_000 * WAD), underlying=BTC),  # expired, at spot
    pos(9, 50_000_000, (9, -WAD, 0)),  # no Greeks left: the per-short-unit floor binds
]


# ----------------------------------------------------------------- integer reference


def tdiv(a: int, b: int) -> int:
    """Vyper's signed integer division: truncates toward zero."""
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b > 0) else -q


def wad(x) -> int:
    return int(bs_reference.mp.nint(x * WAD))


def ref_leg(s: Series, spot: int, rate: int, market: Market) -> tuple[int, int, int, int]:
    """ClearingHouse._leg_greeks: (mark, delta, gamma, vega), WAD."""
    if s.expiry <= market.timestamp:
        px = market.settlement.get((s.underlying, s.expiry)) or spot
        delta = (
            WAD if s.is_call and px > s.strike else -WAD if not s.is_call and px < s.strike else 0
        )
        payoff = max(px - s.strike, 0) if s.is_call else max(s.strike - px, 0)
        return payoff, delta, 0, 0
    g = bs_reference.price_and_greeks(
        s.is_call, spot, s.strike, s.expiry - market.timestamp, market.vol[s.series_id], rate
    )
    return max(wad(g.price), 0), wad(g.delta), wad(g.gamma), max(wad(g.vega), 0)


def ref_health(p: Position, market: Market, scale: int) -> tuple[int, int, int]:
    """ClearingHouse._health in integers: (equity, IM, MM)."""
    r = RISK[p.underlying]
    spot = market.spot[p.underlying]
    nd = ng = nv = short_units = long_value = pnl = 0
    all_long = True
    for leg in p.legs:
        mark, d, g, v = ref_leg(SERIES[leg.series_id], spot, r.rate, market)
        nd += tdiv(leg.size * d, WAD)
        ng += tdiv(leg.size * g, WAD)
        nv += tdiv(leg.size * v, WAD)
        if leg.size < 0:
            all_long = False
            short_units += -leg.size
        else:
            long_value += leg.size * mark // WAD
        pnl += tdiv(leg.size * (mark - leg.entry_price), WAD)
    # margin._requirement
    ds = spot * r.spot_shock // WAD
    first = tdiv(nd * ds, WAD)
    second = tdiv(tdiv(tdiv(ng * ds, WAD) * ds, WAD), 2)
    worst = max(-first - second, first - second, 0)
    mm = worst + abs(nv) * r.vol_shock // WAD
    mm = max(mm, r.min_short_margin * spot // WAD * short_units // WAD)
    im = mm * r.im_factor // WAD
    if all_long:
        mm = min(mm, long_value)
        im = min(im, long_value)
    return p.collateral * scale + pnl, im, mm


def rel(model: float, reference: int) -> float:
    return abs(model - reference / WAD) / max(abs(reference / WAD), 1e-300)


# ------------------------------------------------------------------------- tests


@pytest.mark.parametrize("scale", [10**12, 1], ids=["usdc6", "dai18"])
def test_model_health__hand_built_vaults__within_1e9_relative_of_reference(scale):
    h = model_health(VAULTS, SERIES, RISK, MARKET, scale)

    assert list(h.ids) == [p.position_id for p in VAULTS]
    assert h.priced.all()
    worst = 0.0
    for i, p in enumerate(VAULTS):
        equity, im, mm = ref_health(p, MARKET, scale)
        for model, ref in ((h.equity[i], equity), (h.maintenance[i], mm), (h.initial[i], im)):
            if ref == 0:
                assert model == 0.0
            else:
                worst = max(worst, rel(model, ref))
    assert worst < 1e-9


def test_model_health__branches__each_vault_exercises_its_margin_rule():
    """Guards the fixture: the reference vaults really hit the floor, the cap and netting."""
    h = model_health(VAULTS, SERIES, RISK, MARKET, 10**12)
    by_id = dict(zip(h.ids.tolist(), range(len(VAULTS)), strict=True))
    spot = MARKET.spot[ETH] / WAD
    # vault 9: floor 2 % x spot x 1 unit: an expired OTM short has no stressed loss
    assert h.maintenance[by_id[9]] == pytest.approx(0.02 * spot, rel=1e-12)
    # vault 4: all long, MM capped at 3 x the call's mark
    _, _, mm4 = ref_health(VAULTS[3], MARKET, 10**12)
    mark = ref_leg(SERIES[3], MARKET.spot[ETH], PARAMS.rate, MARKET)[0]
    assert mm4 == 3 * mark
    assert h.maintenance[by_id[4]] == pytest.approx(3 * mark / WAD, rel=1e-12)
    # ...and so is IM: 1.25 x the stressed loss would exceed what the calls are worth
    assert h.initial[by_id[4]] == pytest.approx(3 * mark / WAD, rel=1e-12)
    # vault 6: expired put marked at its payoff at the fixed settlement price (1850)
    assert ref_leg(SERIES[6], MARKET.spot[ETH], 0, MARKET)[0] == 50 * WAD
    # vault 8: BTC call expired without a settlement price, marked at spot
    assert ref_leg(SERIES[8], MARKET.spot[BTC], 0, MARKET)[0] == 6_000 * WAD


def test_model_health__stale_spot__vault_unpriced_and_never_ranked():
    market = Market(NOW, spot={ETH: MARKET.spot[ETH]}, vol=MARKET.vol, settlement={})
    h = model_health(VAULTS, SERIES, RISK, market, 10**12)

    priced = dict(zip(h.ids.tolist(), h.priced.tolist(), strict=True))
    assert priced[7] is False and priced[8] is False
    assert priced[1] is True
    assert math.isnan(h.ratio[h.ids.tolist().index(7)])


def test_model_health__settleable__only_when_every_leg_expired_with_fixed_price():
    h = model_health(VAULTS, SERIES, RISK, MARKET, 10**12)
    settleable = dict(zip(h.ids.tolist(), h.settleable.tolist(), strict=True))
    # 6 still has a live leg, 8 has no settlement price: only 9 can settle
    assert [pid for pid, ok in settleable.items() if ok] == [9]

    only_expired = [pos(10, 80_000_000, (6, -WAD, 20 * WAD))]
    h = model_health(only_expired, SERIES, RISK, MARKET, 10**12)
    assert h.settleable.tolist() == [True]


def test_ratio__zero_margin__infinite_with_the_sign_of_equity():
    def health(equity: float) -> Health:
        one = np.ones(1, dtype=bool)
        return Health(np.array([1]), np.array([equity]), np.zeros(1), np.zeros(1), one, ~one)

    assert health(5.0).ratio[0] == np.inf
    assert health(-1.0).ratio[0] == -np.inf


def test_margin_requirement__long_gamma__stress_does_not_charge_the_convexity_gain():
    one = np.array([1.0])
    mm, im = margin_requirement(
        net_delta=np.array([0.0]),
        net_gamma=np.array([0.01]),
        net_vega=np.array([0.0]),
        spot=np.array([100.0]),
        short_units=np.array([0.0]),
        long_value=np.array([1e9]),
        all_long=np.array([False]),
        spot_shock=0.1 * one,
        vol_shock=0.1 * one,
        min_short_margin=0.0 * one,
        im_factor=1.5 * one,
    )
    # worst = max(-G dS^2/2, -G dS^2/2, 0) = 0 for positive gamma
    assert mm[0] == 0.0 and im[0] == 0.0
    mm, im = margin_requirement(
        np.array([0.5]), np.array([-0.01]), np.array([-20.0]), np.array([100.0]),
        np.array([0.0]), np.array([0.0]), np.array([False]),
        0.1 * one, 0.1 * one, 0.0 * one, 1.5 * one,
    )  # fmt: skip
    # dS = 10: max(-5 + 0.5, 5 + 0.5, 0) = 5.5; vega 20 x 0.1 = 2
    assert mm[0] == pytest.approx(7.5, rel=1e-15) and im[0] == pytest.approx(11.25, rel=1e-15)
