"""Seeded market simulator for the backtest: spot, implied vol, smile and regime, vectorised.

One state per path, advanced on a time grid whose steps are at most ``time_step`` long and
which has every horizon as a grid point. Per step of dt years, with regime R in {calm,
stressed} and its parameters (``RegimeParams``):

- **Regime** (two-state Markov chain): R switches with probability 1 - exp(-leave_rate_R dt).
  A calm start draws R per path from the chain's stationary law (``regime: stationary``:
  P(stressed) = q_calm / (q_calm + q_stressed)), so "calm" is the unconditional view of a
  market whose regime is not observed; the stressed start fixes R = stressed.
- **Spot** (Merton jump diffusion): N ~ Poisson(lambda_R dt) jumps of log size
  J ~ N(N jump_mean, N jump_std^2),

      ln S += (drift - lambda_R kappa - sigma^2 / 2) dt + sigma sqrt(dt) e_S + J,
      kappa = exp(jump_mean + jump_std^2 / 2) - 1   (jumps are compensated),

  with diffusive vol sigma = realised_to_implied x the current reference ATM implied vol, so
  a market whose implied vol doubled also realises twice the vol.
- **Implied vol level** X = ln(reference-tenor ATM vol), mean reverting to the regime's
  target, and jumping with spot (negative spot jumps lift vol):

      X += vol_mean_reversion (ln vol_target_R - X) dt + vol_of_vol_R sqrt(dt) e_X
           - vol_jump_beta J,                corr(e_S, e_X) = spot_vol_correlation.

- **Smile moves**: Y = atanh(reference rho) and Z = ln(reference wing), each mean reverting
  to the regime's target and moved by jumps:

      Y += skew_mean_reversion (atanh(skew_target_R) - Y) dt + skew_vol sqrt(dt) e_Y
           + skew_jump_beta J,               corr(e_S, e_Y) = skew_spot_correlation,
      Z += curvature_mean_reversion (ln wing_target_R - Z) dt + curvature_vol sqrt(dt) e_Z
           - curvature_jump_beta J.

Each expiry (tau years left) responds to the factors' moves since the start with the
loading L(tau) = min((reference_tenor / tau) ** tenor_exponent, 3) -- short-dated vol, skew
and wings move more (the cap is reached only inside two days of expiry):

    atm(tau)  = atm_0(tau) exp(L dX)          (clipped to [0.01, 5])
    rho(tau)  = tanh(atanh(rho_0(tau)) + L dY)
    wing(tau) = wing_0(tau) exp(L dZ)

and its smile is raw SVI (``surface.py``). The start surface has
atm_0(tau) = atm_vol (tau / reference_tenor) ** term_slope, and the start's skew and wing at
every expiry.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from ringfence.tools.backtest import surface
from ringfence.tools.backtest.config import YEAR_SECONDS, ModelParams, StartParams

MAX_LOADING = 3.0
ATM_BOUNDS = (0.01, 5.0)


@dataclass(frozen=True)
class StartState:
    """The market at t = 0: spot, and one smile per expiry (the contract sees exactly this)."""

    name: str
    spot: float
    rate: float
    expiry_seconds: tuple[int, ...]  # time from the start to each expiry
    atm: tuple[float, ...]
    rho: tuple[float, ...]
    wing: tuple[float, ...]
    width: float
    ref_atm: float  # the reference tenor's ATM vol (the factor X's start)
    regime: str  # calm | stressed | stationary

    def tau(self, i: int) -> float:
        return self.expiry_seconds[i] / YEAR_SECONDS

    def forward(self, i: int) -> float:
        return self.spot * math.exp(self.rate * self.tau(i))

    def svi(self, i: int) -> tuple[float, float, float, float, float]:
        """Raw SVI (a, b, rho, m, sigma) of expiry `i` at the start."""
        params = surface.raw_svi(self.atm[i], self.rho[i], self.wing[i], self.width, self.tau(i))
        return tuple(float(p) for p in params)

    def vol(self, i: int, strike: float) -> float:
        return float(surface.implied_vol(strike, self.forward(i), self.tau(i), self.svi(i)))


def build_start(
    start: StartParams, model: ModelParams, rate: float, expiry_seconds: tuple[int, ...]
) -> StartState:
    """The start surface of `start` for expiries `expiry_seconds` from now."""
    taus = [s / YEAR_SECONDS for s in expiry_seconds]
    atm = tuple(start.atm_vol * (t / model.reference_tenor) ** start.term_slope for t in taus)
    n = len(expiry_seconds)
    return StartState(
        name=start.name,
        spot=start.spot,
        rate=rate,
        expiry_seconds=tuple(expiry_seconds),
        atm=atm,
        rho=(start.skew,) * n,
        wing=(start.wing,) * n,
        width=model.smile_width,
        ref_atm=start.atm_vol,
        regime=start.regime,
    )


@dataclass(frozen=True)
class PathState:
    """Every path's market at `t` seconds after the start; factor moves are since t = 0."""

    t: int
    spot: NDArray[np.float64]
    d_logvol: NDArray[np.float64]  # X_t - X_0
    d_skew: NDArray[np.float64]  # Y_t - Y_0
    d_logwing: NDArray[np.float64]  # Z_t - Z_0
    stressed: NDArray[np.bool_]
    jumps: NDArray[np.int64]  # spot jumps since the start

    @classmethod
    def initial(cls, start: StartState, n: int = 1) -> PathState:
        zero = np.zeros(n)
        return cls(0, np.full(n, start.spot), zero, zero, zero, np.zeros(n, bool), zero.astype(int))


