"""SPEC §4.9 as an attacker would test it: the margin engine's MM is never below the vault's
true full-revaluation loss over its own stress scenarios, for any 1-4 legs, long or
short, tenors from an hour to a year (near-expiry longs beside shorts included), strikes
from half to twice spot, and markets far from the money.

The true loss is brute force (``ringfence.scenario_loss.worst_loss``: every leg repriced in
float64 on a dense spot grid, both vol states, nine times across the horizon). MM is the
contract's ``MarginEngine.evaluate`` on titanoboa. The comparison allows 1e-12 relative for
the float64 reference (MM carries its own, larger, numerical allowance).
"""

import boa
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from ringfence.risk_table import DAY, DEFAULT_PARAMS, ETH, WAD, deploy_protocol, params_tuple
from ringfence.scenario_loss import ScenarioLeg, ScenarioParams, worst_loss

HOUR = 3_600
TENORS = (HOUR, 4 * HOUR, DAY, 3 * DAY, 7 * DAY, 30 * DAY, 90 * DAY, 365 * DAY)
MONEYNESS = (0.5, 0.7, 0.85, 0.95, 1.0, 1.05, 1.2, 1.5, 2.0)
VOLS = (0.3, 0.8, 1.5)
SPOT = 2000


@pytest.fixture(scope="module")
def market():
    """The engine over the oracle mock with one flat vol per tenor (set per example)."""
    proto = deploy_protocol(decimals=6)
    now = boa.env.evm.patch.timestamp
    return proto, {tenor: now + tenor for tenor in TENORS}


legs_strategy = st.lists(
    st.tuples(
        st.sampled_from(TENORS),
        st.sampled_from(MONEYNESS),
        st.booleans(),
        st.sampled_from((-50.0, -5.0, -1.0, -0.1, 0.1, 1.0, 5.0, 50.0)),
    ),
    min_size=1,
    max_size=4,
    unique_by=lambda leg: (leg[0], leg[1], leg[2]),
)


def _check(market, legs, vols, spot=SPOT, params=DEFAULT_PARAMS):
    proto, expiries = market
    now = boa.env.evm.patch.timestamp
    proto.oracle.set_price(ETH, int(spot * WAD))
    for tenor, vol in zip(TENORS, vols, strict=True):
        proto.oracle.set_vol(ETH, expiries[tenor], int(vol * WAD))
    priced = [
        ((int(m * SPOT * WAD), expiries[tenor], call), int(size * WAD))
        for tenor, m, call, size in legs
    ]
    valuation = proto.engine.evaluate(ETH, priced, params_tuple(params))
    mm = valuation.maintenance / WAD
    vol_of = dict(zip(TENORS, vols, strict=True))
    scenario_legs = [
        ScenarioLeg(call, m * SPOT, expiries[tenor] - now, vol_of[tenor], size)
        for tenor, m, call, size in legs
    ]
    loss = worst_loss(scenario_legs, spot, ScenarioParams.from_wad(params))
    assert loss <= mm * (1 + 1e-12) + 1e-9, (loss, mm, legs)
    return loss, mm


@settings(max_examples=150, deadline=None)
@given(
    legs=legs_strategy,
    vols=st.lists(st.sampled_from(VOLS), min_size=len(TENORS), max_size=len(TENORS)),
    spot=st.sampled_from((SPOT, 1000, 3000, 200, 40_000)),
)
@example(  # the attack: a small 1-hour long straddle beside a large 30-day short straddle
    legs=[(HOUR, 1.0, True, 1.0), (HOUR, 1.0, False, 1.0), (30 * DAY, 1.0, True, -50.0),
          (30 * DAY, 1.0, False, -50.0)],
    vols=[0.8] * len(TENORS),
    spot=SPOT,
)  # fmt: skip
@example(  # a single long 1-day ATM call: its gamma is no credit
    legs=[(DAY, 1.0, True, 5.0)], vols=[0.8] * len(TENORS), spot=SPOT
)
@example(  # a near-expiry long put against short calls, far from the money
    legs=[(HOUR, 0.95, False, 50.0), (365 * DAY, 1.5, True, -50.0)],
    vols=[1.5] * len(TENORS),
    spot=200,
)
def test_maintenance__any_legs_tenors_strikes__covers_full_revaluation_loss(
    market, legs, vols, spot
):
    _check(market, legs, vols, spot)


def test_maintenance__naked_short__bound_is_the_exact_worst_loss(market):
    """For one short leg the bound is tight: its worst loss is at a grid corner."""
    loss, mm = _check(market, [(30 * DAY, 1.0, True, -1.0)], [0.8] * len(TENORS))
    assert mm <= loss * (1 + 1e-9) + 1e-6


def test_maintenance__other_parameters__still_covers(market):
    params = {
        **DEFAULT_PARAMS,
        "spot_shock": 2 * 10**16,
        "spot_sigmas": 6 * WAD,
        "crash_factor": 3 * WAD,
        "vol_up": 2 * WAD,
        "vol_down": 8 * 10**17,
        "vol_tenor_cap": 4 * WAD,
        "horizon": 7 * DAY,
        "rate": 5 * 10**16,
    }
    legs = [(HOUR, 1.0, True, 5.0), (7 * DAY, 1.05, True, -5.0), (90 * DAY, 0.85, False, -1.0)]
    _check(market, legs, [0.8] * len(TENORS), params=params)
