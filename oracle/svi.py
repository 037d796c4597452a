"""Raw SVI on total variance, and its least-squares fit to quoted implied vols.

    w(k) = a + b * (rho * (k - m) + sqrt((k - m)^2 + sigma^2)),   k = ln(K / F)

``w`` is total implied variance (sigma_imp^2 * tau) at observation time, so the contract
evaluates a vol as sqrt(w(k) / tau_at_observation). A flat vol s at tau is
``a = s^2 tau, b = rho = m = 0`` (sigma any positive number).

The fit enforces what the contract accepts (SPEC §3.2): b >= 0, |rho| < 1, sigma > 0 and no
negative total variance (min_k w = a + b sigma sqrt(1 - rho^2) >= 0), and no arbitrage
(docs/oracle.md, "Arbitrage-free surfaces"): Lee's wing bound b (1 + |rho|) <= 2 and a
non-negative density on the contract's grid are penalised in the fit, and whatever is left
is repaired by `butterfly_free` (the exact on-chain test, `oracle.svi_arbitrage`);
`calendar_free` lifts a longer expiry's level above the shorter one's.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
from scipy.optimize import least_squares

from oracle import svi_arbitrage as arb
from oracle.units import WAD, to_wad

FLAT_SIGMA = 0.1  # the "any positive" sigma of a flat smile (1e17 in WAD)
LEE_TARGET = 1.98  # fit target for b (1 + |rho|); the contract's bound is 2
DENSITY_MARGIN = 5e-3  # fit target for g on the grid; the contract asks g >= 0.002
RHO_BOUND = 0.999
SIGMA_MIN = 1e-4


@dataclass(frozen=True)
class Svi:
    """Raw-SVI parameters (plain floats; `to_wad` gives the on-chain integers)."""

    a: float
    b: float
    rho: float
    m: float
    sigma: float

    @classmethod
    def flat(cls, vol: float, tau: float) -> Svi:
        """The flat smile of annualised ``vol`` at ``tau`` years to expiry."""
        if vol <= 0 or tau <= 0:
            raise ValueError(f"flat smile needs vol > 0 and tau > 0, got vol={vol} tau={tau}")
        return cls(a=vol * vol * tau, b=0.0, rho=0.0, m=0.0, sigma=FLAT_SIGMA)

    def total_variance(self, k: float | np.ndarray) -> float | np.ndarray:
        d = np.asarray(k, dtype=float) - self.m
        w = self.a + self.b * (self.rho * d + np.sqrt(d * d + self.sigma * self.sigma))
        return float(w) if np.ndim(w) == 0 else w

    def implied_vol(self, k: float | np.ndarray, tau: float) -> float | np.ndarray:
        """Annualised implied vol at log-moneyness ``k`` for ``tau`` years."""
        w = np.maximum(np.asarray(self.total_variance(k), dtype=float), 0.0)
        v = np.sqrt(w / tau)
        return float(v) if np.ndim(v) == 0 else v

    def min_total_variance(self) -> float:
        return self.a + self.b * self.sigma * math.sqrt(max(0.0, 1.0 - self.rho * self.rho))

    def check(self) -> None:
        """Raise ValueError unless the contract's sanity bounds hold."""
        if self.b < 0:
            raise ValueError(f"SVI b must be >= 0, got {self.b}")
        if not abs(self.rho) < 1:
            raise ValueError(f"SVI |rho| must be < 1, got {self.rho}")
        if self.sigma <= 0:
            raise ValueError(f"SVI sigma must be > 0, got {self.sigma}")
        if self.min_total_variance() < 0:
            raise ValueError(f"SVI total variance goes negative (min {self.min_total_variance()})")

    def arbitrage_reason(self) -> str:
        """The contract's reason for refusing this smile's WAD report ("" = accepted)."""
        return arb.wad_check(*self.to_wad())

    def to_wad(self) -> tuple[int, int, int, int, int]:
        """(a, b, rho, m, sigma) as WAD integers, in the Report's field order.

        Rounding to WAD can push a smile that touches zero variance a few wei below it;
        ``a`` is then raised by exactly that deficit, computed as the contract computes it
        (`wad_min_total_variance`), so a valid smile is never refused for rounding.
        """
        a, b, rho, m, sigma = (to_wad(x) for x in (self.a, self.b, self.rho, self.m, self.sigma))
        if abs(rho) < WAD and sigma > 0 and b >= 0:
            a += max(0, -wad_min_total_variance(a, b, rho, sigma))
        return a, b, rho, m, sigma


