"""keeper.sender: fee bumps under a ceiling, nonces, dedupe, lost races, replacements."""

from __future__ import annotations

import pytest
from eth_account import Account
from eth_utils import keccak
from keeper_fakes import VIEW, FakeClearingHouse, FakeNode

from keeper.sender import LIQUIDATE, SETTLE, LocalSigner, NonceManager, Sender, State
from ringfence.fees import FeePolicy, bumped
from ringfence.rpc import Chain

WAD = 10**18
GWEI = 10**9
CH = "0x" + "c1ea" * 10
UNHEALTHY = (90 * WAD, 125 * WAD, 100 * WAD)
HEALTHY = (130 * WAD, 125 * WAD, 100 * WAD)


# ----------------------------------------------------------------------- sender


@pytest.fixture
def keeper_account():
    return Account.from_key(keccak(text="ringfence keeper unit tests"))


@pytest.fixture
def clearing(keeper_account):
    node = FakeNode(head=100, base_fee=10 * GWEI)
    return FakeClearingHouse(node, CH, keeper_account.address)


def make_sender(clearing, account, **kwargs) -> Sender:
    fees = kwargs.pop("fees", FeePolicy(max_fee_ceiling=100 * GWEI, priority_fee=GWEI))
    return Sender(Chain(clearing.node), LocalSigner(account), CH, VIEW, fees, **kwargs)


def test_submit__unhealthy_vaults__simulated_then_sent_with_gas_estimate(clearing, keeper_account):
    clearing.health = {1: UNHEALTHY, 2: UNHEALTHY}
    sender = make_sender(clearing, keeper_account)

    tx = sender.submit(LIQUIDATE, [1, 2], head=100, indexed_block=100)

    assert tx is not None and tx.ids == [1, 2] and tx.nonce == 0
    (sent,) = clearing.sent
    assert sent.function == "liquidate_many" and sent.ids == [1, 2]
    assert sent.gas == int((50_000 + 2 * 300_000) * 1.2)
    assert (sent.max_fee, sent.priority_fee) == (21 * GWEI, GWEI)
    methods = [m for m, _ in clearing.node.calls]
    assert methods.index("eth_call") < methods.index("eth_sendRawTransaction")
    assert sender.counters.sent[LIQUIDATE] == 2


def test_submit__vault_already_pending__no_second_transaction(clearing, keeper_account):
    clearing.health = {1: UNHEALTHY, 2: UNHEALTHY, 3: UNHEALTHY}
    sender = make_sender(clearing, keeper_account)
    sender.submit(LIQUIDATE, [1, 2], head=100, indexed_block=100)

    again = sender.submit(LIQUIDATE, [1, 2], head=100, indexed_block=100)
    partly = sender.submit(LIQUIDATE, [2, 3], head=100, indexed_block=100)

    assert again is None
    assert partly is not None and partly.ids == [3] and partly.nonce == 1
    assert [t.ids for t in clearing.sent] == [[1, 2], [3]]


def test_submit__vault_mined__blocked_until_the_index_has_the_block(clearing, keeper_account):
    clearing.health = {1: UNHEALTHY}
    sender = make_sender(clearing, keeper_account)
    sender.submit(LIQUIDATE, [1], head=100, indexed_block=100)
    clearing.mine()  # block 101
    sender.poll(head=101)
    assert sender.vaults[1].state is State.MINED
    assert sender.counters.mined[LIQUIDATE] == 1

    # the index (still at 100) shows the vault open and unhealthy: no resend
    clearing.health[1] = UNHEALTHY
    assert sender.submit(LIQUIDATE, [1], head=101, indexed_block=100) is None
    assert len(clearing.sent) == 1
    # once the index has processed block 101 the vault is judged afresh
    assert sender.submit(LIQUIDATE, [1], head=101, indexed_block=101) is not None


