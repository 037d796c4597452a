"""Scenario files: validation with file:line errors, and rendering to the replay format."""

import pytest

from oracle.sources.replay import load_replay
from ringfence.demo.scenario import Row, ScenarioError, load, parse, render_replay
from ringfence.paths import ROOT


@pytest.mark.parametrize("name", ["crash", "vol-spike", "bleed-to-expiry"])
def test_load__shipped_scenarios__valid(name):
    scen = load(ROOT / "scenarios" / f"{name}.csv")
    assert scen.rows[0].t == 0 and scen.step > 0


def test_load__crash__minus_35_percent_in_20_minutes_vol_60_to_140_partial_recovery():
    scen = load(ROOT / "scenarios" / "crash.csv")
    low = scen.low()
    assert low.t == 20 * 60
    assert low.spot == pytest.approx(scen.rows[0].spot * 0.65)
    assert scen.rows[0].vol == pytest.approx(0.6) and max(r.vol for r in scen.rows) == 1.4
    assert low.spot < scen.rows[-1].spot < scen.rows[0].spot


def test_load__vol_spike__flat_spot_vol_tripled():
    scen = load(ROOT / "scenarios" / "vol-spike.csv")
    assert max(abs(r.spot / 3000 - 1) for r in scen.rows) < 0.001
    spike = next(r for r in scen.rows if r.t == 600)
    assert spike.vol == pytest.approx(3 * scen.rows[0].vol)
    assert max(r.vol for r in scen.rows) < 3.1 * scen.rows[0].vol


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("t,spot\n0,1\n", "header must be"),
        ("t,spot,vol\n5,3000,0.6\n65,3010,0.6\n", "first row must have t = 0"),
        ("t,spot,vol\n0,3000,0.6\n60,3000,0.6\n", "repeats the previous one"),
        ("t,spot,vol\n0,3000,0.6\n60,3100,0.6\n90,3200,0.6\n", "evenly spaced"),
        ("t,spot,vol\n0,3000,0.6\n60,-1,0.6\n", "spot must be > 0"),
        ("t,spot,vol\n0,3000,0.6\n", "at least two rows"),
    ],
)
def test_parse__bad_scenario__error_names_the_problem(text, message):
    with pytest.raises(ScenarioError, match=message):
        parse(text, "bad")


def test_render_replay__valid_pusher_file_with_open_expiries_only(tmp_path):
    rows = (Row(0, 3000.0, 0.6), Row(60, 2900.0, 0.7))
    path = tmp_path / "replay.csv"
    path.write_text(render_replay(rows, 1_000_000, [1_000_030, 2_000_000]))
    groups = load_replay(path)
    text = path.read_text().splitlines()
    assert text[0] == "timestamp,underlying,spot,expiry,vol"
    assert "1000000,ETH,3000.0,1000030,0.6" in text  # expiry still ahead at t = 0
    assert not any(line.startswith("1000060,ETH,2900.0,1000030") for line in text)
    assert groups  # the pusher's own loader accepts it
