"""The true full-revaluation loss of a vault over the margin model's own stress scenarios.

This is the quantity SPEC §4.9 says the maintenance margin is never below: every leg
repriced with Black-Scholes (float64, ``ringfence.black_scholes``) at every scenario, and
the worst loss against today's marks taken. It is *not* the contract's bound (that is
``contracts/lib/margin.vy``); it is what the bound must cover, computed by brute force on a
dense grid, for tests, the fuzz invariant and the margin bench.

The scenarios of a vault, exactly as ``MarginEngine.evaluate`` defines them
(docs/risk.md, "Margin"):

- spot anywhere in ``[S (1 - down), S (1 + h)]`` with
  ``h = clamp(spot_sigmas * vol_ref * sqrt(horizon / year), spot_shock, 0.5)``,
  ``down = min(crash_factor * h, 0.9)`` and ``vol_ref`` the highest implied vol among the
  vault's unexpired legs;
- every leg's vol at its own up or down shock, all legs together (two vol states):
  ``vol * (1 + vol_up * g)`` / ``vol * (1 - min(vol_down * g, 0.95))`` with
  ``g = clamp(sqrt(30 days / tau), 0.5, vol_tenor_cap)``;
- any time in ``[0, horizon]`` from now (a leg whose expiry passes is worth its payoff).

A leg that has expired but whose settlement price is not fixed yet is worth its payoff at
the scenario spot (``tau = 0``); a leg with a fixed settlement price carries no scenario
risk and is left out by the caller.

Units are real (floats): prices in quote per unit, sizes in units, times in seconds.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ringfence.black_scholes import price_and_greeks

YEAR = 31_536_000
TENOR_REFERENCE = 30 * 86_400
MIN_TENOR_SCALE = 0.5
MAX_VOL_DROP = 0.95
MAX_SPOT_SHOCK = 0.5
MAX_SPOT_DOWN = 0.9


@dataclass(frozen=True)
class ScenarioLeg:
    """One leg: strike and size in real units, seconds to expiry, its implied vol."""

    is_call: bool
    strike: float
    tau: float  # seconds to expiry; 0 for an expired leg whose price is not fixed yet
    vol: float  # ignored when expired
    size: float  # signed: long > 0


@dataclass(frozen=True)
class ScenarioParams:
    """The pricing parameters in real units (fractions; horizon in seconds)."""

    spot_shock: float
    spot_sigmas: float
    crash_factor: float
    vol_up: float
    vol_down: float
    vol_tenor_cap: float
    horizon: float
    rate: float = 0.0

    @classmethod
    def from_wad(cls, params: dict[str, int]) -> ScenarioParams:
        """From the contract's `RiskParams` as a dict of integers (WAD; horizon seconds)."""
        w = 1e18
        return cls(
            spot_shock=params["spot_shock"] / w,
            spot_sigmas=params["spot_sigmas"] / w,
            crash_factor=params["crash_factor"] / w,
            vol_up=params["vol_up"] / w,
            vol_down=params["vol_down"] / w,
            vol_tenor_cap=params["vol_tenor_cap"] / w,
            horizon=float(params["horizon"]),
            rate=params["rate"] / w,
        )


def spot_box(legs: Sequence[ScenarioLeg], p: ScenarioParams) -> tuple[float, float]:
    """(down, up) fractions of spot of the vault's spot scenarios."""
    vol_ref = max((leg.vol for leg in legs if leg.tau > 0), default=0.0)
    h = p.spot_sigmas * vol_ref * np.sqrt(p.horizon / YEAR)
    h = min(max(h, p.spot_shock), MAX_SPOT_SHOCK)
    return min(h * p.crash_factor, MAX_SPOT_DOWN), h


def vol_states(leg: ScenarioLeg, p: ScenarioParams) -> tuple[float, float]:
    """(vol up, vol down) of a leg's two vol scenarios (an expired leg has none)."""
    if leg.tau <= 0:
        return leg.vol, leg.vol
    g = min(max(np.sqrt(TENOR_REFERENCE / leg.tau), MIN_TENOR_SCALE), p.vol_tenor_cap)
    return leg.vol * (1 + p.vol_up * g), leg.vol * (1 - min(p.vol_down * g, MAX_VOL_DROP))


def _value(leg: ScenarioLeg, spot, tau_seconds, vol, rate):
    tau = np.maximum(tau_seconds, 0.0) / YEAR
    return price_and_greeks(leg.is_call, spot, leg.strike, tau, vol, rate).price


def worst_loss(
    legs: Sequence[ScenarioLeg],
    spot: float,
    p: ScenarioParams,
    spot_points: int = 2_001,
    time_points: int = 9,
) -> float:
    """The largest loss of the vault over its scenarios (quote), by brute force: a dense
    spot grid (``spot_points``, both ends included), both vol states, ``time_points``
    times in [0, horizon]. 0 when no scenario loses."""
    down, up = spot_box(legs, p)
    spots = np.linspace(spot * (1 - down), spot * (1 + up), spot_points)
    times = np.linspace(0.0, p.horizon, time_points)
    marks = [float(_value(leg, spot, leg.tau, leg.vol, p.rate)) for leg in legs]
    worst = 0.0
    for state in (0, 1):
        for t in times:
            loss = np.zeros_like(spots)
            for leg, mark in zip(legs, marks, strict=True):
                vol = vol_states(leg, p)[state]
                loss += leg.size * (mark - _value(leg, spots, leg.tau - t, vol, p.rate))
            worst = max(worst, float(loss.max()))
    return worst