def wad_min_total_variance(a: int, b: int, rho: int, sigma: int) -> int:
    """min_k w(k) in WAD exactly as contracts/lib/svi.vy computes it (second term rounded
    down; Vyper's // truncates towards zero like this for the non-negative operands here)."""
    root = math.isqrt(WAD * WAD - rho * rho)
    return a + b * sigma // WAD * root // WAD


@dataclass(frozen=True)
class FitResult:
    svi: Svi
    rmse_vol: float  # root-mean-square error in implied vol (0.01 = one vol point)
    max_error_vol: float
    n_quotes: int


def fit_svi(
    k: Sequence[float],
    vols: Sequence[float],
    tau: float,
    weights: Sequence[float] | None = None,
) -> FitResult:
    """Fit raw SVI to implied ``vols`` (annualised) at log-moneyness ``k`` for ``tau`` years.

    Least squares on total variance with the contract's bounds as box constraints plus a
    penalty on negative minimum variance, started from a few initial guesses; the fit with
    the lowest residual wins. Needs at least 5 quotes (5 parameters).
    """
    ks = np.asarray(k, dtype=float)
    vs = np.asarray(vols, dtype=float)
    if ks.shape != vs.shape or ks.ndim != 1:
        raise ValueError("k and vols must be 1-D sequences of the same length")
    if len(ks) < 5:
        raise ValueError(f"an SVI fit needs at least 5 quotes, got {len(ks)}")
    if tau <= 0:
        raise ValueError(f"tau must be > 0, got {tau}")
    if not np.all(np.isfinite(ks)) or not np.all(np.isfinite(vs)) or np.any(vs <= 0):
        raise ValueError("quotes must be finite with positive vols")
    wts = np.ones_like(ks) if weights is None else np.sqrt(np.asarray(weights, dtype=float))
    w_obs = vs * vs * tau
    w_scale = float(np.mean(w_obs))

    def residuals(p: np.ndarray) -> np.ndarray:
        a, b, rho, m, sigma = p
        d = ks - m
        w = a + b * (rho * d + np.sqrt(d * d + sigma * sigma))
        floor = a + b * sigma * math.sqrt(max(0.0, 1.0 - rho * rho))
        penalty = 10.0 * max(0.0, -floor) / w_scale
        # No arbitrage: Lee's wing bound and g >= 0 on the contract's grid (with margin).
        lee = 10.0 * max(0.0, b * (1 + abs(rho)) - LEE_TARGET)
        g = _grid_density(a, b, rho, m, sigma)
        density = 10.0 * float(np.sum(np.maximum(0.0, DENSITY_MARGIN - g)))
        return np.concatenate((wts * (w - w_obs) / w_scale, [penalty, lee, density]))

    k_span = max(float(np.ptp(ks)), 0.1)
    lower = [-float(np.max(w_obs)), 0.0, -RHO_BOUND, float(ks.min()) - k_span, SIGMA_MIN]
    upper = [
        float(np.max(w_obs)),
        50.0 * w_scale / k_span + 1.0,
        RHO_BOUND,
        float(ks.max()) + k_span,
        5.0,
    ]
    w_min = float(np.min(w_obs))
    k_at_min = float(ks[int(np.argmin(w_obs))])
    starts = []
    for rho0 in (-0.5, 0.0, 0.5):
        for sigma0 in (0.1, 0.3):
            b0 = max((float(np.max(w_obs)) - w_min) / k_span, 1e-4)
            a0 = w_min - b0 * sigma0 * math.sqrt(1 - rho0 * rho0)
            starts.append([a0, b0, rho0, k_at_min, sigma0])
    best = None
    for x0 in starts:
        x0 = np.clip(x0, np.array(lower) + 1e-12, np.array(upper) - 1e-12)
        sol = least_squares(residuals, x0, bounds=(lower, upper), method="trf", max_nfev=2000)
        if best is None or sol.cost < best.cost:
            best = sol
    assert best is not None
    a, b, rho, m, sigma = (float(x) for x in best.x)
    svi = Svi(a=a, b=b, rho=rho, m=m, sigma=sigma)
    if svi.min_total_variance() < 0:
        # Lift the level just enough to satisfy the no-negative-variance bound.
        svi = Svi(a=a - svi.min_total_variance(), b=b, rho=rho, m=m, sigma=sigma)
    svi = butterfly_free(svi)
    fitted = np.asarray(svi.implied_vol(ks, tau))
    err = np.abs(fitted - vs)
    return FitResult(
        svi=svi,
        rmse_vol=float(np.sqrt(np.mean(err * err))),
        max_error_vol=float(np.max(err)),
        n_quotes=len(ks),
    )


