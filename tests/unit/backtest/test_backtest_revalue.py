"""Full revaluation: one option on one path equals Black-Scholes at the path's smile vol."""

import math

import numpy as np
import pytest

from ringfence.black_scholes import price_and_greeks
from ringfence.tools.backtest.book import EXPIRY_SECONDS, Leg, Strategy
from ringfence.tools.backtest.config import YEAR_SECONDS
from ringfence.tools.backtest.market import PathState, StartState, loading
from ringfence.tools.backtest.revalue import book_values, series_values, start_values

DAY = 86_400


def _state(t, spot, d_logvol=0.0, d_skew=0.0, d_logwing=0.0):
    one = lambda x: np.array([x], dtype=float)  # noqa: E731
    return PathState(t, one(spot), one(d_logvol), one(d_skew), one(d_logwing),
                     np.array([False]), np.array([0]))  # fmt: skip


def _raw_svi_vol(strike, forward, tau, atm, rho, wing, width):
    """The smile written out by hand (surface.py's docstring), not through the module."""
    scale = atm * math.sqrt(tau)
    b, sigma = wing * scale, width * scale
    a = atm * atm * tau - b * sigma
    k = math.log(strike / forward)
    return math.sqrt((a + b * (rho * k + math.sqrt(k * k + sigma * sigma))) / tau)


@pytest.mark.parametrize("is_call", [True, False])
def test_revalue__one_option_after_a_move__equals_black_scholes(start, model, is_call):
    strike, i, t = 0.93 * start.spot, 1, DAY
    state = _state(t, 1.07 * start.spot, d_logvol=0.2, d_skew=-0.1, d_logwing=0.15)
    (value,) = series_values(start, model, state, [(i, strike, is_call)]).values()

    tau = (EXPIRY_SECONDS[i] - t) / YEAR_SECONDS
    load = loading(model, tau)
    atm = start.atm[i] * math.exp(load * 0.2)
    rho = math.tanh(math.atanh(start.rho[i]) + load * -0.1)
    wing = start.wing[i] * math.exp(load * 0.15)
    spot = 1.07 * start.spot
    vol = _raw_svi_vol(strike, spot, tau, atm, rho, wing, model.smile_width)
    expected = price_and_greeks(is_call, spot, strike, tau, vol, 0.0).price
    assert value[0] == pytest.approx(float(expected), rel=1e-12)


def test_revalue__flat_smile_nothing_moves__time_decay_only(model):
    flat = StartState("flat", 2000.0, 0.0, EXPIRY_SECONDS, (0.8,) * 3, (0.0,) * 3, (0.0,) * 3,
                      0.5, 0.8, "calm")  # fmt: skip
    leg = (2, 2100.0, True)
    before = series_values(flat, model, PathState.initial(flat), [leg])[leg][0]
    after = series_values(flat, model, _state(DAY, 2000.0), [leg])[leg][0]
    tau = EXPIRY_SECONDS[2] / YEAR_SECONDS
    assert before == pytest.approx(float(price_and_greeks(True, 2000, 2100, tau, 0.8, 0).price))
    decayed = price_and_greeks(True, 2000, 2100, tau - DAY / YEAR_SECONDS, 0.8, 0).price
    assert after == pytest.approx(float(decayed), rel=1e-12)
    assert after < before


def test_revalue__strategy__sum_of_legs_times_sizes(start, model):
    atm, otm = round(start.spot, 2), round(0.9 * start.spot, 2)
    legs = (Leg(0, atm, True, -2.0), Leg(2, otm, False, 1.0))
    pod = Strategy("pod", "pod", "pod", legs)
    state = _state(3_600, 0.95 * start.spot, d_logvol=0.1)
    values = series_values(start, model, state, [leg.series for leg in legs])
    expected = -2.0 * values[legs[0].series] + values[legs[1].series]
    np.testing.assert_allclose(book_values([pod], start, model, state)["pod"], expected)
    v0 = start_values([pod], start, model)["pod"]
    assert v0 == pytest.approx(
        -2.0 * float(price_and_greeks(True, start.spot, legs[0].strike, start.tau(0),
                                      start.vol(0, legs[0].strike), 0).price)
        + float(price_and_greeks(False, start.spot, legs[1].strike, start.tau(2),
                                 start.vol(2, legs[1].strike), 0).price)
    )  # fmt: skip
