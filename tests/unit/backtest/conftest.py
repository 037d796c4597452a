"""Shared inputs of the backtest tests: the shipped config and its start surfaces."""

import pytest

from ringfence.tools.backtest import config as backtest_config
from ringfence.tools.backtest.book import EXPIRY_SECONDS
from ringfence.tools.backtest.market import build_start


@pytest.fixture(scope="session")
def default_config():
    return backtest_config.load()


@pytest.fixture(scope="session")
def model(default_config):
    return default_config.model


@pytest.fixture(scope="session", params=["calm", "stressed"])
def start(request, default_config):
    params = {s.name: s for s in default_config.starts}[request.param]
    return build_start(params, default_config.model, 0.0, EXPIRY_SECONDS)
