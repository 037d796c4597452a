"""A change to a configured underlying's risk parameters is announced and waits a day:
`set_risk_params` queues it (`RiskParamsQueued`), `apply_risk_params` (anyone) makes it
take effect from `effective_at` on, governance may cancel it. A first configuration
takes effect at once (there is no vault to protect yet)."""

import boa
import pytest

from ringfence.risk_table import DEFAULT_PARAMS, ETH, params_tuple

DELAY = 86_400
TIGHT = params_tuple({**DEFAULT_PARAMS, "im_factor": 3 * 10**18, "spot_shock": 5 * 10**17})


def _now():
    return boa.env.evm.patch.timestamp


def _queue(proto, params=TIGHT):
    with boa.env.prank(proto.governance):
        proto.registry.set_risk_params(ETH, params)
    return proto.registry.get_logs()[-1]


def test_set_risk_params__configured__queued_and_announced_not_applied(proto):
    before = tuple(proto.registry.risk_params(ETH))
    event = _queue(proto)
    assert type(event).__name__ == "RiskParamsQueued"
    assert tuple(event.params) == TIGHT and event.effective_at == _now() + DELAY
    assert tuple(proto.registry.risk_params(ETH)) == before
    queued, effective_at = proto.registry.pending_risk_params(ETH)
    assert tuple(queued) == TIGHT and effective_at == _now() + DELAY


@pytest.mark.parametrize("wait", [0, 1, DELAY - 1])
def test_apply_risk_params__before_the_delay__reverts(proto, trader, wait):
    _queue(proto)
    boa.env.time_travel(seconds=wait)
    with boa.env.prank(trader), boa.reverts("registry: change not due"):
        proto.registry.apply_risk_params(ETH)


def test_apply_risk_params__after_the_delay__anyone_applies_it_once(proto, trader):
    _queue(proto)
    boa.env.time_travel(seconds=DELAY)
    with boa.env.prank(trader):
        proto.registry.apply_risk_params(ETH)
    assert type(proto.registry.get_logs()[-1]).__name__ == "RiskParamsSet"
    assert tuple(proto.registry.risk_params(ETH)) == TIGHT
    assert proto.registry.pending_risk_params(ETH)[1] == 0
    with boa.env.prank(trader), boa.reverts("registry: nothing queued"):
        proto.registry.apply_risk_params(ETH)


def test_set_risk_params__again__replaces_the_queued_change_and_restarts_the_delay(proto):
    _queue(proto)
    boa.env.time_travel(seconds=DELAY - 10)
    _queue(proto, params_tuple(DEFAULT_PARAMS))
    boa.env.time_travel(seconds=10)
    with boa.reverts("registry: change not due"):
        proto.registry.apply_risk_params(ETH)
    boa.env.time_travel(seconds=DELAY)
    proto.registry.apply_risk_params(ETH)
    assert tuple(proto.registry.risk_params(ETH)) == params_tuple(DEFAULT_PARAMS)


def test_cancel_risk_params__owner_only__drops_the_change(proto, trader):
    _queue(proto)
    with boa.env.prank(trader), boa.reverts("ownable: caller is not the owner"):
        proto.registry.cancel_risk_params(ETH)
    with boa.env.prank(proto.governance):
        proto.registry.cancel_risk_params(ETH)
    assert type(proto.registry.get_logs()[-1]).__name__ == "RiskParamsCancelled"
    boa.env.time_travel(seconds=DELAY)
    with boa.reverts("registry: nothing queued"):
        proto.registry.apply_risk_params(ETH)


def test_apply_risk_params__unconfigured__reverts(proto):
    with boa.reverts("registry: nothing queued"):
        proto.registry.apply_risk_params(b"DOGE".ljust(32, b"\0"))


def test_apply_risk_params__more_than_a_week_after_due__lapsed(proto, trader):
    """A due change left unapplied cannot be sprung weeks later on vaults opened under the
    live parameters (found by the attacker review: applied 16 days after it was due, it
    liquidated a vault opened meanwhile in the same transaction)."""
    _queue(proto)
    boa.env.time_travel(seconds=DELAY + 7 * 86_400)
    proto.registry.apply_risk_params(ETH)  # the last second of the window
    _queue(proto, params_tuple(DEFAULT_PARAMS))
    boa.env.time_travel(seconds=DELAY + 7 * 86_400 + 1)
    with boa.env.prank(trader), boa.reverts("registry: change lapsed"):
        proto.registry.apply_risk_params(ETH)
    assert tuple(proto.registry.risk_params(ETH)) == TIGHT