def loading(model: ModelParams, tau: float | NDArray) -> NDArray:
    """How much a tenor of `tau` years moves per unit move of the reference factors."""
    ratio = model.reference_tenor / np.asarray(tau)
    return np.minimum(ratio**model.tenor_exponent, MAX_LOADING)


def smile(start: StartState, model: ModelParams, state: PathState, i: int):
    """(tau, atm, rho, wing) of expiry `i` on every path at `state.t`."""
    tau = (start.expiry_seconds[i] - state.t) / YEAR_SECONDS
    if tau <= 0:
        raise ValueError(f"expiry {i} has passed at t = {state.t} s")
    load = loading(model, tau)
    atm = np.clip(start.atm[i] * np.exp(load * state.d_logvol), *ATM_BOUNDS)
    rho = np.tanh(math.atanh(start.rho[i]) + load * state.d_skew)
    wing = start.wing[i] * np.exp(load * state.d_logwing)
    return tau, atm, rho, wing


def stationary_stressed(model: ModelParams) -> float:
    """P(stressed) under the chain's stationary law."""
    q_calm, q_stressed = model.calm.leave_rate, model.stressed.leave_rate
    total = q_calm + q_stressed
    return q_calm / total if total > 0 else 0.0


def time_grid(horizons: tuple[int, ...], time_step: int) -> list[int]:
    """Grid times (s) from 0 to the last horizon: every horizon, steps <= `time_step`."""
    times = [0]
    for h in horizons:
        prev = times[-1]
        n = max(1, math.ceil((h - prev) / time_step))
        times.extend(prev + round((h - prev) * j / n) for j in range(1, n + 1))
    return times


def simulate(
    start: StartState,
    model: ModelParams,
    horizons: tuple[int, ...],
    time_step: int,
    n_paths: int,
    rng: np.random.Generator,
) -> list[PathState]:
    """Every path's state at each horizon (seconds, increasing). Deterministic for `rng`."""
    if start.regime == "stationary":
        stressed = rng.random(n_paths) < stationary_stressed(model)
    else:
        stressed = np.full(n_paths, start.regime == "stressed")
    log_spot = np.full(n_paths, math.log(start.spot))
    x0, y0, z0 = math.log(start.ref_atm), math.atanh(start.rho[0]), math.log(start.wing[0])
    x = np.full(n_paths, x0)
    y = np.full(n_paths, y0)
    z = np.full(n_paths, z0)
    jumps = np.zeros(n_paths, dtype=np.int64)

    c, s = model.calm, model.stressed
    kappa = math.exp(model.jump_mean + 0.5 * model.jump_std**2) - 1.0
    r_sx, r_sy = model.spot_vol_correlation, model.skew_spot_correlation
    out: list[PathState] = []
    wanted = set(horizons)
    grid = time_grid(horizons, time_step)
    for t_prev, t in zip(grid[:-1], grid[1:], strict=True):
        dt = (t - t_prev) / YEAR_SECONDS
        sq = math.sqrt(dt)
        lam = np.where(stressed, s.jump_intensity, c.jump_intensity)
        e = rng.standard_normal((5, n_paths))
        n_jumps = rng.poisson(lam * dt)
        jump = n_jumps * model.jump_mean + np.sqrt(n_jumps) * model.jump_std * e[4]
        sigma = model.realised_to_implied * np.exp(x)
        log_spot += (model.drift - lam * kappa - 0.5 * sigma * sigma) * dt + sigma * sq * e[0]
        log_spot += jump
        e_x = r_sx * e[0] + math.sqrt(1.0 - r_sx * r_sx) * e[1]
        e_y = r_sy * e[0] + math.sqrt(1.0 - r_sy * r_sy) * e[2]
        x_target = np.where(stressed, math.log(s.vol_target), math.log(c.vol_target))
        vov = np.where(stressed, s.vol_of_vol, c.vol_of_vol)
        x += model.vol_mean_reversion * (x_target - x) * dt + vov * sq * e_x
        x -= model.vol_jump_beta * jump
        y_target = np.where(stressed, math.atanh(s.skew_target), math.atanh(c.skew_target))
        y += model.skew_mean_reversion * (y_target - y) * dt + model.skew_vol * sq * e_y
        y += model.skew_jump_beta * jump
        z_target = np.where(stressed, math.log(s.wing_target), math.log(c.wing_target))
        z += model.curvature_mean_reversion * (z_target - z) * dt + model.curvature_vol * sq * e[3]
        z -= model.curvature_jump_beta * jump
        jumps += n_jumps
        leave = np.where(stressed, s.leave_rate, c.leave_rate)
        stressed = stressed ^ (rng.random(n_paths) < -np.expm1(-leave * dt))
        if t in wanted:
            out.append(
                PathState(
                    t, np.exp(log_spot), x - x0, y - y0, z - z0, stressed.copy(), jumps.copy()
                )
            )
    return out
