"""The revm backend (tests/fuzz/revm_evm.py): titanoboa's surface, and the same campaign.

The first tests drive a small contract through titanoboa on revm: deployment at the
predicted address, return values, revert reasons, snapshots, the block clock, storage
writes, events and a released reentrancy lock. The last ones run one seeded campaign of
each machine on py-evm and on revm and require the same steps, draws and outcomes: any
divergence between the two engines on the protocol's contracts fails here.
"""

from __future__ import annotations

import collections

import boa
import hypothesis.core
import pytest
from boa.contracts.base_evm_contract import BoaError
from boa.environment import Env
from eth_abi import encode
from hypothesis import HealthCheck, Phase, settings
from hypothesis.stateful import run_state_machine_as_test

from ringfence.fuzz.machine import OUTCOMES, RingfenceMachine, deployment, fuzz_env, instrument
from ringfence.fuzz.revm_evm import RevmRevert, RevmTransactionError, revert_reason, revm_env

SOURCE = """
# pragma version ~=0.4.3
event Stored:
    who: indexed(address)
    amount: uint256

x: public(uint256)
calls: public(uint256)

@external
def store(amount: uint256):
    assert amount != 7, "probe: seven"
    self.x = amount
    log Stored(who=msg.sender, amount=amount)

@external
@view
def clock() -> (uint256, uint256):
    return block.timestamp, block.number

@external
@nonreentrant
def locked_call():
    self.calls += 1

@internal
@view
def _double(amount: uint256) -> uint256:
    return 2 * amount
"""


@pytest.fixture(scope="module")
def probe():
    env = revm_env()
    with boa.swap_env(env):
        expected = env.evm.generate_create_address(env.eoa)
        contract = boa.loads(SOURCE, name="Probe")
    assert contract.address == expected
    return env, contract


def test_revert_reason__error_string__decoded():
    data = bytes.fromhex("08c379a0") + encode(["string"], ["clearing: zero amount"])
    assert revert_reason(data) == "clearing: zero amount"


def test_revert_reason__no_data_or_custom__shown_raw():
    assert revert_reason(b"") == "revert without data"
    assert revert_reason(b"\x12\x34") == "revert data 0x1234"


def test_revm__get_code__exactly_the_runtime_bytecode(probe):
    env, c = probe
    assert env.get_code(c.address) == c.compiler_data.bytecode_runtime
    assert env.get_code("0x" + "ef" * 20) == b""


def test_revm__call_returns_and_persists(probe):
    env, c = probe
    with boa.swap_env(env), env.anchor():
        c.store(5)
        assert c.x() == 5
        assert env.get_storage(c.address, 0) == 5


def test_revm__revert__boa_error_with_reason_and_state_unchanged(probe):
    env, c = probe
    with boa.swap_env(env), env.anchor():
        c.store(3)
        with pytest.raises(BoaError, match="probe: seven") as caught:
            c.store(7)
        assert isinstance(caught.value, RevmRevert)
        assert caught.value.reason == "probe: seven"
        assert c.x() == 3


def test_revm__anchor__rolls_back_storage_and_clock(probe):
    env, c = probe
    with boa.swap_env(env):
        before = c.clock()
        with env.anchor():
            c.store(11)
            env.time_travel(blocks=10)  # titanoboa: 12 s per block
            assert c.clock() == (before[0] + 120, before[1] + 10)
        assert c.x() == 0
        assert c.clock() == before


def test_revm__set_storage__visible_to_calls_inside_a_snapshot(probe):
    env, c = probe
    with boa.swap_env(env), env.anchor():
        c.store(1)
        env.set_storage(c.address, 0, 42)
        assert c.x() == 42


def test_revm__event__decoded_by_boa(probe):
    env, c = probe
    with boa.swap_env(env), env.anchor():
        c.store(9)
        (log,) = c.get_logs()
        assert (log.who, log.amount) == (env.eoa, 9)


def test_revm__nonreentrant_lock__released_between_calls(probe):
    env, c = probe
    with boa.swap_env(env), env.anchor():
        c.locked_call()
        c.locked_call()
        assert c.calls() == 2


def test_revm__set_code__keeps_nonce_and_balance(probe):
    env, c = probe
    account = "0x" + "cd" * 20
    with boa.swap_env(env), env.anchor():
        env.set_balance(account, 12345)
        env.set_code(account, env.get_code(c.address))
        assert env.get_balance(account) == 12345
        assert env.get_code(account) == env.get_code(c.address)
        assert c.at(account).x() == 0


def test_revm__set_balance_and_set_code__rolled_back_by_anchor(probe):
    env, c = probe
    account = "0x" + "ce" * 20
    with boa.swap_env(env):
        env.set_balance(account, 1)
        with env.anchor():
            env.set_balance(account, 5)
            env.set_code(account, env.get_code(c.address))
            assert env.get_balance(account) == 5
            assert env.get_code(account) == env.get_code(c.address)
        assert env.get_balance(account) == 1
        assert env.get_code(account) == b""


