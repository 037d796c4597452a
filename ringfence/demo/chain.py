"""The demo's chain driver: web3.py straight to anvil, batched JSON-RPC for bulk work.

Ape sends about 30 transactions a second; the demo needs a few thousand (funding 300
traders, opening ~900 vaults) and thousands of historical reads for the isolation check, so
this module signs locally with eth-account and ships requests as JSON-RPC batches. Every
transaction's receipt is checked: a failed open is reported, never ignored.
"""

from __future__ import annotations

import json
import math
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
from eth_account import Account
from eth_utils import keccak
from web3 import Web3
from web3.logs import DISCARD

from ringfence.demo.book import Order, SeriesInfo
from ringfence.deploy_config import RISK_KEYS
from ringfence.devchain import ANVIL_MNEMONIC
from ringfence.spread import opening_cost

WAD = 10**18
BATCH = 100  # JSON-RPC requests per HTTP round trip
ETH_FOR_GAS = 100 * 10**18  # wei given to each demo trader with anvil_setBalance
MAX_FEE = 50 * 10**9  # wei per gas; anvil's base fee stays far below this
HEALTH_BATCH = 50  # ClearingHouse.health_many takes at most 50 ids


class ChainError(RuntimeError):
    """A JSON-RPC error or a failed transaction the demo cannot continue without."""


def role_key(index: int) -> str:
    """Private key of the anvil / Ape test account ``index`` (the default mnemonic)."""
    Account.enable_unaudited_hdwallet_features()
    return Account.from_mnemonic(ANVIL_MNEMONIC, account_path=f"m/44'/60'/0'/0/{index}").key.hex()


def trader_key(index: int) -> bytes:
    """Deterministic private key of demo trader ``index`` (never a real account)."""
    return keccak(text=f"ringfence demo trader {index}")


class Rpc:
    """Minimal JSON-RPC client with batching (one HTTP POST for many requests)."""

    def __init__(self, url: str, timeout: float = 60.0):
        self.url = url
        self.timeout = timeout
        self.session = requests.Session()
        self._id = 0
        self._lock = threading.Lock()

    def call(self, method: str, params: list | None = None) -> Any:
        result = self.batch([(method, params or [])])[0]
        if isinstance(result, RpcFailure):
            raise ChainError(f"{method}: {result.message}")
        return result

    def batch(self, requests_: Sequence[tuple[str, list]]) -> list[Any]:
        """Results in order; an error entry becomes an ``RpcFailure`` (not raised)."""
        out: list[Any] = []
        for start in range(0, len(requests_), BATCH):
            chunk = requests_[start : start + BATCH]
            with self._lock:
                first = self._id
                self._id += len(chunk)
            payload = [
                {"jsonrpc": "2.0", "id": first + i, "method": m, "params": p}
                for i, (m, p) in enumerate(chunk)
            ]
            response = self.session.post(self.url, json=payload, timeout=self.timeout)
            response.raise_for_status()
            body = response.json()
            if isinstance(body, dict):  # a whole-batch error
                raise ChainError(f"batch rejected: {body.get('error')}")
            by_id = {item["id"]: item for item in body}
            for i in range(len(chunk)):
                item = by_id[first + i]
                if "error" in item:
                    error = item["error"]
                    out.append(RpcFailure(error.get("message", str(error)), error.get("data")))
                else:
                    out.append(item["result"])
        return out


@dataclass(frozen=True)
class RpcFailure:
    message: str
    data: Any = None


class Contracts:
    """The deployment's contracts, bound to a Web3 for encoding and decoding."""

    def __init__(self, w3: Web3, deployment: dict[str, Any]):
        self.deployment = deployment
        c = deployment["contracts"]
        self.token = w3.eth.contract(address=c["MockToken"]["address"], abi=c["MockToken"]["abi"])
        self.oracle = w3.eth.contract(address=c["Oracle"]["address"], abi=c["Oracle"]["abi"])
        self.engine = w3.eth.contract(
            address=c["MarginEngine"]["address"], abi=c["MarginEngine"]["abi"]
        )
        self.registry = w3.eth.contract(address=c["Registry"]["address"], abi=c["Registry"]["abi"])
        self.clearing = w3.eth.contract(
            address=c["ClearingHouse"]["address"], abi=c["ClearingHouse"]["abi"]
        )
        self.view = w3.eth.contract(
            address=c["ClearingHouseView"]["address"], abi=c["ClearingHouseView"]["abi"]
        )
        self.pool = w3.eth.contract(
            address=c["LiquidityPool"]["address"], abi=c["LiquidityPool"]["abi"]
        )
        self.decimals = int(deployment["parameters"]["token"]["decimals"])
        self.unit = 10**self.decimals
        self.scale = 10 ** (18 - self.decimals)  # WAD per token base unit


