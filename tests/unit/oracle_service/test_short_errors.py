"""A dead RPC is one short readable line (``connection refused``), not urllib3's 290
characters of pool and retry details; for the pusher and the keeper alike."""

import json
import socket

import pytest
import requests

from keeper.service import ConfigError as KeeperConfigError
from keeper.service import open_service
from oracle.errors import ConfigError
from ringfence.errors import LIMIT, short_error
from ringfence.rpc import FailoverRpc


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # closed again when the block ends


def _dead_url() -> str:
    return f"http://127.0.0.1:{_closed_port()}"


def test_short_error__requests_connection_refused__two_words():
    with pytest.raises(requests.ConnectionError) as info:
        requests.post(_dead_url(), timeout=2)
    assert len(str(info.value)) > 150  # what used to be printed
    assert short_error(info.value) == "connection refused"


def test_short_error__timeout_and_unknown_errors__short_first_line():
    assert short_error(requests.Timeout("Read timed out. (read timeout=2)")) == "timed out"
    long = short_error(ValueError("boom " * 100 + "\nsecond line"))
    assert long.startswith("ValueError: boom") and len(long) <= LIMIT and "second" not in long


def test_pusher_connect__every_endpoint_dead__one_short_line():
    url = _dead_url()
    rpc = FailoverRpc([url], timeout=2, rounds=1)
    with pytest.raises(ConfigError) as info:
        rpc.connect(31_337)
    assert str(info.value) == f"every RPC endpoint is unreachable: {url}: connection refused"


def test_keeper_open_service__dead_rpc__one_short_line(tmp_path):
    url = _dead_url()
    record = tmp_path / "local-31337.json"
    contracts = {n: {"address": "0x" + "11" * 20} for n in ("ClearingHouse", "Registry")}
    contracts |= {n: {"address": "0x" + "22" * 20} for n in ("ClearingHouseView", "Oracle")}
    record.write_text(json.dumps({"chain_id": 31337, "contracts": contracts}))
    with pytest.raises(KeeperConfigError) as info:
        open_service(url, record, None, rpc_timeout=2)
    assert str(info.value) == f"RPC {url} unreachable: connection refused"
