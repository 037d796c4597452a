"""RPC failover ordering, backoff and the start-up checks."""

import pytest
from pusher_fakes import FakeNode, FakeW3
from web3.exceptions import ContractLogicError

from oracle.errors import ConfigError, TransientError
from ringfence.rpc import FailoverRpc


def rpc_over(node: FakeNode, alive: list[bool], sleeps: list | None = None) -> FailoverRpc:
    names = iter(f"rpc{i}" for i in range(len(alive)))
    flags = iter(alive)
    return FailoverRpc(
        [f"http://rpc{i}" for i in range(len(alive))],
        rounds=3,
        backoff_base=0.5,
        backoff_max=1.0,
        factory=lambda url, timeout: FakeW3(node, next(flags), next(names)),
        sleep=(sleeps.append if sleeps is not None else lambda s: None),
    )


def test_call__first_dead__second_answers_and_stays_current():
    node = FakeNode()
    rpc = rpc_over(node, [False, True, True])
    assert rpc.call(lambda w3: w3.eth.block_number) == 100
    assert rpc.call(lambda w3: w3.eth.block_number) == 100
    assert node.calls == ["rpc0:block_number", "rpc1:block_number", "rpc1:block_number"]
    assert rpc.url == "http://rpc1" and rpc.failovers == 1


def test_call__current_dies__moves_on_in_list_order_and_wraps():
    node = FakeNode()
    rpc = rpc_over(node, [True, True, True])
    rpc.current = 2
    rpc._clients[2].eth.alive = False
    rpc.call(lambda w3: w3.eth.block_number)
    assert node.calls == ["rpc2:block_number", "rpc0:block_number"] and rpc.current == 0


def test_call__all_dead__backs_off_between_rounds_then_transient_error():
    sleeps: list[float] = []
    rpc = rpc_over(FakeNode(), [False, False], sleeps)
    with pytest.raises(TransientError, match="every RPC endpoint failed"):
        rpc.call(lambda w3: w3.eth.block_number, "eth_blockNumber")
    assert sleeps == [0.5, 1.0]  # base * 2**round, capped at backoff_max; none after the last


def test_call__node_rejects_request__raised_without_failover():
    node = FakeNode()
    rpc = rpc_over(node, [True, True])

    def revert(w3):
        assert w3.eth.block_number == 100
        raise ContractLogicError("execution reverted: oracle: stale price")

    with pytest.raises(ContractLogicError):
        rpc.call(revert)
    assert node.calls == ["rpc0:block_number"] and rpc.current == 0


def test_connect__dead_first__starts_on_first_live():
    rpc = rpc_over(FakeNode(), [False, True])
    assert rpc.connect(31337) == 31337 and rpc.current == 1


def test_connect__wrong_chain_id__config_error():
    with pytest.raises(ConfigError, match="serves chain id 31337, config says 1"):
        rpc_over(FakeNode(), [True]).connect(1)


def test_connect__every_rpc_unreachable__config_error():
    with pytest.raises(ConfigError, match="every RPC endpoint is unreachable"):
        rpc_over(FakeNode(), [False, False]).connect(31337)


def test_init__no_url__config_error():
    with pytest.raises(ConfigError):
        FailoverRpc([])
