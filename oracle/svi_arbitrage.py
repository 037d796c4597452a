"""The on-chain no-arbitrage checks of a raw-SVI smile, replicated exactly in integers.

`contracts/lib/svi_arbitrage.vy` (docs/oracle.md, "Arbitrage-free surfaces") rejects a
smile that breaks Lee's wing bound b (1 + |rho|) <= 2, has w <= 0 or a negative
Gatheral-Jacquier density

    g(k) = (1 - k w' / (2 w))^2 - (w'^2 / 4) (1 / w + 1 / 4) + w'' / 2

at a point of its grid, or (against a neighbouring expiry) lets total variance fall with
expiry at a grid point. The functions prefixed ``wad_`` compute exactly what the contract
computes (same integers, same rounding), so the pusher can tell before signing whether a
report will pass; ``density`` is the plain float g(k), the reference the tests compare with.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from oracle.units import WAD

WAD2 = WAD * WAD
MAX_ABS_A = 1_000 * WAD
MAX_B = 100 * WAD
MAX_ABS_M = 10 * WAD
MAX_SIGMA = 10 * WAD

# Must match contracts/lib/svi_arbitrage.vy.
_K_THOUSANDTHS = (41, 89, 151, 238, 363, 547, 819, 1_225, 1_829, 2_729, 4_072, 6_075)
K_GRID: tuple[int, ...] = (
    tuple(-v * 10**15 for v in reversed(_K_THOUSANDTHS))
    + (0,)
    + tuple(v * 10**15 for v in _K_THOUSANDTHS)
)
K_MAX = 6_075 * 10**15
_Y_HALVES = (1, 2, 4, 6, 8, 12, 16, 24, 32)  # y = these / 2, mirrored, and 0
Y_GRID: tuple[int, ...] = (
    tuple(-h * WAD // 2 for h in reversed(_Y_HALVES))
    + (0,)
    + tuple(h * WAD // 2 for h in _Y_HALVES)
)

CALENDAR_Y_GRID: tuple[int, ...] = (-2 * WAD, -WAD, -WAD // 2, 0, WAD // 2, WAD, 2 * WAD)
G_MARGIN = 0.002  # the grid test asks g >= G_MARGIN (a safety margin between points)
G_MARGIN_16 = 32 * 10**15  # 16 * G_MARGIN, WAD

WadSvi = tuple[int, int, int, int, int]


def _tdiv(x: int, y: int) -> int:
    """Vyper's // on signed integers: truncates towards zero."""
    q = abs(x) // abs(y)
    return q if (x >= 0) == (y > 0) else -q


