# pragma version ~=0.4.3
"""
@title black_scholes_mock
@notice Exposes `black_scholes._price_and_greeks`, the scenario grid
        (`_scenario_shifts`, `_scenario_grid`) and both evaluations of Hart's
        rational (`_lower_tail36`, `_lower_tail_cf36`) to tests and benchmarks.
"""

from ..lib import black_scholes


@external
@pure
def price_and_greeks(
    is_call: bool,
    spot: uint256,
    strike: uint256,
    tau: uint256,
    vol: uint256,
    rate: int256,
) -> (int256, int256, int256, int256, int256):
    """
    @notice Price and Greeks of a European option under Black-Scholes.
    @param is_call True for a call, False for a put.
    @param spot Spot price, WAD quote per unit (1e18 = 1.0), in [1, 1e30] wei.
    @param strike Strike, WAD quote per unit, in [1, 1e30] wei, at any ratio to spot.
    @param tau Time to expiry in seconds (year = 31_536_000 s), at most 10 years.
    @param vol Annualised volatility, WAD (1e18 = 100%), any value.
    @param rate Annualised continuously-compounded rate, WAD, in [-1e17, 1e18].
    @return int256 Price, WAD quote.
    @return int256 Delta, WAD per unit.
    @return int256 Gamma, WAD per quote per unit.
    @return int256 Vega, WAD quote per 1.0 of vol.
    @return int256 Theta, WAD quote per year.
    @dev Reverts "black_scholes: ... out of range" only for spot or strike 0 or above
         1e30, tau above 10 years, or rate outside [-0.1, 1.0].
    """
    return black_scholes._price_and_greeks(
        is_call, spot, strike, tau, vol, rate
    )


@external
@view
def price_and_greeks_gas(
    is_call: bool,
    spot: uint256,
    strike: uint256,
    tau: uint256,
    vol: uint256,
    rate: int256,
) -> uint256:
    """
    @notice Gas used by one `_price_and_greeks` call (msg.gas before minus after).
    @param is_call True for a call, False for a put.
    @param spot Spot price, WAD quote per unit.
    @param strike Strike, WAD quote per unit.
    @param tau Time to expiry in seconds.
    @param vol Annualised volatility, WAD.
    @param rate Annualised continuously-compounded rate, WAD.
    @return Gas consumed by the internal call alone.
    @dev Reverts like `price_and_greeks` outside the domain.
    """
    price: int256 = 0
    delta: int256 = 0
    gamma: int256 = 0
    vega: int256 = 0
    theta: int256 = 0
    # Only the internal call sits between the two msg.gas reads.
    before: uint256 = msg.gas
    price, delta, gamma, vega, theta = black_scholes._price_and_greeks(
        is_call, spot, strike, tau, vol, rate
    )
    return before - msg.gas


@external
@pure
def scenario_shifts(
    spot_up: uint256, spot_down: uint256
) -> (uint256[3], int256[3]):
    """
    @notice The spot factors of the scenario grid and their logarithms (once per vault).
    @param spot_up Upward spot shock, WAD fraction of the spot, in [0, 10e18].
    @param spot_down Downward spot shock, WAD fraction of the spot, in [0, 1e18).
    @return uint256[3] The factors [1e18 - spot_down, 1e18, 1e18 + spot_up], WAD.
    @return int256[3] Their natural logarithms, at 1e36.
    @dev Reverts "black_scholes: spot shock out of range" outside those bounds.
    """
    return black_scholes._scenario_shifts(spot_up, spot_down)


