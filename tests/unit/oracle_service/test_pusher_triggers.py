"""Deviation and heartbeat triggers."""

import pytest

from oracle.sources.base import SurfaceQuote
from oracle.svi import Svi
from oracle.triggers import Pushed, TriggerConfig, spot_due, surface_deviation, surface_due
from oracle.units import years

CFG = TriggerConfig(deviation_bps=50, vol_deviation=0.01, heartbeat=3_600)
NOW = 1_700_000_000
EXPIRY = NOW + 30 * 86_400


def flat(vol: float, at: int) -> SurfaceQuote:
    return SurfaceQuote(EXPIRY, 2_000.0, Svi.flat(vol, years(EXPIRY - at)))


def test_spot__never_pushed__due_first():
    assert spot_due(None, 2_000.0, NOW, CFG).reason == "first"


def test_spot__moved_past_threshold__due_deviation():
    d = spot_due(Pushed(NOW - 10, spot=2_000.0), 2_010.0, NOW, CFG)
    assert d.due and d.reason == "deviation" and d.deviation == pytest.approx(50.0)


def test_spot__moved_below_threshold__not_due():
    d = spot_due(Pushed(NOW - 10, spot=2_000.0), 2_009.0, NOW, CFG)
    assert not d.due and d.deviation == pytest.approx(45.0)


def test_spot__heartbeat_reached__due_heartbeat():
    d = spot_due(Pushed(NOW - 3_600, spot=2_000.0), 2_000.0, NOW, CFG)
    assert d.due and d.reason == "heartbeat"


def test_spot__heartbeat_not_reached__not_due():
    assert not spot_due(Pushed(NOW - 3_599, spot=2_000.0), 2_000.0, NOW, CFG).due


def test_surface__same_vol_later__no_deviation():
    """Total variance shrinks as expiry nears; the trigger compares vols, not variances."""
    old = flat(0.6, NOW - 1_800)
    assert surface_deviation(old, NOW - 1_800, flat(0.6, NOW), NOW) == pytest.approx(0.0, abs=1e-12)
    assert not surface_due(Pushed(NOW - 1_800, surface=old), flat(0.6, NOW), NOW, NOW, CFG).due


def test_surface__atm_moved_a_vol_point__due_deviation():
    last = Pushed(NOW - 60, surface=flat(0.60, NOW - 60))
    d = surface_due(last, flat(0.615, NOW), NOW, NOW, CFG)
    assert d.due and d.reason == "deviation" and d.deviation == pytest.approx(0.015)


def test_surface__wing_moved__due_even_with_atm_unchanged():
    tau = years(EXPIRY - NOW)
    base = Svi(a=0.36 * tau - 0.01 * 0.1, b=0.01, rho=0.0, m=0.0, sigma=0.1)
    steeper = Svi(a=base.a - 0.02 * 0.1, b=0.03, rho=0.0, m=0.0, sigma=0.1)  # same w(0)
    old, new = SurfaceQuote(EXPIRY, 2_000.0, base), SurfaceQuote(EXPIRY, 2_000.0, steeper)
    assert old.atm_vol(NOW) == pytest.approx(new.atm_vol(NOW))
    assert surface_due(Pushed(NOW - 1, surface=old), new, NOW, NOW, CFG).reason == "deviation"


def test_surface__never_pushed__due_first():
    assert surface_due(None, flat(0.6, NOW), NOW, NOW, CFG).reason == "first"
