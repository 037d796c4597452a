"""Deployment records: one path per chain, archived never overwritten, refused on another
chain or when incomplete."""

import json

import pytest

from oracle.contract import read_deployment
from oracle.errors import ConfigError
from ringfence import records

ORACLE = "0x" + "22" * 20


def test_record_path__network_and_chain_id():
    assert records.record_path("local", 31337).name == "local-31337.json"
    assert records.record_path("arbitrum:sepolia", 421614).name == "arbitrum-sepolia-421614.json"


def test_archive__existing_record__renamed_with_utc_time_never_replaced(tmp_path):
    path = tmp_path / "local-31337.json"
    assert records.archive(path) is None  # nothing there yet
    path.write_text('{"n": 1}')
    first = records.archive(path, now=1_796_287_497)
    assert first.name == "local-31337.20261203T084457Z.json" and not path.exists()
    path.write_text('{"n": 2}')
    second = records.archive(path, now=1_796_287_497)  # same second: a suffix, not a clobber
    assert second.name == "local-31337.20261203T084457Z-1.json"
    assert json.loads(first.read_text()) == {"n": 1}
    assert json.loads(second.read_text()) == {"n": 2}


def test_write__replaces_atomically_and_leaves_no_temp_file(tmp_path):
    path = tmp_path / "deployments" / "local-31337.json"
    records.write({"complete": False}, path)
    records.write({"complete": True}, path)
    assert json.loads(path.read_text()) == {"complete": True}
    assert [p.name for p in path.parent.iterdir()] == ["local-31337.json"]


def test_chain_mismatch__other_chain_one_line__same_or_unknown_none():
    assert records.chain_mismatch({"chain_id": 31337}, "d.json", 31337, "url") is None
    assert records.chain_mismatch({}, "d.json", 31337, "url") is None
    message = records.chain_mismatch({"chain_id": 11155111}, "d.json", 31337, "http://n")
    assert message == (
        "deployment d.json is for chain id 11155111, the node at http://n is chain id 31337"
    )


def test_incomplete__marked_false__refusal_with_the_reason():
    doc = {"complete": False, "error": "RuntimeError: boom", "contracts": {"A": {}, "B": {}}}
    assert "incomplete (RuntimeError: boom after 2 contract(s))" in records.incomplete(doc, "d")
    assert records.incomplete({"complete": True}, "d") is None
    assert records.incomplete({}, "d") is None  # older records have no flag


def _record(tmp_path, **fields):
    path = tmp_path / "local-31337.json"
    path.write_text(json.dumps({"chain_id": 31337, "contracts": {"Oracle": ORACLE}, **fields}))
    return path


def test_pusher_read_deployment__record_of_another_chain__refused(tmp_path):
    path = _record(tmp_path, chain_id=11155111)
    assert read_deployment(path) == (ORACLE, None)  # no chain to compare with
    with pytest.raises(ConfigError, match="is for chain id 11155111, the node at http://n is"):
        read_deployment(path, chain_id=31337, node="http://n")
    assert read_deployment(_record(tmp_path), chain_id=31337) == (ORACLE, None)


def test_pusher_read_deployment__incomplete_record__refused(tmp_path):
    with pytest.raises(ConfigError, match="is incomplete"):
        read_deployment(_record(tmp_path, complete=False), chain_id=31337)
