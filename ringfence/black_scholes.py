"""Vectorised float64 Black-Scholes model with the contract's conventions.

This is the fast model the keeper uses to pre-screen positions off-chain (millions of
evaluations per second with numpy) before it confirms on-chain. It follows
``contracts/lib/black_scholes.vy`` exactly in conventions, units and edge cases, but in
float64, so it agrees with the contract to float64 accuracy (about 1e-13 relative on
well-conditioned inputs), not to the wei. Inputs broadcast against each other like any
numpy ufunc.

Real-unit API (floats)::

    from ringfence.black_scholes import price_and_greeks
    g = price_and_greeks(is_call=True, spot=42.0, strike=40.0, tau=0.5, vol=0.2, rate=0.1)
    g.price, g.delta, g.gamma, g.vega, g.theta   # arrays (0-d for scalar inputs)

WAD API (the contract's integer inputs: WAD prices, seconds)::

    from ringfence.black_scholes import price_and_greeks_wad, to_wad
    g = price_and_greeks_wad(True, spot_wad, strike_wad, tau_seconds, vol_wad, rate_wad)
    to_wad(g.price)   # int64-safe object array of WAD integers

Units: spot and strike in quote per unit; tau in years (365 days); vol annualised; rate
annualised, continuously compounded. Outputs: price (quote); delta; gamma =
N'(d1) / (S sigma sqrt(tau)); vega = dV/d(sigma) per 1.0 of vol; theta = dV/dt per year
(calendar decay). ``tau == 0`` or ``vol == 0`` gives the discounted-forward intrinsic
value with a step delta (1/2 at the money-forward), zero gamma and vega, and theta equal to
the sigma -> 0 limit (-r K e^{-r tau} for an in-the-money call, 0 out of the money).

The domain is the contract's total one (docs/math.md 1.1): any spot and strike in
[1e-18, 1e12] at any ratio, any vol, tau in [0, 10] years. The model applies the
contract's extension rules as well: the normal tails are exactly 0 / 1 beyond |d| = 10,
the density is 0 beyond |d1| = sqrt(160) (both as the contract's cuts), and
sigma sqrt(tau) >= 64 gives the infinite-variance limit (price S for a call, K e^{-r tau}
for a put, delta 1 / 0, no gamma or vega) without evaluating d1 or d2.

Scenario grid (the margin engine's full revaluation, ``_scenario_grid`` on chain)::

    from ringfence.black_scholes import scenario_grid
    values, deltas = scenario_grid(True, 42.0, 40.0, 0.5, 0.1, 0.2, 0.2, 0.3, 0.15)
    values.shape   # (6,): index = vol_index * 3 + spot_index, (vol_up, vol_down) x
                   # (S (1 - down), S, S (1 + up))
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import ndtr

WAD = 10**18
YEAR_SECONDS = 31_536_000

#: The contract's total domain in real units (docs/math.md 1.1); any vol >= 0.
MIN_PRICE = 1e-18
MAX_PRICE = 1e12
MAX_TAU_YEARS = 10.0
MIN_RATE = -0.1
MAX_RATE = 1.0

#: The contract's cuts (docs/math.md 2.2, 2.3) and infinite-variance threshold (1.1).
D_TAIL_CUT = 10.0
D_EXP_CUT = 160.0**0.5
W_LIMIT = 64.0

_INV_SQRT_2PI = 0.3989422804014327


class Greeks(NamedTuple):
    """Price and Greeks as float64 arrays in real units (see the module docstring)."""

    price: NDArray[np.float64]
    delta: NDArray[np.float64]
    gamma: NDArray[np.float64]
    vega: NDArray[np.float64]
    theta: NDArray[np.float64]


class ScenarioGrid(NamedTuple):
    """Values and deltas at the six scenario points, float64 arrays of shape (..., 6)."""

    values: NDArray[np.float64]
    deltas: NDArray[np.float64]


def in_domain(
    spot: ArrayLike, strike: ArrayLike, tau: ArrayLike, vol: ArrayLike, rate: ArrayLike
) -> NDArray[np.bool_]:
    """Mask of the inputs (real units) on which the contract does not revert.

    Exact in the interior; on the boundary lines themselves (e.g. tau exactly 10 years)
    float64 rounding may decide either way.
    """
    s, k, t, v, r = (np.asarray(x, dtype=np.float64) for x in (spot, strike, tau, vol, rate))
    return (
        (s >= MIN_PRICE)
        & (s <= MAX_PRICE)
        & (k >= MIN_PRICE)
        & (k <= MAX_PRICE)
        & (t >= 0)
        & (t <= MAX_TAU_YEARS)
        & (v >= 0)
        & (r >= MIN_RATE)
        & (r <= MAX_RATE)
    )


def _ncdf(d: NDArray[np.float64]) -> NDArray[np.float64]:
    """N(d) with the contract's tails: exactly 0 / 1 once |d| >= 10."""
    return np.where(d >= D_TAIL_CUT, 1.0, np.where(d <= -D_TAIL_CUT, 0.0, ndtr(d)))


