"""Fixtures for the Oracle unit tests: a deployed oracle with one ETH feed, two listed
expiries and one registered signer (quorum 1)."""

from __future__ import annotations

import boa
import pytest
from oracle_helpers import (
    ETH,
    MAX_AGE,
    SPOT_CAP_BPS,
    VOL_CAP,
    OracleDeployer,
    Relay,
    gov,
    now,
    signer_account,
)

from ringfence.paths import contract_path


@pytest.fixture(scope="session")
def governance() -> str:
    return boa.env.generate_address("governance")


@pytest.fixture(scope="session")
def relayer() -> str:
    return boa.env.generate_address("relayer")


@pytest.fixture(scope="session")
def outsider() -> str:
    return boa.env.generate_address("outsider")


@pytest.fixture(scope="session")
def signers():
    """Sixteen signer accounts; only signers[0] is registered by the `oracle` fixture."""
    return [signer_account(i) for i in range(16)]


@pytest.fixture(scope="session")
def pusher(signers):
    return signers[0]


@pytest.fixture(scope="session")
def oracle_deployer():
    return OracleDeployer()


@pytest.fixture(scope="session")
def adapter_deployer():
    return boa.load_partial(str(contract_path("ChainlinkAdapter.vy")))


@pytest.fixture(scope="module")
def expiries() -> tuple[int, int]:
    """Two listed ETH expiries, 30 and 90 days after the module's deployment time."""
    t = now()
    return t + 30 * 86_400, t + 90 * 86_400


@pytest.fixture(scope="module")
def oracle(oracle_deployer, governance, pusher, expiries):
    """Deployed once per module; every test's changes roll back (tests/unit/conftest.py)."""
    with boa.env.prank(governance):
        contract = oracle_deployer.deploy()
        gov(contract).add_signer(pusher.address)
        gov(contract).add_feed(ETH, MAX_AGE, SPOT_CAP_BPS, VOL_CAP, "ETH / USD")
        for expiry in expiries:
            gov(contract).list_expiry(ETH, expiry)
    return contract


@pytest.fixture(scope="module")
def relay(oracle, relayer):
    return Relay(oracle, relayer, boa.env.evm.patch.chain_id)


@pytest.fixture
def register(oracle, governance, signers):
    """register(n): make signers[0..n-1] the registered set."""

    def _register(n: int):
        with boa.env.prank(governance):
            for account in signers[1:n]:
                gov(oracle).add_signer(account.address)
        return signers[:n]

    return _register
