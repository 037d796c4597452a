"""The pusher's sender against a fake node: same-nonce replacement, the fee ceiling (the
policy's own arithmetic is tests/unit/test_fees.py)."""

import pytest
from eth_account import Account
from pusher_fakes import FakeClock, FakeNode, FakeW3
from web3.exceptions import ContractLogicError, Web3RPCError

from oracle.sender import Sender
from ringfence.fees import GWEI, FeePolicy, Fees, bumped
from ringfence.rpc import FailoverRpc

KEEPER = Account.from_key("0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d")
ORACLE = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
POLICY = FeePolicy(priority_fee=GWEI, max_fee_ceiling=10 * GWEI, replace_after_blocks=3)


def make_sender(node: FakeNode, clock: FakeClock, policy: FeePolicy = POLICY, **kw) -> Sender:
    rpc = FailoverRpc(["http://fake"], factory=lambda url, t: FakeW3(node), sleep=clock.sleep)
    return Sender(
        rpc,
        KEEPER,
        31337,
        policy,
        poll_interval=1.0,
        receipt_timeout=kw.pop("timeout", 60),
        clock=clock,
        sleep=clock.sleep,
        **kw,
    )


def test_send__mined_at_once__no_replacement():
    node = FakeNode()
    clock = FakeClock(
        on_sleep=lambda: node.sent and not node.mined and node.mine(node.sent[0].tx_hash)
    )
    result = make_sender(node, clock).send(ORACLE, "0xabcd")
    assert result.outcome == "mined" and result.replacements == 0
    assert result.tx_hash == node.sent[0].tx_hash and node.sent[0].data == "0xabcd"
    assert node.sent[0].max_fee == 3 * GWEI and node.sent[0].priority_fee == GWEI


def test_send__ceiling_below_base_fee__deferred_nothing_broadcast():
    # before the shared policy the pusher broadcast a transaction capped below the base fee,
    # which could never be mined; the keeper waited. Both wait now.
    node = FakeNode(base_fee=11 * GWEI)
    events = []
    sender = make_sender(node, FakeClock(), on_event=lambda n, f: events.append((n, f)))
    result = sender.send(ORACLE, "0xabcd")
    assert result.outcome == "deferred" and node.sent == [] and result.hashes == []
    assert "above the fee ceiling" in result.error
    assert events == [("tx_fee_ceiling", {"nonce": 0, "base_fee": 11 * GWEI, "ceiling": 10 * GWEI})]
    node.base_fee = 4 * GWEI  # the market comes back: the next cycle sends
    node_clock = FakeClock(
        on_sleep=lambda: node.sent and not node.mined and node.mine(node.sent[0].tx_hash)
    )
    assert make_sender(node, node_clock).send(ORACLE, "0xabcd").outcome == "mined"


def test_send__unmined_for_n_blocks__replaced_same_nonce_and_replacement_lands():
    node = FakeNode(nonce=7)

    def tick():  # one block per poll; only a replacement (3rd attempt) gets in
        node.block += 1
        if len(node.sent) == 3 and not node.mined:
            node.mine(node.sent[-1].tx_hash)

    clock = FakeClock(on_sleep=tick)
    events = []
    result = make_sender(node, clock, on_event=lambda n, f: events.append(n)).send(ORACLE, "0x01")
    assert result.outcome == "mined" and result.replacements == 2
    assert [s.nonce for s in node.sent] == [7, 7, 7]
    assert [s.data for s in node.sent] == ["0x01"] * 3
    for before, after in zip(node.sent, node.sent[1:], strict=False):
        assert after.max_fee == bumped(before.max_fee)
        assert after.priority_fee == bumped(before.priority_fee)
    assert result.tx_hash == node.sent[2].tx_hash and result.hashes == [
        s.tx_hash for s in node.sent
    ]
    assert events.count("tx_replaced") == 2


def test_send__original_mines_after_replacement__original_reported():
    node = FakeNode()

    def tick():
        node.block += 1
        if len(node.sent) == 2 and not node.mined:
            node.mine(node.sent[0].tx_hash)  # the first attempt wins the race

    result = make_sender(node, FakeClock(on_sleep=tick)).send(ORACLE, "0x01")
    assert result.outcome == "mined" and result.tx_hash == node.sent[0].tx_hash
    assert result.fees == Fees(node.sent[0].max_fee, node.sent[0].priority_fee)


