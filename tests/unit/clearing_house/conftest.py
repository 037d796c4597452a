"""Fixtures for the clearing house: a whole protocol on titanoboa, deployed once per session.

Every test runs inside the root conftest's ``boa.env.anchor()``, so whatever it changes
(positions, prices, time) is rolled back when it ends.
"""

import boa
import pytest

from ringfence.risk_table import deploy_protocol


@pytest.fixture(scope="session")
def proto():
    """The protocol with a 6-decimal quote token, ETH at 2000, 80 % vol, 30-day series."""
    return deploy_protocol(decimals=6)


@pytest.fixture(scope="session")
def proto18():
    """The same protocol with an 18-decimal quote token."""
    return deploy_protocol(decimals=18)


@pytest.fixture(params=[6, 18], ids=["usdc6", "dai18"])
def any_proto(request, proto, proto18):
    return proto if request.param == 6 else proto18


@pytest.fixture(scope="session")
def trader():
    return boa.env.generate_address("trader")


@pytest.fixture(scope="session")
def other_trader():
    return boa.env.generate_address("other_trader")


@pytest.fixture(scope="session")
def liquidator():
    return boa.env.generate_address("liquidator")


@pytest.fixture
def funded(proto, trader, other_trader):
    """`proto` with 100,000 quote units of free balance for each trader."""
    proto.fund(trader, proto.units(100_000))
    proto.fund(other_trader, proto.units(100_000))
    return proto
