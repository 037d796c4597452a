"""Pinned adversarial sequences through the state machine (every invariant checked per step).

Random campaigns reach liquidation rarely (a vault must open, then fall below MM), so the
paths that matter most are pinned here: partial and whole liquidation after a margin
squeeze, bad debt after a +60 % jump, a dust vault, liquidation at exactly MM (18-decimal
token, so equity can equal MM to the wei), and the oracle exactly at / past max_age.
"""

import pytest

from ringfence.fuzz.machine import OUTCOMES, WAD, RingfenceMachine, deployment, replay

deployment(6, False)
deployment(18, True)

TRADER, LIQUIDATOR, KEEPER = ("actor", 0), ("actor", 3), ("actor", 4)
ATM_CALL_7D = 5  # series ids: 7-day expiry first, strikes 1600..2400, call then put
UNLIMITED = 2**256 - 1


class Standard(RingfenceMachine):
    DECIMALS = 6
    REENTRANT = False


class Reentrant(RingfenceMachine):
    DECIMALS = 18
    REENTRANT = True


def _open(size, collateral="im+1", long=False):
    return (
        "open_position",
        {"data": [TRADER, 1, [ATM_CALL_7D], "normal", size, long, collateral, UNLIMITED]},
    )


SEED = ("seed_free_balances", {"seeds": [100_000, 0, 0]})
# Governance raises the stresses; the change waits its day (Registry.RISK_PARAMS_DELAY),
# the oracle is refreshed, then anyone applies it.
SQUEEZE = [
    ("tighten_margin", {"stress": (500_000, 3_000_000, 4_000_000, 500_000)}),
    ("warp", {"kind": "to_param_change", "seconds": 1}),
    ("move_spot", {"move": 0}),
    ("apply_risk_params", {"data": [KEEPER]}),
]


def _liquidate(caller=LIQUIDATOR):
    return ("liquidate", {"data": [1, caller], "any_id": False})


def _count(rule, outcome):
    return OUTCOMES[rule, outcome]


@pytest.mark.parametrize("machine", [Standard, Reentrant], ids=["usdc6", "reentrant18"])
def test_squeezed_short_call__liquidated_as_predicted(machine):
    before = _count("liquidate", "ok")
    replay(machine, [SEED, _open(10 * WAD), *SQUEEZE, _liquidate()])
    assert _count("liquidate", "ok") == before + 1


@pytest.mark.parametrize("machine", [Standard, Reentrant], ids=["usdc6", "reentrant18"])
def test_short_call_after_60pct_jump__bad_debt_liquidation_does_not_revert(machine):
    before = _count("liquidate", "ok")
    steps = [SEED, _open(10 * WAD, "im")]
    steps += [("move_spot", {"move": 60})] * 2
    replay(machine, [*steps, _liquidate(KEEPER)])
    assert _count("liquidate", "ok") == before + 1


def test_dust_vault__squeezed__keeper_liquidates_without_revert():
    before = _count("liquidate", "ok")
    dust = ("open_position", {"data": [TRADER, 1, [ATM_CALL_7D], "dust", False, "im", UNLIMITED]})
    replay(Standard, [SEED, dust, *SQUEEZE, ("move_spot", {"move": 60}), _liquidate(KEEPER)])
    assert _count("liquidate", "ok") == before + 1


@pytest.mark.parametrize("offset, outcome", [(0, "clearing: healthy position"), (-1, "ok")])
def test_equity_exactly_at_mm__healthy__one_wei_below__liquidatable(offset, outcome):
    before = _count("liquidate", outcome)
    top_up = ("top_up_to_maintenance", {"data": [1], "offset": offset})
    replay(Reentrant, [SEED, _open(10 * WAD, "im"), *SQUEEZE, top_up, _liquidate()])
    assert _count("liquidate", outcome) == before + 1


@pytest.mark.parametrize(
    "warp, outcome", [("to_max_age", "ok"), ("past_max_age", "oracle: stale price")]
)
def test_oracle_at_max_age__reads__one_second_later__everything_refused(warp, outcome):
    before = _count("open_position", outcome)
    replay(Standard, [SEED, ("warp", {"kind": warp, "seconds": 1}), _open(WAD)])
    assert _count("open_position", outcome) == before + 1