def test_revm__raw_call_revert__raises_boa_error(probe):
    env, c = probe
    with boa.swap_env(env), pytest.raises(BoaError, match="probe: seven"):
        env.raw_call(c.address, data=c.store.prepare_calldata(7))


def test_revm__sender_with_code__refused_as_transaction_not_revert(probe):
    env, c = probe
    with boa.swap_env(env), pytest.raises(RevmTransactionError, match="RejectCallerWithCode"):
        c.store(1, sender=c.address)


def test_revm__unsupported_titanoboa_feature__clear_error(probe):
    env, _ = probe
    with pytest.raises(AttributeError, match="RINGFENCE_FUZZ_EVM=pyevm"):
        env.evm.vm  # noqa: B018 - boa.deal and forking reach for py-evm's vm
    assert env.get_gas_meter_class().__name__ == "NoGasMeter"


def test_revm_env__leaves_other_environments_alone():
    """Building a revm Env neither advances titanoboa's shared address generator nor
    adds tracer layers to py-evm's shared opcode table."""
    pyevm = fuzz_env("pyevm")
    table = pyevm.evm.vm.state.computation_class.opcodes
    before = (Env._random.getstate(), table[0x20], table[0x55])
    revm_env(pyevm)
    assert (Env._random.getstate(), table[0x20], table[0x55]) == before


def test_revm__internal_function_or_overridden_bytecode__refused(probe):
    env, c = probe
    with boa.swap_env(env):
        with pytest.raises(NotImplementedError, match="internal functions"):
            c.internal._double(2)
        with pytest.raises(NotImplementedError, match="overridden bytecode"):
            env.execute_code(to_address=c.address, override_bytecode=b"\x00")


def test_revm__deploy_override_address__refused(probe):
    env, _ = probe
    with boa.swap_env(env), pytest.raises(RuntimeError, match="override_address"):
        boa.loads_partial(SOURCE, name="Probe").deploy(override_address="0x" + "ab" * 20)


# ----------------------------------------------------------------- same campaign


def _campaign(decimals: int, reentrant: bool, evm: str, seed: int):
    """Steps (with every draw), outcomes and end states of one seeded campaign on `evm`.

    An end state is every book figure and every vault's raw storage words when a run
    ends, so a one-wei difference between the engines anywhere shows up.
    """
    deployment(decimals, reentrant, evm)
    end_states: list = []

    def teardown(self):
        books = self.d.storage.books(self.actors, self.d.lp)
        vaults = [self.d.storage.vault(pid) for pid in range(1, books.next_id)]
        end_states.append((books, vaults, self.now()))
        RingfenceMachine.teardown(self)

    machine = type(
        f"Differential{evm}", (RingfenceMachine,),
        {"DECIMALS": decimals, "REENTRANT": reentrant, "EVM": evm, "teardown": teardown},
    )  # fmt: skip
    counts: collections.Counter = collections.Counter()
    runs: list = []
    instrument(machine, counts, runs)
    before = collections.Counter(OUTCOMES)
    previous_seed = hypothesis.core.global_force_seed
    hypothesis.core.global_force_seed = seed
    try:
        run_state_machine_as_test(
            machine,
            settings=settings(
                max_examples=8,
                stateful_step_count=40,
                deadline=None,
                database=None,
                derandomize=False,
                suppress_health_check=list(HealthCheck),
                phases=[Phase.generate],
            ),
        )
    finally:
        hypothesis.core.global_force_seed = previous_seed
    outcomes = collections.Counter(OUTCOMES)
    outcomes.subtract(before)
    return runs, +outcomes, end_states


@pytest.mark.parametrize(("decimals", "reentrant"), [(6, False), (18, True)])
def test_same_seed__pyevm_and_revm__same_steps_and_outcomes(decimals, reentrant):
    pyevm_runs, pyevm_outcomes, pyevm_ends = _campaign(decimals, reentrant, "pyevm", seed=4)
    revm_runs, revm_outcomes, revm_ends = _campaign(decimals, reentrant, "revm", seed=4)
    assert sum(len(run) for run in pyevm_runs) >= 300
    assert revm_runs == pyevm_runs
    assert revm_outcomes == pyevm_outcomes
    assert len(revm_ends) == len(pyevm_ends) == len(revm_runs)
    assert revm_ends == pyevm_ends
    assert any(vaults for _, vaults, _ in revm_ends)
    # The campaign did real work: some actions succeeded and some reverted as predicted.
    assert any(outcome == "ok" for _, outcome in revm_outcomes)
    assert any(outcome != "ok" for _, outcome in revm_outcomes)
