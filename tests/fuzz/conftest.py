"""The fuzz suite: run every test with ``boa.env`` pointing at the campaign's environment
(revm by default, see ringfence.fuzz.machine.fuzz_env), where the cached deployments live."""

import boa
import pytest


@pytest.fixture(autouse=True)
def _fuzz_env():
    from ringfence.fuzz.machine import fuzz_env

    with boa.swap_env(fuzz_env()):
        yield
