# pragma version ~=0.4.3
"""
@title SurfaceChecker
@notice Checks a raw-SVI smile before the oracle accepts a surface report:
        sign and magnitude bounds and non-negative total variance at every
        strike (`lib/svi.vy`). Stateless and pure; the oracle rejects a
        report with the reason returned here instead of reverting its batch.
@dev All values WAD (1e18 = 1.0).
"""

from .interfaces import ISurfaceChecker
from .lib import svi

implements: ISurfaceChecker


@external
@view
def check(
    a: int256, b: int256, rho: int256, m: int256, sigma: int256
) -> String[32]:
    """
    @notice Why a raw-SVI smile is not acceptable; "" when it is.
    @param a Raw SVI a, WAD (total variance).
    @param b Raw SVI b, WAD.
    @param rho Raw SVI rho, WAD, |rho| < 1.
    @param m Raw SVI m, WAD (log-moneyness).
    @param sigma Raw SVI sigma, WAD, > 0.
    @return String[32] The reject reason ("svi ..."), "" when sane.
    """
    return svi._check(a, b, rho, m, sigma)
