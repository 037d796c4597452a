"""Fixtures for the pusher's integration tests: each test gets its OWN anvil.

Ape (``ape test tests/integration --network ethereum:local:foundry``) holds 127.0.0.1:8545
for its node, and these tests need nodes they can reconfigure (automine off, a dead RPC in
front), so each launches ``anvil --port <free port>`` and tears it down. The Oracle is
compiled once per session with vyper's Python API and deployed with web3.py; the pusher
runs as a real ``oracle push`` subprocess, exactly as an operator would start it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from oracle_pusher_helpers import KEEPER_KEY, PASSWORD, Anvil, start_anvil

from oracle.keystore import new_keystore
from ringfence.compiler import compile_contract
from ringfence.paths import contract_path


@pytest.fixture
def anvil() -> Iterator[Anvil]:
    node = start_anvil()
    yield node
    node.process.terminate()
    node.process.wait(timeout=10)


@pytest.fixture(scope="session")
def oracle_artifact(tmp_path_factory) -> dict:
    """Compiled once per session; the ABI is also written for the pusher's config."""
    out = compile_contract(contract_path("Oracle.vy"))
    abi_file = tmp_path_factory.mktemp("abi") / "Oracle.abi.json"
    abi_file.write_text(json.dumps(out["abi"]))
    return {**out, "abi_file": str(abi_file)}


@pytest.fixture(scope="session")
def keeper_keystore(tmp_path_factory) -> Path:
    """The keeper (anvil account 1, a registered signer) in an encrypted keystore (scrypt,
    about a second to make, so once per session)."""
    keys = tmp_path_factory.mktemp("keys")
    return new_keystore(keys, PASSWORD, bytes.fromhex(KEEPER_KEY[2:])).path
