"""In-memory fakes of a node for the keeper's unit tests (no chain, no sockets).

:class:`FakeNode` implements :class:`ringfence.rpc.Rpc`: blocks with hashes per fork, logs
served by ``eth_getLogs`` (one address or a list, as the JSON-RPC filter allows) with the
node's range/result limits, reorgs, and pluggable ``eth_call`` / transaction handling for
the sender tests. :class:`FakeClearingHouse` answers ``liquidate_many`` / ``settle_many`` at
the clearing house's address and ``health_many`` only at its view's, as the deployed
contracts do.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eth_abi import decode, encode
from eth_account.typed_transactions import TypedTransaction
from eth_utils import keccak
from hexbytes import HexBytes

from keeper import abi
from ringfence.rpc import RpcError

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "keeper"
sys.path.insert(0, str(FIXTURES))

import generate  # noqa: E402  (tests/fixtures/keeper/generate.py)

block_hash = generate.block_hash


def load_fixture() -> dict[str, Any]:
    return json.loads((FIXTURES / "clearing_house_logs.json").read_text())


@dataclass
class FakeNode:
    """A chain of ``head + 1`` blocks; logs by block; optional getLogs limits."""

    head: int
    logs: list[dict[str, Any]] = field(default_factory=list)
    max_range: int | None = None  # refuse ranges wider than this ("block range too large")
    max_results: int | None = None  # refuse queries returning more logs than this
    timestamp0: int = 1_750_000_000
    base_fee: int = 10 * 10**9
    gas_limit: int = 30_000_000
    forks: dict[int, int] = field(default_factory=dict)  # block -> fork id of its hash
    calls: list[tuple[str, Any]] = field(default_factory=list)
    handlers: dict[str, Callable[[list[Any]], Any]] = field(default_factory=dict)
    extra_removed: list[dict[str, Any]] = field(default_factory=list)

    # ---------------------------------------------------------------- chain shape

    def hash_of(self, number: int) -> str:
        return block_hash(number, self.forks.get(number, 0))

    def reorg(self, fork_block: int, fork: int, new_logs: list[dict[str, Any]]) -> None:
        """Replace every block >= ``fork_block`` by fork ``fork``'s, with ``new_logs``."""
        for b in range(fork_block, self.head + 1):
            self.forks[b] = fork
        self.logs = [lg for lg in self.logs if int(lg["blockNumber"], 16) < fork_block]
        self.logs += new_logs

    def count(self, method: str) -> int:
        return sum(1 for m, _ in self.calls if m == method)

    # ----------------------------------------------------------------- Rpc

    def request(self, method: str, params: Sequence[Any]) -> Any:
        self.calls.append((method, params))
        if method in self.handlers:
            return self.handlers[method](list(params))
        if method == "eth_blockNumber":
            return hex(self.head)
        if method == "eth_chainId":
            return hex(31337)
        if method == "eth_getBlockByNumber":
            tag = params[0]
            number = self.head if tag == "latest" else int(tag, 16)
            if number > self.head:
                return None
            return {
                "number": hex(number),
                "hash": self.hash_of(number),
                "timestamp": hex(self.timestamp0 + 12 * number),
                "baseFeePerGas": hex(self.base_fee),
                "gasLimit": hex(self.gas_limit),
            }
        if method == "eth_getLogs":
            return self._get_logs(params[0])
        raise RpcError(-32601, f"method {method} not found")

    def _get_logs(self, flt: dict[str, Any]) -> list[dict[str, Any]]:
        start, end = int(flt["fromBlock"], 16), int(flt["toBlock"], 16)
        if self.max_range is not None and end - start + 1 > self.max_range:
            raise RpcError(-32602, f"block range too large (max {self.max_range})")
        wanted = set(flt.get("topics", [[]])[0] or [])
        address = flt["address"]
        addresses = {a.lower() for a in ([address] if isinstance(address, str) else address)}
        out = [
            lg
            for lg in self.logs
            if start <= int(lg["blockNumber"], 16) <= end
            and lg["address"].lower() in addresses
            and (not wanted or lg["topics"][0] in wanted)
        ]
        if self.max_results is not None and len(out) > self.max_results:
            raise RpcError(-32005, f"query returned more than {self.max_results} results")
        removed, self.extra_removed = self.extra_removed, []
        return removed + out


def tx_hash_of(raw: bytes) -> str:
    return "0x" + keccak(raw).hex()


# ------------------------------------------------------------- clearing house


@dataclass
class SentTx:
    tx_hash: str
    nonce: int
    max_fee: int
    priority_fee: int
    gas: int
    function: str
    ids: list[int]


