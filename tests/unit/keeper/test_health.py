"""keeper.health: the float64 pre-screen against an integer reference of ClearingHouse.health.

The reference follows ``MarginEngine.evaluate``, ``lib/margin.vy::_requirement`` and
``ClearingHouse.health`` line by line in WAD integers (Vyper's truncating signed division
included), with Black-Scholes from the 50-digit mpmath model (``ringfence.bs_reference``)
rounded to WAD — i.e. what the contract computes, up to its own Black-Scholes error.

Agreement (:func:`agree`): within 1e-12 relative, or — for a figure that is a near
cancellation of values of the order of the vault's notional — within 1e-15 of the vault's
gross amounts (:func:`gross`). tests/unit/keeper/test_health_onchain.py checks the same
against the deployed contracts.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from math import isqrt

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from keeper.health import (
    ERROR_FRACTION,
    Health,
    Market,
    margin_requirement,
    model_health,
    spot_shock,
    vol_shocks,
)
from keeper.index import Leg, Position, RiskParams, Series
from keeper.planner import rank
from ringfence import bs_reference

WAD = 10**18
YEAR = 31_536_000
DAY = 86_400
NOW = 1_750_000_000
ETH = "0x" + b"ETH".ljust(32, b"\0").hex()
BTC = "0x" + b"BTC".ljust(32, b"\0").hex()
TRADER = "0x" + "7ade" * 10
EXPIRY = NOW + 30 * DAY
LONG_EXPIRY = NOW + 200 * DAY
SOON = NOW + 6 * 3_600  # inside the one-day horizon: a long there is valued at expiry
PAST = NOW - DAY

#: relative agreement, and the absolute floor as a fraction of the vault's gross amounts
REL = 1e-12
FLOOR = 1e-15  # measured worst: 2.2e-16 (an IM at im_factor 3); the tolerance is 1e-14

PARAMS = RiskParams(
    spot_shock=6 * 10**16,
    spot_sigmas=25 * 10**17,
    crash_factor=2 * WAD,
    vol_up=2 * 10**17,
    vol_down=15 * 10**16,
    vol_tenor_cap=2 * WAD,
    horizon=DAY,
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
        (8, BTC, 55_000, PAST, True),  # expired, no settlement price yet: still in margin
        (9, ETH, 2_500, PAST, True),  # expired out of the money at the settlement price
        (10, ETH, 2_000, LONG_EXPIRY, True),
        (11, ETH, 2_050, SOON, True),  # 6 hours left
        (12, BTC, 58_000, PAST, False),  # expired, no settlement price yet
    ]
    return {sid: Series(sid, u, k * WAD, exp, call, 10**24) for sid, u, k, exp, call in rows}


SERIES = _series()
RISK = {ETH: PARAMS, BTC: replace(PARAMS, rate=0, horizon=7 * DAY, spot_sigmas=6 * WAD)}
MARKET = Market(
    timestamp=NOW,
    spot={ETH: 2_050 * WAD + 123_456_789, BTC: 61_000 * WAD},
    vol={1: 8 * 10**17, 2: 82 * 10**16, 3: 75 * 10**16, 4: 9 * 10**17, 5: 7 * 10**17,
         7: 55 * 10**16, 10: 65 * 10**16, 11: 12 * 10**17},
    settlement={(ETH, PAST): 1_850 * WAD},
)  # fmt: skip


def pos(pid: int, collateral: int, *legs: tuple[int, int, int], underlying: str = ETH) -> Position:
    return Position(pid, TRADER, underlying, collateral, tuple(Leg(s, z, e) for s, z, e in legs))


# Hand-built vaults (collateral in 6-decimal base units unless noted)
VAULTS = [
    pos(1, 400_000_000, (1, -WAD, 100 * WAD)),  # short call
    pos(2, 150_000_000, (1, 2 * WAD, 190 * WAD), (3, -2 * WAD, 60 * WAD)),  # call spread
    pos(3, 900_000_000, (1, -WAD // 2, 180 * WAD), (2, -WAD // 2, 150 * WAD)),  # straddle
    pos(4, 5_000_000, (3, 3 * WAD, 20 * WAD)),  # all long, deep: capped at mark value
    pos(  # condor: four legs netting inside the vault
        5,
        250_000_000,
        (4, WAD, 30 * WAD),
        (2, -WAD, 120 * WAD),
        (1, -WAD, 140 * WAD),
        (3, WAD, 50 * WAD),
    ),
    pos(6, 80_000_000, (6, -WAD, 20 * WAD), (5, -WAD // 4, 60 * WAD)),  # fixed + live leg
    pos(7, 9_000_000_000, (7, -WAD // 10, 3_000 * WAD), underlying=BTC),
    pos(8, 2_000_000_000, (8, -WAD // 10, 4_000 * WAD), underlying=BTC),  # expired, at spot
    pos(9, 50_000_000, (9, -WAD, 0)),  # out of the margin: the per-short-unit floor binds
    pos(10, 300_000_000, (1, -WAD, 150 * WAD), (10, WAD, 160 * WAD)),  # calendar
    pos(11, 100_000_000, (11, 2 * WAD, 40 * WAD), (1, -WAD, 150 * WAD)),  # long ends in H
    pos(12, 20_000_000, (11, WAD, 30 * WAD)),  # a lone long within the horizon
    pos(  # expired long and short at spot beside a live short (BTC: 7-day horizon)
        13,
        5_000_000_000,
        (8, WAD // 10, 5_000 * WAD),
        (12, -WAD // 10, 100 * WAD),
        (7, -WAD // 20, 2_500 * WAD),
        underlying=BTC,
    ),
]


# ----------------------------------------------------------------- integer reference


def tdiv(a: int, b: int) -> int:
    """Vyper's signed integer division: truncates toward zero."""
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b > 0) else -q


