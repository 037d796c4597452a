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
    changed = override_risk(
        params, "ETH", ["vol_up=0.1", "min_short_margin = 0.03", "horizon=3600"]
    )
    before, after = params.risk["ETH"], changed.risk["ETH"]
    assert (after.vol_up, after.min_short_margin, after.horizon) == (10**17, 3 * 10**16, 3600)
    assert after.spot_shock == before.spot_shock and after.im_factor == before.im_factor
    assert params.risk["ETH"].vol_up == 2 * 10**17  # the loaded file is not mutated


@pytest.mark.parametrize(
    ("setting", "message"),
    [("vol_upp=0.1", "expected KEY=VALUE"), ("vol_up", "expected KEY=VALUE"),
     ("vol_up=abc", "expected a number"), ("im_factor=-1", "must not be negative"),
     ("horizon=1.5", "whole number of seconds")],
)  # fmt: skip
def test_override_risk__bad_setting__config_error(setting, message):
    params = deploy_config.load(PARAMS)
    with pytest.raises(deploy_config.ConfigError, match=message):
        override_risk(params, "ETH", [setting])
