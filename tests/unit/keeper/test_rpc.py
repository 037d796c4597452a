"""ringfence.rpc: the web3 adapter's error mapping and revert-reason decoding."""

from __future__ import annotations

import pytest
from eth_abi import encode

from ringfence.rpc import Chain, RpcError, Web3Rpc, revert_reason, to_int


class FakeProvider:
    def __init__(self, response):
        self.response = response
        self.requests = []

    def make_request(self, method, params):
        self.requests.append((method, params))
        return self.response


class FakeWeb3:
    def __init__(self, response):
        self.provider = FakeProvider(response)


def test_web3_rpc__result__returned_and_typed_by_chain():
    w3 = FakeWeb3({"jsonrpc": "2.0", "id": 1, "result": "0x2a"})
    assert Chain(Web3Rpc(w3)).block_number() == 42
    assert w3.provider.requests == [("eth_blockNumber", [])]


def test_web3_rpc__error_object__raised_as_rpc_error_with_code_and_data():
    w3 = FakeWeb3({"error": {"code": -32005, "message": "query returned more than 10000 results"}})
    with pytest.raises(RpcError) as info:
        Web3Rpc(w3).request("eth_getLogs", [{}])
    assert info.value.code == -32005 and "10000" in info.value.message


def test_revert_reason__error_string_data__decoded():
    data = "0x08c379a0" + encode(["string"], ["clearing: healthy position"]).hex()
    err = RpcError(3, "execution reverted", data)
    assert revert_reason(err) == "clearing: healthy position"
    assert revert_reason(RpcError(3, "execution reverted")) == "execution reverted"


def test_to_int__quantities__hex_int_and_none():
    assert (to_int("0x10"), to_int(7), to_int(None)) == (16, 7, 0)


def test_failover_as_rpc__dead_first_endpoint__chain_answers_from_the_next_and_sticks():
    import requests

    from ringfence.rpc import FailoverRpc

    class Dead:
        class provider:  # noqa: N801 (web3 shape)
            calls = 0

            @classmethod
            def make_request(cls, method, params):
                cls.calls += 1
                raise requests.ConnectionError("connection refused")

    live = FakeWeb3({"jsonrpc": "2.0", "id": 1, "result": "0x7"})
    clients = {"http://dead": Dead(), "http://live": live}
    failover = FailoverRpc(
        ["http://dead", "http://live"], factory=lambda url, t: clients[url], sleep=lambda s: None
    )
    chain = Chain(failover.as_rpc())
    assert chain.block_number() == 7 and chain.chain_id() == 7
    assert Dead.provider.calls == 1 and failover.url == "http://live" and failover.failovers == 1
    # an error the node reports about the request is not a failover
    live.provider.response = {"error": {"code": 3, "message": "execution reverted"}}
    with pytest.raises(RpcError):
        chain.block_number()
    assert failover.failovers == 1
