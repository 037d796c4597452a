"""Fixtures for the liquidity pool: the whole protocol on titanoboa, deployed once per session."""

import boa
import pytest

from ringfence.risk_table import deploy_protocol


@pytest.fixture(scope="session")
def proto():
    """6-decimal quote token; the `lp` role has 10,000,000 in the pool."""
    return deploy_protocol(decimals=6)


@pytest.fixture(scope="session")
def proto18():
    return deploy_protocol(decimals=18)


@pytest.fixture(scope="session")
def trader():
    return boa.env.generate_address("trader")


@pytest.fixture(scope="session")
def depositor():
    """A second liquidity provider."""
    return boa.env.generate_address("depositor")
