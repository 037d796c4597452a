"""Unit-test fixtures on titanoboa: an in-process EVM, one fresh state per test."""

import boa
import pytest

from ringfence.paths import contract_path


@pytest.fixture(autouse=True)
def _isolated_state():
    """Roll every state change of a test back when it ends (boa's snapshot)."""
    with boa.env.anchor():
        yield


def _role(name: str) -> str:
    return boa.env.generate_address(name)


@pytest.fixture(scope="session")
def deployer() -> str:
    return _role("deployer")


@pytest.fixture(scope="session")
def trader() -> str:
    return _role("trader")


@pytest.fixture(scope="session")
def liquidator() -> str:
    return _role("liquidator")


@pytest.fixture(scope="session")
def lp() -> str:
    return _role("lp")


@pytest.fixture(scope="session")
def mock_token_deployer():
    """The compiled MockToken, ready to deploy with any decimals."""
    return boa.load_partial(str(contract_path("mocks/MockToken.vy")))


@pytest.fixture(params=[6, 18], ids=["usdc6", "dai18"])
def quote_token(request, mock_token_deployer, deployer):
    """The quote token in both decimal flavours the protocol must support."""
    with boa.env.prank(deployer):
        return mock_token_deployer.deploy("Mock USD", "mUSD", request.param)
