"""`ringfence.black_scholes` (float64, vectorised) against the reference and the contract."""

import mpmath as mp
import numpy as np
import pytest
from bs_strategies import WAD, YEAR, examples, options, total_options, total_vols
from hypothesis import example, given
from hypothesis import strategies as st

from ringfence import bs_reference as ref
from ringfence.black_scholes import (
    from_wad,
    in_domain,
    price_and_greeks,
    price_and_greeks_wad,
    scenario_grid,
    scenario_grid_wad,
    to_wad,
)

# float64 tolerances on well-conditioned inputs (vol >= 1%, tau >= 1 hour), in the same
# normalised form as the contract's (ref.normalised_errors). Delta's is the loosest: d1's
# condition number 1 / (vol sqrt(tau)) reaches about 9,400 at vol 1 %, tau 1 hour, which
# turns float64's 1.1e-16 into about 1e-12 (measured worst 1.24e-12, the example below).
FLOAT_TOLERANCES = {"price": 1e-13, "delta": 1e-11, "gamma": 1e-11, "vega": 1e-11, "theta": 1e-11}
# The model against the contract itself on the total domain, well-conditioned inputs: in
# the normalised form (after its 2-wei allowance), 1e-12 for every output. Measured worst:
# delta 2.6e-13 (S ~ K = 1e12 wei, vol 1 %, tau 1 hour), the others below 2e-15.
CONTRACT_TOLERANCE = 1e-12
WELL_CONDITIONED_VOLS = st.one_of(
    st.integers(10**16, 10 * WAD), st.integers(10 * WAD, 10**25), st.integers(10**16, 2**256 - 1)
)


def _float_errors(spot, strike, model, reference) -> dict[str, float]:
    s = spot / WAD
    k = strike / WAD
    got = [float(x) for x in model]
    want = [float(x) for x in reference.as_tuple()]
    price, delta, gamma, vega, theta = (abs(g - w) for g, w in zip(got, want, strict=True))
    return {
        "price": price / max(s, k),
        "delta": delta,
        "gamma": gamma * s / max(1.0, abs(want[2]) * s),
        "vega": vega / s / max(1.0, abs(want[3]) / s),
        "theta": theta / s / max(1.0, abs(want[4]) / s),
    }


def test_price_and_greeks__hull_example__call_476_put_081():
    g = price_and_greeks([True, False], 42.0, 40.0, 0.5, 0.2, 0.1)
    assert np.round(g.price, 2).tolist() == [4.76, 0.81]
    assert np.round(g.delta, 4).tolist() == [0.7791, -0.2209]
    assert g.gamma[0] == g.gamma[1] and g.vega[0] == g.vega[1]


@given(
    args=options(
        taus=st.integers(3_600, 10 * YEAR),
        vols=st.integers(10**16, 10 * WAD),
    )
)
@example(args=(False, 10**23, 10**23 + 1, 3_600, 10**16, -(10**17)))
@examples(300)
def test_price_and_greeks_wad__well_conditioned__matches_reference_to_float64(args):
    model = price_and_greeks_wad(*args)
    errors = _float_errors(args[1], args[2], model, ref.price_and_greeks(*args))
    for name, error in errors.items():
        assert error <= FLOAT_TOLERANCES[name], (name, error, args)


