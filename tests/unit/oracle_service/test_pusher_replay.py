"""The replay source: CSV parsing, bad rows, stepping and re-timing."""

import pytest

from oracle.errors import ConfigError, SourceExhausted
from oracle.sources.replay import ReplaySource, load_replay
from oracle.units import YEAR_SECONDS

T0 = 1_700_000_000
EXPIRY = T0 + 30 * 86_400
HEADER = "timestamp,underlying,spot,expiry,forward,vol,a,b,rho,m,sigma"


def write(tmp_path, *rows, header=HEADER):
    path = tmp_path / "replay.csv"
    path.write_text("\n".join([header, *rows]) + "\n")
    return path


def test_load__spot_flat_and_svi_rows__parsed(tmp_path):
    path = write(
        tmp_path,
        "# a comment line",
        f"{T0},ETH,2000,,,,,,,,",
        f"{T0},ETH,2000,{EXPIRY},2010,0.6,,,,,",
        f"{T0},BTC,90000,{EXPIRY},,,0.02,0.05,-0.3,0.0,0.1",
        "2023-11-14T22:13:21Z,ETH,2005,,,,,,,,",
    )
    rows = load_replay(path)
    assert [r.underlying for r in rows] == ["ETH", "ETH", "BTC", "ETH"]
    assert rows[1].vol == 0.6 and rows[1].forward == 2010
    assert rows[2].svi is not None and rows[2].svi.rho == -0.3
    assert rows[3].timestamp == T0 + 1 and rows[3].expiry is None


@pytest.mark.parametrize(
    "row,message",
    [
        (f"{T0},ETH,,,,,,,,,", "missing spot"),
        (f"{T0},ETH,-5,,,,,,,,", "spot must be > 0"),
        (f"{T0},ETH,abc,,,,,,,,", "is not a number"),
        ("soon,ETH,2000,,,,,,,,", "neither unix seconds nor ISO"),
        (f"{T0},ETH,2000,{T0 - 1},,0.5,,,,,", "not after timestamp"),
        (f"{T0},ETH,2000,{EXPIRY},,0.5,0.02,0.05,-0.3,0.0,0.1", "not both"),
        (f"{T0},ETH,2000,{EXPIRY},,,0.02,0.05,,0.0,0.1", "missing ['rho']"),
        (f"{T0},ETH,2000,{EXPIRY},,,0.02,0.05,-1.5,0.0,0.1", "rho"),
        (f"{T0},ETH,2000,,,0.5,,,,,", "need an expiry"),
        (f"{T0},ETH,2000,{EXPIRY},,0.5,,,,,,extra", "more cells"),
    ],
)
def test_load__bad_row__config_error_names_file_and_line(tmp_path, row, message):
    path = write(tmp_path, f"{T0 - 10},ETH,2000,,,,,,,,", row)
    with pytest.raises(ConfigError) as err:
        load_replay(path)
    assert f"{path}:3:" in str(err.value)
    assert message in str(err.value)


def test_load__unknown_column__config_error_on_header(tmp_path):
    path = write(tmp_path, f"{T0},ETH,2000", header="timestamp,underlying,spot,volatility")
    with pytest.raises(ConfigError, match=r":1: unknown columns \['volatility'\]"):
        load_replay(path)


def test_load__spots_disagree_within_one_timestamp__config_error(tmp_path):
    path = write(tmp_path, f"{T0},ETH,2000,,,,,,,,", f"{T0},ETH,2001,{EXPIRY},,0.5,,,,,")
    with pytest.raises(ConfigError, match="disagrees"):
        load_replay(path)


def test_load__duplicate_row__config_error(tmp_path):
    path = write(tmp_path, f"{T0},ETH,2000,,,,,,,,", f"{T0},ETH,2000,,,,,,,,")
    with pytest.raises(ConfigError, match="duplicate of line 2"):
        load_replay(path)


def test_load__missing_file__config_error(tmp_path):
    with pytest.raises(ConfigError, match="No such file"):
        load_replay(tmp_path / "nope.csv")


def test_fetch__steps_one_timestamp_per_call_then_holds(tmp_path):
    path = write(tmp_path, f"{T0},ETH,2000,,,,,,,,", f"{T0 + 60},ETH,2100,,,,,,,,")
    src = ReplaySource(path, "ETH", on_end="hold")
    assert [src.fetch(T0 + i, []).spot for i in range(4)] == [2000, 2100, 2100, 2100]


def test_fetch__on_end_stop__raises_exhausted(tmp_path):
    src = ReplaySource(write(tmp_path, f"{T0},ETH,2000,,,,,,,,"), "ETH", on_end="stop")
    src.fetch(T0, [])
    with pytest.raises(SourceExhausted):
        src.fetch(T0 + 1, [])


def test_fetch__other_underlying_rows__ignored(tmp_path):
    path = write(tmp_path, f"{T0},BTC,90000,,,,,,,,", f"{T0},ETH,2000,,,,,,,,")
    assert ReplaySource(path, "ETH").fetch(T0, []).spot == 2000


def test_fetch__live_clock__implied_vols_preserved(tmp_path):
    path = write(
        tmp_path,
        f"{T0},ETH,2000,{EXPIRY},,0.6,,,,,",
        f"{T0},BTC,90000,{EXPIRY},,,0.02,0.05,-0.3,0.0,0.1",
    )
    now = T0 + 10 * 86_400  # replayed later: 20 days to expiry instead of 30
    eth = ReplaySource(path, "ETH").fetch(now, [EXPIRY])
    btc = ReplaySource(path, "BTC").fetch(now, [EXPIRY])
    assert eth.observed_at == now
    assert eth.surfaces[EXPIRY].atm_vol(now) == pytest.approx(0.6)
    assert eth.surfaces[EXPIRY].forward == 2000  # forward defaults to spot
    file_svi = load_replay(path)[1].svi
    tau_file, tau_now = 30 * 86_400 / YEAR_SECONDS, 20 * 86_400 / YEAR_SECONDS
    for k in (-0.2, 0.0, 0.3):
        assert btc.surfaces[EXPIRY].svi.implied_vol(k, tau_now) == pytest.approx(
            file_svi.implied_vol(k, tau_file)
        )


def test_fetch__unlisted_expiry__no_surface(tmp_path):
    path = write(tmp_path, f"{T0},ETH,2000,{EXPIRY},,0.6,,,,,")
    assert ReplaySource(path, "ETH").fetch(T0, [EXPIRY + 1]).surfaces == {}


def test_fetch__file_timestamps__used_verbatim(tmp_path):
    path = write(tmp_path, f"{T0},ETH,2000,,,,,,,,")
    assert ReplaySource(path, "ETH", use_file_timestamps=True).fetch(T0 + 999, []).observed_at == T0
