"""Fakes for the pusher's unit tests: no chain needed.

- `FakeNode` / `FakeW3`: a web3-shaped JSON-RPC node for the sender and failover tests;
  `FakeNode` is the shared state of one "network", `FakeW3(node, alive)` one endpoint. A
  dead endpoint raises requests.ConnectionError on every call, like a refused socket.
- `FakeChain` / `FakeSender`: the `OracleChain` and `Sender` as the push loop sees them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import requests
from eth_account import Account
from eth_account.typed_transactions import TypedTransaction
from eth_utils import keccak
from hexbytes import HexBytes
from web3.exceptions import TransactionNotFound, Web3RPCError

from oracle.contract import Verdict
from oracle.errors import TransientError
from oracle.sender import SendResult
from oracle.svi import Svi
from oracle.units import WAD, years


def svi_of(report) -> Svi:
    return Svi(*(x / WAD for x in (report.a, report.b, report.rho, report.m, report.sigma)))


KEEPER = Account.from_key("0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d")
ORACLE = "0x5FbDB2315678afecb367f032d93F642f64180aa3"


@dataclass
class Sent:
    tx_hash: str
    nonce: int
    max_fee: int
    priority_fee: int
    data: str


@dataclass
class FakeNode:
    chain_id: int = 31337
    block: int = 100
    base_fee: int = 10**9
    nonce: int = 0  # next unmined nonce of the sender
    sent: list[Sent] = field(default_factory=list)
    mined: dict[str, dict] = field(default_factory=dict)
    calls: list[str] = field(default_factory=list)
    estimate_error: Exception | None = None
    refuse_underpriced: bool = True
    on_nonce: Any = None  # called on every nonce query (to stage races)

    def mine(self, tx_hash: str, status: int = 1) -> None:
        tx = next(s for s in self.sent if s.tx_hash == tx_hash)
        self.block += 1
        self.nonce = tx.nonce + 1
        self.mined[tx_hash] = {
            "status": status,
            "blockNumber": self.block,
            "gasUsed": 50_000,
            "transactionHash": tx_hash,
            "logs": [],
        }


class FakeEth:
    def __init__(self, node: FakeNode, alive: bool, name: str) -> None:
        self.node, self.alive, self.name = node, alive, name

    def _hit(self, method: str) -> None:
        self.node.calls.append(f"{self.name}:{method}")
        if not self.alive:
            raise requests.ConnectionError(f"connection refused ({self.name})")

    @property
    def chain_id(self) -> int:
        self._hit("chain_id")
        return self.node.chain_id

    @property
    def block_number(self) -> int:
        self._hit("block_number")
        return self.node.block

    def get_block(self, tag: str) -> dict:
        self._hit("get_block")
        return {"number": self.node.block, "baseFeePerGas": self.node.base_fee, "timestamp": 0}

    def get_transaction_count(self, address: str, tag: str) -> int:
        self._hit("get_transaction_count")
        if self.node.on_nonce is not None:
            self.node.on_nonce()
        return self.node.nonce

    def estimate_gas(self, tx: dict, block: str | None = None) -> int:
        self._hit("estimate_gas")
        if self.node.estimate_error is not None:
            raise self.node.estimate_error
        return 80_000

    def get_balance(self, address: str) -> int:
        self._hit("get_balance")
        return 10**18

    def send_raw_transaction(self, raw: bytes) -> HexBytes:
        self._hit("send_raw_transaction")
        tx = TypedTransaction.from_bytes(HexBytes(raw))
        d = tx.as_dict()
        tx_hash = "0x" + bytes(keccak(bytes(raw))).hex()
        same = [
            s for s in self.node.sent if s.nonce == d["nonce"] and s.tx_hash not in self.node.mined
        ]
        if any(s.tx_hash == tx_hash for s in self.node.sent):
            raise Web3RPCError("already known")
        if self.node.refuse_underpriced and same:
            prev = same[-1]
            if (
                d["maxFeePerGas"] < prev.max_fee * 1.1
                or d["maxPriorityFeePerGas"] < prev.priority_fee * 1.1
            ):
                raise Web3RPCError("replacement transaction underpriced")
        self.node.sent.append(
            Sent(
                tx_hash,
                d["nonce"],
                d["maxFeePerGas"],
                d["maxPriorityFeePerGas"],
                "0x" + bytes(d["data"]).hex(),
            )
        )
        return HexBytes(tx_hash)

    def get_transaction_receipt(self, tx_hash: str) -> Any:
        self._hit("get_transaction_receipt")
        if tx_hash not in self.node.mined:
            raise TransactionNotFound(f"{tx_hash} not found")
        return self.node.mined[tx_hash]


class FakeW3:
    def __init__(self, node: FakeNode, alive: bool = True, name: str = "rpc") -> None:
        self.eth = FakeEth(node, alive, name)


class FakeClock:
    """Monotonic time that only moves when the code under test sleeps."""

    def __init__(self, on_sleep: Any = None) -> None:
        self.now = 1_000.0
        self.sleeps: list[float] = []
        self.on_sleep = on_sleep

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        if self.on_sleep is not None:
            self.on_sleep()


class FakeRpc:
    def __init__(self) -> None:
        self.fail_next = 0

    def call(self, fn, what="rpc"):
        if self.fail_next:
            self.fail_next -= 1
            raise TransientError(f"{what}: every RPC endpoint failed")
        return fn(self)

    class eth:  # noqa: N801 (web3 shape)
        @staticmethod
        def get_balance(address):
            return 5 * WAD

        @staticmethod
        def call(tx, block="latest"):
            return (2).to_bytes(32, "big")


@dataclass
class FakeChain:
    listed: bool = True
    signer: bool = True
    expiries: list[int] = field(default_factory=list)
    spot: tuple = (0, 0, 0)
    rejected: dict = field(default_factory=dict)  # (uid, expiry) -> reason
    # (uid, expiry) -> reason, logged after the key's ReportAccepted (aggregation refusals)
    refused_at_aggregation: dict = field(default_factory=dict)
    address: str = ORACLE
    rpc: FakeRpc = field(default_factory=FakeRpc)
    batches: list = field(default_factory=list)
    # what the oracle publishes after an accepted spot report: the pushed price, unless
    # another signer's fresh report (the median) or the breaker makes it `published`
    published: int | None = None
    fresh_signers: int = 1
    held: bool = False
    # a vol band as the oracle's: a surface report whose ATM vol is more than `vol_band`
    # from the published one is refused "vol cap exceeded" (None: no band)
    vol_band: float | None = None
    published_surface: tuple = (0, 0, 0, 0, 0, 0, 0, 0, 0)
    simulated: int = 0  # accepts() calls

    def _atm_vol(self, r) -> float:
        return math.sqrt(max(svi_of(r).total_variance(0.0), 0.0) / years(r.expiry - r.observed_at))

    def _band_refuses(self, r) -> bool:
        s = self.published_surface
        if self.vol_band is None or r.expiry == 0 or not s[7]:
            return False
        published = Svi(*(x / WAD for x in s[1:6]))
        anchor = math.sqrt(published.total_variance(0.0) / years(r.expiry - s[6]))
        return abs(self._atm_vol(r) - anchor) > self.vol_band

    def accepts(self, report, signature, sender):
        self.simulated += 1
        return (report.underlying, report.expiry) not in self.rejected and not self._band_refuses(
            report
        )

    def has_code(self):
        return True

    def view(self, name, *args):
        if name == "is_signer":
            return self.signer
        if name == "feed":
            return (self.listed, 3_600, 5_000, WAD, "ETH / USD")
        if name == "spot":
            return self.spot
        if name == "fresh_report_count":
            return self.fresh_signers
        if name == "breaker_held":
            return self.held
        if name == "expiries":
            return list(self.expiries)
        if name == "surface":
            return self.published_surface
        raise AssertionError(name)

    def submit_calldata(self, reports, signatures):
        self.batches.append((list(reports), list(signatures)))
        return "0x" + "00" * 4

    def verdicts(self, receipt):
        reports, _ = self.batches[-1]
        out = []
        for r in reports:
            reason = self.rejected.get((r.underlying, r.expiry), "")
            if not reason and self._band_refuses(r):
                reason = "vol cap exceeded"
            out.append(Verdict(r.underlying, r.expiry, not reason, reason))
            if not reason and r.expiry != 0 and self.vol_band is not None:
                self.published_surface = (
                    r.price,
                    r.a,
                    r.b,
                    r.rho,
                    r.m,
                    r.sigma,
                    r.observed_at,
                    r.observed_at,
                    0,
                )
        for r in reports:
            if r.expiry == 0 and (r.underlying, 0) not in self.rejected:
                price = r.price if self.published is None else self.published
                self.spot = (price, r.observed_at, self.spot[2] + 1)
        for r in reports:
            reason = self.refused_at_aggregation.get((r.underlying, r.expiry))
            if reason is not None and (r.underlying, r.expiry) not in self.rejected:
                out.append(Verdict(r.underlying, r.expiry, False, reason))
        return out


class FakeSender:
    def __init__(self, outcome="mined"):
        self.outcome = outcome
        self.sent = []

    def send(self, to, data):
        self.sent.append((to, data))
        return SendResult(
            self.outcome,
            nonce=len(self.sent) - 1,
            tx_hash="0x01",
            receipt={"logs": []},
            replacements=1 if self.outcome == "mined" else 0,
        )
