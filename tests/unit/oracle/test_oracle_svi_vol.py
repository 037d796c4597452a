"""`vol(u, K, T)` evaluates the stored raw-SVI smile on-chain: compared with an mpmath
reference (flat smile exact, skewed smiles within 1e-14 relative)."""

from math import isqrt

import boa
import mpmath
import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st
from oracle_helpers import ETH, ETH_SPOT, WAD, YEAR, now, surface_report

from oracle.svi_arbitrage import wad_check

mpmath.mp.dps = 60


def reference_vol(strike, forward, tau, a, b, rho, m, sigma) -> mpmath.mpf:
    """sqrt(w(ln(K/F)) / (tau / year)) in WAD, at 60 significant digits."""
    k = mpmath.log(mpmath.mpf(strike) / forward)
    a, b, rho, m, sigma = (mpmath.mpf(x) / WAD for x in (a, b, rho, m, sigma))
    w = a + b * (rho * (k - m) + mpmath.sqrt((k - m) ** 2 + sigma**2))
    return mpmath.sqrt(w / (mpmath.mpf(tau) / YEAR)) * WAD


def _assert_close(actual: int, expected: mpmath.mpf):
    assert abs(actual - expected) <= expected * mpmath.mpf("1e-14") + 4, (actual, expected)


@pytest.mark.parametrize("strike_pct", [1, 50, 90, 100, 110, 200, 10_000])
def test_vol__flat_smile__exact_at_every_strike(oracle, relay, pusher, expiries, strike_pct):
    report = surface_report(expiries[0])
    relay.submit((report, pusher))
    tau = expiries[0] - report.observed_at
    strike = ETH_SPOT * strike_pct // 100
    assert oracle.vol(ETH, strike, expiries[0]) == isqrt(report.a * YEAR * WAD // tau)


def test_vol__flat_smile__equals_reported_vol_to_a_few_wei(oracle, relay, pusher, expiries):
    relay.submit((surface_report(expiries[1], vol=55 * 10**16), pusher))
    assert abs(oracle.vol(ETH, ETH_SPOT, expiries[1]) - 55 * 10**16) < 10**3


SKEW = {"a": WAD // 200, "b": WAD // 10, "rho": -4 * WAD // 10, "m": WAD // 20, "sigma": WAD // 5}


@pytest.mark.parametrize("strike_pct", [5, 30, 70, 95, 100, 105, 130, 300, 2_000])
def test_vol__skewed_smile__matches_reference(oracle, relay, pusher, expiries, strike_pct):
    report = surface_report(expiries[0], **SKEW)
    relay.submit((report, pusher))
    strike = ETH_SPOT * strike_pct // 100
    expected = reference_vol(strike, ETH_SPOT, expiries[0] - report.observed_at, **SKEW)
    _assert_close(oracle.vol(ETH, strike, expiries[0]), expected)


def test_vol__skewed_smile__put_wing_above_call_wing(oracle, relay, pusher, expiries):
    relay.submit((surface_report(expiries[0], **SKEW), pusher))
    put_wing = oracle.vol(ETH, ETH_SPOT * 7 // 10, expiries[0])
    call_wing = oracle.vol(ETH, ETH_SPOT * 13 // 10, expiries[0])
    assert put_wing > call_wing


def test_vol__time_passes__uses_tau_at_observation(oracle, relay, pusher, expiries):
    relay.submit((surface_report(expiries[0], **SKEW), pusher))
    before = oracle.vol(ETH, ETH_SPOT * 9 // 10, expiries[0])
    boa.env.time_travel(seconds=1_000)
    assert oracle.vol(ETH, ETH_SPOT * 9 // 10, expiries[0]) == before


def test_atm_vol__skewed_smile__matches_reference_at_forward(oracle, relay, pusher, expiries):
    forward = ETH_SPOT + 7 * WAD
    report = surface_report(expiries[0], forward=forward, **SKEW)
    relay.submit((report, pusher))
    expected = reference_vol(forward, forward, expiries[0] - report.observed_at, **SKEW)
    _assert_close(oracle.atm_vol(ETH, expiries[0]), expected)
    _assert_close(oracle.vol(ETH, forward, expiries[0]), expected)


@settings(
    max_examples=40,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.filter_too_much],
)
@given(
    b=st.integers(0, WAD),
    rho=st.integers(-99 * WAD // 100, 99 * WAD // 100),
    m=st.integers(-WAD, WAD),
    sigma=st.integers(WAD // 100, 2 * WAD),
    floor=st.integers(WAD // 1_000, WAD // 10),
    log_ratio=st.floats(-4.5, 4.5),
)
@example(b=0, rho=0, m=0, sigma=WAD, floor=WAD // 50, log_ratio=0.0)
@example(
    b=WAD // 10, rho=-99 * WAD // 100, m=-WAD, sigma=WAD // 10, floor=WAD // 10, log_ratio=-4.5
)
def test_vol__any_sane_smile_any_strike__matches_reference(
    oracle, relay, pusher, expiries, b, rho, m, sigma, floor, log_ratio
):
    # a chosen so that min w = floor >= 0 (rounded up by one wei so the contract agrees).
    root = isqrt(WAD * WAD - rho * rho)
    a = floor - (b * sigma // WAD * root // WAD)
    params = {"a": a, "b": b, "rho": rho, "m": m, "sigma": sigma}
    # Only arbitrage-free smiles are accepted now (wad_check is the contract's test).
    assume(wad_check(a, b, rho, m, sigma) == "")
    strike = int(ETH_SPOT * mpmath.exp(log_ratio))
    with boa.env.anchor():
        report = surface_report(expiries[1], **params)
        accepted, reasons = relay.submit((report, pusher))
        assert (accepted, reasons) == (1, [])
        expected = reference_vol(strike, ETH_SPOT, expiries[1] - now(), **params)
        actual = oracle.vol(ETH, strike, expiries[1])
    # Near a zero-variance floor w is below 1 wei of resolution and the square root
    # amplifies that; there compare annualised variances (WAD) instead.
    variance_error = abs(mpmath.mpf(actual) ** 2 - expected**2) / WAD
    relative_error = abs(actual - expected) / expected if expected else 0
    assert relative_error <= mpmath.mpf("1e-14") or variance_error <= 1_000, (actual, expected)