def test_send__ceiling_reached__stops_bumping_and_times_out():
    node = FakeNode(base_fee=3 * GWEI)  # first attempt: 7 gwei; ceiling 10
    clock = FakeClock(on_sleep=lambda: setattr(node, "block", node.block + 1))
    events = []
    sender = make_sender(node, clock, timeout=30, on_event=lambda n, f: events.append(n))
    result = sender.send(ORACLE, "0x01")
    assert result.outcome == "timeout"
    assert max(s.max_fee for s in node.sent) <= 10 * GWEI
    expected = [7 * GWEI]
    while bumped(expected[-1]) <= 10 * GWEI:
        expected.append(bumped(expected[-1]))
    assert [s.max_fee for s in node.sent] == expected  # 7, 7.875, 8.86, 9.97 gwei; 11.2 > 10
    assert events.count("tx_fee_ceiling") == 1


def test_send__after_timeout__next_send_outbids_the_stuck_nonce():
    node = FakeNode()
    clock = FakeClock(on_sleep=lambda: None)  # no blocks: nothing gets replaced or mined
    sender = make_sender(node, clock, timeout=5)
    assert sender.send(ORACLE, "0x01").outcome == "timeout"
    stuck = node.sent[-1]
    clock.on_sleep = lambda: (
        node.sent[-1].nonce == stuck.nonce and not node.mined and node.mine(node.sent[-1].tx_hash)
    )
    result = sender.send(ORACLE, "0x02")
    assert result.outcome == "mined" and result.nonce == stuck.nonce
    assert node.sent[-1].max_fee >= bumped(stuck.max_fee)


def test_send__nonce_taken_by_unknown_tx__superseded():
    node = FakeNode()

    def tick():
        node.nonce = 1  # someone else's transaction used nonce 0

    result = make_sender(node, FakeClock(on_sleep=tick)).send(ORACLE, "0x01")
    assert result.outcome == "superseded"


def test_send__estimate_reverts__failed_without_sending():
    node = FakeNode(estimate_error=ContractLogicError("execution reverted: oracle: empty batch"))
    result = make_sender(node, FakeClock()).send(ORACLE, "0x01")
    assert result.outcome == "failed" and "empty batch" in result.error and node.sent == []


def test_send__reverted_receipt__reverted_outcome():
    node = FakeNode()
    clock = FakeClock(on_sleep=lambda: not node.mined and node.mine(node.sent[0].tx_hash, status=0))
    assert make_sender(node, clock).send(ORACLE, "0x01").outcome == "reverted"


def test_send__fixed_gas_limit__used_without_estimate():
    node = FakeNode()
    clock = FakeClock(on_sleep=lambda: not node.mined and node.mine(node.sent[0].tx_hash))
    make_sender(node, clock, gas_limit=123_456).send(ORACLE, "0x01")
    assert not any(c.endswith("estimate_gas") for c in node.calls)


@pytest.mark.parametrize("blocks", [1, 2])
def test_send__fewer_blocks_than_policy__no_replacement(blocks):
    node = FakeNode()
    polls = []

    def tick():
        polls.append(1)
        if len(polls) <= blocks:
            node.block += 1
        else:
            node.mine(node.sent[-1].tx_hash)

    result = make_sender(node, FakeClock(on_sleep=tick)).send(ORACLE, "0x01")
    assert result.outcome == "mined" and result.replacements == 0 and len(node.sent) == 1


def test_send__node_refuses_first_broadcast__failed_not_crashed():
    node = FakeNode()

    class Broke(FakeW3):
        def __init__(self, n):
            super().__init__(n)

            def refuse(raw):
                raise Web3RPCError("insufficient funds for gas * price + value")

            self.eth.send_raw_transaction = refuse

    clock = FakeClock()
    rpc = FailoverRpc(["http://fake"], factory=lambda url, t: Broke(node), sleep=clock.sleep)
    sender = Sender(rpc, KEEPER, 31337, POLICY, clock=clock, sleep=clock.sleep)
    result = sender.send(ORACLE, "0x01")
    assert result.outcome == "failed" and "insufficient funds" in result.error


def test_send__mined_between_receipt_and_nonce_checks__mined_not_superseded():
    node = FakeNode()
    polls = []

    def stage_race():
        if polls and not node.mined:  # during the first poll, right after the receipt check
            node.mine(node.sent[0].tx_hash)

    clock = FakeClock(on_sleep=lambda: polls.append(1))
    sender = make_sender(node, clock)
    node.on_nonce = stage_race
    result = sender.send(ORACLE, "0x01")
    assert result.outcome == "mined" and result.tx_hash == node.sent[0].tx_hash