def ceil_div(a: int, b: int) -> int:
    return -(-a // b)


def wad(x) -> int:
    return int(bs_reference.mp.nint(x * WAD))


@dataclass
class RefLeg:
    """``margin.LegRisk``, WAD integers."""

    size: int
    mark: int
    strike: int
    live: bool
    values: list[int]
    deltas: list[int]


def ref_spot_shock(vol_ref: int, p: RiskParams) -> int:
    root = isqrt(p.horizon * 10**36 // YEAR)
    h = p.spot_sigmas * vol_ref // WAD * root // WAD
    return min(max(h, p.spot_shock), 5 * 10**17)


def ref_vol_shocks(vol: int, tau: int, p: RiskParams) -> tuple[int, int]:
    g = isqrt(30 * DAY * 10**36 // tau)
    g = min(max(g, 5 * 10**17), p.vol_tenor_cap)
    up = vol + vol * (p.vol_up * g // WAD) // WAD
    fraction = min(p.vol_down * g // WAD, 95 * 10**16)
    return up, vol - vol * fraction // WAD


def ref_evaluate(
    terms: list[tuple[Series, int]], spot: int, p: RiskParams, market: Market
) -> tuple[list[int], int, int]:
    """MarginEngine.evaluate: (marks, maintenance, initial), WAD."""
    now = market.timestamp
    legs: list[RefLeg] = []
    vols, taus = [], []
    vol_ref = 0
    for s, size in terms:
        vol = tau = 0
        if s.expiry <= now:
            fixed = market.settlement.get((s.underlying, s.expiry), 0)
            px = fixed or spot
            mark = max(px - s.strike, 0) if s.is_call else max(s.strike - px, 0)
            live = fixed == 0
        else:
            vol, tau = market.vol[s.series_id], s.expiry - now
            g = bs_reference.price_and_greeks(s.is_call, spot, s.strike, tau, vol, p.rate)
            mark, live = max(wad(g.price), 0), True
            vol_ref = max(vol_ref, vol)
        legs.append(RefLeg(size, mark, s.strike, live, [0] * 6, [0] * 6))
        vols.append(vol)
        taus.append(tau)
    h = ref_spot_shock(vol_ref, p)
    down = min(h * p.crash_factor // WAD, 9 * 10**17)
    spots = [spot * (WAD - down) // WAD, spot, spot * (WAD + h) // WAD]
    for leg, (s, _), vol, tau in zip(legs, terms, vols, taus, strict=True):
        if not leg.live:
            continue
        vu = vd = 0
        if tau:
            vu, vd = ref_vol_shocks(vol, tau, p)
            if leg.size > 0:
                tau -= min(tau, p.horizon)
        grid = bs_reference.scenario_grid(s.is_call, spot, s.strike, tau, p.rate, h, down, vu, vd)
        leg.values = [max(wad(g.price), 0) for g in grid]
        leg.deltas = [wad(g.delta) for g in grid]
    mm, im = ref_requirement(legs, spots, spot, p)
    return [leg.mark for leg in legs], mm, im


def ref_tangent_meet(leg: RefLeg, spots: list[int], i: int, k: int) -> int:
    d0, d1 = leg.deltas[i], leg.deltas[i + 1]
    if d0 == d1:
        return 0
    s0, s1 = spots[k], spots[k + 1]
    num = leg.values[i + 1] - leg.values[i] + tdiv(d0 * s0 - d1 * s1, WAD)
    x = tdiv(num * WAD, d0 - d1)
    return min(max(x, s0), s1)


def ref_loss_at(x: int, legs: list[RefLeg], spots: list[int], w: int) -> int:
    total = 0
    base = w * 3
    k = 1 if x > spots[1] else 0
    for leg in legs:
        if not leg.live:
            continue
        if leg.size > 0:
            low = max(
                leg.values[base + j] + tdiv(leg.deltas[base + j] * (x - spots[j]), WAD)
                for j in range(3)
            )
            total += tdiv(leg.size * (leg.mark - low), WAD)
        else:
            v0, v1 = leg.values[base + k], leg.values[base + k + 1]
            width = spots[k + 1] - spots[k]
            high = max(v0, v1)
            if width != 0:
                high = v0 + tdiv((v1 - v0) * (x - spots[k]), width)
            total += tdiv(-leg.size * (high - leg.mark), WAD)
    return total


def ref_requirement(
    legs: list[RefLeg], spots: list[int], spot: int, p: RiskParams
) -> tuple[int, int]:
    """lib/margin.vy::_requirement: (maintenance, initial), WAD."""
    short_units = long_value = allowance = 0
    all_long = True
    for leg in legs:
        units = abs(leg.size)
        if leg.size < 0:
            all_long = False
            short_units += units
        else:
            long_value += units * leg.mark // WAD
        if not leg.live:
            continue
        per_unit = max(spots[2], leg.strike) // 10**15 + 10
        per_unit += ceil_div(3 * abs(p.rate) * leg.strike // WAD * p.horizon, YEAR)
        allowance += ceil_div(units * per_unit, WAD)
    worst = 0
    for w in range(2):
        xs = list(spots)
        for leg in legs:
            if leg.live and leg.size > 0:
                for k in range(2):
                    x = ref_tangent_meet(leg, spots, w * 3 + k, k)
                    if x != 0:
                        xs.append(x)
        worst = max(worst, *(ref_loss_at(x, legs, spots, w) for x in xs))
    mm = worst + allowance
    mm = max(mm, p.min_short_margin * spot // WAD * short_units // WAD)
    im = mm * p.im_factor // WAD
    if all_long:
        mm, im = min(mm, long_value), min(im, long_value)
    return mm, im


def ref_health(
    p: Position, series: dict[int, Series], risk: dict, market: Market, scale: int
) -> tuple[int, int, int]:
    """ClearingHouse.health in integers: (equity, IM, MM)."""
    spot = market.spot[p.underlying]
    terms = [(series[leg.series_id], leg.size) for leg in p.legs]
    marks, mm, im = ref_evaluate(terms, spot, risk[p.underlying], market)
    pnl = sum(
        tdiv(leg.size * (mark - leg.entry_price), WAD)
        for leg, mark in zip(p.legs, marks, strict=True)
    )
    return p.collateral * scale + pnl, im, mm


def gross(p: Position, series: dict[int, Series], risk: dict, market: Market, scale: int):
    """|collateral| + sum |size| (max(S_up, K) + entry), real quote: the vault's scale."""
    spot = market.spot[p.underlying] / WAD
    total = abs(p.collateral * scale / WAD)
    for leg in p.legs:
        k = series[leg.series_id].strike / WAD
        total += abs(leg.size / WAD) * (max(1.5 * spot, k) + leg.entry_price / WAD)
    return total


def agree(model: float, reference: int, scale_of_vault: float) -> float:
    """The model's error in units of the allowed one (<= 1 passes): 1e-12 relative, or
    1e-15 of the vault's gross amounts for a near-cancelling figure."""
    err = abs(model - reference / WAD)
    return err / max(REL * abs(reference / WAD), FLOOR * scale_of_vault, 1e-300)


def check_book(
    positions: list[Position], series: dict, risk: dict, market: Market, scale: int
) -> tuple[float, float]:
    """Asserts every figure agrees with the reference and lies within the model's own
    tolerance; returns (worst agreement ratio, worst relative error)."""
    h = model_health(positions, series, risk, market, scale)
    assert h.priced.all()
    worst = worst_rel = 0.0
    for i, p in enumerate(positions):
        equity, im, mm = ref_health(p, series, risk, market, scale)
        size = gross(p, series, risk, market, scale)
        factor = risk[p.underlying].im_factor / WAD
        for model, ref, tol in (
            (h.equity[i], equity, h.tolerance[i]),
            (h.maintenance[i], mm, h.tolerance[i]),
            (h.initial[i], im, factor * h.tolerance[i]),
        ):
            ratio = agree(model, ref, size)
            assert ratio <= 1.0, (p, model, ref / WAD, ratio)
            assert abs(model - ref / WAD) <= tol
            worst = max(worst, ratio)
            if ref:
                worst_rel = max(worst_rel, abs(model - ref / WAD) / abs(ref / WAD))
    return worst, worst_rel


# ------------------------------------------------------------------------- tests


@pytest.mark.parametrize("scale", [10**12, 1], ids=["usdc6", "dai18"])
def test_model_health__hand_built_vaults__match_the_integer_reference(scale):
    h = model_health(VAULTS, SERIES, RISK, MARKET, scale)
    assert list(h.ids) == [p.position_id for p in VAULTS]
    check_book(VAULTS, SERIES, RISK, MARKET, scale)


def _by_id(h: Health) -> dict[int, int]:
    return dict(zip(h.ids.tolist(), range(len(h.ids)), strict=True))


def test_model_health__branches__each_vault_exercises_its_margin_rule():
    """Guards the fixture: the reference vaults really hit the floor, the cap, the horizon
    and the expired-but-unfixed rule."""
    scale = 10**12
    h = model_health(VAULTS, SERIES, RISK, MARKET, scale)
    at = _by_id(h)
    spot = MARKET.spot[ETH]
    # vault 9: out of the margin (fixed settlement): MM is the 2 % x spot x 1 unit floor
    _, _, mm9 = ref_health(VAULTS[8], SERIES, RISK, MARKET, scale)
    assert mm9 == 2 * 10**16 * spot // WAD
    assert h.maintenance[at[9]] == pytest.approx(mm9 / WAD, rel=1e-15)
    # vault 4: all long, 1.25 x its bound would exceed its value: IM capped at the mark value
    marks, mm4, im4 = ref_evaluate([(SERIES[3], 3 * WAD)], spot, PARAMS, MARKET)
    assert im4 == 3 * WAD * marks[0] // WAD and mm4 < im4
    # vault 6's expired put is marked at its payoff at the fixed settlement price (1850)
    assert ref_evaluate([(SERIES[6], -WAD)], spot, PARAMS, MARKET)[0] == [50 * WAD]
    # vault 8: expired without a settlement price: marked at spot, still in the margin
    btc = MARKET.spot[BTC]
    marks, mm8, _ = ref_evaluate([(SERIES[8], -WAD // 10)], btc, RISK[BTC], MARKET)
    assert marks == [6_000 * WAD]
    assert mm8 > 2 * 10**16 * btc // WAD // 10  # the crash loss, above the floor
    # ... and once the price is fixed it leaves the margin: back to the floor
    fixed = replace(MARKET, settlement={**MARKET.settlement, (BTC, PAST): 61_000 * WAD})
    _, mm8_fixed, _ = ref_evaluate([(SERIES[8], -WAD // 10)], btc, RISK[BTC], fixed)
    assert mm8_fixed == 2 * 10**16 * btc // WAD // 10
    h_fixed = model_health([VAULTS[7]], SERIES, RISK, fixed, scale)
    assert h_fixed.maintenance[0] == pytest.approx(mm8_fixed / WAD, rel=1e-15)
    # vault 12: a lone long with 6 hours left is valued at expiry: it can lose its mark
    marks12, mm12, _ = ref_evaluate([(SERIES[11], WAD)], spot, PARAMS, MARKET)
    assert mm12 == marks12[0]  # capped: the whole time value goes within the horizon
    assert h.maintenance[at[12]] == pytest.approx(mm12 / WAD, rel=REL)


def test_model_health__vault_spot_shock__from_its_highest_leg_vol():
    """h is per vault: adding a high-vol leg widens every leg's spot scenarios."""
    alone = pos(20, 10**9, (1, -WAD, 100 * WAD))
    hedged = pos(21, 10**9, (1, -WAD, 100 * WAD), (11, 10**15, 50 * WAD))  # vol 1.2
    h = model_health([alone, hedged], SERIES, RISK, MARKET, 10**12)
    assert h.maintenance[1] > h.maintenance[0]  # the tiny long costs more than it covers
    check_book([alone, hedged], SERIES, RISK, MARKET, 10**12)


def test_spot_shock__floor_formula_and_cap__match_the_integer_rule():
    vols = [0, 10**17, 8 * 10**17, 3 * WAD, 50 * WAD]
    for horizon in (60, DAY, 7 * DAY):
        p = replace(PARAMS, horizon=horizon)
        model = spot_shock(
            np.array(vols) / WAD,
            np.full(len(vols), p.spot_shock / WAD),
            np.full(len(vols), p.spot_sigmas / WAD),
            np.full(len(vols), float(horizon)),
        )
        ref = [ref_spot_shock(v, p) / WAD for v in vols]
        assert model == pytest.approx(ref, rel=1e-15)
    assert ref_spot_shock(0, PARAMS) == PARAMS.spot_shock  # the floor
    assert ref_spot_shock(50 * WAD, replace(PARAMS, horizon=7 * DAY)) == 5 * 10**17  # the cap


def test_vol_shocks__tenor_scale_clamped__match_the_integer_rule():
    taus = [1, 3_600, 7 * DAY, 30 * DAY, 120 * DAY, 365 * DAY, 10 * 365 * DAY]
    vol = 7 * 10**17
    for p in (PARAMS, replace(PARAMS, vol_up=4 * WAD, vol_down=9 * 10**17, vol_tenor_cap=4 * WAD)):
        up, down = vol_shocks(
            np.full(len(taus), vol / WAD),
            np.array(taus, dtype=float),
            np.full(len(taus), p.vol_up / WAD),
            np.full(len(taus), p.vol_down / WAD),
            np.full(len(taus), p.vol_tenor_cap / WAD),
        )
        ref = [ref_vol_shocks(vol, t, p) for t in taus]
        assert up == pytest.approx([u / WAD for u, _ in ref], rel=1e-15)
        assert down == pytest.approx([d / WAD for _, d in ref], rel=1e-14)
    # 30 days: g = 1; a year: g = 0.5 floor; an hour: the cap
    assert ref_vol_shocks(vol, 30 * DAY, PARAMS) == (vol * 12 // 10, vol * 85 // 100)
    assert ref_vol_shocks(vol, 365 * DAY, PARAMS) == (vol * 11 // 10, vol - vol * 75 // 1000)
    assert ref_vol_shocks(vol, 3_600, PARAMS) == (vol * 14 // 10, vol * 7 // 10)
    # the drop never exceeds 95 % of the vol
    steep = replace(PARAMS, vol_down=9 * 10**17, vol_tenor_cap=4 * WAD)
    assert ref_vol_shocks(vol, 3_600, steep)[1] == vol - vol * 95 // 100


def test_margin_requirement__no_scenario_loss__mm_is_exactly_the_allowances():
    """A long whose tangents all lie above its mark loses nothing in any scenario: MM is
    the numerical allowance |size| (max(S_up, K) / 1e15 + 10 wei) plus the rate allowance
    |size| 3 |r| K horizon / year; a short leg adds the floor instead."""
    spots = np.array([[80.0, 100.0, 110.0]])
    flat = np.full((1, 1, 6), 5.0)  # the leg is worth 5 in every scenario
    zero = np.zeros((1, 1, 6))
    one = np.ones(1)
    mm, im = margin_requirement(
        np.array([[2.0]]), np.array([[4.0]]), np.array([[120.0]]), np.array([[True]]),
        flat, zero, spots, 0.05 * one, DAY * one, 0.02 * one, 1.25 * one,
    )  # fmt: skip
    allowance = 2.0 * (120.0 * 1e-15 + 10e-18 + 3 * 0.05 * 120.0 * DAY / YEAR)
    assert mm[0] == pytest.approx(allowance, rel=1e-14)
    assert im[0] == pytest.approx(1.25 * allowance, rel=1e-14)
    # the same leg short at a mark of 1: its chord (5) - mark per unit is lost, 8 in all,
    # above the floor of 2 % x 100 x 2 = 4
    mm, _ = margin_requirement(
        np.array([[-2.0]]), np.array([[1.0]]), np.array([[120.0]]), np.array([[True]]),
        flat, zero, spots, 0.05 * one, DAY * one, 0.02 * one, 1.25 * one,
    )  # fmt: skip
    assert mm[0] == pytest.approx(8.0 + allowance, rel=1e-14)
    # out of the margin (a fixed settlement price): only the floor, 2 % x 100 x 2
    mm, _ = margin_requirement(
        np.array([[-2.0]]), np.array([[4.0]]), np.array([[120.0]]), np.array([[False]]),
        flat, zero, spots, 0.05 * one, DAY * one, 0.02 * one, 1.25 * one,
    )  # fmt: skip
    assert mm[0] == pytest.approx(4.0, rel=1e-15)


def test_margin_requirement__long_straddle_kink__loss_found_between_grid_spots():
    """A long whose value is a kink between the grid spots (payoff at tau = 0): its
    tangents at the grid spots meet at the strike, where its loss bound peaks; the grid
    spots alone would see no loss."""
    spots = np.array([[80.0, 100.0, 120.0]])
    # call struck at 90, at expiry: values at (80, 100, 120) = (0, 10, 30), deltas (0, 1, 1)
    values = np.array([[[0.0, 10.0, 30.0, 0.0, 10.0, 30.0]]])
    deltas = np.array([[[0.0, 1.0, 1.0, 0.0, 1.0, 1.0]]])
    one = np.ones(1)
    mm, _ = margin_requirement(
        np.array([[1.0]]), np.array([[3.0]]), np.array([[90.0]]), np.array([[True]]),
        values, deltas, spots, 0.0 * one, DAY * one, 0.0 * one, 1.25 * one,
    )  # fmt: skip
    # at x = 90 the highest tangent is 0: the loss is the mark, 3 (then capped at 3)
    assert mm[0] == pytest.approx(3.0, rel=1e-15)
    # beside a short the cap does not apply: the loss at the kink is found
    mm, _ = margin_requirement(
        np.array([[1.0, -1e-9]]), np.array([[3.0, 0.0]]), np.array([[90.0, 90.0]]),
        np.array([[True, True]]), np.concatenate([values, np.zeros((1, 1, 6))], axis=1),
        np.concatenate([deltas, np.zeros((1, 1, 6))], axis=1), spots, 0.0 * one,
        DAY * one, 0.0 * one, 1.25 * one,
    )  # fmt: skip
    assert mm[0] == pytest.approx(3.0 + 1.0 * (120 * 1e-15 + 10e-18), rel=1e-12)


finite = st.floats(min_value=0.0, max_value=500.0, allow_nan=False)


@settings(max_examples=200, deadline=None)
@given(
    legs=st.lists(
        st.tuples(
            st.sampled_from([-3.0, -0.5, -1e-3, 0.0, 1e-3, 0.5, 3.0]),  # size
            finite,  # mark
            st.floats(min_value=1.0, max_value=500.0),  # strike
            st.booleans(),  # live
            st.lists(finite, min_size=6, max_size=6),  # values: any, convex or not
            st.lists(st.floats(min_value=-1.0, max_value=1.0), min_size=6, max_size=6),
        ),
        min_size=1,
        max_size=4,
    ),
    shock=st.tuples(st.floats(0.01, 0.5), st.floats(0.01, 0.9)),
    rate=st.sampled_from([0.0, -0.1, 0.05, 1.0]),
    floor=st.sampled_from([0.0, 0.02]),
)
def test_margin_requirement__any_leg_values__equals_the_integer_port(legs, shock, rate, floor):
    """The vectorised bound against ``_requirement`` in integers, on arbitrary (not even
    convex) scenario values: the same candidates, the same maxima, every rule."""
    p = replace(PARAMS, rate=int(rate * WAD), min_short_margin=int(floor * WAD))
    spot = 200 * WAD
    h, down = (int(x * WAD) for x in shock)
    spots = [spot * (WAD - down) // WAD, spot, spot * (WAD + h) // WAD]
    ref_legs = [
        RefLeg(int(z * WAD), int(mk * WAD), int(k * WAD), live,
               [int(x * WAD) for x in vs], [int(x * WAD) for x in ds])
        for z, mk, k, live, vs, ds in legs
    ]  # fmt: skip
    mm, im = ref_requirement(ref_legs, spots, spot, p)

    def arr(f, dtype=float):
        return np.array([[f(leg) for leg in ref_legs]], dtype=dtype)

    one = np.ones(1)
    model_mm, model_im = margin_requirement(
        arr(lambda g: g.size / WAD), arr(lambda g: g.mark / WAD), arr(lambda g: g.strike / WAD),
        arr(lambda g: g.live, bool), arr(lambda g: [x / WAD for x in g.values]),
        arr(lambda g: [x / WAD for x in g.deltas]), np.array([spots], dtype=float) / WAD,
        rate * one,
        DAY * one, floor * one, p.im_factor / WAD * one,
    )  # fmt: skip
    scale_of = sum(abs(g.size / WAD) * (max(g.strike, spots[2]) / WAD + 500) for g in ref_legs)
    assert agree(model_mm[0], mm, scale_of) <= 1.0
    assert agree(model_im[0], im, scale_of) <= 1.0


TERMS = [sid for sid, s in SERIES.items() if s.underlying == ETH]


@settings(max_examples=150, deadline=None)
@given(
    legs=st.lists(
        st.tuples(st.sampled_from(TERMS), st.integers(-5_000, 5_000).filter(bool)),
        min_size=1,
        max_size=4,
        unique_by=lambda leg: leg[0],
    ),
    collateral=st.integers(0, 10**10),
    spot=st.sampled_from([20, 500, 1_900, 2_050, 2_600, 20_000, 200_000]),
    vol=st.sampled_from([1, 5 * 10**16, 6 * 10**17, 2 * WAD, 5 * WAD]),
    settled=st.booleans(),
    rate=st.sampled_from([0, -(10**17), 3 * 10**16, WAD]),
)
def test_model_health__random_vaults_and_markets__match_the_integer_reference(
    legs, collateral, spot, vol, settled, rate
):
    """Any 1-4 ETH legs (live, within the horizon, expired fixed or not) at spot /100 to
    x100 and vols from 1 wei to 5.0, against the integer reference."""
    p = pos(1, collateral, *[(sid, size * 10**15, 100 * WAD) for sid, size in legs])
    market = Market(
        NOW,
        spot={ETH: spot * WAD + 7},
        vol={sid: vol + sid for sid in TERMS if SERIES[sid].expiry > NOW},
        settlement={(ETH, PAST): 1_850 * WAD} if settled else {},
    )
    risk = {ETH: replace(PARAMS, rate=rate)}
    check_book([p], SERIES, risk, market, 10**12)


def test_model_health__stale_spot__vault_unpriced_and_never_ranked():
    market = Market(NOW, spot={ETH: MARKET.spot[ETH]}, vol=MARKET.vol, settlement={})
    h = model_health(VAULTS, SERIES, RISK, market, 10**12)

    priced = dict(zip(h.ids.tolist(), h.priced.tolist(), strict=True))
    assert priced[7] is False and priced[8] is False
    assert priced[1] is True
    assert math.isnan(h.ratio[h.ids.tolist().index(7)])
    assert 7 not in rank(h, 1e9)


def test_model_health__missing_vol_or_series__vault_unpriced():
    market = replace(MARKET, vol={k: v for k, v in MARKET.vol.items() if k != 3})
    h = model_health(VAULTS, SERIES, RISK, market, 10**12)
    priced = dict(zip(h.ids.tolist(), h.priced.tolist(), strict=True))
    assert priced[2] is False and priced[4] is False and priced[1] is True
    unknown = [pos(30, 10**9, (99, -WAD, 0))]
    assert model_health(unknown, SERIES, RISK, MARKET, 10**12).priced.tolist() == [False]


def test_model_health__settleable__only_when_every_leg_expired_with_fixed_price():
    h = model_health(VAULTS, SERIES, RISK, MARKET, 10**12)
    settleable = dict(zip(h.ids.tolist(), h.settleable.tolist(), strict=True))
    # 6 still has a live leg, 8 and 13 have no settlement price: only 9 can settle
    assert [pid for pid, ok in settleable.items() if ok] == [9]

    only_expired = [pos(10, 80_000_000, (6, -WAD, 20 * WAD))]
    h = model_health(only_expired, SERIES, RISK, MARKET, 10**12)
    assert h.settleable.tolist() == [True]


def test_model_health__empty_book__empty_arrays():
    h = model_health([], SERIES, RISK, MARKET, 10**12)
    assert h.ids.size == h.maintenance.size == h.tolerance.size == 0


def test_ratio__zero_margin__infinite_with_the_sign_of_equity():
    def health(equity: float) -> Health:
        one = np.ones(1, dtype=bool)
        return Health(np.array([1]), np.array([equity]), np.zeros(1), np.zeros(1), one, ~one)

    assert health(5.0).ratio[0] == np.inf
    assert health(-1.0).ratio[0] == -np.inf
    assert health(5.0).screen_ratio[0] == np.inf  # no tolerance: the plain ratio


def test_screen_ratio__model_just_healthy_chain_not__still_a_candidate():
    """A vault the chain sees 1 wei below MM while the model, within its tolerance, sees it
    above even prescreen_ratio x MM: the tolerance makes it a candidate anyway."""
    mm = 1e-9  # a tiny all-long vault: MM is its mark value
    tol = 5e-10
    one = np.ones(1, dtype=bool)
    chain_equity = mm - 1e-18
    model = Health(
        np.array([1]), np.array([chain_equity + tol]), np.array([mm - tol]), np.array([mm]),
        one, ~one, tolerance=np.array([tol]),
    )  # fmt: skip
    assert model.ratio[0] > 1.05  # the plain ratio would miss it
    assert model.screen_ratio[0] < 1.0
    assert rank(model, prescreen_ratio=1.0) == [1]


def test_tolerance__hand_built_vaults__a_small_fraction_of_the_gross_amounts():
    h = model_health(VAULTS, SERIES, RISK, MARKET, 10**12)
    for i, p in enumerate(VAULTS):
        size = gross(p, SERIES, RISK, MARKET, 10**12)
        assert h.tolerance[i] <= 1.01 * ERROR_FRACTION * size + 1e-15
        assert h.tolerance[i] < 1e-5 * h.maintenance[i]  # far inside the 5 % pre-screen
