"""keeper.config (typed options) and keeper.metrics (plain data + Prometheus export)."""

from __future__ import annotations

import pytest
from prometheus_client import generate_latest

from keeper.config import KeeperConfig
from keeper.metrics import KeeperMetrics, register


def test_config__yaml_file__typed_fields_and_wei_conversions(tmp_path):
    path = tmp_path / "keeper.yaml"
    path.write_text("clearing_house: '0xabc'\nshard: 1\nshards: 3\nmax_fee_ceiling_gwei: 50\n")

    cfg = KeeperConfig.from_yaml(path)

    assert (cfg.shard, cfg.shards) == (1, 3)
    assert cfg.max_fee_ceiling_wei == 50 * 10**9
    assert cfg.priority_fee_wei == 10**9


def test_config__unknown_key__rejected():
    with pytest.raises(ValueError, match="unknown option"):
        KeeperConfig.from_mapping({"shrads": 2})


def test_config__wrong_type__rejected():
    with pytest.raises(ValueError, match="shard must be int"):
        KeeperConfig.from_mapping({"shard": "1"})
    with pytest.raises(ValueError, match="dry_run must be bool"):
        KeeperConfig.from_mapping({"dry_run": 1})


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"shard": 2, "shards": 2}, "shard"),
        ({"prescreen_ratio": 0.9}, "prescreen_ratio"),
        ({"block_gas_headroom": 1.0}, "headroom"),
        ({"getlogs_min_chunk": 10, "getlogs_initial_chunk": 5}, "min_chunk"),
    ],
)
def test_config__inconsistent_values__rejected(values, message):
    with pytest.raises(ValueError, match=message):
        KeeperConfig.from_mapping(values)


def test_config__every_field__documented():
    helps = KeeperConfig.help()
    assert helps and all(text.strip() for text in helps.values())


def test_metrics__export__prometheus_text_has_every_family_and_value():
    m = KeeperMetrics(positions_indexed=12, candidates=3, last_block=4_242, scan_seconds=0.25)
    m.vaults[("liquidate", "lost")] = 2
    m.signer_balance_wei = 10**18

    text = generate_latest(register(m)).decode()

    assert "keeper_positions_indexed 12.0" in text
    assert "keeper_candidates 3.0" in text
    assert 'keeper_vaults_total{action="liquidate",outcome="lost"} 2.0' in text
    assert 'keeper_vaults_total{action="settle",outcome="mined"} 0.0' in text
    assert "keeper_last_block 4242.0" in text
    assert "keeper_scan_seconds 0.25" in text
    assert "keeper_signer_balance_wei 1e+18" in text
    # plain data: a later change shows up at the next scrape
    m.candidates = 5
    assert "keeper_candidates 5.0" in generate_latest(register(m)).decode()
