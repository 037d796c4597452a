"""Differential fuzzing of the fixed-point Black-Scholes module against the mpmath reference.

Part of the campaign (``make fuzz`` / ``make fuzz-long`` run it with the profile's example
budget): ``black_scholes_mock.price_and_greeks`` over the whole SPEC 3.1 domain, plus the
region the clearing house actually prices (spot 100-100,000, strikes 1,600-2,400, up to 30
days, vol 5 %-500 %) and the adversarial corners, each compared with
``ringfence.bs_reference`` within its documented tolerance.
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
    """(is_call, spot, strike, tau, vol, rate) anywhere in the SPEC 3.1 domain."""
    spot = draw(st.integers(ref.MIN_PRICE, ref.MAX_PRICE))
    lo = max(ref.MIN_PRICE, -(-spot // ref.MAX_MONEYNESS))
    hi = min(ref.MAX_PRICE, spot * ref.MAX_MONEYNESS)
    return (
        draw(st.booleans()),
        spot,
        draw(st.integers(lo, hi)),
        draw(st.integers(0, ref.MAX_TAU)),
        draw(st.integers(0, ref.MAX_VOL)),
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
@example(args=(True, ref.MIN_PRICE, ref.MIN_PRICE * 100, ref.MAX_TAU, ref.MAX_VOL, ref.MAX_RATE))
@example(args=(False, ref.MAX_PRICE, ref.MAX_PRICE // 100, 1, 1, ref.MIN_RATE))
@example(args=(True, 2000 * WAD, 2000 * WAD, 0, 0, 0))
def test_price_and_greeks__random_domain_point__matches_mpmath(black_scholes, args):
    _assert_matches_reference(black_scholes, args)


@_budget(40)
@given(args=clearing_house_inputs())
@example(args=(True, 2000 * WAD, 2000 * WAD, 1, 5 * 10**16, 0))
@example(args=(False, 100 * WAD, 2400 * WAD, 30 * 86_400, 5 * WAD, 2 * 10**17))
def test_price_and_greeks__clearing_house_region__matches_mpmath(black_scholes, args):
    _assert_matches_reference(black_scholes, args)