def test_submit__another_keeper_first__lost_counted_and_not_sent(clearing, keeper_account):
    clearing.health = {1: UNHEALTHY, 2: UNHEALTHY, 3: UNHEALTHY}
    clearing.close(2)  # liquidated by a competitor after our plan
    clearing.health[3] = HEALTHY  # or made healthy again
    sender = make_sender(clearing, keeper_account)

    tx = sender.submit(LIQUIDATE, [1, 2, 3], head=100, indexed_block=100)

    assert tx is not None and tx.ids == [1]
    assert sender.counters.lost[LIQUIDATE] == 2
    assert [t.ids for t in clearing.sent] == [[1]]


def test_submit__every_vault_lost__nothing_sent(clearing, keeper_account):
    clearing.health = {1: HEALTHY}
    sender = make_sender(clearing, keeper_account)

    assert sender.submit(LIQUIDATE, [1, 2], head=100, indexed_block=100) is None
    assert clearing.sent == [] and sender.counters.lost[LIQUIDATE] == 2


def test_receipt__competitor_mined_first__vault_counted_lost(clearing, keeper_account):
    clearing.health = {1: UNHEALTHY, 2: UNHEALTHY}
    sender = make_sender(clearing, keeper_account)
    sender.submit(LIQUIDATE, [1, 2], head=100, indexed_block=100)
    clearing.close(2)  # a competitor's transaction lands earlier in the block
    clearing.mine()

    sender.poll(head=101)

    assert sender.counters.mined[LIQUIDATE] == 1
    assert sender.counters.lost[LIQUIDATE] == 1
    assert 2 not in sender.vaults and sender.vaults[1].state is State.MINED


def test_receipt__reverted__lost_if_healthy_now_else_retried_after_cooldown(
    clearing, keeper_account
):
    clearing.health = {1: UNHEALTHY, 2: UNHEALTHY}
    sender = make_sender(clearing, keeper_account)
    sender.submit(LIQUIDATE, [1, 2], head=100, indexed_block=100)
    clearing.health[1] = HEALTHY
    clearing.mine(status=0)

    sender.poll(head=101)

    assert sender.counters.lost[LIQUIDATE] == 1
    assert sender.counters.failed[LIQUIDATE] == 1
    cooldown_end = sender.vaults[2].block
    assert cooldown_end == sender.vaults[2].tx.mined_block + sender.replace_after_blocks
    assert sender.blocked(indexed_block=cooldown_end - 1) == {2}
    assert sender.submit(LIQUIDATE, [2], head=101, indexed_block=cooldown_end - 1) is None
    assert sender.blocked(indexed_block=cooldown_end) == set()
    again = sender.submit(LIQUIDATE, [2], head=cooldown_end, indexed_block=cooldown_end)
    assert again is not None and again.nonce == 1


def test_submit__simulation_reverts__nothing_sent(clearing, keeper_account):
    clearing.health = {1: UNHEALTHY}
    clearing.revert_next_call = "oracle: stale price"
    sender = make_sender(clearing, keeper_account)

    assert sender.submit(LIQUIDATE, [1], head=100, indexed_block=100) is None
    assert sender.counters.simulation_reverts == 1 and clearing.sent == []


@pytest.mark.parametrize("poisoned", [{1}, {8}, {3, 6}, {1, 2, 3, 4, 5, 6, 7}])
def test_submit__batch_reverts_for_some_ids__bisected_and_the_rest_sent(
    clearing, keeper_account, poisoned
):
    ids = list(range(1, 9))
    clearing.health = {i: UNHEALTHY for i in ids}
    clearing.poisoned = set(poisoned)
    sender = make_sender(clearing, keeper_account)

    tx = sender.submit(LIQUIDATE, ids, head=100, indexed_block=100)

    assert tx is not None and tx.ids == [i for i in ids if i not in poisoned]
    assert sender.counters.isolated[LIQUIDATE] == len(poisoned)
    # k poisoned ids of n: at most 1 + 2 k log2(n) simulations, one estimate
    assert clearing.node.count("eth_call") <= 1 + 2 * len(poisoned) * 3
    clearing.mine()
    sender.poll(head=101)
    assert sender.counters.mined[LIQUIDATE] == len(tx.ids)


