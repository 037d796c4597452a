"""The fuzz suite: make ringfence_machine importable from tests/fuzz/regressions too, and
run every test with ``boa.env`` pointing at the campaign's environment (revm by default,
see ringfence_machine.fuzz_env), where the cached deployments live."""

import sys
from pathlib import Path

import boa
import pytest

HERE = str(Path(__file__).resolve().parent)
if HERE not in sys.path:
    sys.path.insert(0, HERE)


@pytest.fixture(autouse=True)
def _fuzz_env():
    from ringfence_machine import fuzz_env

    with boa.swap_env(fuzz_env()):
        yield
