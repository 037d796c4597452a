"""`_price_and_greeks` on its total domain (docs/math.md 1.1): spot and strike in [1, 1e30]
wei at any ratio, any uint256 vol, tau in [0, 10 y].

Outside the old domain (inside it nothing changes: test_old_domain_frozen.py) the results
must match the 50-digit reference, stay continuous across every boundary of the old domain
and respect the no-arbitrage bounds, and nothing the oracle can report reverts.
"""

import math

import mpmath as mp
import pytest
from bs_strategies import WAD, YEAR, examples, near_forward_spot, total_options
from hypothesis import example, given
from hypothesis import strategies as st

from ringfence import bs_reference as ref

MAX = ref.MAX_PRICE
TEN_YEARS = ref.MAX_TAU
# N(-10): the most the tail cut drops from each N(d); |d1| beyond which phi(d1) is 0.
N_MINUS_10 = 7.62e-24
D_EXP_CUT = 160**0.5


def _check(black_scholes, args):
    """The contract's outputs for `args`, asserted against the reference and the bounds."""
    is_call, spot, strike, tau, vol, rate = args
    outputs = black_scholes.price_and_greeks(*args)
    reference = ref.price_and_greeks(*args)
    errors = ref.normalised_errors(spot, strike, outputs, reference)
    for name, error in errors.items():
        assert error <= ref.TOLERANCES[name], (name, error, args, outputs)
    price, delta, gamma, vega, _ = outputs
    assert gamma >= 0 and vega >= 0
    if is_call:
        assert 0 <= price <= spot and 0 <= delta <= WAD
    else:
        # K e^{-r tau} is formed once, within 2e-19 of itself (the exponential).
        with mp.workdps(ref.DIGITS):
            kd = _discounted_strike_wei(strike, tau, rate)
            assert 0 <= price <= kd * (1 + mp.mpf(2e-19)) + 1
        assert -WAD <= delta <= 0
    return outputs


def _discounted_strike_wei(strike: int, tau: int, rate: int) -> mp.mpf:
    with mp.workdps(ref.DIGITS):
        return mp.mpf(strike) * mp.exp(-(mp.mpf(rate) * tau) / (WAD * YEAR))


# ------------------------------------------------------------------ differential