@pytest.mark.parametrize(
    "is_call, spot, strike, tau, vol, rate",
    [
        (True, 42 * WAD, 40 * WAD, 0, WAD // 5, WAD // 10),
        (False, 40 * WAD, 42 * WAD, YEAR, 0, WAD // 10),
        (True, 40 * WAD, 40 * WAD, 0, 0, WAD // 10),
        (False, 40 * WAD, 40 * WAD, YEAR, 0, 0),
        (True, 40 * WAD, 42 * WAD, YEAR, 0, -(10**17)),
        (False, 42 * WAD, 40 * WAD, 0, WAD, WAD),
    ],
)
def test_price_and_greeks_wad__no_time_value__same_conventions_as_contract(
    black_scholes, is_call, spot, strike, tau, vol, rate
):
    contract = black_scholes.price_and_greeks(is_call, spot, strike, tau, vol, rate)
    model = price_and_greeks_wad(is_call, spot, strike, tau, vol, rate)
    for got, want in zip(model, contract, strict=True):
        assert float(got) == pytest.approx(want / WAD, rel=1e-12, abs=1e-15)


@given(args=total_options())
@examples(300)
def test_price_and_greeks_wad__total_domain__finite_and_within_bounds(args):
    is_call, spot, strike, tau, vol, rate = args
    g = price_and_greeks_wad(*args)
    values = np.array([float(x) for x in g])
    assert np.all(np.isfinite(values))
    assert g.gamma >= 0 and g.vega >= 0
    # The model clips to S and K e^{-r tau} as it computes them (one float64 ulp apart
    # from the bounds below).
    if is_call:
        assert 0 <= g.price <= spot / WAD * (1 + 1e-15)
        assert 0 <= g.delta <= 1
    else:
        assert 0 <= g.price <= strike / WAD * np.exp(-rate / WAD * tau / YEAR) * (1 + 1e-15)
        assert -1 <= g.delta <= 0


@given(args=total_options(taus=st.integers(3_600, 10 * YEAR), vols=WELL_CONDITIONED_VOLS))
@examples(400)
@example(args=(True, 1, 10**30, 10 * YEAR, 10**24, WAD))
@example(args=(False, 10**30, 1, 3_600, 10**16, -(10**17)))
@example(args=(True, 10**30, 10**28 - 1, YEAR, 3 * 10**17, 5 * 10**16))
@example(args=(False, WAD, WAD, 3_600, 2**256 - 1, 0))
def test_price_and_greeks_wad__total_domain__agrees_with_contract(black_scholes, args):
    # The keeper's pre-screen applies the contract's extension: same cuts, same limit.
    contract = black_scholes.price_and_greeks(*args)
    model = [int(x) for x in to_wad([float(x) for x in price_and_greeks_wad(*args)])]
    with mp.workdps(ref.DIGITS):
        as_reference = ref.Greeks(*(mp.mpf(x) / WAD for x in contract))
    errors = ref.normalised_errors(args[1], args[2], model, as_reference)
    for name, error in errors.items():
        assert error <= CONTRACT_TOLERANCE, (name, error, args, contract, model)


@pytest.mark.parametrize("is_call", [True, False], ids=["call", "put"])
@pytest.mark.parametrize("spot, strike", [(1, 10**30), (10**30, 1), (WAD, WAD)])
@pytest.mark.parametrize("vol", [10**22, 10**24, 2**256 - 1])
def test_price_and_greeks_wad__total_vol_64_or_more__contract_limit(
    black_scholes, is_call, spot, strike, vol
):
    # sigma sqrt(tau) >= 64 (here tau = 10 years): the contract's exact limit values.
    args = (is_call, spot, strike, 10 * YEAR, vol, WAD)
    g = price_and_greeks_wad(*args)
    contract = black_scholes.price_and_greeks(*args)
    assert (float(g.delta), float(g.gamma), float(g.vega)) == (contract[1] / WAD, 0.0, 0.0)
    assert float(g.price) == pytest.approx(contract[0] / WAD, rel=1e-14)
    assert float(g.theta) == pytest.approx(contract[4] / WAD, rel=1e-14)


def test_price_and_greeks__arrays__broadcast_elementwise():
    spot = np.array([[90.0], [100.0], [110.0]])
    strike = np.array([95.0, 100.0, 105.0, 110.0])
    g = price_and_greeks(True, spot, strike, 0.25, 0.3, 0.02)
    assert g.price.shape == (3, 4)
    for i in range(3):
        for j in range(4):
            one = price_and_greeks(True, spot[i, 0], strike[j], 0.25, 0.3, 0.02)
            assert g.price[i, j] == one.price
            assert g.theta[i, j] == one.theta
    # Calls fall with the strike and rise with the spot.
    assert np.all(np.diff(g.price, axis=1) < 0)
    assert np.all(np.diff(g.price, axis=0) > 0)


@given(
    args=total_options(vols=total_vols),
    bad=st.sampled_from(["none", "spot", "strike", "tau", "rate"]),
)
@examples(150)
def test_in_domain__any_input__agrees_with_contract_domain(args, bad):
    _, spot, strike, tau, vol, rate = args
    if bad == "spot":
        spot = 0
    elif bad == "strike":
        strike = 10**30 + 10**20
    elif bad == "tau":
        tau = 10 * YEAR + 3_600
    elif bad == "rate":
        rate = -(10**17) - 10**6
    expected = ref.domain_error(spot, strike, tau, vol, rate) is None
    mask = in_domain(spot / WAD, strike / WAD, tau / YEAR, vol / WAD, rate / WAD)
    assert bool(mask) == expected


def test_wad_helpers__round_trip__within_one_float_ulp():
    values = [10**12, 42 * WAD, 10**30, -(10**17)]
    back = to_wad(from_wad(values))
    assert back.dtype == object
    for original, again in zip(values, back, strict=True):
        assert abs(again - original) <= abs(original) * 2e-16 + 1


# ------------------------------------------------------------------ scenario grid


@given(
    args=total_options(taus=st.integers(3_600, 10 * YEAR), vols=WELL_CONDITIONED_VOLS),
    shocks=st.tuples(st.integers(0, 10 * WAD), st.integers(0, WAD - 1)),
    vol_down=WELL_CONDITIONED_VOLS,
)
@examples(200)
@example(
    args=(True, 2_000 * WAD, 2_000 * WAD, 30 * 86_400, 8 * 10**17, 5 * 10**16),
    shocks=(WAD // 5, WAD // 5),
    vol_down=4 * 10**17,
)
@example(
    args=(False, 1, 10**30, 10 * YEAR, 10**24, WAD), shocks=(10 * WAD, WAD - 1), vol_down=10**16
)
def test_scenario_grid_wad__total_domain__agrees_with_contract(
    black_scholes, args, shocks, vol_down
):
    is_call, spot, strike, tau, vol_up, rate = args
    grid_args = (is_call, spot, strike, tau, rate, *shocks, vol_up, vol_down)
    values, deltas = black_scholes.scenario_grid(*grid_args)
    model = scenario_grid_wad(*grid_args)
    assert model.values.shape == model.deltas.shape == (6,)
    spots = ref.scenario_spots(spot, *shocks)
    for i in range(6):
        with mp.workdps(ref.DIGITS):
            as_reference = ref.Greeks(mp.mpf(values[i]) / WAD, mp.mpf(deltas[i]) / WAD, 0, 0, 0)
        got = [int(x) for x in to_wad([float(model.values[i]), float(model.deltas[i])])]
        errors = ref.normalised_errors(spots[i % 3], strike, got, as_reference)
        for name, error in errors.items():
            assert error <= CONTRACT_TOLERANCE, (name, i, error, grid_args)


def test_scenario_grid__arrays__each_point_is_price_and_greeks():
    spot = np.array([90.0, 100.0])
    g = scenario_grid(True, spot, 100.0, 0.25, 0.02, 0.2, 0.1, [0.5, 0.4], 0.25)
    assert g.values.shape == (2, 6)
    for row, s in enumerate(spot):
        for i, (vol, point) in enumerate(
            (vol, point) for vol in ([0.5, 0.4][row], 0.25) for point in (s * 0.9, s, s * 1.2)
        ):
            one = price_and_greeks(True, point, 100.0, 0.25, vol, 0.02)
            assert g.values[row, i] == pytest.approx(float(one.price), rel=1e-15)
            assert g.deltas[row, i] == pytest.approx(float(one.delta), rel=1e-15)
