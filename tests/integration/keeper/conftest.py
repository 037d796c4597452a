"""Fixtures for the keeper's integration tests: each test gets its OWN anvil.

The protocol is deployed with ``keeper.devnet`` (plain web3.py on anvil's unlocked dev
accounts; the same record format as ``ape run deploy``) and thousands of real
``ClearingHouse`` positions are opened in batch JSON-RPC requests with automine off. The
keeper always runs as a real ``keeper run`` subprocess, exactly as an operator starts it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from keeper import devnet


@pytest.fixture(scope="session", autouse=True)
def compiled_contracts() -> None:
    """Compile once (cached on disk by source hash) before any anvil starts."""
    devnet.compiled()


@pytest.fixture
def node() -> Iterator[devnet.Anvil]:
    anvil = devnet.start_anvil()
    yield anvil
    anvil.stop()


@pytest.fixture
def net(node: devnet.Anvil) -> devnet.Devnet:
    return devnet.deploy(node)


@pytest.fixture
def deployment(net: devnet.Devnet, tmp_path: Path) -> Path:
    return net.write(tmp_path / "deployments" / "devnet.json")
