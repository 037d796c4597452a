"""The run's own rules: a breach is equity below zero from equity = MM, and --set-risk."""

import numpy as np
import pytest

from ringfence import deploy_config
from ringfence.paths import ROOT
from ringfence.tools.backtest.run import horizon_figures, override_risk

PARAMS = ROOT / "deploy" / "local.yaml"


def test_breach__loss_exactly_mm__solvent_one_wei_more__breach(default_config):
    # equity starts at MM; after a loss L it is MM - L: insolvent only when L > MM
    mm = 250.0
    figures = horizon_figures(
        np.array([mm, np.nextafter(mm, np.inf), 0.0, -mm]), mm, default_config
    )
    assert figures["breaches"] == 1
    assert figures["worst_over_mm"] == pytest.approx(1.0)
    assert figures["mean_over_mm"] == pytest.approx(0.25)


def test_override_risk__human_units__exact_wad_and_rest_unchanged():
    params = deploy_config.load(PARAMS)
    changed = override_risk(params, "ETH", ["vol_shock=0.1", "min_short_margin = 0.02"])
    before, after = params.risk["ETH"], changed.risk["ETH"]
    assert (after.vol_shock, after.min_short_margin) == (10**17, 2 * 10**16)
    assert after.spot_shock == before.spot_shock and after.im_factor == before.im_factor
    assert params.risk["ETH"].vol_shock == 3 * 10**17  # the loaded file is not mutated


@pytest.mark.parametrize(
    ("setting", "message"),
    [("vol_shok=0.1", "expected KEY=VALUE"), ("vol_shock", "expected KEY=VALUE"),
     ("vol_shock=abc", "expected a number"), ("im_factor=-1", "must not be negative")],
)  # fmt: skip
def test_override_risk__bad_setting__config_error(setting, message):
    params = deploy_config.load(PARAMS)
    with pytest.raises(deploy_config.ConfigError, match=message):
        override_risk(params, "ETH", [setting])