@dataclass
class FakeOracle:
    """IOracle reads: ``spot[underlying]``, one ``vol`` for every series, ``settlement``
    by (underlying, expiry); an underlying in ``stale`` reverts like a stale feed."""

    address: str
    spot: dict[bytes, int] = field(default_factory=dict)
    vol: int = 0
    settlement: dict[tuple[bytes, int], int] = field(default_factory=dict)
    stale: set[bytes] = field(default_factory=set)

    def call(self, data: str) -> str:
        raw = bytes.fromhex(data[2:])
        selectors = {
            name: abi.encode_call("IOracle", name, args)[:10]
            for name, args in (
                ("price", [b"\0" * 32]),
                ("vol", [b"\0" * 32, 0, 0]),
                ("settlement_price", [b"\0" * 32, 0]),
            )
        }
        underlying = raw[4:36]
        if data[:10] == selectors["price"]:
            if underlying in self.stale or underlying not in self.spot:
                raise RpcError(3, "execution reverted: oracle: stale price")
            value = self.spot[underlying]
        elif data[:10] == selectors["vol"]:
            if underlying in self.stale:
                raise RpcError(3, "execution reverted: oracle: stale vol")
            value = self.vol
        elif data[:10] == selectors["settlement_price"]:
            (expiry,) = decode(["uint256"], raw[36:68])
            value = self.settlement.get((underlying, expiry), 0)
        else:
            raise RpcError(3, "execution reverted")
        return "0x" + encode(["uint256"], [value]).hex()


#: The fake ClearingHouseView's address unless a test gives one.
VIEW = "0x" + "5ee0" * 10


