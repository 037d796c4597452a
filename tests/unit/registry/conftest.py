"""Fixtures for the registry: the whole protocol on titanoboa, deployed once per session."""

import boa
import pytest

from ringfence.risk_table import deploy_protocol


@pytest.fixture(scope="session")
def proto():
    """6-decimal quote token, ETH at 2000, 80 % vol, 30-day series listed."""
    return deploy_protocol(decimals=6)


@pytest.fixture(scope="session")
def trader():
    return boa.env.generate_address("trader")