def _cdiv(x: int, y: int) -> int:
    return -((-x) // y)


def wad_sanity(a: int, b: int, rho: int, m: int, sigma: int) -> str:
    """contracts/lib/svi.vy `_check`: the reason, "" when sane."""
    if b < 0:
        return "svi b < 0"
    if rho <= -WAD or rho >= WAD:
        return "svi |rho| >= 1"
    if sigma <= 0:
        return "svi sigma <= 0"
    if abs(a) > MAX_ABS_A or b > MAX_B or abs(m) > MAX_ABS_M or sigma > MAX_SIGMA:
        return "svi out of bounds"
    root = math.isqrt(WAD * WAD - rho * rho)
    if a + b * sigma // WAD * root // WAD < 0:
        return "svi negative variance"
    return ""


def _root(k: int, m: int, sigma: int) -> tuple[int, int]:
    d = k - m
    return d, math.isqrt(d * d + sigma * sigma)


def _w_bounds(d: int, r: int, a: int, b: int, rho: int) -> tuple[int, int]:
    u = rho * d + WAD * r
    return a + b * u // WAD2, a + _cdiv(b * (u + WAD), WAD2)


def wad_point_bounds(
    k: int, a: int, b: int, rho: int, m: int, sigma: int
) -> tuple[int, int, int, int, int]:
    """(w_lo, w_hi, w'_lo, w'_hi, w''_lo) at ``k``, WAD, as `_density` encloses them."""
    d, r = _root(k, m, sigma)
    w_lo, w_hi = _w_bounds(d, r, a, b, rho)
    ad = abs(d)
    t_small = WAD * ad // (r + 1)
    t_big = _cdiv(WAD * ad, r)
    t_lo, t_hi = (t_small, t_big) if d >= 0 else (-t_big, -t_small)
    p_lo = (b * (rho + t_lo)) // WAD
    p_hi = _cdiv(b * (rho + t_hi), WAD)
    q_lo = WAD * b // (r + 1) * sigma // (r + 1) * sigma // (r + 1)
    return w_lo, w_hi, p_lo, p_hi, q_lo


def wad_density(k: int, a: int, b: int, rho: int, m: int, sigma: int) -> int:
    """`_density`: 0 OK, 1 w not positive, 2 density below the margin (lower bound of
    16 w^2 g under 16 G_MARGIN w^2)."""
    w_lo, w_hi, p_lo, p_hi, q_lo = wad_point_bounds(k, a, b, rho, m, sigma)
    if w_lo <= 0:
        return 1
    kp1, kp2 = k * p_lo, k * p_hi
    x_lo = 2 * w_lo - _cdiv(max(kp1, kp2), WAD)
    x_hi = 2 * w_hi - min(kp1, kp2) // WAD
    x2 = x_lo * x_lo if x_lo > 0 else (x_hi * x_hi if x_hi < 0 else 0)
    p2 = max(p_lo * p_lo, p_hi * p_hi)
    loss = _cdiv(_cdiv(p2 * w_hi, WAD) * (4 * WAD + w_hi), WAD)
    gain = 8 * q_lo * (w_lo * w_lo // WAD)
    margin = _cdiv(w_hi * w_hi * G_MARGIN_16, WAD)
    return 2 if 4 * x2 + gain < loss + margin else 0


def grid(m: int, sigma: int) -> list[int]:
    """The k points (WAD) a smile is checked at, in the contract's order."""
    ys = (m + _tdiv(sigma * y, WAD) for y in Y_GRID)
    return list(K_GRID) + [k for k in ys if abs(k) <= K_MAX]


def wad_check(a: int, b: int, rho: int, m: int, sigma: int) -> str:
    """SurfaceChecker.check: sanity, then Lee's bound, then the density grid."""
    reason = wad_sanity(a, b, rho, m, sigma)
    if reason:
        return reason
    if b * (WAD + abs(rho)) > 2 * WAD2:
        return "svi wing slope"
    for k in grid(m, sigma):
        outcome = wad_density(k, a, b, rho, m, sigma)
        if outcome == 1:
            return "svi zero variance"
        if outcome == 2:
            return "svi butterfly arbitrage"
    return ""


def wad_total_variance_bounds(k: int, s: WadSvi) -> tuple[int, int]:
    a, b, rho, m, sigma = s
    d, r = _root(k, m, sigma)
    return _w_bounds(d, r, a, b, rho)


def wad_calendar(
    near: WadSvi, near_now: int, near_obs: int, far: WadSvi, far_now: int, far_obs: int
) -> bool:
    """`_calendar`: True when near's total variance brought to now (w tau_now / tau_obs,
    bounded above) is at most far's (bounded below) at every grid point."""
    near_scale, far_scale = near_now * far_obs, far_now * near_obs
    for k in calendar_points(near, far):
        w_near = max(wad_total_variance_bounds(k, near)[1], 0)
        w_far = max(wad_total_variance_bounds(k, far)[0], 0)
        if w_near * near_scale > w_far * far_scale:
            return False
    return True


def calendar_points(near: WadSvi, far: WadSvi) -> list[int]:
    """The k points (WAD) of the calendar test, in the contract's order."""
    return (
        list(K_GRID)
        + [near[3] + _tdiv(near[4] * y, WAD) for y in CALENDAR_Y_GRID]
        + [far[3] + _tdiv(far[4] * y, WAD) for y in CALENDAR_Y_GRID]
    )


def density(k: float, a: float, b: float, rho: float, m: float, sigma: float) -> float:
    """Float g(k) of a raw-SVI smile (Gatheral and Jacquier 2014, eq. 2.1)."""
    d = k - m
    root = math.sqrt(d * d + sigma * sigma)
    w = a + b * (rho * d + root)
    w1 = b * (rho + d / root)
    w2 = b * sigma * sigma / root**3
    return (1 - k * w1 / (2 * w)) ** 2 - w1 * w1 / 4 * (1 / w + 0.25) + w2 / 2


def float_grid(m: float, sigma: float) -> list[float]:
    ys = (m + sigma * y / WAD for y in Y_GRID)
    return [k / WAD for k in K_GRID] + [k for k in ys if abs(k) <= K_MAX / WAD]


def min_density(
    a: float, b: float, rho: float, m: float, sigma: float, ks: Sequence[float] | None = None
) -> float:
    """min g over ``ks`` (the contract's grid by default); -inf where w <= 0."""
    points = float_grid(m, sigma) if ks is None else ks
    out = math.inf
    for k in points:
        d = k - m
        w = a + b * (rho * d + math.sqrt(d * d + sigma * sigma))
        out = min(out, -math.inf if w <= 0 else density(k, a, b, rho, m, sigma))
    return out
