"""Raw SVI on total variance, and its least-squares fit to quoted implied vols.

    w(k) = a + b * (rho * (k - m) + sqrt((k - m)^2 + sigma^2)),   k = ln(K / F)

``w`` is total implied variance (sigma_imp^2 * tau) at observation time, so the contract
evaluates a vol as sqrt(w(k) / tau_at_observation). A flat vol s at tau is
``a = s^2 tau, b = rho = m = 0`` (sigma any positive number).

The fit enforces what the contract accepts (SPEC §3.2): b >= 0, |rho| < 1, sigma > 0 and no
negative total variance (min_k w = a + b sigma sqrt(1 - rho^2) >= 0).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.optimize import least_squares

from oracle.units import WAD, to_wad

FLAT_SIGMA = 0.1  # the "any positive" sigma of a flat smile (1e17 in WAD)
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
        return np.append(wts * (w - w_obs) / w_scale, penalty)

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
    fitted = np.asarray(svi.implied_vol(ks, tau))
    err = np.abs(fitted - vs)
    return FitResult(
        svi=svi,
        rmse_vol=float(np.sqrt(np.mean(err * err))),
        max_error_vol=float(np.max(err)),
        n_quotes=len(ks),
    )