def price_and_greeks(
    is_call: ArrayLike,
    spot: ArrayLike,
    strike: ArrayLike,
    tau: ArrayLike,
    vol: ArrayLike,
    rate: ArrayLike,
) -> Greeks:
    """Black-Scholes price and Greeks, vectorised, in real units.

    Args:
        is_call: bool (array): True for calls, False for puts.
        spot: spot price, quote per unit.
        strike: strike, quote per unit.
        tau: time to expiry in years (365 days); 0 means expired.
        vol: annualised volatility (0.2 = 20%).
        rate: annualised continuously-compounded rate (0.05 = 5%).

    Returns:
        :class:`Greeks` of float64 arrays broadcast over the inputs. Inputs outside the
        contract's domain are not rejected (see :func:`in_domain`); the formulas are
        evaluated as long as spot, strike > 0 and tau, vol >= 0.
    """
    c = np.asarray(is_call, dtype=bool)
    s, k, t, v, r = (np.asarray(x, dtype=np.float64) for x in (spot, strike, tau, vol, rate))
    c, s, k, t, v, r = np.broadcast_arrays(c, s, k, t, v, r)

    kd = k * np.exp(-r * t)
    live = (t > 0) & (v > 0)
    sq = np.sqrt(t)
    with np.errstate(over="ignore"):
        total = v * sq
    # sigma sqrt(tau) >= 64: the infinite-variance limit, d1 and d2 beyond both cuts.
    limit = live & (total >= W_LIMIT)
    core = live & ~limit
    vs = np.where(core, total, 1.0)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        d1 = np.where(core, (np.log(s / k) + (r + 0.5 * v * v) * t) / vs, 0.0)
    d1 = np.where(limit, 2 * D_EXP_CUT, d1)
    d2 = np.where(limit, -2 * D_EXP_CUT, d1 - np.where(core, vs, 0.0))
    pdf = np.where(np.abs(d1) < D_EXP_CUT, np.exp(-0.5 * d1 * d1) * _INV_SQRT_2PI, 0.0)

    # Live branch (tau > 0 and vol > 0).
    sign = np.where(c, 1.0, -1.0)
    n1 = _ncdf(sign * d1)
    n2 = _ncdf(sign * d2)
    price = np.clip(sign * (s * n1 - kd * n2), 0.0, np.where(c, s, kd))
    delta = sign * n1
    gamma = np.where(core, pdf / (s * vs), 0.0)
    vega = np.where(core, s * pdf * sq, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        decay = np.where(core, -s * pdf * v / (2.0 * np.where(core, sq, 1.0)), 0.0)
    theta = decay - sign * r * kd * n2

    # Edge branch: discounted-forward intrinsic value with a step delta.
    itm = np.where(c, s > kd, kd > s)
    atm = s == kd
    step = np.where(itm, 1.0, np.where(atm, 0.5, 0.0))
    edge_price = np.maximum(sign * (s - kd), 0.0)
    edge_delta = sign * step
    edge_theta = -sign * r * kd * step

    dead = ~live
    return Greeks(
        price=np.where(dead, edge_price, price),
        delta=np.where(dead, edge_delta, delta),
        gamma=gamma,
        vega=vega,
        theta=np.where(dead, edge_theta, theta),
    )


def from_wad(x: ArrayLike) -> NDArray[np.float64]:
    """WAD integers (Python ints, possibly above 2**63) to float64 real units."""
    return np.asarray(x, dtype=np.float64) / WAD


def to_wad(x: ArrayLike) -> NDArray[np.object_]:
    """Real units to WAD integers (rounded to nearest), as an object array of Python ints.

    Object dtype because WAD prices up to 1e30 do not fit in int64.
    """
    flat = np.asarray(x, dtype=np.float64)
    out = np.empty(flat.shape, dtype=object)
    for index, value in np.ndenumerate(flat):
        out[index] = int(round(float(value) * WAD))
    return out


def price_and_greeks_wad(
    is_call: ArrayLike,
    spot_wad: ArrayLike,
    strike_wad: ArrayLike,
    tau_seconds: ArrayLike,
    vol_wad: ArrayLike,
    rate_wad: ArrayLike,
) -> Greeks:
    """:func:`price_and_greeks` on the contract's integer inputs (WAD and seconds).

    Returns real units (floats); apply :func:`to_wad` to compare with the contract's
    integer outputs.
    """
    tau = np.asarray(tau_seconds, dtype=np.float64) / YEAR_SECONDS
    return price_and_greeks(
        is_call,
        from_wad(spot_wad),
        from_wad(strike_wad),
        tau,
        from_wad(vol_wad),
        from_wad(rate_wad),
    )


def scenario_grid(
    is_call: ArrayLike,
    spot: ArrayLike,
    strike: ArrayLike,
    tau: ArrayLike,
    rate: ArrayLike,
    spot_up: ArrayLike,
    spot_down: ArrayLike,
    vol_up: ArrayLike,
    vol_down: ArrayLike,
) -> ScenarioGrid:
    """Value and delta at the six points of the margin engine's scenario grid, vectorised.

    The twin of the contract's ``_scenario_grid``: spots S (1 - spot_down), S,
    S (1 + spot_up) (fractions, e.g. 0.2 = 20 %) times vols (vol_up, vol_down), index =
    vol_index * 3 + spot_index, each priced by :func:`price_and_greeks` (same
    conventions, same extension). Inputs broadcast; the outputs gain a last axis of 6.
    """
    down = 1.0 - np.asarray(spot_down, dtype=np.float64)
    up = 1.0 + np.asarray(spot_up, dtype=np.float64)
    return _grid(is_call, spot, strike, tau, rate, down, up, vol_up, vol_down)


def _grid(*args: ArrayLike) -> ScenarioGrid:
    """The grid from (is_call, spot, strike, tau, rate, 1 - spot_down, 1 + spot_up,
    vol_up, vol_down): the spot factors themselves."""
    is_call, spot, strike, tau, rate, down, up, vol_up, vol_down = args
    c, s, k, t, r, fd, fu, vu, vd = np.broadcast_arrays(
        np.asarray(is_call, dtype=bool),
        *(
            np.asarray(x, dtype=np.float64)
            for x in (spot, strike, tau, rate, down, up, vol_up, vol_down)
        ),
    )
    spots = np.stack([s * fd, s, s * fu], axis=-1)[..., None, :]
    vols = np.stack([vu, vd], axis=-1)[..., :, None]
    c, k, t, r = (x[..., None, None] for x in (c, k, t, r))
    g = price_and_greeks(c, spots, k, t, vols, r)
    shape = (*s.shape, 6)
    return ScenarioGrid(g.price.reshape(shape), g.delta.reshape(shape))


def scenario_grid_wad(
    is_call: ArrayLike,
    spot_wad: ArrayLike,
    strike_wad: ArrayLike,
    tau_seconds: ArrayLike,
    rate_wad: ArrayLike,
    spot_up_wad: ArrayLike,
    spot_down_wad: ArrayLike,
    vol_up_wad: ArrayLike,
    vol_down_wad: ArrayLike,
) -> ScenarioGrid:
    """:func:`scenario_grid` on the contract's integer inputs (WAD and seconds); real-unit
    outputs (apply :func:`to_wad` to compare with the contract's integers).

    The factors 1e18 - spot_down and 1e18 + spot_up are formed on the integers first, so a
    shock of 1 - 1e-18 keeps its factor of 1e-18 (float64 would round 1 - shock to 0).
    """
    down = np.asarray(spot_down_wad, dtype=object)
    up = np.asarray(spot_up_wad, dtype=object)
    return _grid(
        is_call,
        from_wad(spot_wad),
        from_wad(strike_wad),
        np.asarray(tau_seconds, dtype=np.float64) / YEAR_SECONDS,
        from_wad(rate_wad),
        from_wad(WAD - down),
        from_wad(WAD + up),
        from_wad(vol_up_wad),
        from_wad(vol_down_wad),
    )
