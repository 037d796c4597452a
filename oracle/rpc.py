"""JSON-RPC with failover over a list of URLs, retries and exponential backoff.

Every call goes to the current endpoint. A transient failure (connection refused, timeout,
HTTP 429/5xx, node rate limit) moves to the next URL in list order, wrapping around; the
endpoint that answers stays current (sticky), so a dead first URL costs one failed attempt,
not one per call. After a full round of failures the caller sleeps
``backoff_base * 2**round`` (capped at ``backoff_max``) and tries another round, up to
``rounds``; then it raises TransientError, which the service logs before its next cycle.
Errors the node reports about the request itself (a revert, "nonce too low") are not
transient and propagate at once.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import requests
from web3 import HTTPProvider, Web3
from web3.exceptions import Web3RPCError

from oracle.errors import ConfigError, TransientError
from ringfence.errors import short_error

log = logging.getLogger("oracle.rpc")

T = TypeVar("T")

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
                    log.warning(
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
            log.warning("rpc_unreachable", extra={"url": url, "error": err})
        self.current = answered[0]
        if self.current:
            log.warning(
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
