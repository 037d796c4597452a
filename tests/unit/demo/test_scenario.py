"""Scenario files: validation with file:line errors, and rendering to the replay format."""

import pytest

from oracle.sources.replay import load_replay
from ringfence.demo.scenario import Row, ScenarioError, load, parse, render_replay
from ringfence.paths import ROOT


@pytest.mark.parametrize("name", ["crash", "vol-spike", "bleed-to-expiry", "gap"])
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
        ("t,spot,vol,keeper\n0,3000,0.6,on\n60,2900,0.6,down\n", "keeper must be on or off"),
        ("t,spot,vol,keeper\n0,3000,0.6,off\n60,2900,0.6,on\n", "keeper must be on at t = 0"),
        ("t,spot,vol,vol\n0,3000,0.6,0.6\n", "header must be"),
        ("t,spot,vol,keepr\n0,3000,0.6,on\n", "header must be"),
    ],
)
def test_parse__bad_scenario__error_names_the_problem(text, message):
    with pytest.raises(ScenarioError, match=message):
        parse(text, "bad")


def test_load__gap__minus_40_percent_vol_x3_in_one_update_then_30_minute_outage():
    scen = load(ROOT / "scenarios" / "gap.csv")
    first, gap = scen.rows[0], scen.rows[1]
    assert gap.spot == pytest.approx(first.spot * 0.6) and gap.vol == pytest.approx(3 * first.vol)
    assert scen.outages() == [(gap.t, gap.t + 30 * 60)]
    assert first.keeper and not gap.keeper and scen.rows[-1].keeper
    assert scen.rows[-1].spot > gap.spot  # a recovery, with the keeper back


def test_keeper_column__default_on_and_row_in_force_by_time():
    scen = parse("t,spot,vol\n0,3000,0.6\n60,2900,0.6\n", "plain")
    assert all(row.keeper for row in scen.rows) and scen.outages() == []
    scen = parse(
        "t,keeper,spot,vol\n0,on,3000,0.6\n60,off,2900,0.6\n120,off,2800,0.6\n180,on,2850,0.6\n",
        "outage",
    )
    assert [scen.row_at(t).keeper for t in (0, 59, 60, 179.5, 180, 10_000)] == [
        True, True, False, False, True, True,
    ]  # fmt: skip
    assert scen.outages() == [(60, 180)]
    ends_down = parse("t,spot,vol,keeper\n0,3000,0.6,on\n60,2900,0.6,off\n", "down")
    assert ends_down.outages() == [(60, 60)]


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
