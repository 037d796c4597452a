"""SPEC §4 under stateful fuzzing: the clearing house, pool and oracle against the model.

Two machines: a 6-decimal standard token, and an 18-decimal token whose every transfer
made by the clearing house calls back into it (reentrancy must be impossible). Example and
step budgets come from the active hypothesis profile (root conftest.py: ``fuzz`` for this
suite under ``make test``, ``long`` for ``make fuzz-long``).
"""

from hypothesis import settings

from ringfence.fuzz.machine import RingfenceMachine, deployment

# Deploy at import (collection), outside the per-test / per-example anchors of boa's pytest
# plugin, which would otherwise roll the cached deployment back after its first example.
deployment(6, False)
deployment(18, True)


class StandardTokenMachine(RingfenceMachine):
    DECIMALS = 6
    REENTRANT = False


class ReentrantTokenMachine(RingfenceMachine):
    DECIMALS = 18
    REENTRANT = True


def _budget() -> settings:
    """The active profile's budget; under the default profiles (``make test``) a small one:
    25 runs of 40 steps per machine (a few seconds on revm). ``HYPOTHESIS_PROFILE=long``
    keeps the profile's own."""
    active = settings()
    if settings._current_profile == "long":
        return active
    return settings(active, max_examples=min(active.max_examples, 25), stateful_step_count=40)


TestStandardToken = StandardTokenMachine.TestCase
TestStandardToken.settings = _budget()
TestReentrantToken = ReentrantTokenMachine.TestCase
TestReentrantToken.settings = _budget()
