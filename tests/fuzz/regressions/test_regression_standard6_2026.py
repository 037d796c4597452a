"""Replay of a fuzz campaign sequence (machine standard6, seed 2026).

Written by tests/fuzz/campaign.py (a 10-minute campaign, failure after 9,587 steps): after a
-58 % spot move, a 0.01-unit long call far out of the money has an initial margin that rounds
to 0 base units; opening it with collateral 0 reverts "clearing: zero amount" (every vault
must hold collateral), which the model had predicted as a success. The model now expects
the revert; this replay guards that agreement.
"""

from ringfence.fuzz.machine import RingfenceMachine, deployment, replay

deployment(6, False)


class Machine(RingfenceMachine):
    DECIMALS = 6
    REENTRANT = False


STEPS = [
    ("seed_free_balances", {"seeds": [0, 0, 0]}),
    ("move_spot", {"move": -58}),
    (
        "open_position",
        {
            "data": [
                ("actor", 0),
                1,
                [7],
                "normal",
                10000000000000000,
                True,
                "im",
                115792089237316195423570985008687907853269984665640564039457584007913129639935,
            ]
        },
    ),
]


def test_regression_zero_collateral_dust_long__open__reverts_as_the_model_expects():
    replay(Machine, STEPS)