class Driver:
    """Everything the demo does on chain, over one anvil."""

    def __init__(self, url: str, deployment_path: Path):
        self.url = url
        self.rpc = Rpc(url)
        self.w3 = Web3(Web3.HTTPProvider(url, request_kwargs={"timeout": 60}))
        self.deployment = json.loads(Path(deployment_path).read_text())
        self.c = Contracts(self.w3, self.deployment)
        self.chain_id = int(self.deployment["chain_id"])
        self.underlying = bytes(32)
        self._nonces: dict[str, int] = {}

    # -- reads -----------------------------------------------------------------------

    def eth_call(self, fn, block: int | str = "latest") -> Any:
        return self.calls([fn], block)[0]

    def calls(self, fns: Sequence[Any], block: int | str = "latest") -> list[Any]:
        """Batched ``eth_call`` of bound contract functions; a revert becomes RpcFailure."""
        tag = hex(block) if isinstance(block, int) else block
        requests_ = [
            ("eth_call", [{"to": fn.address, "data": fn._encode_transaction_data()}, tag])
            for fn in fns
        ]
        out = []
        for fn, raw in zip(fns, self.rpc.batch(requests_), strict=True):
            if isinstance(raw, RpcFailure):
                out.append(raw)
                continue
            types = [_abi_type(o) for o in fn.abi["outputs"]]
            decoded = self.w3.codec.decode(types, bytes.fromhex(raw[2:]))
            out.append(decoded[0] if len(decoded) == 1 else decoded)
        return out

    def block_number(self) -> int:
        return int(self.rpc.call("eth_blockNumber"), 16)

    def timestamp(self, block: int | str = "latest") -> int:
        tag = hex(block) if isinstance(block, int) else block
        return int(self.rpc.call("eth_getBlockByNumber", [tag, False])["timestamp"], 16)

    def listed_series(self) -> list[SeriesInfo]:
        ids = [int(i) for i in self.deployment["series_ids"]]
        rows = self.calls([self.c.registry.functions.series(i) for i in ids])
        out = []
        for series_id, row in zip(ids, rows, strict=True):
            underlying, strike, expiry, is_call, _cap = row
            self.underlying = underlying
            out.append(SeriesInfo(series_id, strike / WAD, int(expiry), bool(is_call)))
        return out

    def spot(self, block: int | str = "latest") -> float | None:
        value = self.eth_call(self.c.oracle.functions.price(self.underlying), block)
        return None if isinstance(value, RpcFailure) else value / WAD

    def atm_vol(self, expiry: int, block: int | str = "latest") -> float | None:
        value = self.eth_call(self.c.oracle.functions.atm_vol(self.underlying, expiry), block)
        return None if isinstance(value, RpcFailure) else value / WAD

    def insurance_fund(self, block: int | str = "latest") -> float:
        return self.eth_call(self.c.clearing.functions.insurance_fund(), block) / self.c.unit

    def pool_nav(self, block: int | str = "latest") -> float | None:
        """Pool NAV in whole tokens; None while the oracle is stale (NAV marks the book)."""
        value = self.eth_call(self.c.pool.functions.totalAssets(), block)
        return None if isinstance(value, RpcFailure) else value / self.c.unit

    def health(self, ids: Sequence[int], block: int | str = "latest") -> dict[int, Any]:
        """id -> (equity WAD, initial WAD, maintenance WAD), or RpcFailure if it reverts."""
        fns = [self.c.clearing.functions.health(i) for i in ids]
        return dict(zip(ids, self.calls(fns, block), strict=True))

    def positions(self, ids: Sequence[int], block: int | str = "latest") -> dict[int, Any]:
        """id -> (owner, collateral base units, legs tuple) at ``block``."""
        fns = [self.c.view.functions.position(i) for i in ids]
        out = {}
        for i, row in zip(ids, self.calls(fns, block), strict=True):
            if isinstance(row, RpcFailure):
                out[i] = row
            else:
                owner, _underlying, collateral, legs = row
                out[i] = (owner, int(collateral), tuple(tuple(leg) for leg in legs))
        return out

    def free_balances(self, owners: Iterable[str], block: int | str = "latest") -> dict[str, int]:
        owners = list(owners)
        fns = [self.c.clearing.functions.free_balance(o) for o in owners]
        return dict(zip(owners, self.calls(fns, block), strict=True))

    def logs(self, event, from_block: int, to_block: int | str = "latest") -> list[Any]:
        return list(event.get_logs(from_block=from_block, to_block=to_block))

    # -- time --------------------------------------------------------------------------

    def warp(self, seconds: int) -> None:
        """Advance chain time by ``seconds`` and mine a block carrying it."""
        self.rpc.call("evm_increaseTime", [int(seconds)])
        self.rpc.call("evm_mine")

    # -- transactions ------------------------------------------------------------------

    def send_all(self, txs: Sequence[tuple[bytes, Any, int]], what: str) -> list[dict[str, Any]]:
        """Sign ``(key, bound function, gas)`` transactions, send them in batches and wait
        for every receipt; returns the receipts in order (status may be 0)."""
        raws = []
        for key, fn, gas in txs:
            account = Account.from_key(key)
            nonce = self._next_nonce(account.address)
            tx = fn.build_transaction(
                {
                    "from": account.address,
                    "nonce": nonce,
                    "gas": gas,
                    "maxFeePerGas": MAX_FEE,
                    "maxPriorityFeePerGas": 0,
                    "chainId": self.chain_id,
                }
            )
            raws.append(Account.sign_transaction(tx, key).raw_transaction)
        hashes = []
        for result in self.rpc.batch([("eth_sendRawTransaction", ["0x" + r.hex()]) for r in raws]):
            if isinstance(result, RpcFailure):
                raise ChainError(f"{what}: transaction refused: {result.message}")
            hashes.append(result)
        return self.wait(hashes, what)

    def wait(self, hashes: Sequence[str], what: str, timeout: float = 120.0) -> list[dict]:
        deadline = time.monotonic() + timeout
        receipts: dict[str, dict] = {}
        while len(receipts) < len(hashes):
            pending = [h for h in hashes if h not in receipts]
            for h, r in zip(
                pending,
                self.rpc.batch([("eth_getTransactionReceipt", [h]) for h in pending]),
                strict=True,
            ):
                if r and not isinstance(r, RpcFailure):
                    receipts[h] = r
            if len(receipts) < len(hashes):
                if time.monotonic() > deadline:
                    raise ChainError(f"{what}: {len(hashes) - len(receipts)} receipts missing")
                time.sleep(0.05)
        return [receipts[h] for h in hashes]

    def _next_nonce(self, address: str) -> int:
        if address not in self._nonces:
            self._nonces[address] = int(
                self.rpc.call("eth_getTransactionCount", [address, "pending"]), 16
            )
        nonce = self._nonces[address]
        self._nonces[address] = nonce + 1
        return nonce

    # -- the book ----------------------------------------------------------------------

    def fund(self, keys: Sequence[bytes], amounts: Sequence[int]) -> None:
        """Gas money (anvil_setBalance), then mint -> approve -> deposit ``amounts`` (base
        units) into each trader's free balance."""
        self.rpc.batch(
            [("anvil_setBalance", [Account.from_key(k).address, hex(ETH_FOR_GAS)]) for k in keys]
        )
        clearing = self.c.clearing.address
        for fns, gas, what in (
            (
                lambda k, a: self.c.token.functions.mint(Account.from_key(k).address, a),
                120_000,
                "mint",
            ),
            (lambda k, a: self.c.token.functions.approve(clearing, a), 80_000, "approve"),
            (lambda k, a: self.c.clearing.functions.deposit(a), 150_000, "deposit"),
        ):
            receipts = self.send_all(
                [(k, fns(k, a), gas) for k, a in zip(keys, amounts, strict=True)], what
            )
            failed = sum(1 for r in receipts if int(r["status"], 16) != 1)
            if failed:
                raise ChainError(f"{what}: {failed} of {len(receipts)} transactions failed")

    def quote(self, orders: Sequence[Order], series: Sequence[SeriesInfo]) -> list[Any]:
        """Per order: (initial margin WAD, opening cost WAD) from MarginEngine.evaluate."""
        params = self.eth_call(self.c.registry.functions.risk_params(self.underlying))
        # by name: the tuple is in RiskParams field order (index 6 is the horizon, which
        # this read took for spread_vol until the spread grew a delta part)
        spread_vol = params[RISK_KEYS.index("spread_vol")]
        terms = {s.series_id: (to_wad(s.strike), s.expiry, s.is_call) for s in series}
        fns = []
        for order in orders:
            legs = [(terms[s], to_wad(size)) for s, size in order.legs]
            fns.append(self.c.engine.functions.evaluate(self.underlying, legs, params))
        out = []
        for order, valuation in zip(orders, self.calls(fns), strict=True):
            if isinstance(valuation, RpcFailure):
                raise ChainError(f"evaluate {order.kind}: {valuation.message}")
            spot, _marks, vegas, deltas, _maintenance, initial = valuation
            sizes = [to_wad(size) for _, size in order.legs]
            cost = opening_cost(spread_vol, sizes, vegas, deltas, spot)
            out.append((int(initial), int(cost)))
        return out

    def collateral_for(self, initial: int, cost: int, leverage: float) -> int:
        """Base units: IM x leverage plus the opening cost, rounded up, plus one unit."""
        wad = math.ceil(initial * leverage) + cost
        return -(-wad // self.c.scale) + 1

    def open_book(
        self, keys: Sequence[bytes], orders: Sequence[Order], collaterals: Sequence[int]
    ) -> list[tuple[Order, int | None, str]]:
        """Open every order; returns (order, position id or None, tx hash)."""
        probe = max(orders, key=lambda o: len(o.legs))
        legs = [(s, to_wad(size)) for s, size in probe.legs]
        gas = int(
            self.c.clearing.functions.open_position(
                legs, collaterals[orders.index(probe)], 2**255
            ).estimate_gas({"from": Account.from_key(keys[probe.trader]).address})
            * 1.5
        )
        txs = [
            (
                keys[o.trader],
                self.c.clearing.functions.open_position(
                    [(s, to_wad(size)) for s, size in o.legs], coll, 2**255
                ),
                gas,
            )
            for o, coll in zip(orders, collaterals, strict=True)
        ]
        receipts = self.send_all(txs, "open_position")
        event = self.c.clearing.events.PositionOpened()
        out = []
        for order, receipt in zip(orders, receipts, strict=True):
            position_id = None
            if int(receipt["status"], 16) == 1:
                for log in event.process_receipt(_receipt_for_web3(receipt), errors=DISCARD):
                    position_id = int(log["args"]["position_id"])
            out.append((order, position_id, receipt["transactionHash"]))
        return out


class BlockClock:
    """Wall-clock time at which each block was first seen (polled every ``interval``).

    Keeper latency is measured on this clock: anvil's block timestamps include the demo's
    time warps, so they cannot measure seconds a keeper took."""

    def __init__(self, rpc_url: str, interval: float = 0.02):
        self.rpc = Rpc(rpc_url, timeout=10)
        self.interval = interval
        self.seen: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="block-clock", daemon=True)
        self._last = -1

    def start(self) -> None:
        self._last = int(self.rpc.call("eth_blockNumber"), 16)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                number = int(self.rpc.call("eth_blockNumber"), 16)
            except (requests.RequestException, ChainError):
                time.sleep(self.interval)
                continue
            now = time.time()
            for b in range(self._last + 1, number + 1):
                self.seen.setdefault(b, now)
            self._last = max(self._last, number)
            self._stop.wait(self.interval)


