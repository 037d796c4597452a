"""Integration fixtures: Ape on a real anvil node launched by ape-foundry.

Run with ``ape test tests/integration --network ethereum:local:foundry`` (what
``make test`` does). Accounts are Ape's deterministic test accounts (the
``accounts`` fixture), named by role.
"""

import pytest


@pytest.fixture(scope="session")
def deployer(accounts):
    return accounts[0]


@pytest.fixture(scope="session")
def trader(accounts):
    return accounts[1]


@pytest.fixture(scope="session")
def liquidator(accounts):
    return accounts[2]


@pytest.fixture(scope="session")
def lp(accounts):
    return accounts[3]


@pytest.fixture(scope="session")
def keeper(accounts):
    return accounts[4]