@dataclass
class FakeClearingHouse:
    """The keeper-facing surface of a ClearingHouse and its ClearingHouseView plus a
    mempool, behind a FakeNode.

    ``health[id] = (equity, initial, maintenance)`` (WAD) for open vaults, read with
    ``health_many`` at ``view``; a vault is liquidatable when equity < maintenance;
    ``settleable`` ids can be settled. Mining executes pending transactions in nonce order
    and writes receipts with the real events: the action event, then ``VaultState`` of
    the emptied vault, as the clearing house logs them.
    """

    node: FakeNode
    address: str
    keeper: str
    view: str = VIEW
    health: dict[int, tuple[int, int, int]] = field(default_factory=dict)
    settleable: set[int] = field(default_factory=set)
    nonce: int = 0  # the keeper account's mined nonce
    pool: dict[int, SentTx] = field(default_factory=dict)  # nonce -> pending tx
    sent: list[SentTx] = field(default_factory=list)
    receipts: dict[str, dict[str, Any]] = field(default_factory=dict)
    oracle: FakeOracle | None = None
    revert_next_call: str | None = None
    # a batch holding one of these ids reverts whole (call, estimate and mined), as a
    # clearing house without per-id isolation would
    poisoned: set[int] = field(default_factory=set)
    send_error: str | None = None  # raise this message from the next eth_sendRawTransaction
    gas_per_vault: int = 300_000

    def __post_init__(self) -> None:
        h = self.node.handlers
        h["eth_call"] = self._call
        h["eth_estimateGas"] = self._estimate
        h["eth_sendRawTransaction"] = self._send
        h["eth_getTransactionCount"] = lambda p: hex(self.nonce + len(self.pool))
        h["eth_getTransactionReceipt"] = lambda p: self.receipts.get(p[0])
        h["eth_getBalance"] = lambda p: hex(10**18)

    # ----------------------------------------------------------------- state

    def liquidatable(self, pid: int) -> bool:
        h = self.health.get(pid)
        return h is not None and h[0] < h[2]

    def close(self, pid: int) -> None:
        """Another keeper (or the owner) closes the vault."""
        self.health.pop(pid, None)
        self.settleable.discard(pid)

    # ------------------------------------------------------------------- rpc

    def _decode_call(self, to: str, data: str) -> tuple[str, list[int]]:
        """(function, ids) of a call to the clearing house or the view; a selector the
        called contract does not have reverts, like a contract without a fallback."""
        raw = bytes.fromhex(data[2:])
        if to.lower() == self.address.lower():
            functions = [("IClearingHouse", "liquidate_many"), ("IClearingHouse", "settle_many")]
        elif to.lower() == self.view.lower():
            functions = [("IClearingHouseView", "health_many")]
        else:
            raise RpcError(3, f"execution reverted: no contract at {to}")
        for interface, name in functions:
            if abi.encode_call(interface, name, [[]])[:10] == data[:10]:
                (ids,) = decode(["uint256[]"], raw[4:])
                return name, list(ids)
        raise RpcError(3, "execution reverted: unknown selector")

    def _execute(self, name: str, ids: list[int], apply: bool) -> tuple[int, list[int]]:
        done = []
        for pid in ids:
            liquidate = name == "liquidate_many" and self.liquidatable(pid)
            settle = name == "settle_many" and pid in self.settleable and pid in self.health
            if liquidate or settle:
                done.append(pid)
        if apply:
            for pid in done:
                self.close(pid)
        return len(done), done

    def _call(self, params: list[Any]) -> str:
        tx = params[0]
        if self.oracle is not None and tx["to"].lower() == self.oracle.address.lower():
            return self.oracle.call(tx["data"])
        if self.revert_next_call is not None:
            message, self.revert_next_call = self.revert_next_call, None
            raise RpcError(3, f"execution reverted: {message}")
        name, ids = self._decode_call(tx["to"], tx["data"])
        if name != "health_many" and self.poisoned & set(ids):
            raise RpcError(3, "execution reverted: poisoned batch")
        if name == "health_many":
            # (equity, initial, maintenance) rows read fine; a 4-tuple is (ok, ...) as is
            rows = [self.health.get(pid, (0, 0, 0)) for pid in ids]
            rows = [row if len(row) == 4 else (True, *row) for row in rows]
            return "0x" + encode(["(bool,int256,uint256,uint256)[]"], [rows]).hex()
        count, _ = self._execute(name, ids, apply=False)
        return "0x" + encode(["uint256"], [count]).hex()

    def _estimate(self, params: list[Any]) -> str:
        _, ids = self._decode_call(params[0]["to"], params[0]["data"])
        if self.poisoned & set(ids):
            raise RpcError(3, "execution reverted: poisoned batch")
        return hex(50_000 + self.gas_per_vault * len(ids))

    def _send(self, params: list[Any]) -> str:
        if self.send_error is not None:
            message, self.send_error = self.send_error, None
            raise RpcError(-32000, message)
        raw = bytes.fromhex(params[0][2:])
        d = TypedTransaction.from_bytes(HexBytes(raw)).as_dict()
        tx_hash = tx_hash_of(raw)
        nonce = d["nonce"]
        if nonce < self.nonce:
            raise RpcError(-32000, "nonce too low")
        name, ids = self._decode_call("0x" + bytes(d["to"]).hex(), "0x" + bytes(d["data"]).hex())
        tx = SentTx(
            tx_hash, nonce, d["maxFeePerGas"], d["maxPriorityFeePerGas"], d["gas"], name, ids
        )
        old = self.pool.get(nonce)
        # geth's rule: a replacement must raise both fees by >= 10 %
        underpriced = old is not None and (
            tx.max_fee * 10 < old.max_fee * 11 or tx.priority_fee * 10 < old.priority_fee * 11
        )
        if underpriced and old.tx_hash != tx_hash:
            raise RpcError(-32000, "replacement transaction underpriced")
        self.pool[nonce] = tx
        self.sent.append(tx)
        return tx_hash

    # ---------------------------------------------------------------- mining

    def mine(self, status: int | None = None) -> list[dict[str, Any]]:
        """Mine every executable pending transaction into the next block."""
        self.node.head += 1
        block = self.node.head
        receipts = []
        while self.nonce in self.pool:
            tx = self.pool.pop(self.nonce)
            self.nonce += 1
            ok = 1 if status is None else status
            logs = []
            if ok:
                _, done = self._execute(tx.function, tx.ids, apply=True)
                event_name = (
                    "PositionLiquidated" if tx.function == "liquidate_many" else "PositionSettled"
                )
                for pid in done:
                    logs.append(self._event_log(event_name, pid, block, tx.tx_hash, len(logs)))
                    logs.append(self._event_log("VaultState", pid, block, tx.tx_hash, len(logs)))
            receipt = {
                "transactionHash": tx.tx_hash,
                "blockNumber": hex(block),
                "status": hex(ok),
                "logs": logs,
            }
            self.receipts[tx.tx_hash] = receipt
            receipts.append(receipt)
            self.node.logs.extend(logs)
        return receipts

    def _event_log(self, name: str, pid: int, block: int, tx_hash: str, i: int) -> dict[str, Any]:
        args: dict[str, Any] = {
            "position_id": pid,
            "owner": "0x" + "7ade" * 10,
            "pnl": -(10**18),
            "returned": 0,
            "shortfall": 0,
        }
        if name == "PositionLiquidated":
            args.update(liquidator=self.keeper, fraction=10**18, reward=1, insurance_fee=1)
        if name == "VaultState":  # the vault is gone
            args = {"position_id": pid, "collateral": 0, "sizes": [0] * 4}
        topics, data = abi.event(name, "IClearingHouse").encode_log(args)
        return {
            "address": self.address,
            "topics": topics,
            "data": data,
            "blockNumber": hex(block),
            "blockHash": self.node.hash_of(block),
            "transactionHash": tx_hash,
            "logIndex": hex(i),
            "removed": False,
        }