def to_wad(value: float) -> int:
    """Human units to WAD, exactly for the decimals the demo uses (0.5, 1.5, 2400...)."""
    return int(round(value * 10**6)) * 10**12


def _abi_type(output: dict[str, Any]) -> str:
    if output["type"].startswith("tuple"):
        inner = ",".join(_abi_type(c) for c in output["components"])
        return f"({inner}){output['type'][5:]}"
    return output["type"]


def _receipt_for_web3(receipt: dict[str, Any]) -> dict[str, Any]:
    """A raw JSON receipt in the shape ``ContractEvent.process_receipt`` expects."""
    from hexbytes import HexBytes

    logs = []
    for log in receipt["logs"]:
        logs.append(
            {
                "address": Web3.to_checksum_address(log["address"]),
                "topics": [HexBytes(t) for t in log["topics"]],
                "data": HexBytes(log["data"]),
                "blockNumber": int(log["blockNumber"], 16),
                "transactionHash": HexBytes(log["transactionHash"]),
                "transactionIndex": int(log["transactionIndex"], 16),
                "blockHash": HexBytes(log["blockHash"]),
                "logIndex": int(log["logIndex"], 16),
                "removed": False,
            }
        )
    return {"logs": logs}


def with_retries(fn: Callable[[], Any], attempts: int = 50, delay: float = 0.1) -> Any:
    """Call ``fn`` until it stops raising a connection error (anvil starting up)."""
    for attempt in range(attempts):
        try:
            return fn()
        except (requests.ConnectionError, ChainError):
            if attempt == attempts - 1:
                raise
            time.sleep(delay)
    return None
