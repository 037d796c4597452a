"""The backtest configuration: shipped defaults, overrides, and one-line errors naming the key."""

import pytest
import yaml

from ringfence.tools.backtest.config import (
    BacktestConfigError,
    default_document,
    duration,
    label,
    load,
    merge,
    parse,
)


def test_load__shipped_defaults__typed():
    config = load()
    assert config.horizons == (60, 3_600, 86_400)
    assert [s.name for s in config.starts] == ["calm", "stressed"]
    calm, stressed = config.starts
    assert stressed.spot == pytest.approx(0.8 * calm.spot)
    assert stressed.atm_vol == pytest.approx(2.0 * calm.atm_vol)
    assert (calm.regime, stressed.regime) == ("stationary", "stressed")
    assert config.model.reference_tenor == pytest.approx(30 / 365)


def test_load__override_file__laid_over_defaults(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump({"paths": 10, "model": {"jumps": {"mean": -0.1}}}))
    config = load(path)
    assert config.paths == 10
    assert config.model.jump_mean == -0.1
    assert config.model.jump_std == load().model.jump_std


@pytest.mark.parametrize(
    ("text", "seconds"), [("1m", 60), ("1h", 3_600), ("1d", 86_400), ("300s", 300), (90, 90)]
)
def test_duration__units__seconds(text, seconds):
    assert duration(text, "k") == seconds


@pytest.mark.parametrize("text", ["1y", "m", "-1h", "0s", True, "1.5h"])
def test_duration__not_a_duration__error_names_key(text):
    with pytest.raises(BacktestConfigError, match=r"^k: "):
        duration(text, "k")


def test_label__round_trips_durations():
    labels = [label(s) for s in (60, 3_600, 86_400, 90, 7 * 86_400)]
    assert labels == ["1m", "1h", "1d", "90s", "7d"]


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"model": {"jumps": {"mena": 0.1}}},
         r"config\.model\.jumps\.mena: unknown key \(did you mean 'mean'\?\)"),
        ({"pahts": 10}, r"config\.pahts: unknown key \(did you mean 'paths'\?\)"),
        ({"zzz": 1}, r"config\.zzz: unknown key$"),
        ({"model": 3}, r"config\.model: expected a mapping"),
    ],
)  # fmt: skip
def test_merge__unknown_or_misplaced_key__error_names_it(override, message):
    with pytest.raises(BacktestConfigError, match=message):
        merge(default_document(), override)


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"paths": 0}, r"config\.paths: must be >= 1"),
        ({"paths": "many"}, r"config\.paths: expected an integer"),
        ({"horizons": ["1h", "1m"]}, r"config\.horizons: must be strictly increasing"),
        ({"horizons": ["8d"]}, r"config\.horizons: must end before the 7-day expiry"),
        ({"run": ["calm", "panic"]}, r"config\.run: expected a non-empty list"),
        ({"confidence": 1.5}, r"config\.confidence: must be in"),
        ({"start": {"regime": "hot"}}, r"config\.start\.regime: expected one of"),
        ({"model": {"vol": {"spot_correlation": 1.0}}}, r"config\.model\.vol\.spot_correlation"),
        ({"stressed": {"wing": 0}}, r"config\.stressed\.wing: must be in \(0"),
        ({"seed": -1}, r"config\.seed: expected a non-negative integer"),
    ],
)  # fmt: skip
def test_parse__bad_value__error_names_key(override, message):
    with pytest.raises(BacktestConfigError, match=message):
        parse(merge(default_document(), override))


def test_load__missing_or_invalid_file__one_line_error(tmp_path):
    with pytest.raises(BacktestConfigError, match=r"config file .*nope\.yaml does not exist"):
        load(tmp_path / "nope.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("paths: [1, 2\n")
    with pytest.raises(BacktestConfigError, match=r"invalid YAML") as error:
        load(bad)
    assert "\n" not in str(error.value)
