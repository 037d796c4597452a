"""`black_scholes._price_and_greeks` against the 50-digit mpmath reference, and its laws,
on the pre-extension ("core") domain; the total domain is in test_total_domain.py."""

import boa
import mpmath as mp
import pytest
from bs_strategies import (
    WAD,
    YEAR,
    examples,
    near_forward_spot,
    options,
    rates,
    spots,
    strikes_for,
    taus,
    total_options,
)
from hypothesis import example, given
from hypothesis import strategies as st

from ringfence import bs_reference as ref

PRICE_TOL = ref.TOLERANCES["price"]


def _assert_matches_reference(black_scholes, args):
    outputs = black_scholes.price_and_greeks(*args)
    errors = ref.normalised_errors(args[1], args[2], outputs, ref.price_and_greeks(*args))
    for name, error in errors.items():
        assert error <= ref.TOLERANCES[name], (name, error, args, outputs)
    return outputs


def _discounted_strike_wei(strike: int, tau: int, rate: int) -> mp.mpf:
    """K e^{-r tau} in wei at 50 digits; exactly `strike` when r tau == 0."""
    with mp.workdps(ref.DIGITS):
        return mp.mpf(strike) * mp.exp(-(mp.mpf(rate) * tau) / (WAD * YEAR))


def _price_tolerance_wei(spot: int, strike: int) -> int:
    return int(PRICE_TOL * max(spot, strike)) + ref.WEI_ALLOWANCE


# ------------------------------------------------------------------ textbook values


