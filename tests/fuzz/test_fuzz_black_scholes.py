"""Differential fuzzing of the fixed-point Black-Scholes module against the mpmath reference.

Part of the campaign (``make fuzz`` / ``make fuzz-long`` run it with the profile's example
budget): ``black_scholes_mock.price_and_greeks`` over the pre-extension domain and over the
total domain (docs/math.md 1.1: any spot and strike in [1, 1e30] wei, any vol), plus the
region the clearing house actually prices (spot 100-100,000, strikes 1,600-2,400, up to 30
days, vol 5 %-500 %) and the adversarial corners, each compared with
``ringfence.bs_reference`` within its documented tolerance; and ``scenario_grid`` (the
margin engine's six-point full revaluation of a leg) over the total domain and any shocks.
"""

import boa
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from ringfence import bs_reference as ref
from ringfence.paths import contract_path

WAD = ref.WAD


@pytest.fixture(scope="module")
def black_scholes():
    return boa.load(str(contract_path("mocks/black_scholes_mock.vy")))


def _budget(n: int) -> settings:
    """`n` examples under the default profiles, the profile's own count under `long`."""
    active = settings()
    if settings._current_profile == "long":
        return settings(active, max_examples=max(n, active.max_examples))
    return settings(active, max_examples=n)


def _assert_matches_reference(black_scholes, args):
    outputs = black_scholes.price_and_greeks(*args)
    errors = ref.normalised_errors(args[1], args[2], outputs, ref.price_and_greeks(*args))
    for name, error in errors.items():
        assert error <= ref.TOLERANCES[name], (name, error, args, outputs)


@st.composite
def domain_inputs(draw):
    """(is_call, spot, strike, tau, vol, rate) anywhere in the pre-extension domain."""
    spot = draw(st.integers(ref.CORE_MIN_PRICE, ref.MAX_PRICE))
    lo = max(ref.CORE_MIN_PRICE, -(-spot // ref.CORE_MAX_MONEYNESS))
    hi = min(ref.MAX_PRICE, spot * ref.CORE_MAX_MONEYNESS)
    return (
        draw(st.booleans()),
        spot,
        draw(st.integers(lo, hi)),
        draw(st.integers(0, ref.MAX_TAU)),
        draw(st.integers(0, ref.CORE_MAX_VOL)),
        draw(st.integers(ref.MIN_RATE, ref.MAX_RATE)),
    )


def _decades(hi_exp: int) -> st.SearchStrategy[int]:
    """Integers in [1, 10**hi_exp) spread evenly over the decades."""
    return st.integers(0, hi_exp - 1).flatmap(lambda e: st.integers(10**e, 10 ** (e + 1) - 1))


@st.composite
def total_domain_inputs(draw):
    """(is_call, spot, strike, tau, vol, rate) anywhere in the total domain."""
    prices = st.one_of(st.integers(ref.MIN_PRICE, ref.MAX_PRICE), _decades(30))
    return (
        draw(st.booleans()),
        draw(prices),
        draw(prices),
        draw(st.integers(0, ref.MAX_TAU)),
        draw(st.one_of(_decades(25), st.integers(0, 2**256 - 1))),
        draw(st.integers(ref.MIN_RATE, ref.MAX_RATE)),
    )


@st.composite
def clearing_house_inputs(draw):
    """The inputs the fuzzed clearing house prices with."""
    return (
        draw(st.booleans()),
        draw(st.integers(100, 100_000)) * WAD,
        draw(st.sampled_from([1600, 1800, 2000, 2200, 2400])) * WAD,
        draw(st.integers(0, 30 * 86_400)),
        draw(st.integers(5 * 10**16, 5 * WAD)),
        draw(st.integers(-(10**17), 2 * 10**17)),
    )


@_budget(40)
@given(args=domain_inputs())
@example(
    args=(True, ref.CORE_MIN_PRICE, ref.CORE_MIN_PRICE * 100, ref.MAX_TAU, 10 * WAD, ref.MAX_RATE)
)
@example(args=(False, ref.MAX_PRICE, ref.MAX_PRICE // 100, 1, 1, ref.MIN_RATE))
@example(args=(True, 2000 * WAD, 2000 * WAD, 0, 0, 0))
def test_price_and_greeks__random_domain_point__matches_mpmath(black_scholes, args):
    _assert_matches_reference(black_scholes, args)


@_budget(40)
@given(args=total_domain_inputs())
@example(args=(True, 1, ref.MAX_PRICE, ref.MAX_TAU, 10**24, ref.MAX_RATE))
@example(args=(False, ref.MAX_PRICE, 1, 1, 2**256 - 1, ref.MIN_RATE))
@example(args=(False, 20 * WAD, 2000 * WAD, 86_400, 3 * WAD, 5 * 10**16))
def test_price_and_greeks__random_total_domain_point__matches_mpmath(black_scholes, args):
    _assert_matches_reference(black_scholes, args)


@_budget(40)
@given(args=clearing_house_inputs())
@example(args=(True, 2000 * WAD, 2000 * WAD, 1, 5 * 10**16, 0))
@example(args=(False, 100 * WAD, 2400 * WAD, 30 * 86_400, 5 * WAD, 2 * 10**17))
def test_price_and_greeks__clearing_house_region__matches_mpmath(black_scholes, args):
    _assert_matches_reference(black_scholes, args)


@_budget(25)
@given(
    leg=total_domain_inputs(),
    spot_up=st.integers(0, ref.MAX_SPOT_UP),
    spot_down=st.integers(0, ref.MAX_SPOT_DOWN),
    vol_down=st.one_of(_decades(25), st.integers(0, 2**256 - 1)),
)
@example(
    leg=(True, 2000 * WAD, 2000 * WAD, 30 * 86_400, 8 * 10**17, 5 * 10**16),
    spot_up=WAD // 5,
    spot_down=WAD // 5,
    vol_down=4 * 10**17,
)
@example(
    leg=(False, 1, ref.MAX_PRICE, ref.MAX_TAU, 10**24, ref.MAX_RATE),
    spot_up=ref.MAX_SPOT_UP,
    spot_down=ref.MAX_SPOT_DOWN,
    vol_down=1,
)
def test_scenario_grid__random_total_domain_leg__matches_mpmath(
    black_scholes, leg, spot_up, spot_down, vol_down
):
    is_call, spot, strike, tau, vol_up, rate = leg
    args = (is_call, spot, strike, tau, rate, spot_up, spot_down, vol_up, vol_down)
    values, deltas = black_scholes.scenario_grid(*args)
    spots = ref.scenario_spots(spot, spot_up, spot_down)
    for i, reference in enumerate(ref.scenario_grid(*args)):
        errors = ref.normalised_errors(spots[i % 3], strike, (values[i], deltas[i]), reference)
        for name, error in errors.items():
            assert error <= ref.TOLERANCES[name], (name, i, error, args)
