"""lib/margin.vy against a Python reference: the stressed net-Greek requirement and the
closed-form liquidation fraction."""

from fractions import Fraction

import boa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ringfence.paths import contract_path
from ringfence.risk_table import DEFAULT_PARAMS, WAD, params_tuple

P = DEFAULT_PARAMS


@pytest.fixture(scope="module")
def margin():
    return boa.load(str(contract_path("mocks/margin_mock.vy")))


def _div(a, b):
    """Vyper signed division: truncates toward zero."""
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b > 0) else -q


def _ceil(a, b):
    return -(-a // b)


YEAR = 31_536_000


def reference_requirement(legs, spots, spot, p=P):
    """lib/margin.vy's `_requirement` in Python integers, term by term.

    `legs`: [(size, mark, strike, live, values[6], deltas[6])]."""
    short_units = long_value = allowance = 0
    all_long = True
    for size, mark, strike, live, _values, _deltas in legs:
        units = abs(size)
        if size < 0:
            all_long = False
            short_units += units
        else:
            long_value += units * mark // WAD
        if not live:
            continue
        per_unit = max(spots[2], strike) // 10**15 + 10
        per_unit += _ceil(3 * abs(p["rate"]) * strike // WAD * p["horizon"], YEAR)
        allowance += _ceil(units * per_unit, WAD)
    states = 0
    for size, _mark, _strike, live, _values, _deltas in legs:
        if live:
            states |= 1 if size < 0 else 2
    worst = 0
    for w in (0, 1):
        if not (states >> w) & 1:
            continue
        base = 3 * w
        line_value, line_slope, at_grid = [0, 0], [0, 0], [0, 0, 0]
        for size, mark, _strike, live, values, _deltas in legs:
            if not live:
                continue
            v = values[base : base + 3]
            at_grid = [at_grid[j] + size * (mark - v[j]) for j in range(3)]
            if size < 0:
                line_value = [line_value[c] + size * (mark - v[c]) for c in (0, 1)]
                line_slope = [line_slope[c] + size * (v[c] - v[c + 1]) for c in (0, 1)]
        worst = max([worst] + [_div(a, WAD) for a in at_grid])
        longs = []
        for size, mark, _strike, live, values, deltas in legs:
            if not live or size <= 0:
                continue
            d = deltas[base : base + 3]
            b = [values[base + k] - _div(d[k] * spots[k], WAD) for k in range(3)]
            meet = []
            for c in (0, 1):
                x = spots[c]
                if d[c] != d[c + 1]:
                    x = _div((b[c + 1] - b[c]) * WAD, d[c] - d[c + 1])
                meet.append(min(max(x, spots[c]), spots[c + 1]))
            longs.append((size, mark, b, d, meet))
        for c in (0, 1):
            width = spots[c + 1] - spots[c]
            for _s, _m, _b, _d, meet_m in longs:
                x = meet_m[c]
                frac = _div((x - spots[c]) * WAD, width) if width else WAD
                total = line_value[c] + _div(line_slope[c] * frac, WAD)
                for size, mark, b, d, meet in longs:
                    k = c + 1 if x > meet[c] else c
                    total += size * mark - size * b[k] - _div(size * (d[k] * x), WAD)
                worst = max(worst, _div(total, WAD))
    mm = max(worst + allowance, p["min_short_margin"] * spot // WAD * short_units // WAD)
    im = mm * p["im_factor"] // WAD
    if all_long:
        mm, im = min(mm, long_value), min(im, long_value)
    return mm, im


def scenarios(legs):
    """`legs` as the mock's `Scenarios` struct (padded to four legs)."""
    pad = 4 - len(legs)
    states = 0
    for leg in legs:
        if leg[3]:
            states |= 1 if leg[0] < 0 else 2
    return (
        len(legs),
        [leg[0] for leg in legs] + [0] * pad,
        [leg[1] for leg in legs] + [0] * pad,
        [leg[2] for leg in legs] + [0] * pad,
        [leg[3] for leg in legs] + [False] * pad,
        [leg[4] for leg in legs] + [[0] * 6] * pad,
        [leg[5] for leg in legs] + [[0] * 6] * pad,
        states,
    )


def _leg(draw, size):
    values = draw(st.lists(st.integers(0, 10**22), min_size=6, max_size=6))
    deltas = draw(st.lists(st.integers(-WAD, WAD), min_size=6, max_size=6))
    return (
        size,
        draw(st.integers(0, 10**22)),
        draw(st.integers(10**15, 10**22)),
        draw(st.booleans()),
        values,
        deltas,
    )


@st.composite
def leg_sets(draw):
    n = draw(st.integers(1, 4))
    sizes = draw(st.lists(st.integers(-(10**21), 10**21).filter(bool), min_size=n, max_size=n))
    return [_leg(draw, size) for size in sizes]


@settings(max_examples=80, deadline=None)
@given(
    legs=leg_sets(),
    spot=st.integers(10**15, 10**22),
    down=st.integers(10**16, 9 * 10**17),
    up=st.integers(10**16, 10**18),
)
def test_requirement__any_scenario_values__matches_reference(margin, legs, spot, down, up):
    spots = [spot * (WAD - down) // WAD, spot, spot * (WAD + up) // WAD]
    got = margin.requirement(scenarios(legs), spots, spot, params_tuple(P))
    assert tuple(got) == reference_requirement(legs, spots, spot)


GRID = [1800 * WAD, 2000 * WAD, 2200 * WAD]


def test_requirement__all_long__capped_at_value(margin):
    values = [0] * 6  # worth nothing in every scenario: the bound is the whole mark
    legs = [(2 * WAD, 50 * WAD, 2000 * WAD, True, values, [0] * 6)]
    mm, im = margin.requirement(scenarios(legs), GRID, 2000 * WAD, params_tuple(P))
    assert (mm, im) == (100 * WAD, 100 * WAD)


def test_requirement__settled_leg__no_scenario_risk(margin):
    values = [10**30] * 6  # would be a huge loss for a short if it were live
    legs = [(-WAD, 300 * WAD, 2000 * WAD, False, values, [0] * 6)]
    mm, _ = margin.requirement(scenarios(legs), GRID, 2000 * WAD, params_tuple(P))
    assert mm == P["min_short_margin"] * 2000  # only the short floor


def test_requirement__long_straddle_center__tangents_meet_inside(margin):
    """A long leg whose value dips between grid spots: the bound is taken where its
    tangents meet, not only at the grid spots."""
    # V(x) = |x - 2000| / 2 + 10 sampled at the grid (values 110, 10, 110; slopes -1/2, ~0, 1/2)
    values = [110 * WAD, 10 * WAD, 110 * WAD] * 2
    deltas = [-(WAD // 2), 0, WAD // 2] * 2
    legs = [(WAD, 110 * WAD, 2000 * WAD, True, values, deltas)]
    mm, _ = margin.requirement(scenarios(legs), GRID, 2000 * WAD, params_tuple(P))
    # tangents at 1800 and 2000 meet at 1800 + 200 = 2000 (value 10): the loss is 100
    assert 100 * WAD <= mm <= 100 * WAD + 10**16
    assert mm == reference_requirement(legs, GRID, 2000 * WAD)[0]


@settings(max_examples=60, deadline=None)
@given(
    mm=st.integers(min_value=10**15, max_value=10**24),
    shortfall=st.integers(min_value=1, max_value=10**6),
    buffer=st.integers(min_value=0, max_value=10**13),
)
def test_liquidation_fraction__unhealthy__smallest_f_restoring_im(margin, mm, shortfall, buffer):
    im = mm * P["im_factor"] // WAD
    k = P["liquidation_reward"] + P["insurance_fee"]
    equity = mm - mm * shortfall // 10**6  # somewhere in (0, MM)
    f = margin.liquidation_fraction(equity, im, mm, k, buffer)
    if f >= WAD:
        # whole vault: even closing everything but dust cannot restore IM
        assert equity - k * mm // WAD < buffer + 1 or equity <= k * mm // WAD
        return

    base = mm * k // WAD  # the penalty per unit of fraction, as the contract rounds it

    def rest_ok(frac):
        # E - frac * k * MM >= (1 - frac) * IM + buffer, exactly (frac in WAD)
        return (
            Fraction(equity) - Fraction(frac * base, WAD)
            >= Fraction((WAD - frac) * im, WAD) + buffer
        )

    assert rest_ok(f)
    assert f == 0 or not rest_ok(f - 1)  # the smallest such fraction


def test_liquidation_fraction__negative_equity__whole_vault(margin):
    assert margin.liquidation_fraction(-1, 125 * WAD, 100 * WAD, WAD // 10, 0) == WAD


def test_liquidation_fraction__equity_at_im__nothing(margin):
    assert margin.liquidation_fraction(125 * WAD, 125 * WAD, 100 * WAD, WAD // 10, 0) == 0
