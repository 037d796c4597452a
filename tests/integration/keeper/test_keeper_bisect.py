"""The keeper survives a batch that reverts anyway (issue 15), on a real anvil.

The clearing house isolates each id of a batch itself (``BatchSkipped``); this test puts the
keeper's sender in front of a clearing house that does not (``batch_revert_mock.vy``: one
poisoned id reverts the whole ``liquidate_many``) and checks that the sender bisects the
batch down to the poisoned ids, leaves them out, and still gets every other vault
liquidated in one mined transaction.
"""

from __future__ import annotations

from eth_account import Account

from keeper import devnet
from keeper.sender import LIQUIDATE, FeePolicy, LocalSigner, Sender
from ringfence.compiler import compile_contract
from ringfence.rpc import Chain, Web3Rpc

GWEI = 10**9


def test_sender__batch_with_poisoned_ids__bisected_rest_liquidated_on_anvil(node):
    w3 = node.w3
    art = compile_contract(devnet.ROOT / "contracts" / "mocks" / "batch_revert_mock.vy")
    deployer = w3.eth.accounts[0]
    factory = w3.eth.contract(abi=art["abi"], bytecode=art["bytecode"])
    receipt = w3.eth.wait_for_transaction_receipt(
        factory.constructor().transact({"from": deployer})
    )
    mock = w3.eth.contract(address=receipt["contractAddress"], abi=art["abi"])
    ids = list(range(1, 21))
    poisoned = {4, 13}
    for pid in ids:
        mock.functions.set_vault(pid, True, pid in poisoned).transact({"from": deployer})

    keeper = Account.from_key(devnet.test_key(5))
    chain = Chain(Web3Rpc(w3))
    sender = Sender(
        chain,
        LocalSigner(keeper),
        mock.address,
        mock.address,
        FeePolicy(max_fee_ceiling=100 * GWEI, priority_fee=GWEI),
    )
    head = w3.eth.block_number

    tx = sender.submit(LIQUIDATE, ids, head=head, indexed_block=head)

    assert tx is not None and tx.ids == [i for i in ids if i not in poisoned]
    assert sender.counters.isolated[LIQUIDATE] == len(poisoned)
    sender.poll(head=w3.eth.block_number)  # anvil automines: the receipt is there
    assert sender.counters.mined[LIQUIDATE] == len(ids) - len(poisoned)
    still_open = [pid for pid in ids if mock.functions.open_ids(pid).call()]
    assert still_open == sorted(poisoned)
