"""A seeded market simulator: GBM with Poisson jumps and Markov volatility regimes.

Each `fetch` advances the path by ``step_seconds`` of simulated time, whatever the wall
clock says, so the same seed and config always give the same sequence of values (the
report's ``observed_at`` is still the pusher's clock). Per step of length dt (years):

    regime r switches to another (uniformly chosen) with probability ``switch_probability``
    log S += (drift - vol_r^2 / 2) dt + vol_r sqrt(dt) Z + sum_{N ~ Poisson(jump_intensity dt)}
             Normal(jump_mean, jump_std)

The smile of each requested (listed) expiry is raw SVI with ATM vol = the regime's vol (plus the
jump variance jump_intensity * (jump_mean^2 + jump_std^2), annualised), m = 0,
rho = ``skew``, sigma = ``smile_sigma`` and wings b = ``wing`` * atm * sqrt(tau), clamped
so total variance never goes negative. The forward is S exp(rate * tau).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from oracle.errors import ConfigError
from oracle.sources.base import Observation, SurfaceQuote
from oracle.svi import Svi
from oracle.units import YEAR_SECONDS, years

MIN_TAU_SECONDS = 3_600  # expiries closer than an hour get no smile


@dataclass(frozen=True)
class SimParams:
    seed: int = 0
    spot: float = 2_000.0
    drift: float = 0.0
    rate: float = 0.0
    step_seconds: int = 60
    regimes: Sequence[float] = field(default_factory=lambda: (0.5, 0.9))
    switch_probability: float = 0.01
    jump_intensity: float = 10.0  # expected jumps per year
    jump_mean: float = -0.02
    jump_std: float = 0.05
    skew: float = -0.3
    smile_sigma: float = 0.2
    wing: float = 0.5

    def validate(self) -> None:
        if self.spot <= 0:
            raise ConfigError(f"sim spot must be > 0, got {self.spot}")
        if self.step_seconds <= 0:
            raise ConfigError(f"sim step_seconds must be > 0, got {self.step_seconds}")
        if not self.regimes or any(v <= 0 for v in self.regimes):
            raise ConfigError(f"sim regimes must be positive vols, got {list(self.regimes)}")
        if not 0 <= self.switch_probability <= 1:
            raise ConfigError("sim switch_probability must be within [0, 1]")
        if self.jump_intensity < 0 or self.jump_std < 0:
            raise ConfigError("sim jump_intensity and jump_std must be >= 0")
        if not -1 < self.skew < 1:
            raise ConfigError(f"sim skew must be within (-1, 1), got {self.skew}")
        if self.smile_sigma <= 0 or self.wing < 0:
            raise ConfigError("sim smile_sigma must be > 0 and wing >= 0")


class SimSource:
    """Reproducible synthetic market for one underlying."""

    def __init__(self, underlying: str, params: SimParams) -> None:
        params.validate()
        self.name = f"sim:{params.seed}"
        self.underlying = underlying
        self.params = params
        self._rng = np.random.default_rng(params.seed)
        self._log_spot = math.log(params.spot)
        self._regime = 0
        self.steps = 0

    @property
    def regime_vol(self) -> float:
        return float(self.params.regimes[self._regime])

    def _step(self) -> None:
        p = self.params
        if len(p.regimes) > 1 and self._rng.random() < p.switch_probability:
            others = [i for i in range(len(p.regimes)) if i != self._regime]
            self._regime = int(self._rng.choice(others))
        dt = p.step_seconds / YEAR_SECONDS
        vol = self.regime_vol
        diffusion = (p.drift - 0.5 * vol * vol) * dt + vol * math.sqrt(dt) * self._rng.normal()
        jumps = int(self._rng.poisson(p.jump_intensity * dt))
        jump = float(self._rng.normal(p.jump_mean, p.jump_std, size=jumps).sum()) if jumps else 0.0
        self._log_spot += diffusion + jump
        self.steps += 1

    def _smile(self, atm: float, tau: float) -> Svi:
        p = self.params
        theta = atm * atm * tau
        b = p.wing * atm * math.sqrt(tau)
        gap = p.smile_sigma * (1.0 - math.sqrt(1.0 - p.skew * p.skew))
        if gap > 0:
            b = min(b, 0.99 * theta / gap)  # keeps min total variance >= 0
        return Svi(a=theta - b * p.smile_sigma, b=b, rho=p.skew, m=0.0, sigma=p.smile_sigma)

    def fetch(self, now: int, expiries: Sequence[int]) -> Observation:
        self._step()
        p = self.params
        spot = math.exp(self._log_spot)
        jump_var = p.jump_intensity * (p.jump_mean**2 + p.jump_std**2)
        atm = math.sqrt(self.regime_vol**2 + jump_var)
        surfaces = {}
        for expiry in sorted(expiries):
            if expiry - now < MIN_TAU_SECONDS:
                continue
            tau = years(expiry - now)
            forward = spot * math.exp(p.rate * tau)
            surfaces[expiry] = SurfaceQuote(expiry, forward, self._smile(atm, tau))
        return Observation(self.underlying, now, spot, surfaces, source=self.name)