@external
@pure
def scenario_grid(
    is_call: bool,
    spot: uint256,
    strike: uint256,
    tau: uint256,
    rate: int256,
    spot_up: uint256,
    spot_down: uint256,
    vol_up: uint256,
    vol_down: uint256,
) -> (uint256[6], int256[6]):
    """
    @notice Value and delta of one leg at the six scenario points (S (1 - spot_down), S,
            S (1 + spot_up)) x (vol_up, vol_down), index = vol_index * 3 + spot_index.
    @param is_call True for a call, False for a put.
    @param spot Spot price, WAD quote per unit, in [1, 1e30] wei.
    @param strike Strike, WAD quote per unit, in [1, 1e30] wei.
    @param tau Time to expiry in seconds (year = 31_536_000 s), at most 10 years.
    @param rate Annualised continuously-compounded rate, WAD, in [-1e17, 1e18].
    @param spot_up Upward spot shock, WAD fraction of the spot, in [0, 10e18].
    @param spot_down Downward spot shock, WAD fraction of the spot, in [0, 1e18).
    @param vol_up Shocked-up annualised vol, WAD (1e18 = 100%), any value.
    @param vol_down Shocked-down annualised vol, WAD, any value.
    @return uint256[6] Values, WAD quote per unit (>= 0).
    @return int256[6] Deltas, WAD per unit.
    @dev Reverts like `price_and_greeks` and `scenario_shifts` outside their domains.
    """
    factors: uint256[3] = empty(uint256[3])
    logs: int256[3] = empty(int256[3])
    factors, logs = black_scholes._scenario_shifts(spot_up, spot_down)
    return black_scholes._scenario_grid(
        is_call, spot, strike, tau, rate, vol_up, vol_down, factors, logs, 3
    )


@external
@view
def scenario_grid_gas(
    is_call: bool,
    spot: uint256,
    strike: uint256,
    tau: uint256,
    rate: int256,
    spot_up: uint256,
    spot_down: uint256,
    vol_up: uint256,
    vol_down: uint256,
) -> uint256:
    """
    @notice Gas used by one `_scenario_grid` call (msg.gas before minus after), the spot
            shifts computed beforehand as the margin engine does once per vault.
    @param is_call True for a call, False for a put.
    @param spot Spot price, WAD quote per unit.
    @param strike Strike, WAD quote per unit.
    @param tau Time to expiry in seconds.
    @param rate Annualised continuously-compounded rate, WAD.
    @param spot_up Upward spot shock, WAD fraction.
    @param spot_down Downward spot shock, WAD fraction.
    @param vol_up Shocked-up annualised vol, WAD.
    @param vol_down Shocked-down annualised vol, WAD.
    @return Gas consumed by the internal grid call alone (one leg, six points).
    @dev Reverts like `scenario_grid`.
    """
    factors: uint256[3] = empty(uint256[3])
    logs: int256[3] = empty(int256[3])
    factors, logs = black_scholes._scenario_shifts(spot_up, spot_down)
    values: uint256[6] = empty(uint256[6])
    deltas: int256[6] = empty(int256[6])
    # Only the internal call sits between the two msg.gas reads.
    before: uint256 = msg.gas
    values, deltas = black_scholes._scenario_grid(
        is_call, spot, strike, tau, rate, vol_up, vol_down, factors, logs, 3
    )
    return before - msg.gas


@external
@view
def scenario_shifts_gas(spot_up: uint256, spot_down: uint256) -> uint256:
    """
    @notice Gas used by one `_scenario_shifts` call (once per vault, not per leg).
    @param spot_up Upward spot shock, WAD fraction.
    @param spot_down Downward spot shock, WAD fraction.
    @return Gas consumed by the internal call alone.
    @dev Reverts like `scenario_shifts`.
    """
    factors: uint256[3] = empty(uint256[3])
    logs: int256[3] = empty(int256[3])
    before: uint256 = msg.gas
    factors, logs = black_scholes._scenario_shifts(spot_up, spot_down)
    return before - msg.gas


@external
@pure
def lower_tails(d: int256, e: uint256) -> (int256, int256):
    """
    @notice N(-|d|) at 1e36 by both evaluations of Hart's rational: the Horner form of
            `_price_and_greeks` and the continued fraction of `_scenario_grid`.
    @param d The argument, at 1e18.
    @param e e^{-d^2/2} at 1e36 (any value: the tails are linear in it).
    @return int256 The Horner evaluation, at 1e36.
    @return int256 The continued-fraction evaluation, at 1e36.
    """
    return black_scholes._lower_tail36(d, e), black_scholes._lower_tail_cf36(
        d, e
    )
