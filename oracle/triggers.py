"""When a feed is due: deviation since the last push, or heartbeat age.

- Spot: due when |new - last| / last >= ``deviation_bps`` (bps), or when the last pushed
  observation is ``heartbeat`` seconds old or older, or when nothing was pushed yet.
- Surface (per expiry): the deviation is the largest absolute implied-vol difference, in
  vol points (0.01 = 1 vol point), between the new smile and the last pushed one over the
  log-moneyness grid ``SURFACE_GRID`` (ATM, near wings and the breaker's far points),
  each smile read at its own time to expiry. Due at >= ``vol_deviation``, or on the same
  heartbeat rule. A changed forward alone moves spot's trigger, not the surface's.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from oracle.sources.base import SurfaceQuote

# ATM, the near wings and the oracle vol breaker's far points (contracts/Oracle.vy VOL_GRID):
# a wing-only move is a push, or a stale wing could be traded against (docs/oracle.md §5a).
SURFACE_GRID = np.array([-1.0, -0.5, -0.25, -0.1, 0.0, 0.1, 0.25, 0.5, 1.0])


@dataclass(frozen=True)
class TriggerConfig:
    deviation_bps: float  # spot deviation that forces a push, bps
    vol_deviation: float  # smile deviation that forces a push, vol points (0.01 = 1 point)
    heartbeat: int  # max seconds between pushes of an unchanged value


@dataclass(frozen=True)
class Pushed:
    """What was last pushed for one (feed, expiry); expiry 0 = spot."""

    observed_at: int
    spot: float | None = None
    surface: SurfaceQuote | None = None


@dataclass(frozen=True)
class Decision:
    due: bool
    reason: str  # "first", "deviation", "heartbeat" or "" (not due)
    deviation: float  # bps for spot, vol points for a surface; 0 when nothing to compare


def spot_deviation_bps(last: float, new: float) -> float:
    return abs(new - last) / last * 10_000


def surface_deviation(old: SurfaceQuote, old_at: int, new: SurfaceQuote, new_at: int) -> float:
    """Max |vol_new(k) - vol_old(k)| over SURFACE_GRID, in vol points (absolute)."""
    v_old = np.asarray(old.svi.implied_vol(SURFACE_GRID, old.tau(old_at)))
    v_new = np.asarray(new.svi.implied_vol(SURFACE_GRID, new.tau(new_at)))
    return float(np.max(np.abs(v_new - v_old)))


def _decide(
    last: Pushed | None, deviation: float, limit: float, now: int, heartbeat: int
) -> Decision:
    if last is None:
        return Decision(True, "first", 0.0)
    if deviation >= limit:
        return Decision(True, "deviation", deviation)
    if now - last.observed_at >= heartbeat:
        return Decision(True, "heartbeat", deviation)
    return Decision(False, "", deviation)


def spot_due(last: Pushed | None, spot: float, now: int, cfg: TriggerConfig) -> Decision:
    deviation = 0.0 if last is None or not last.spot else spot_deviation_bps(last.spot, spot)
    return _decide(last, deviation, cfg.deviation_bps, now, cfg.heartbeat)


def surface_due(
    last: Pushed | None, quote: SurfaceQuote, observed_at: int, now: int, cfg: TriggerConfig
) -> Decision:
    if last is None or last.surface is None:
        return _decide(None, 0.0, cfg.vol_deviation, now, cfg.heartbeat)
    deviation = surface_deviation(last.surface, last.observed_at, quote, observed_at)
    return _decide(last, deviation, cfg.vol_deviation, now, cfg.heartbeat)