def test_price_and_greeks__hull_example__call_476_put_081(black_scholes):
    # Hull, Options, Futures and Other Derivatives: S=42, K=40, r=10%, sigma=20%, T=0.5.
    args = (42 * WAD, 40 * WAD, YEAR // 2, WAD // 5, WAD // 10)
    call = black_scholes.price_and_greeks(True, *args)
    put = black_scholes.price_and_greeks(False, *args)
    assert round(call[0] / WAD, 2) == 4.76
    assert round(put[0] / WAD, 2) == 0.81
    assert round(call[1] / WAD, 4) == 0.7791
    assert round(put[1] / WAD, 4) == -0.2209
    assert call[2:4] == put[2:4]


# ------------------------------------------------------------------ differential


@given(args=options())
@examples(1_200)
# Domain corners: 1-second expiry, vol 1e-6 and 10.0, strike/spot 1/100 and 100.
@example(args=(True, 10**12, 10**14, 1, 10**12, 10**18))
@example(args=(False, 10**30, 10**28, 1, 10**12, -(10**17)))
@example(args=(True, 10**30, 10**28, 10 * YEAR, 10 * WAD, 10**18))
@example(args=(False, 10**12, 10**14, 10 * YEAR, 10 * WAD, -(10**17)))
@example(args=(True, WAD, 100 * WAD, 1, 10 * WAD, 0))
@example(args=(False, 100 * WAD, WAD, 1, 10 * WAD, 0))
# |d1| far above 40 (tails must be exactly 0 / 1 without reverting).
@example(args=(True, 10**30, 10**28, 1, 1, 0))
@example(args=(False, 10**30, 10**28, 1, 1, 0))
@example(args=(True, 10**28, 10**30, 1, 1, 10**18))
# At the money and at the money-forward with the smallest vol and expiry.
@example(args=(True, WAD, WAD, 1, 1, 0))
@example(args=(False, 10**30, 10**30, 1, 1, 10**18))
@example(args=(True, 10**30, 10**30 - 1, 1, 10**12, 0))
# tau == 0 and vol == 0 edges.
@example(args=(True, WAD, WAD, 0, WAD, 10**18))
@example(args=(False, 42 * WAD, 40 * WAD, YEAR, 0, 10**17))
@example(args=(True, 42 * WAD, 40 * WAD, YEAR, 0, -(10**17)))
def test_price_and_greeks__whole_domain__matches_mpmath_reference(black_scholes, args):
    _assert_matches_reference(black_scholes, args)


@given(data=st.data())
@examples(150)
def test_price_and_greeks__near_forward_tiny_vol__matches_mpmath_reference(black_scholes, data):
    # The worst-conditioned corner: S close to K e^{-r tau}, sigma sqrt(tau) tiny, so d1
    # depends on ln(S/K) + r tau at the 1e-30 level.
    strike = data.draw(st.integers(10**12, 10**30))
    tau = data.draw(st.sampled_from([1, 60, 3_600, YEAR]))
    vol = data.draw(st.sampled_from([1, 10**6, 10**12, 10**15]))
    rate = data.draw(rates)
    spot = near_forward_spot(strike, tau, vol, rate, data.draw(st.floats(-4.0, 4.0)))
    spot = min(max(spot, 10**12), 10**30)
    _assert_matches_reference(
        black_scholes, (data.draw(st.booleans()), spot, strike, tau, vol, rate)
    )


# ------------------------------------------------------------------ laws


@given(args=total_options(is_call=st.just(True)))
@examples(300)
def test_price_and_greeks__call_and_put__satisfy_parity(black_scholes, args):
    _, spot, strike, tau, vol, rate = args
    call = black_scholes.price_and_greeks(True, spot, strike, tau, vol, rate)
    put = black_scholes.price_and_greeks(False, spot, strike, tau, vol, rate)
    with mp.workdps(ref.DIGITS):
        kd = _discounted_strike_wei(strike, tau, rate)
        # C - P = S - K e^{-r tau}
        parity = mp.mpf(call[0] - put[0]) - (spot - kd)
        theta_gap = mp.mpf(call[4] - put[4]) + mp.mpf(rate) / WAD * kd
    assert abs(parity) <= 2 * _price_tolerance_wei(spot, strike)
    # Delta_C - Delta_P = 1 (each rounded once); same gamma and vega.
    assert abs(call[1] - put[1] - WAD) <= 1
    assert call[2:4] == put[2:4]
    # Theta_C - Theta_P = -r K e^{-r tau}
    assert abs(theta_gap) <= 2e-12 * max(spot, strike) + 4


@given(args=options())
@examples(200)
def test_price_and_greeks__any_input__respects_no_arbitrage_bounds(black_scholes, args):
    is_call, spot, strike, tau, vol, rate = args
    price, delta, gamma, vega, _ = black_scholes.price_and_greeks(*args)
    assert gamma >= 0
    assert vega >= 0
    if is_call:
        assert 0 <= price <= spot
        assert 0 <= delta <= WAD
    else:
        with mp.workdps(ref.DIGITS):
            assert 0 <= price <= _discounted_strike_wei(strike, tau, rate) + 2
        assert -WAD <= delta <= 0


@given(args=options(vols=st.integers(0, 10 * WAD - 1)), bump=st.integers(1, 10 * WAD))
@examples(200)
def test_price_and_greeks__higher_vol__price_not_lower(black_scholes, args, bump):
    is_call, spot, strike, tau, vol, rate = args
    higher = min(vol + bump, 10 * WAD)
    low = black_scholes.price_and_greeks(is_call, spot, strike, tau, vol, rate)[0]
    high = black_scholes.price_and_greeks(is_call, spot, strike, tau, higher, rate)[0]
    # Monotone up to the accuracy of the library (docs/math.md).
    assert high >= low - 2 * _price_tolerance_wei(spot, strike)


@given(args=options(is_call=st.just(True)), data=st.data())
@examples(200)
def test_price_and_greeks__higher_strike__call_not_higher(black_scholes, args, data):
    _, spot, strike, tau, vol, rate = args
    other = data.draw(strikes_for(spot))
    low_k, high_k = sorted((strike, other))
    at_low = black_scholes.price_and_greeks(True, spot, low_k, tau, vol, rate)[0]
    at_high = black_scholes.price_and_greeks(True, spot, high_k, tau, vol, rate)[0]
    assert at_high <= at_low + 2 * _price_tolerance_wei(spot, high_k)


# ------------------------------------------------------------------ tau == 0, vol == 0


@pytest.mark.parametrize("dead", ["tau", "vol"])
@pytest.mark.parametrize(
    "is_call, spot, strike, price, delta",
    [
        (True, 42 * WAD, 40 * WAD, 2 * WAD, WAD),
        (True, 40 * WAD, 42 * WAD, 0, 0),
        (False, 40 * WAD, 42 * WAD, 2 * WAD, -WAD),
        (False, 42 * WAD, 40 * WAD, 0, 0),
        (True, 40 * WAD, 40 * WAD, 0, WAD // 2),
        (False, 40 * WAD, 40 * WAD, 0, -WAD // 2),
    ],
)
def test_price_and_greeks__no_time_value_zero_rate__intrinsic_step_delta(
    black_scholes, dead, is_call, spot, strike, price, delta
):
    tau, vol = (0, WAD) if dead == "tau" else (YEAR, 0)
    assert black_scholes.price_and_greeks(is_call, spot, strike, tau, vol, 0) == (
        price,
        delta,
        0,
        0,
        0,
    )


@given(
    is_call=st.booleans(),
    spot=spots,
    data=st.data(),
    tau=taus,
    rate=rates,
)
@examples(150)
def test_price_and_greeks__zero_vol__discounted_forward_intrinsic(
    black_scholes, is_call, spot, data, tau, rate
):
    strike = data.draw(strikes_for(spot))
    args = (is_call, spot, strike, tau, 0, rate)
    price, delta, gamma, vega, theta = _assert_matches_reference(black_scholes, args)
    assert gamma == 0 and vega == 0
    with mp.workdps(ref.DIGITS):
        kd = _discounted_strike_wei(strike, tau, rate)
        itm = spot > kd if is_call else kd > spot
        step = WAD if itm else (WAD // 2 if spot == kd else 0)
    assert delta == (step if is_call else -step)
    assert price == 0 or itm


def test_price_and_greeks__expired_at_the_money__half_delta_half_carry(black_scholes):
    out = black_scholes.price_and_greeks(True, WAD, WAD, 0, 0, WAD // 10)
    assert out == (0, WAD // 2, 0, 0, -(WAD // 20))


# ------------------------------------------------------------------ domain


@pytest.mark.parametrize(
    "spot, strike, tau, vol, rate, message",
    [
        (0, 10**12, 1, WAD, 0, "black_scholes: spot out of range"),
        (10**30 + 1, 10**30, 1, WAD, 0, "black_scholes: spot out of range"),
        (WAD, 0, 1, WAD, 0, "black_scholes: strike out of range"),
        (WAD, 10**30 + 1, 1, WAD, 0, "black_scholes: strike out of range"),
        (WAD, WAD, 10 * YEAR + 1, WAD, 0, "black_scholes: tau out of range"),
        (WAD, WAD, 1, WAD, -(10**17) - 1, "black_scholes: rate out of range"),
        (WAD, WAD, 1, WAD, 10**18 + 1, "black_scholes: rate out of range"),
    ],
)
@pytest.mark.parametrize("is_call", [True, False], ids=["call", "put"])
def test_price_and_greeks__outside_domain__reverts_with_message(
    black_scholes, is_call, spot, strike, tau, vol, rate, message
):
    assert ref.domain_error(spot, strike, tau, vol, rate) == message
    with boa.reverts(message):
        black_scholes.price_and_greeks(is_call, spot, strike, tau, vol, rate)
    with boa.reverts(message):
        black_scholes.price_and_greeks_gas(is_call, spot, strike, tau, vol, rate)


@pytest.mark.parametrize("is_call", [True, False], ids=["call", "put"])
def test_price_and_greeks__domain_boundaries__do_not_revert(black_scholes, is_call):
    for args in [
        (10**12, 10**14, 10 * YEAR, 10 * WAD, 10**18),
        (10**30, 10**28, 0, 0, -(10**17)),
        (100 * WAD, WAD, 1, 1, 10**18),
        (WAD, 100 * WAD, 1, 10 * WAD, -(10**17)),
    ]:
        _assert_matches_reference(black_scholes, (is_call, *args))


# ------------------------------------------------------------------ gas


GAS_POINTS = [
    (is_call, spot, spot * num // den, tau, vol, rate)
    for is_call in (True, False)
    for spot in (10**12, 42 * WAD, 10**30)
    for num, den in ((1, 100), (9, 10), (1, 1), (11, 10), (100, 1))
    for tau, vol in ((1, 10 * WAD), (86_400, WAD // 2), (YEAR, WAD // 5), (10 * YEAR, 10**12))
    for rate in (-(10**17), 5 * 10**16)
    if 10**12 <= spot * num // den <= 10**30
]


def test_price_and_greeks_gas__live_grid__within_budget(black_scholes):
    gas = sorted(black_scholes.price_and_greeks_gas(*args) for args in GAS_POINTS)
    assert gas[len(gas) // 2] <= 6_000
    assert gas[-1] <= 8_000


def test_price_and_greeks_gas__measures_the_internal_call_only(black_scholes):
    args = (True, 42 * WAD, 40 * WAD, YEAR // 2, WAD // 5, WAD // 10)
    inner = black_scholes.price_and_greeks_gas(*args)
    black_scholes.price_and_greeks(*args)
    total = black_scholes._computation.get_gas_used()
    assert 1_000 < inner < total


@pytest.mark.parametrize(
    "spot, strike, rate",
    [(10**30, 10**28, 0), (10**28, 10**30, 10**18), (10**12, 10**14, -(10**17))],
    ids=["deep_itm_call", "deep_otm_call", "deep_otm_call_small"],
)
def test_price_and_greeks__abs_d1_above_40__tails_exactly_0_or_1(black_scholes, spot, strike, rate):
    tau, vol = 1, 10**12  # d1 of order 1e5..1e9
    call = black_scholes.price_and_greeks(True, spot, strike, tau, vol, rate)
    put = black_scholes.price_and_greeks(False, spot, strike, tau, vol, rate)
    itm = spot > strike
    assert call[1] == (WAD if itm else 0)
    assert put[1] == (0 if itm else -WAD)
    assert call[2:4] == put[2:4] == (0, 0)
    assert (call[0] == 0) != itm
    assert (put[0] == 0) == itm
    _assert_matches_reference(black_scholes, (True, spot, strike, tau, vol, rate))
    _assert_matches_reference(black_scholes, (False, spot, strike, tau, vol, rate))


@pytest.mark.parametrize("rate, call_delta", [(1, WAD), (-1, 0)], ids=["carry_up", "carry_down"])
def test_price_and_greeks__spot_equals_strike_tiny_carry__side_from_exact_sign(
    black_scholes, rate, call_delta
):
    # Regression: with S == K, r = +-1 wei and tau = 1 s, K e^{-r tau} differs from S by
    # 3e-26 relative, below the 1e27 money scale; the side must come from the sign of
    # ln(S/K) + r tau, not from the rounded S - K e^{-r tau} (which reads "at the money").
    call = black_scholes.price_and_greeks(True, 10**12, 10**12, 1, 0, rate)
    put = black_scholes.price_and_greeks(False, 10**12, 10**12, 1, 0, rate)
    assert call[1] == call_delta
    assert put[1] == call_delta - WAD
