"""Deployment parameter files: exact unit conversion and one-line errors."""

from pathlib import Path

import pytest
import yaml

from ringfence.deploy_config import (
    ConfigError,
    load,
    parse,
    resolve_expiry,
    to_units,
    to_wad,
)
from ringfence.oracle_types import underlying_id
from ringfence.paths import ROOT

# 2026-11-24 03:00:00 UTC
NOW = 1_795_402_800


@pytest.mark.parametrize(
    ("value", "expected"),
    [(3000, 3000 * 10**18), ("0.15", 15 * 10**16), (0.1, 10**17), ("1e-18", 1), (0, 0)],
)
def test_to_wad__human_numbers__exact(value, expected):
    assert to_wad(value, "k") == expected


def test_to_wad__float_noise__never_leaks_binary_rounding():
    # 0.1 + 0.2 as a float is 0.30000000000000004: str() keeps it, and it has < 18 decimals
    assert to_wad(0.3, "k") == 3 * 10**17


@pytest.mark.parametrize("value", ["abc", True, None, "1e-19"])
def test_to_wad__not_a_wad_number__config_error(value):
    with pytest.raises(ConfigError, match="^k: "):
        to_wad(value, "k")


def test_to_wad__negative_unsigned__config_error():
    with pytest.raises(ConfigError, match="must not be negative"):
        to_wad(-1, "k")
    assert to_wad(-0.05, "rate", signed=True) == -5 * 10**16


def test_to_units__six_decimals__truncates_to_base_units():
    assert to_units(1_000_000, 6, "k") == 10**12
    assert to_units("0.0000015", 6, "k") == 1


def test_resolve_expiry__days__next_0800_utc():
    expiry = resolve_expiry("+7d", NOW, "k")
    assert expiry % 86_400 == 8 * 3_600
    assert 7 * 86_400 <= expiry - NOW < 8 * 86_400


def test_resolve_expiry__hours__exact_offset():
    assert resolve_expiry("+12h", NOW, "k") == NOW + 12 * 3_600


def test_resolve_expiry__iso_and_timestamp__as_given():
    assert resolve_expiry("2027-03-26T08:00:00Z", NOW, "k") == 1_806_048_000
    assert resolve_expiry(1_806_048_000, NOW, "k") == 1_806_048_000


def test_resolve_expiry__garbage__config_error():
    with pytest.raises(ConfigError, match="not a timestamp"):
        resolve_expiry("next friday", NOW, "series[0].expiry")


@pytest.mark.parametrize("name", ["local.yaml", "sepolia.yaml"])
def test_load__shipped_parameter_files__valid(name):
    config = load(ROOT / "deploy" / name)
    assert config.feeds and config.series
    for feed in config.feeds:
        assert feed.symbol in config.risk
    assert config.feeds[0].underlying == underlying_id("ETH")


def test_load__local__roles_and_funding_in_base_units():
    config = load(ROOT / "deploy" / "local.yaml")
    assert config.token.address is None
    assert config.token.decimals == 6
    assert config.local_funding == 1_000_000 * 10**6
    assert {"deployer", "lp", "trader", "oracle_signer"} <= set(config.local_roles)


def test_load__sepolia__real_token_and_quorum_two():
    config = load(ROOT / "deploy" / "sepolia.yaml")
    assert config.token.address.startswith("0x")
    assert config.quorum == 2 and len(config.signers) == 2
    assert config.risk["ETH"].rate == 4 * 10**16


def _local() -> dict:
    return yaml.safe_load((ROOT / "deploy" / "local.yaml").read_text())


def test_parse__series_on_unknown_feed__names_the_key():
    data = _local()
    data["series"][0]["underlying"] = "BTC"
    with pytest.raises(ConfigError, match=r"^series\[0\]\.underlying: BTC is not an oracle feed"):
        parse(data)


def test_parse__missing_risk_for_feed__config_error():
    data = _local()
    del data["risk"]["ETH"]
    with pytest.raises(ConfigError, match="no parameters for feed"):
        parse(data)


def test_parse__unknown_risk_key__config_error():
    data = _local()
    data["risk"]["ETH"]["spot_shok"] = 0.1
    with pytest.raises(ConfigError, match="unknown key"):
        parse(data)


def test_parse__bad_option_type__config_error():
    data = _local()
    data["series"][0]["types"] = ["call", "straddle"]
    with pytest.raises(ConfigError, match="expected call and/or put"):
        parse(data)


def test_load__missing_file__config_error(tmp_path: Path):
    with pytest.raises(ConfigError, match="does not exist"):
        load(tmp_path / "nope.yaml")


def test_load__invalid_yaml__config_error(tmp_path: Path):
    path = tmp_path / "bad.yaml"
    path.write_text("token: [unclosed\n")
    with pytest.raises(ConfigError, match="invalid YAML"):
        load(path)
