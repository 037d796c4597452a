"""Fixtures for the fixed-point Black-Scholes library (strategies: bs_strategies.py)."""

import boa
import pytest

from ringfence.paths import contract_path


@pytest.fixture(scope="session")
def black_scholes():
    """`black_scholes_mock`: the library's `_price_and_greeks` behind an external call."""
    return boa.load(str(contract_path("mocks/black_scholes_mock.vy")))