def test_submit__every_id_reverts__nothing_sent_each_isolated(clearing, keeper_account):
    clearing.health = {1: UNHEALTHY, 2: UNHEALTHY}
    clearing.poisoned = {1, 2}
    sender = make_sender(clearing, keeper_account)

    assert sender.submit(LIQUIDATE, [1, 2], head=100, indexed_block=100) is None
    assert sender.counters.isolated[LIQUIDATE] == 2 and clearing.sent == []


def test_submit__dry_run__simulates_but_never_sends(clearing, keeper_account):
    clearing.health = {1: UNHEALTHY}
    sender = make_sender(clearing, keeper_account, dry_run=True)

    assert sender.submit(LIQUIDATE, [1], head=100, indexed_block=100) is None
    assert clearing.sent == [] and sender.counters.dry_run[LIQUIDATE] == 1
    assert clearing.node.count("eth_call") == 1


def test_submit__settle_batch__all_settleable__sent_and_mined(clearing, keeper_account):
    clearing.health = {5: HEALTHY, 6: HEALTHY}
    clearing.settleable = {5, 6}
    sender = make_sender(clearing, keeper_account)

    tx = sender.submit(SETTLE, [5, 6], head=100, indexed_block=100)
    clearing.mine()
    sender.poll(head=101)

    assert tx is not None and clearing.sent[0].function == "settle_many"
    assert sender.counters.mined[SETTLE] == 2


def test_submit__settle_batch__closed_lost_and_unsettleable_held_back(clearing, keeper_account):
    clearing.health = {5: HEALTHY, 6: HEALTHY, 7: HEALTHY}
    clearing.settleable = {5, 7}  # 6: its settlement price is not fixed (yet)
    clearing.close(7)  # another keeper settled 7 first
    sender = make_sender(clearing, keeper_account)

    tx = sender.submit(SETTLE, [5, 6, 7], head=100, indexed_block=100)

    assert tx is not None and tx.ids == [5]
    assert sender.counters.lost[SETTLE] == 1
    assert sender.blocked(100) == {5}


# ------------------------------------------------------------------------ nonces


def test_nonce_manager__local_counter__one_node_read_then_increments(clearing, keeper_account):
    clearing.nonce = 7
    nonces = NonceManager(Chain(clearing.node), keeper_account.address)

    assert [nonces.reserve() for _ in range(3)] == [7, 8, 9]
    assert clearing.node.count("eth_getTransactionCount") == 1


def test_send__nonce_too_low__resyncs_from_pending_and_resends(clearing, keeper_account):
    clearing.health = {1: UNHEALTHY, 2: UNHEALTHY}
    sender = make_sender(clearing, keeper_account)
    sender.submit(LIQUIDATE, [1], head=100, indexed_block=100)  # nonce 0
    clearing.mine()
    sender.poll(head=101)
    # another process used the key: the chain is at nonce 3 now
    clearing.nonce = 3

    tx = sender.submit(LIQUIDATE, [2], head=101, indexed_block=101)

    assert tx is not None and tx.nonce == 3
    assert sender.nonces.resyncs == 2
    assert [t.nonce for t in clearing.sent] == [0, 3]


def test_send__unrelated_error__nonce_given_back(clearing, keeper_account):
    clearing.health = {1: UNHEALTHY}
    clearing.send_error = "insufficient funds for gas * price + value"
    sender = make_sender(clearing, keeper_account)

    assert sender.submit(LIQUIDATE, [1], head=100, indexed_block=100) is None
    assert sender.blocked(100) == set()
    tx = sender.submit(LIQUIDATE, [1], head=100, indexed_block=100)
    assert tx is not None and tx.nonce == 0


# ------------------------------------------------------------------ replacements


