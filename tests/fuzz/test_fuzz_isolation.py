"""The per-step comparison reads storage directly; these show it still catches a change.

`model_matches_contracts` reads the books from storage and checks every vault the step did
not touch for bit-for-bit unchanged words. Each test replays a short sequence, then writes
one storage word behind the model's back and expects the invariant to fail.
"""

import boa
import pytest

from ringfence.fuzz.machine import ReplayData, RingfenceMachine, _map_slot, deployment, replay

deployment(6, False)

TRADER = ("actor", 0)
UNLIMITED = 2**256 - 1
OPEN_TWO = [
    ("seed_free_balances", {"seeds": [100_000, 100_000, 0]}),
    ("open_position", {"data": [TRADER, 1, [5], "normal", 10**18, False, "rich", UNLIMITED]}),
    ("open_position", {"data": [TRADER, 1, [6], "normal", 10**18, True, "rich", UNLIMITED]}),
]


class Machine(RingfenceMachine):
    DECIMALS = 6
    REENTRANT = False


def _run(steps):
    """A machine after `steps` (every invariant checked), not yet torn down."""
    machine = Machine()
    for rule_name, kwargs in steps:
        call = {
            k: ReplayData(v, list(machine.actors)) if k == "data" else v for k, v in kwargs.items()
        }
        getattr(machine, rule_name)(**call)
        machine._reads = None
        machine.model_matches_contracts()
    return machine


def _poke(machine, var_slot, key, delta=1, contract=None):
    address = (contract or machine.d.ch).address
    slot = _map_slot(var_slot, key)
    boa.env.set_storage(address, slot, boa.env.get_storage(address, slot) + delta)


def test_replay__two_vaults__invariants_hold():
    replay(Machine, OPEN_TWO)


def test_model_matches_contracts__untouched_vault_collateral_changed__fails():
    machine = _run(OPEN_TWO)
    try:
        assert machine.m.vaults.keys() == {1, 2}
        # collateral of vault 1: bits 163-255 of its owner | legs | collateral word
        _poke(machine, machine.d.storage._vault_map, 1, 1 << 163)
        machine._reads = None
        with pytest.raises(AssertionError, match="vault 1 changed"):
            machine.model_matches_contracts()
    finally:
        machine.teardown()


def test_model_matches_contracts__free_balance_changed__fails():
    machine = _run(OPEN_TWO)
    try:
        trader = machine.d.traders[1]
        _poke(machine, machine.d.storage._free, int(trader, 16))
        machine._reads = None
        with pytest.raises(AssertionError, match="free balance"):
            machine.model_matches_contracts()
    finally:
        machine.teardown()


def test_model_matches_contracts__series_book_changed__fails():
    machine = _run(OPEN_TWO)
    try:
        # open legs of series 5, in the pool's book
        _poke(machine, machine.d.storage._series_maps[2], 5, contract=machine.d.pool)
        machine._reads = None
        with pytest.raises(AssertionError, match="series 5"):
            machine.model_matches_contracts()
    finally:
        machine.teardown()
