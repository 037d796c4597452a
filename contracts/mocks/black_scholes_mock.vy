# pragma version ~=0.4.3
"""
@title black_scholes_mock
@notice Exposes `black_scholes._price_and_greeks` to tests and benchmarks.
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
    @return (price, delta, gamma, vega, theta), all WAD: price in quote, delta per unit,
            gamma per quote per unit, vega per 1.0 of vol, theta per year.
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
