"""The pusher's `clock` option: wall time by default, the latest block's time with `chain`."""

import time

import pytest
import yaml

from oracle.config import load_config
from oracle.errors import ConfigError
from oracle.service import make_clock


class BlockRpc:
    """An RPC whose latest block has a settable timestamp; records what was asked."""

    def __init__(self, timestamp: int) -> None:
        self.timestamp = timestamp
        self.asked: list[str] = []

    def call(self, fn, what="rpc"):
        self.asked.append(what)
        return fn(self)

    @property
    def eth(self):
        return self

    def get_block(self, tag):
        assert tag == "latest"
        return {"timestamp": self.timestamp}


def _config(tmp_path, **over):
    cfg = {
        "chain_id": 31337,
        "rpc_urls": ["http://127.0.0.1:1"],
        "oracle": {"address": "0x5FbDB2315678afecb367f032d93F642f64180aa3"},
        "signer": {"keystore": "keys/k.json"},
        "feeds": [{"underlying": "ETH", "sources": [{"kind": "sim", "seed": 1}]}],
        **over,
    }
    path = tmp_path / "cfg.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return path


def test_make_clock__chain__follows_the_latest_block_not_the_wall():
    rpc = BlockRpc(timestamp=2_000_000_000)
    clock = make_clock("chain", rpc)
    assert clock() == 2_000_000_000
    rpc.timestamp += 604_800  # a week of evm_increaseTime
    assert clock() == 2_000_604_800
    assert rpc.asked == ["clock", "clock"]


def test_make_clock__wall__is_this_machines_time_and_never_asks_the_chain():
    rpc = BlockRpc(timestamp=1)
    before = time.time()
    now = make_clock("wall", rpc)()
    assert before <= now <= time.time()
    assert rpc.asked == []


def test_make_clock__unknown_kind__raises():
    with pytest.raises(ValueError, match="unknown clock 'sundial'"):
        make_clock("sundial", BlockRpc(0))


def test_load_config__clock_default__wall(tmp_path):
    assert load_config(_config(tmp_path)).clock == "wall"


def test_load_config__clock_chain__accepted(tmp_path):
    assert load_config(_config(tmp_path, clock="chain")).clock == "chain"


def test_load_config__unknown_clock__one_line_config_error(tmp_path):
    with pytest.raises(ConfigError, match="config.clock: unknown clock 'block'"):
        load_config(_config(tmp_path, clock="block"))
