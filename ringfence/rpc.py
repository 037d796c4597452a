"""The one JSON-RPC layer of the services and tools: a raw request protocol with typed
helpers, and failover over a list of endpoints.

- :class:`Rpc` is any object with ``request(method, params) -> result`` that raises
  :class:`RpcError` for a JSON-RPC error object; :class:`Web3Rpc` wraps a web3.py provider,
  unit tests pass an in-memory fake. :class:`Chain` adds typed helpers (hex quantities to
  ints, calls to bytes) on top, so the keeper's core never handles raw hex.
- :class:`FailoverRpc` calls ``fn(w3)`` on the current one of several endpoints. A transient
  failure (connection refused, timeout, HTTP 429/5xx, node rate limit) moves to the next URL
  in list order, wrapping around; the endpoint that answers stays current (sticky), so a
  dead first URL costs one failed attempt, not one per call. After a full round of failures
  the caller sleeps ``backoff_base * 2**round`` (capped at ``backoff_max``) and tries another
  round, up to ``rounds``; then it raises :class:`~ringfence.errors.TransientError`. Errors
  the node reports about the request itself (a revert, "nonce too low") are not transient
  and propagate at once. The pusher uses it; :meth:`FailoverRpc.as_rpc` gives the same
  failover to a :class:`Chain`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol, TypeVar

import requests
from web3 import HTTPProvider, Web3
from web3.exceptions import Web3RPCError

from ringfence.errors import ConfigError, TransientError, short_error

log = logging.getLogger("ringfence.rpc")

T = TypeVar("T")


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


TRANSIENT_RPC_MESSAGES = ("rate limit", "too many requests", "timeout", "temporarily", "busy")


def is_transient(exc: BaseException) -> bool:
    """True for failures worth retrying on another endpoint or later."""
    if isinstance(exc, requests.HTTPError):
        status = exc.response.status_code if exc.response is not None else 0
        return status == 429 or status >= 500
    if isinstance(exc, (requests.ConnectionError, requests.Timeout, ConnectionError, TimeoutError)):
        return True
    if isinstance(exc, Web3RPCError):
        message = str(exc).lower()
        return any(m in message for m in TRANSIENT_RPC_MESSAGES)
    return isinstance(exc, OSError)


def make_web3(url: str, timeout: float) -> Web3:
    return Web3(HTTPProvider(url, request_kwargs={"timeout": timeout}))


class FailoverRpc:
    """Call ``fn(w3)`` on the first healthy endpoint; see module doc for the policy."""

    def __init__(
        self,
        urls: Sequence[str],
        timeout: float = 10.0,
        rounds: int = 3,
        backoff_base: float = 0.5,
        backoff_max: float = 8.0,
        factory: Callable[[str, float], Any] = make_web3,
        sleep: Callable[[float], None] = time.sleep,
        logger: logging.Logger | None = None,
    ) -> None:
        if not urls:
            raise ConfigError("no RPC URL configured")
        self.urls = list(urls)
        self._clients = [factory(url, timeout) for url in self.urls]
        self.current = 0
        self.rounds = rounds
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        self.sleep = sleep
        self.failovers = 0
        self.log = logger or log

    @property
    def url(self) -> str:
        return self.urls[self.current]

    def call(self, fn: Callable[[Any], T], what: str = "rpc") -> T:
        last: BaseException | None = None
        for round_ in range(self.rounds):
            for _ in range(len(self._clients)):
                try:
                    return fn(self._clients[self.current])
                except Exception as exc:
                    if not is_transient(exc):
                        raise
                    last = exc
                    failed = self.url
                    self.current = (self.current + 1) % len(self._clients)
                    self.failovers += 1
                    self.log.warning(
                        "rpc_failover",
                        extra={
                            "what": what,
                            "failed": failed,
                            "next": self.url,
                            "error": _short(exc),
                        },
                    )
            if round_ + 1 < self.rounds:
                self.sleep(min(self.backoff_base * 2**round_, self.backoff_max))
        raise TransientError(f"{what}: every RPC endpoint failed ({_short(last)})")

    def as_rpc(self) -> Rpc:
        """This failover as a raw :class:`Rpc` (for a :class:`Chain`)."""
        return _FailoverJsonRpc(self)

    def connect(self, expected_chain_id: int) -> int:
        """Check every endpoint once at start: at least one must answer, and every one that
        answers must serve ``expected_chain_id``. Starts on the first that answered."""
        answered: list[int] = []
        errors = []
        for i, (url, client) in enumerate(zip(self.urls, self._clients, strict=True)):
            try:
                chain_id = int(client.eth.chain_id)
            except Exception as exc:
                if not is_transient(exc):
                    raise ConfigError(f"RPC {url}: {_short(exc)}") from None
                errors.append((url, _short(exc)))
                continue
            if chain_id != expected_chain_id:
                raise ConfigError(
                    f"RPC {url} serves chain id {chain_id}, config says {expected_chain_id}"
                )
            answered.append(i)
        if not answered:
            listing = "; ".join(f"{url}: {err}" for url, err in errors)
            raise ConfigError(f"every RPC endpoint is unreachable: {listing}")
        for url, err in errors:  # a partial outage is worth a warning, not an exit
            self.log.warning("rpc_unreachable", extra={"url": url, "error": err})
        self.current = answered[0]
        if self.current:
            self.log.warning(
                "rpc_failover",
                extra={
                    "what": "connect",
                    "failed": self.urls[0],
                    "next": self.url,
                    "error": errors[0][1],
                },
            )
        return expected_chain_id


def _short(exc: BaseException | None) -> str:
    return "no error" if exc is None else short_error(exc)


class _FailoverJsonRpc:
    """:class:`Rpc` over a :class:`FailoverRpc`: each request on the current endpoint."""

    def __init__(self, failover: FailoverRpc):
        self.failover = failover

    def request(self, method: str, params: Sequence[Any]) -> Any:
        return self.failover.call(lambda w3: Web3Rpc(w3).request(method, params), method)
