"""Arbitrage-free surfaces (docs/oracle.md, "Arbitrage-free surfaces"): the butterfly
attack of issue 16 (a smile with C(1.1 F) < C(1.2 F)) and a calendar-violating pair are
rejected with the named reason; flat, skewed and steep-but-Lee smiles still pass; the
contract's decision agrees with a float reference of g(k) away from the boundary."""

from __future__ import annotations

import math

import boa
import mpmath
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from oracle_helpers import ETH, ETH_SPOT, WAD, YEAR, gov, surface_report
from scipy.stats import norm

from oracle import svi_arbitrage as arb
from ringfence.oracle_types import Report
from ringfence.risk_table import surface_checker_deployer

# Issue 16's attack shape: the total variance leaps between 1.1 F and 1.2 F (b (1 + rho)
# = 1.99, inside Lee's bound), so the call at 1.2 F is worth more than the call at 1.1 F.
ATTACK = {"a": WAD // 1_000, "b": WAD, "rho": 99 * WAD // 100, "m": WAD // 10, "sigma": WAD // 100}
SKEW = {"a": WAD // 200, "b": WAD // 10, "rho": -4 * WAD // 10, "m": WAD // 20, "sigma": WAD // 5}
# b (1 + |rho|) = 1.95, just inside Lee's bound, on a high-variance smile (ATM vol ~6.3).
STEEP = {"a": 2 * WAD, "b": 13 * WAD // 10, "rho": -5 * WAD // 10, "m": 0, "sigma": WAD}
STEEPISH = {
    "a": WAD // 20,
    "b": 6 * WAD // 10,
    "rho": -6 * WAD // 10,
    "m": 0,
    "sigma": 3 * WAD // 10,
}


def _w(params: dict, k: float) -> float:
    a, b, rho, m, sigma = (params[x] / WAD for x in ("a", "b", "rho", "m", "sigma"))
    return a + b * (rho * (k - m) + math.sqrt((k - m) ** 2 + sigma**2))


def _call(forward: float, strike: float, w: float) -> float:
    """Undiscounted Black call on total variance w."""
    s = math.sqrt(w)
    d1 = (math.log(forward / strike) + w / 2) / s
    return forward * norm.cdf(d1) - strike * norm.cdf(d1 - s)


@pytest.fixture(scope="module")
def checker():
    return surface_checker_deployer().deploy()


def test_attack__call_spread_below_zero__rejected_as_butterfly(relay, pusher, expiries):
    f = ETH_SPOT / WAD
    low, high = (
        _call(f, 1.1 * f, _w(ATTACK, math.log(1.1))),
        _call(f, 1.2 * f, _w(ATTACK, math.log(1.2))),
    )
    assert low < high  # the arbitrage: buy C(1.2 F), sell C(1.1 F), collect, never pay
    report = surface_report(expiries[0], **ATTACK)
    assert relay.rejects(report, pusher) == "svi butterfly arbitrage"


def test_wing_beyond_lee__rejected_as_wing_slope(relay, pusher, expiries):
    # b (1 + |rho|) = 1.5 * 1.5 = 2.25 > 2
    report = surface_report(expiries[0], a=WAD // 10, b=15 * WAD // 10, rho=WAD // 2, sigma=WAD)
    assert relay.rejects(report, pusher) == "svi wing slope"


def test_wing_exactly_at_lee__not_refused_for_slope(checker):
    # b (1 + |rho|) = 2 exactly passes; one wei more is refused.
    assert checker.check(2 * WAD, 2 * WAD, 0, 0, WAD) == ""
    assert checker.check(2 * WAD, 2 * WAD + 1, 0, 0, WAD) == "svi wing slope"


@pytest.mark.parametrize(
    "params",
    [{}, SKEW, STEEPISH, STEEP],
    ids=["flat", "eth skew", "steep skew", "steep wings at 1.95"],
)
def test_fine_smiles__accepted(relay, pusher, expiries, params):
    report = surface_report(expiries[0], **params)
    assert relay.submit((report, pusher)) == (1, [])


def test_calendar__shorter_above_longer__rejected_and_surface_kept(oracle, relay, pusher, expiries):
    near, far = expiries
    relay.submit((surface_report(far, vol=50 * 10**16), pusher))
    # 100 % over 30 days is more total variance than 50 % over 90 days.
    accepted, reasons = relay.submit((surface_report(near, vol=WAD), pusher))
    assert (accepted, reasons) == (1, ["svi calendar arbitrage"])
    assert oracle.surface(ETH, near).observed_at == 0  # not adopted
    # The same level is fine below a longer expiry that carries more variance.
    boa.env.time_travel(seconds=10)
    relay.submit((surface_report(far, vol=69 * 10**16), pusher))  # within the vol breaker
    boa.env.time_travel(seconds=10)
    assert relay.submit((surface_report(near, vol=WAD), pusher)) == (1, [])


def test_calendar__longer_below_shorter__rejected(oracle, relay, pusher, expiries):
    near, far = expiries
    relay.submit((surface_report(near, vol=80 * 10**16), pusher))
    accepted, reasons = relay.submit((surface_report(far, vol=40 * 10**16), pusher))
    assert (accepted, reasons) == (1, ["svi calendar arbitrage"])
    assert oracle.surface(ETH, far).observed_at == 0


def test_calendar__one_batch_both_expiries__stored_pair_consistent(oracle, relay, pusher, expiries):
    near, far = expiries
    relay.submit(
        (surface_report(near, vol=60 * 10**16), pusher),
        (surface_report(far, vol=60 * 10**16), pusher),
    )
    boa.env.time_travel(seconds=10)
    # Each new smile is fine against the other's old one, not against the other's new one.
    accepted, reasons = relay.submit(
        (surface_report(near, vol=75 * 10**16), pusher),
        (surface_report(far, vol=42 * 10**16), pusher),
    )
    assert reasons == ["svi calendar arbitrage"]
    n, f = oracle.surface(ETH, near), oracle.surface(ETH, far)
    t = boa.env.evm.patch.timestamp
    for k in arb.K_GRID:
        wn = n.a * (near - t) / (near - n.svi_observed_at)
        wf = f.a * (far - t) / (far - f.svi_observed_at)
        assert wn <= wf, k


def test_calendar__time_normalisation__tau_now_over_tau_observed(checker):
    # Equal w: each smile's variance brought to now is w tau_now / tau_observed, so the
    # pair is calendar-free exactly when near_now / near_obs <= far_now / far_obs.
    # Smile = (a, b, rho, m, sigma, tau_observed, tau_now).
    s = (WAD // 10, 0, 0, 0, WAD)
    assert checker.check_calendar(s + (100, 100), s + (200, 200)) == ""
    assert checker.check_calendar(s + (100, 100), s + (201, 200)) == "svi calendar arbitrage"
    assert checker.check_calendar(s + (100, 99), s + (201, 200)) == ""
    assert checker.check_calendar(s + (100, 0), s + (200, 200)) == "svi calendar input"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(
    a=st.floats(-0.2, 0.5),
    b=st.floats(0.0, 1.5),
    rho=st.floats(-0.95, 0.95),
    m=st.floats(-0.5, 0.5),
    sigma=st.floats(0.01, 1.0),
)
def test_reference__float_g_on_grid__agrees_with_contract(checker, a, b, rho, m, sigma):
    args = [int(x * WAD) for x in (a, b, rho, m, sigma)]
    assume(arb.wad_sanity(*args) == "" and b * (1 + abs(rho)) <= 1.99)
    a, b, rho, m, sigma = (x / WAD for x in args)
    g = arb.min_density(a, b, rho, m, sigma)
    # The contract asks g >= G_MARGIN (0.002) at every grid point; compare away from it.
    assume(abs(g - arb.G_MARGIN) > 1e-6)
    got = checker.check(*args)
    if g > arb.G_MARGIN:
        assert got == ""
    else:
        assert got in ("svi zero variance", "svi butterfly arbitrage")
    assert got == arb.wad_check(*args)  # the pusher's replica is exact


@settings(max_examples=200, deadline=None)
@given(
    k=st.integers(-arb.K_MAX, arb.K_MAX),
    a=st.integers(-WAD, WAD),
    b=st.integers(0, 2 * WAD),
    rho=st.integers(-(WAD - 1), WAD - 1),
    m=st.integers(-10 * WAD, 10 * WAD),
    sigma=st.integers(1, 10 * WAD),
)
def test_rounding__bounds_enclose_exact_w_slope_curvature(k, a, b, rho, m, sigma):
    """The intervals the density test works on contain the exact values (60 digits), so
    every bound it combines is on the safe side."""
    mpmath.mp.dps = 60
    w_lo, w_hi, p_lo, p_hi, q_lo = arb.wad_point_bounds(k, a, b, rho, m, sigma)
    # In WAD units throughout (integers are exact at 60 digits): w, w', w'' times WAD.
    d = k - m
    root = mpmath.sqrt(mpmath.mpf(d * d + sigma * sigma))
    w = a + b * (rho * d + WAD * root) / WAD**2
    slope = b * (rho + WAD * d / root) / WAD
    curvature = WAD * b * sigma**2 / root**3
    assert w_lo <= w <= w_hi
    assert p_lo <= slope <= p_hi
    assert 0 <= q_lo <= curvature


def _stored_pairs_calendar_free(oracle, expiries) -> bool:
    """Every adjacent pair of fresh stored surfaces passes the calendar test now."""
    t = boa.env.evm.patch.timestamp
    fresh = []
    for e in sorted(expiries):
        s = oracle.surface(ETH, e)
        if s.observed_at != 0 and t - s.observed_at <= 3_600 and e > t:
            fresh.append((e, (s.a, s.b, s.rho, s.m, s.sigma), e - s.svi_observed_at, e - t))
    return all(
        arb.wad_calendar(n[1], n[3], n[2], f[1], f[3], f[2])
        for n, f in zip(fresh, fresh[1:], strict=False)
    )


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    batches=st.lists(
        st.tuples(
            st.lists(
                st.tuples(st.integers(0, 2), st.integers(30, 120), st.integers(0, 3)),
                min_size=1,
                max_size=4,
            ),
            st.sampled_from([0, 0, 1, 600]),
        ),
        min_size=1,
        max_size=5,
    )
)
def test_fuzz__many_updates_one_block__stored_surfaces_stay_calendar_free(
    oracle, relay, pusher, governance, expiries, batches
):
    """Batches of surface reports over three expiries (any order, levels and skews, several
    batches in one block): after every batch the stored term structure is calendar-free."""
    third = expiries[1] + 60 * 86_400
    with boa.env.anchor():
        with boa.env.prank(governance):
            gov(oracle).list_expiry(ETH, third)
        listed = (expiries[0], expiries[1], third)
        for reports, pause in batches:
            boa.env.time_travel(seconds=pause)
            t = boa.env.evm.patch.timestamp
            pairs = []
            for index, vol_pct, skew in reports:
                e = listed[index]
                a = (vol_pct * 10**16) ** 2 // WAD * (e - t) // YEAR
                shape = {"b": skew * WAD // 20, "rho": -3 * WAD // 10, "sigma": WAD // 5}
                pairs.append((Report(ETH, e, ETH_SPOT, a=a, observed_at=t, **shape), pusher))
            relay.submit(*pairs)
            assert _stored_pairs_calendar_free(oracle, listed)


def test_calendar__quorum_two__median_smile_checked_and_signer_named(
    oracle, relay, governance, register, expiries
):
    """With several signers the stored smile is the median report; the calendar test runs
    on that one, and the event names its signer."""
    near, far = expiries
    first, second = register(2)
    with boa.env.prank(governance):
        gov(oracle).set_quorum(2)
    relay.submit(
        (surface_report(far, vol=50 * 10**16), first),
        (surface_report(far, vol=52 * 10**16), second),
    )
    assert oracle.surface(ETH, far).observed_at != 0
    accepted, reasons = relay.submit(
        (surface_report(near, vol=WAD), first), (surface_report(near, vol=98 * 10**16), second)
    )
    assert (accepted, reasons) == (2, ["svi calendar arbitrage"])
    rejected = [log for log in oracle.get_logs() if type(log).__name__ == "ReportRejected"]
    # upper median of two: the higher ATM vol, first's 100 % smile
    assert rejected[0].signer == first.address
    assert oracle.surface(ETH, near).observed_at == 0


def _calendar_free_term_structure(relay, pusher, near, far):
    """80 % over 30 days below 50 % over 90 days in total variance; then 10 s pass."""
    relay.submit((surface_report(near, vol=80 * 10**16), pusher))
    relay.submit((surface_report(far, vol=50 * 10**16), pusher))
    boa.env.time_travel(seconds=10)


def test_calendar__batch_order__cannot_stall_a_rising_near_expiry(oracle, relay, pusher, expiries):
    """Short-dated vol rises and the pusher lifts the far smile in the same batch, near
    expiry first: the near smile failed against the far one's *old* surface and was
    refused every cycle, until the near expiry went stale (attack review, a7). A smile
    refused for calendar is now retried after the rest of the batch."""
    near, far = expiries
    _calendar_free_term_structure(relay, pusher, near, far)
    # 95 % over 30 days is more variance than 50 % over 90 days, less than 55 % over 90 days
    accepted, reasons = relay.submit(
        (surface_report(near, vol=95 * 10**16), pusher),
        (surface_report(far, vol=55 * 10**16), pusher),
    )
    assert (accepted, reasons) == (2, [])
    assert abs(oracle.atm_vol(ETH, near) - 95 * 10**16) < 10**9
    assert abs(oracle.atm_vol(ETH, far) - 55 * 10**16) < 10**9


def test_calendar__retry__still_refuses_a_smile_that_fits_no_neighbour(
    oracle, relay, pusher, expiries
):
    near, far = expiries
    _calendar_free_term_structure(relay, pusher, near, far)
    accepted, reasons = relay.submit(
        (surface_report(near, vol=95 * 10**16), pusher),
        (surface_report(far, vol=51 * 10**16), pusher),  # still below the new near smile
    )
    assert (accepted, reasons) == (2, ["svi calendar arbitrage"])
    assert abs(oracle.atm_vol(ETH, near) - 80 * 10**16) < 10**9


def test_calendar__lone_near_report_relayed_first__adopted_with_the_pusher_batch(
    oracle, relay, pusher, expiries
):
    """The attack review's relay: the signer's new near smile sent alone first is refused
    (the far smile is still the old one); the pusher's own copy in its batch is then a
    duplicate, `timestamp not newer`, yet its key is re-aggregated with the batch's new
    far smile, so the near expiry does not stall."""
    near, far = expiries
    _calendar_free_term_structure(relay, pusher, near, far)
    near_report = surface_report(near, vol=95 * 10**16)
    assert relay.submit((near_report, pusher)) == (1, ["svi calendar arbitrage"])
    accepted, reasons = relay.submit(
        (near_report, pusher), (surface_report(far, vol=55 * 10**16), pusher)
    )
    assert (accepted, reasons) == (1, ["timestamp not newer"])
    assert abs(oracle.atm_vol(ETH, near) - 95 * 10**16) < 10**9
    assert abs(oracle.atm_vol(ETH, far) - 55 * 10**16) < 10**9