def _grid_density(a: float, b: float, rho: float, m: float, sigma: float) -> np.ndarray:
    """g(k) at the contract's grid points (float); -1 where w <= 0."""
    ks = np.asarray(arb.float_grid(m, sigma))
    d = ks - m
    root = np.sqrt(d * d + sigma * sigma)
    w = a + b * (rho * d + root)
    safe = np.where(w > 0, w, 1.0)
    w1 = b * (rho + d / root)
    w2 = b * sigma * sigma / root**3
    g = (1 - ks * w1 / (2 * safe)) ** 2 - w1 * w1 / 4 * (1 / safe + 0.25) + w2 / 2
    return np.where(w > 0, g, -1.0)


def _flattened(svi: Svi, lam: float) -> Svi:
    """b scaled by ``lam`` with the at-the-money total variance w(0) kept."""
    b = svi.b * lam
    root = math.sqrt(svi.m * svi.m + svi.sigma * svi.sigma)
    a = svi.a + (svi.b - b) * (-svi.rho * svi.m + root)
    return Svi(a=a, b=b, rho=svi.rho, m=svi.m, sigma=svi.sigma)


def butterfly_free(svi: Svi) -> Svi:
    """``svi`` if the contract accepts it, else the least flattened smile it accepts.

    Flattening scales b by lam in [0, 1] keeping w(0); lam = 0 is the flat smile
    (g = 1 > 0), which passes whenever the at-the-money variance is positive. Bisection
    over lam, each step decided by the exact on-chain test. Raises ValueError when even
    the flat smile is refused (w(0) <= 0)."""
    if svi.arbitrage_reason() == "":
        return svi
    lo, hi = 0.0, 1.0  # lo passes (checked below), hi fails
    if _flattened(svi, 0.0).arbitrage_reason() != "":
        raise ValueError(f"no arbitrage-free flattening of {svi}")
    for _ in range(30):
        mid = (lo + hi) / 2
        if _flattened(svi, mid).arbitrage_reason() == "":
            lo = mid
        else:
            hi = mid
    return _flattened(svi, lo)


def calendar_free(near: Svi, far: Svi, rounds: int = 4) -> Svi:
    """``far`` (same observation time as ``near``, longer expiry), lifted so that its total
    variance is at least near's at every calendar grid point, as the contract tests it,
    and still butterfly-free. Raises ValueError when a few rounds cannot get there."""
    for _ in range(rounds):
        n, f = near.to_wad(), far.to_wad()
        if arb.wad_calendar(n, 1, 1, f, 1, 1) and far.arbitrage_reason() == "":
            return far
        deficit = 0
        for k in arb.calendar_points(n, f):
            hi = max(arb.wad_total_variance_bounds(k, n)[1], 0)
            lo = max(arb.wad_total_variance_bounds(k, f)[0], 0)
            deficit = max(deficit, hi - lo)
        # A constant lift keeps w' and w''; 1,000 wei cover WAD rounding (re-checked).
        lift = deficit / WAD + 1e-15
        far = butterfly_free(replace(far, a=far.a + lift))
    raise ValueError(f"no calendar-free lift of {far} over {near}")