@given(args=total_options())
@examples(1_000)
# Price extremes at extreme ratios: 1 wei against 1e30, both ways.
@example(args=(True, 1, MAX, TEN_YEARS, 10 * WAD, WAD))
@example(args=(False, 1, MAX, TEN_YEARS, 10 * WAD, WAD))
@example(args=(True, MAX, 1, TEN_YEARS, 10 * WAD, -(10**17)))
@example(args=(False, MAX, 1, 1, 1, -(10**17)))
# Wing vols: 1e24 (1e6 = 100,000,000 %), the limit thresholds, the largest uint256.
@example(args=(True, WAD, WAD, 1, 10**24, 0))
@example(args=(False, WAD, WAD, TEN_YEARS, 10**24, WAD))
@example(args=(True, 1, MAX, 1, 10**36 - 1, WAD))
@example(args=(False, MAX, 1, 1, 10**36, 0))
@example(args=(True, MAX, MAX, TEN_YEARS, 2**256 - 1, WAD))
@example(args=(False, 1, 1, 1, 2**256 - 1, -(10**17)))
# A crash: spot -99 % and -99.99 % against an at-the-money strike, a x100 rally.
@example(args=(False, 2_000 * WAD // 100, 2_000 * WAD, 86_400, WAD, 5 * 10**16))
@example(args=(False, 2_000 * WAD // 10_000, 2_000 * WAD, 86_400, 3 * WAD, 5 * 10**16))
@example(args=(True, 200_000 * WAD, 2_000 * WAD - 1, 86_400, WAD, 5 * 10**16))
# Tiny prices inside the ratio limit (below the old 1e12 wei floor).
@example(args=(True, 1, 1, 1, 1, 0))
@example(args=(False, 3, 2, YEAR, 12 * WAD, WAD))
@example(args=(True, 10**12 - 1, 10**12, 60, WAD, 0))
def test_price_and_greeks__total_domain__matches_mpmath_and_bounds(black_scholes, args):
    _check(black_scholes, args)


@given(data=st.data())
@examples(200)
def test_price_and_greeks__wide_ratio_near_forward__matches_mpmath(black_scholes, data):
    # The money-forward S = K e^{-r tau} lies beyond strike/spot = 100 once r tau > ln 100:
    # d depends there on ln(S/K) + r tau, so it checks the wide logarithm to ~1e-34.
    strike = data.draw(st.integers(10**6, MAX))
    tau = data.draw(st.sampled_from([5 * YEAR, 7 * YEAR, TEN_YEARS]))
    rate = data.draw(st.integers(7 * 10**17, WAD))
    vol = data.draw(st.sampled_from([1, 10**9, 10**15, 10**17, 20 * WAD]))
    spot = near_forward_spot(strike, tau, vol, rate, data.draw(st.floats(-4.0, 4.0)))
    spot = min(max(spot, 1), MAX)
    _check(black_scholes, (data.draw(st.booleans()), spot, strike, tau, vol, rate))


# ------------------------------------------------------------------ nothing reverts


@pytest.mark.parametrize("is_call", [True, False], ids=["call", "put"])
@pytest.mark.parametrize(
    "spot, strike",
    [(1, MAX), (MAX, 1), (1, 1), (MAX, MAX), (1, 2), (10**12 - 1, 10**30)],
    ids=["1_vs_1e30", "1e30_vs_1", "1_vs_1", "1e30_vs_1e30", "1_vs_2", "below_old_floor"],
)
@pytest.mark.parametrize("tau", [0, 1, 3_600, YEAR, TEN_YEARS])
@pytest.mark.parametrize("vol", [0, 1, 10 * WAD, 10 * WAD + 1, 10**24, 2**256 - 1])
@pytest.mark.parametrize("rate", [-(10**17), 0, WAD])
def test_price_and_greeks__oracle_extremes__never_revert(
    black_scholes, is_call, spot, strike, tau, vol, rate
):
    args = (is_call, spot, strike, tau, vol, rate)
    _check(black_scholes, args)
    black_scholes.price_and_greeks_gas(*args)


# ------------------------------------------------------------------ continuity


def _assert_continuous(black_scholes, a, b):
    """Neighbouring inputs `a`, `b` across a boundary: each side within the tolerances of
    the reference (so every output is continuous up to them), and the price and delta move
    by no more than the reference does plus 1e-16 (of max(S, K), of 1) and 4 wei: no step
    is hidden at the boundary even below the tolerances."""
    out_a, out_b = (_check(black_scholes, args) for args in (a, b))
    ref_a, ref_b = (ref.price_and_greeks(*args) for args in (a, b))
    scale = max(a[1], a[2], b[1], b[2])
    with mp.workdps(ref.DIGITS):
        price_move = abs(ref_a.price - ref_b.price) * WAD
        delta_move = abs(ref_a.delta - ref_b.delta) * WAD
    assert abs(out_a[0] - out_b[0]) <= price_move + 1e-16 * scale + 4, (a, b, out_a, out_b)
    assert abs(out_a[1] - out_b[1]) <= delta_move + 1e-16 * WAD + 4, (a, b, out_a, out_b)


@pytest.mark.parametrize("is_call", [True, False], ids=["call", "put"])
@pytest.mark.parametrize(
    "spot, strike",
    [(100 * WAD, WAD), (WAD, 100 * WAD), (10**30, 10**28), (10**14, 10**12)],
    ids=["S=100K", "K=100S", "S=100K_top", "S=100K_bottom"],
)
@pytest.mark.parametrize(
    "tau, vol", [(1, WAD), (YEAR, 3 * 10**17), (TEN_YEARS, 10 * WAD), (86_400, 10**12)]
)
def test_price_and_greeks__across_ratio_100__continuous(
    black_scholes, is_call, spot, strike, tau, vol
):
    inside = (is_call, spot, strike, tau, vol, 5 * 10**16)
    # One wei off the smaller price takes the ratio just past 100.
    if spot > strike:
        outside = (is_call, spot, strike - 1, tau, vol, 5 * 10**16)
    else:
        outside = (is_call, spot - 1, strike, tau, vol, 5 * 10**16)
    assert ref.in_core_domain(*inside[1:]) and not ref.in_core_domain(*outside[1:])
    _assert_continuous(black_scholes, inside, outside)


@pytest.mark.parametrize("is_call", [True, False], ids=["call", "put"])
@pytest.mark.parametrize("ratio", [(1, 1), (1, 100), (100, 1), (1, 10**6)])
@pytest.mark.parametrize("tau", [1, 86_400, YEAR, TEN_YEARS])
def test_price_and_greeks__across_vol_10__continuous(black_scholes, is_call, ratio, tau):
    spot, strike = 10**18 * ratio[0], 10**18 * ratio[1]
    _assert_continuous(
        black_scholes,
        (is_call, spot, strike, tau, 10 * WAD, WAD),
        (is_call, spot, strike, tau, 10 * WAD + 1, WAD),
    )


@pytest.mark.parametrize("is_call", [True, False], ids=["call", "put"])
@pytest.mark.parametrize("strike", [1, 10**12 - 1, 10**12, 10**12 + 1])
def test_price_and_greeks__across_old_price_floor__continuous(black_scholes, is_call, strike):
    _assert_continuous(
        black_scholes,
        (is_call, 10**12, strike, YEAR, WAD, 5 * 10**16),
        (is_call, 10**12 - 1, strike, YEAR, WAD, 5 * 10**16),
    )


def _vol_at_total_vol(total: int, tau: int) -> int:
    """The vol (WAD) whose sigma sqrt(tau) at 1e50, as the contract computes it, is the
    first one at or above `total` (`total` at 1e50)."""
    sq = math.isqrt(tau * 10**64 // YEAR)
    return -(-total // sq)


@pytest.mark.parametrize("is_call", [True, False], ids=["call", "put"])
@pytest.mark.parametrize("spot, strike", [(WAD, WAD), (1, MAX), (MAX, 1), (WAD, 100 * WAD)])
@pytest.mark.parametrize("tau", [1, 86_400, TEN_YEARS])
@pytest.mark.parametrize("rate", [-(10**17), WAD])
def test_price_and_greeks__across_total_vol_64__identical_limit(
    black_scholes, is_call, spot, strike, tau, rate
):
    # sigma sqrt(tau) >= 64 returns the infinite-variance limit; just below it the kernel
    # must already return the very same integers (docs/math.md 1.1).
    at = _vol_at_total_vol(64 * 10**50, tau)
    below = black_scholes.price_and_greeks(is_call, spot, strike, tau, at - 1, rate)
    above = black_scholes.price_and_greeks(is_call, spot, strike, tau, at, rate)
    assert below == above
    if is_call:
        assert above == (spot, WAD, 0, 0, 0)
    else:
        kd = _discounted_strike_wei(strike, tau, rate)
        assert above[1:4] == (0, 0, 0)
        assert abs(above[0] - kd) <= 2e-19 * kd + 1
        with mp.workdps(ref.DIGITS):
            assert abs(above[4] - mp.mpf(rate) / WAD * kd) <= 2e-19 * kd + 2
    _check(black_scholes, (is_call, spot, strike, tau, at, rate))


# ------------------------------------------------------------------ the tail cuts


@given(args=total_options())
@examples(300)
def test_price_and_greeks__beyond_both_cuts__discounted_intrinsic_never_above_true(
    black_scholes, args
):
    # When |d1| and |d2| are both >= 10 on the same side the mark is the discounted
    # intrinsic value exactly: below the true price by at most the dropped tail,
    # N(-10) max(S, K e^{-r tau}), never above it, up to the discount factor's relative
    # error (2e-19 of K e^{-r tau}) and a wei of rounding (docs/math.md 1.1).
    is_call, spot, strike, tau, vol, rate = args
    if tau == 0 or vol == 0:
        return
    with mp.workdps(ref.DIGITS):
        t = mp.mpf(tau) / YEAR
        w = mp.mpf(vol) / WAD * mp.sqrt(t)
        x = mp.log(mp.mpf(spot) / strike) + mp.mpf(rate) / WAD * t
        d1 = x / w + w / 2
        d2 = d1 - w
    if not (min(d1, d2) > 10.001 or max(d1, d2) < -10.001):
        return
    price, delta, gamma, vega, _ = black_scholes.price_and_greeks(*args)
    deep_itm = d2 > 0 if is_call else d1 < 0
    assert delta == ((WAD if is_call else -WAD) if deep_itm else 0)
    if abs(d1) >= D_EXP_CUT:
        assert gamma == vega == 0
    with mp.workdps(ref.DIGITS):
        true = ref.price_and_greeks(*args).price * WAD
        kd = _discounted_strike_wei(strike, tau, rate)
        intrinsic = max(spot - kd, 0) if is_call else max(kd - spot, 0)
        disc_error = 2e-19 * kd + 2
        assert abs(price - intrinsic) <= disc_error
        assert price <= true + disc_error
        assert true - price <= N_MINUS_10 * max(spot, kd) + disc_error
