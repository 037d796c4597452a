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
    """Solidity/Vyper signed division: truncates toward zero."""
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b > 0) else -q


def reference_requirement(delta, gamma, vega, spot, short_units, long_value, all_long):
    """max over dS in {-hS, 0, hS}, dv in {-v, +v} of -(D dS + G dS^2 / 2 + V dv), floor, cap."""
    ds = spot * P["spot_shock"] // WAD
    worst = 0
    for sign in (-1, 0, 1):
        move = sign * ds
        first = _div(delta * move, WAD)
        second = _div(_div(_div(gamma * ds, WAD) * ds, WAD), 2) if sign else 0
        worst = max(worst, -first - second)
    mm = worst + abs(vega) * P["vol_shock"] // WAD
    mm = max(mm, P["min_short_margin"] * spot // WAD * short_units // WAD)
    im = mm * P["im_factor"] // WAD
    if all_long:
        mm, im = min(mm, long_value), min(im, long_value)
    return mm, im


greek = st.integers(min_value=-(10**22), max_value=10**22)


@settings(max_examples=60, deadline=None)
@given(
    delta=greek,
    gamma=st.integers(min_value=-(10**20), max_value=10**20),
    vega=greek,
    spot=st.integers(min_value=10**15, max_value=10**24),
    short_units=st.integers(min_value=0, max_value=10**22),
    long_value=st.integers(min_value=0, max_value=10**24),
    all_long=st.booleans(),
)
def test_requirement__any_greeks__matches_reference(
    margin, delta, gamma, vega, spot, short_units, long_value, all_long
):
    got = margin.requirement(
        delta, gamma, vega, spot, short_units, long_value, all_long, params_tuple(P)
    )
    assert tuple(got) == reference_requirement(
        delta, gamma, vega, spot, short_units, long_value, all_long
    )


def test_requirement__all_long__capped_at_value(margin):
    mm, im = margin.requirement(
        WAD // 2, 0, 200 * WAD, 2000 * WAD, 0, 50 * WAD, True, params_tuple(P)
    )
    assert (mm, im) == (50 * WAD, 50 * WAD)


def test_requirement__opposite_deltas__net_to_gamma_and_vega_only(margin):
    mm, _ = margin.requirement(0, 0, 0, 2000 * WAD, 0, 0, False, params_tuple(P))
    assert mm == 0


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
