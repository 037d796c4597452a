# pragma version ~=0.4.3
"""
@title SurfaceChecker
@notice Checks a raw-SVI smile before the oracle accepts a surface report:
        sign and magnitude bounds and non-negative total variance at every
        strike (`lib/svi.vy`), then no arbitrage (`lib/svi_arbitrage.vy`):
        Lee's wing bound, the Gatheral-Jacquier density on a grid (no
        butterfly), and, against a neighbouring expiry, total variance
        non-decreasing in expiry (no calendar arbitrage). Stateless and pure;
        the oracle rejects a report with the reason returned here instead of
        reverting its batch.
@dev All values WAD (1e18 = 1.0); times seconds. docs/oracle.md,
     "Arbitrage-free surfaces".
"""

from .interfaces import ISurfaceChecker
from .lib import svi
from .lib import svi_arbitrage

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
    @return String[32] The reject reason ("svi ..."), "" when sane and free
            of butterfly arbitrage.
    """
    reason: String[32] = svi._check(a, b, rho, m, sigma)
    if len(reason) != 0:
        return reason
    return svi_arbitrage._check(a, b, rho, m, sigma)


@external
@view
def check_calendar(
    near: ISurfaceChecker.Smile, far: ISurfaceChecker.Smile
) -> String[32]:
    """
    @notice Why the pair (`near` expiring before `far`) holds calendar
            arbitrage; "" when it does not: at every grid k, near's total
            variance brought to now, w(k) tau_now / tau_observed, is at most
            far's.
    @param near The shorter expiry's smile and clock.
    @param far The longer expiry's smile and clock.
    @return String[32] "svi calendar arbitrage", "svi calendar input" (a smile
            not sane or a clock outside 1 <= tau_now <= tau_observed <= 2**64),
            or "".
    """
    if (
        len(svi._check(near.a, near.b, near.rho, near.m, near.sigma)) != 0
        or len(svi._check(far.a, far.b, far.rho, far.m, far.sigma)) != 0
        or near.tau_now == 0
        or far.tau_now == 0
        or near.tau_now > near.tau_observed
        or far.tau_now > far.tau_observed
        or near.tau_observed > 2**64
        or far.tau_observed > 2**64
    ):
        return "svi calendar input"
    if not svi_arbitrage._calendar(
        [near.a, near.b, near.rho, near.m, near.sigma],
        convert(near.tau_now, int256),
        convert(near.tau_observed, int256),
        [far.a, far.b, far.rho, far.m, far.sigma],
        convert(far.tau_now, int256),
        convert(far.tau_observed, int256),
    ):
        return "svi calendar arbitrage"
    return ""
