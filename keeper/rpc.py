"""The keeper's only door to a node: one JSON-RPC method behind a small protocol.

Everything in the core (index, planner, sender) talks to a :class:`Rpc` — any object with
``request(method, params) -> result`` that raises :class:`RpcError` for a JSON-RPC error
object. Unit tests pass an in-memory fake; the bot passes :class:`Web3Rpc`, which wraps a
web3.py provider. :class:`Chain` adds typed helpers (hex quantities to ints, calls to bytes)
on top, so the rest of the code never handles raw hex.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol


class RpcError(Exception):
    """A JSON-RPC error object returned by the node (``code``, ``message``, ``data``)."""

    def __init__(self, code: int, message: str, data: Any = None):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.data = data


class Rpc(Protocol):
    """Send one JSON-RPC request; return its ``result`` or raise :class:`RpcError`."""

    def request(self, method: str, params: Sequence[Any]) -> Any: ...


class Web3Rpc:
    """:class:`Rpc` over a web3.py ``Web3`` instance (any provider)."""

    def __init__(self, w3: Any):
        self._provider = w3.provider

    def request(self, method: str, params: Sequence[Any]) -> Any:
        response = self._provider.make_request(method, list(params))
        if "error" in response and response["error"] is not None:
            err = response["error"]
            if isinstance(err, str):
                raise RpcError(-1, err)
            raise RpcError(int(err.get("code", -1)), str(err.get("message", "")), err.get("data"))
        return response.get("result")


def to_int(value: int | str | None) -> int:
    """A JSON-RPC quantity (``"0x1a"``) or an int to an int; None to 0."""
    if value is None:
        return 0
    if isinstance(value, int):
        return value
    return int(value, 16)


def hex_int(value: int) -> str:
    return hex(value)


def to_bytes(value: str | bytes) -> bytes:
    if isinstance(value, bytes | bytearray):
        return bytes(value)
    return bytes.fromhex(value[2:] if value.startswith("0x") else value)


def revert_reason(err: RpcError) -> str:
    """Best-effort revert string of a failed ``eth_call``/``eth_estimateGas``.

    Decodes ``Error(string)`` revert data when the node returns it, else the message.
    """
    data = err.data
    if isinstance(data, Mapping):
        data = data.get("data")
    if isinstance(data, str) and data.startswith("0x08c379a0"):
        from eth_abi import decode

        try:
            (reason,) = decode(["string"], to_bytes(data)[4:])
            return str(reason)
        except Exception:  # malformed revert data: fall back to the message
            pass
    return err.message


class Chain:
    """Typed helpers over an :class:`Rpc`."""

    def __init__(self, rpc: Rpc):
        self.rpc = rpc

    def chain_id(self) -> int:
        return to_int(self.rpc.request("eth_chainId", []))

    def block_number(self) -> int:
        return to_int(self.rpc.request("eth_blockNumber", []))

    def block(self, number: int | str = "latest") -> dict[str, Any] | None:
        """Header of block ``number`` (int or tag), or None when the node has no such block."""
        tag = hex_int(number) if isinstance(number, int) else number
        return self.rpc.request("eth_getBlockByNumber", [tag, False])

    def block_hash(self, number: int) -> str | None:
        header = self.block(number)
        return None if header is None else header["hash"]

    def get_logs(
        self,
        address: str | Sequence[str],
        from_block: int,
        to_block: int,
        topics: Sequence[Any] | None = None,
    ) -> list[dict[str, Any]]:
        """Logs of ``address`` (one, or a list: the logs of any of them, in chain order)."""
        flt: dict[str, Any] = {
            "address": address if isinstance(address, str) else list(address),
            "fromBlock": hex_int(from_block),
            "toBlock": hex_int(to_block),
        }
        if topics is not None:
            flt["topics"] = list(topics)
        return list(self.rpc.request("eth_getLogs", [flt]))

    def call(
        self,
        to: str,
        data: str,
        sender: str | None = None,
        gas: int | None = None,
        block: int | str = "latest",
    ) -> bytes:
        tx: dict[str, Any] = {"to": to, "data": data}
        if sender is not None:
            tx["from"] = sender
        if gas is not None:
            tx["gas"] = hex_int(gas)
        tag = hex_int(block) if isinstance(block, int) else block
        return to_bytes(self.rpc.request("eth_call", [tx, tag]))

    def estimate_gas(self, to: str, data: str, sender: str) -> int:
        return to_int(
            self.rpc.request("eth_estimateGas", [{"to": to, "data": data, "from": sender}])
        )

    def access_list_gas(self, to: str, data: str, sender: str) -> int:
        """Gas used by one execution, from ``eth_createAccessList`` (geth, reth, erigon,
        anvil): one run of the transaction instead of ``eth_estimateGas``'s binary search."""
        result = self.rpc.request(
            "eth_createAccessList", [{"to": to, "data": data, "from": sender}, "latest"]
        )
        if isinstance(result, Mapping) and result.get("error"):
            raise RpcError(3, str(result["error"]))
        return to_int(result["gasUsed"])

    def transaction_count(self, address: str, tag: str = "pending") -> int:
        return to_int(self.rpc.request("eth_getTransactionCount", [address, tag]))

    def balance(self, address: str) -> int:
        return to_int(self.rpc.request("eth_getBalance", [address, "latest"]))

    def max_priority_fee(self) -> int:
        return to_int(self.rpc.request("eth_maxPriorityFeePerGas", []))

    def send_raw_transaction(self, raw: bytes) -> str:
        return self.rpc.request("eth_sendRawTransaction", ["0x" + raw.hex()])

    def receipt(self, tx_hash: str) -> dict[str, Any] | None:
        return self.rpc.request("eth_getTransactionReceipt", [tx_hash])
