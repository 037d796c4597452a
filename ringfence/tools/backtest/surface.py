"""The implied surface: one raw-SVI smile per expiry, from three readable numbers.

Each expiry's smile is described by its ATM vol ``atm``, its skew ``rho`` and its wing ``wing``
(and the model's fixed ``width``), and is handed to the oracle and to the revaluation as raw
SVI on total variance in log-moneyness k = ln(K / F) (SPEC §3.2):

    w(k) = a + b (rho (k - m) + sqrt((k - m)^2 + sigma^2))
    b = wing * atm * sqrt(tau),  sigma = width * atm * sqrt(tau),  m = 0,  a = atm^2 tau - b sigma

so w(0) = atm^2 tau (``atm`` is the vol at the forward) and, in standardised moneyness
z = k / (atm sqrt(tau)), vol(z) / atm = sqrt(1 + wing (rho z + sqrt(z^2 + width^2) - width)):
the smile's shape in standard deviations is the same at every tenor and vol level, and
``rho`` / ``wing`` are its skew and curvature. Two clamps keep every smile one the oracle
accepts and free of wing arbitrage: the wing slopes obey Lee's bound b (1 + |rho|) <= 1.9 < 2,
and wing * width * (1 - sqrt(1 - rho^2)) <= 0.99 keeps min_k w(k) > 0.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

LEE_BOUND = 1.9
MIN_VARIANCE_MARGIN = 0.99


def raw_svi(
    atm: ArrayLike, rho: ArrayLike, wing: ArrayLike, width: float, tau: ArrayLike
) -> tuple[NDArray, NDArray, NDArray, NDArray, NDArray]:
    """(a, b, rho, m, sigma) of the smile with ATM vol `atm` at `tau` years (broadcast)."""
    atm, rho, wing, tau = (np.asarray(x, dtype=np.float64) for x in (atm, rho, wing, tau))
    scale = atm * np.sqrt(tau)
    gap = width * (1.0 - np.sqrt(1.0 - rho * rho))
    with np.errstate(divide="ignore"):
        lee = LEE_BOUND / ((1.0 + np.abs(rho)) * scale)
        wing_cap = np.minimum(lee, np.where(gap > 0, MIN_VARIANCE_MARGIN / gap, np.inf))
    wing = np.minimum(wing, wing_cap)
    b = wing * scale
    sigma = width * scale
    a = atm * atm * tau - b * sigma
    return a, b, rho, np.zeros_like(a), sigma


def total_variance(k: ArrayLike, a, b, rho, m, sigma) -> NDArray:
    d = np.asarray(k, dtype=np.float64) - m
    return a + b * (rho * d + np.sqrt(d * d + sigma * sigma))


def implied_vol(strike: ArrayLike, forward: ArrayLike, tau: ArrayLike, svi) -> NDArray:
    """sqrt(w(ln(K / F)) / tau) for a raw-SVI tuple `svi`, vectorised."""
    k = np.log(np.asarray(strike, dtype=np.float64) / np.asarray(forward, dtype=np.float64))
    w = np.maximum(total_variance(k, *svi), 0.0)
    return np.sqrt(w / np.asarray(tau, dtype=np.float64))