def test_poll__stuck_transaction__replaced_at_same_nonce_with_bumped_fees(clearing, keeper_account):
    clearing.health = {1: UNHEALTHY}
    sender = make_sender(clearing, keeper_account, replace_after_blocks=3)
    sender.submit(LIQUIDATE, [1], head=100, indexed_block=100)

    sender.poll(head=102)  # 2 blocks: keep waiting
    assert len(clearing.sent) == 1
    sender.poll(head=103)

    first, second = clearing.sent
    assert second.nonce == first.nonce and second.ids == first.ids
    assert second.max_fee == bumped(first.max_fee)
    assert second.priority_fee == bumped(first.priority_fee)
    assert sender.counters.replacements == 1
    assert sender.counters.sent[LIQUIDATE] == 1  # one vault, whatever the attempts

    clearing.mine()
    sender.poll(head=104)
    assert sender.vaults[1].state is State.MINED and sender.pending == []


def test_poll__ceiling_blocks_replacement__waits_without_sending(clearing, keeper_account):
    clearing.health = {1: UNHEALTHY}
    fees = FeePolicy(max_fee_ceiling=22 * GWEI, priority_fee=GWEI)
    sender = make_sender(clearing, keeper_account, fees=fees, replace_after_blocks=1)
    sender.submit(LIQUIDATE, [1], head=100, indexed_block=100)  # 21 gwei

    sender.poll(head=105)

    assert len(clearing.sent) == 1
    assert sender.counters.ceiling_waits == 1 and sender.counters.replacements == 0
    assert sender.blocked(100) == {1}


def test_poll__original_mined_after_replacement__resolved_once(clearing, keeper_account):
    clearing.health = {1: UNHEALTHY}
    sender = make_sender(clearing, keeper_account, replace_after_blocks=1)
    sender.submit(LIQUIDATE, [1], head=100, indexed_block=100)
    original = clearing.pool[0]
    sender.poll(head=101)  # replacement sent
    clearing.pool[0] = original  # ...but the miner had the original
    clearing.mine()

    sender.poll(head=102)

    assert sender.counters.mined[LIQUIDATE] == 1 and sender.pending == []


def test_submit__node_has_create_access_list__gas_from_one_execution_with_refund_margin(
    clearing, keeper_account
):
    clearing.health = {1: UNHEALTHY, 2: UNHEALTHY}
    clearing.node.handlers["eth_createAccessList"] = lambda p: {
        "accessList": [],
        "gasUsed": hex(400_000),
    }
    sender = make_sender(clearing, keeper_account)

    sender.submit(LIQUIDATE, [1, 2], head=100, indexed_block=100)

    (sent,) = clearing.sent
    assert sent.gas == int(400_000 * 1.25 * 1.2)
    assert clearing.node.count("eth_estimateGas") == 0


def test_submit__node_lacks_create_access_list__falls_back_to_estimate_once_and_remembers(
    clearing, keeper_account
):
    clearing.health = {1: UNHEALTHY, 2: UNHEALTHY}
    sender = make_sender(clearing, keeper_account)

    sender.submit(LIQUIDATE, [1], head=100, indexed_block=100)
    sender.submit(LIQUIDATE, [2], head=100, indexed_block=100)

    assert clearing.node.count("eth_createAccessList") == 1
    assert clearing.node.count("eth_estimateGas") == 2
    assert [tx.gas for tx in clearing.sent] == [int((50_000 + 300_000) * 1.2)] * 2


def test_receipt__reverted_out_of_gas__later_gas_limits_boosted(clearing, keeper_account):
    clearing.health = {1: UNHEALTHY, 2: UNHEALTHY}
    sender = make_sender(clearing, keeper_account)
    tx = sender.submit(LIQUIDATE, [1], head=100, indexed_block=100)
    assert tx is not None
    (receipt,) = clearing.mine(status=0)
    receipt["gasUsed"] = hex(tx.gas)  # every unit of the limit burnt: out of gas

    sender.poll(head=101)
    sender.submit(LIQUIDATE, [2], head=101, indexed_block=101)

    assert sender.gas_boost == 1.25
    assert clearing.sent[-1].gas == int((50_000 + 300_000) * 1.2 * 1.25)
