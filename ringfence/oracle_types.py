"""EIP-712 report types shared by the Oracle contract's tests and the `oracle` pusher.

One typed-data struct covers both kinds of report, so a signature binds every field:

    Report(bytes32 underlying,uint64 expiry,uint256 price,int256 a,int256 b,
           int256 rho,int256 m,int256 sigma,uint64 observed_at)

- Spot report: ``expiry == 0``, ``price`` = spot (WAD quote per unit), SVI fields all 0.
- Surface report: ``expiry`` = the listed expiry (unix s), ``price`` = the forward F for that
  expiry at observation (WAD; log-moneyness is k = ln(K/F)), and the raw-SVI total-variance
  parameters ``(a, b, rho, m, sigma)`` in WAD: w(k) = a + b (rho (k - m) + sqrt((k - m)^2 +
  sigma^2)).
- ``observed_at``: observation time, unix seconds.

The domain is ``{name: "Ringfence Oracle", version: "1", chainId, verifyingContract}``, so a
report signed for one chain or one oracle deployment is worthless on any other.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from eth_account import Account
from eth_account.messages import encode_typed_data

DOMAIN_NAME = "Ringfence Oracle"
DOMAIN_VERSION = "1"

REPORT_FIELDS: list[dict[str, str]] = [
    {"name": "underlying", "type": "bytes32"},
    {"name": "expiry", "type": "uint64"},
    {"name": "price", "type": "uint256"},
    {"name": "a", "type": "int256"},
    {"name": "b", "type": "int256"},
    {"name": "rho", "type": "int256"},
    {"name": "m", "type": "int256"},
    {"name": "sigma", "type": "int256"},
    {"name": "observed_at", "type": "uint64"},
]

REPORT_TYPE_STRING = "Report(" + ",".join(f"{f['type']} {f['name']}" for f in REPORT_FIELDS) + ")"

EIP712_DOMAIN_FIELDS: list[dict[str, str]] = [
    {"name": "name", "type": "string"},
    {"name": "version", "type": "string"},
    {"name": "chainId", "type": "uint256"},
    {"name": "verifyingContract", "type": "address"},
]


def underlying_id(symbol: str) -> bytes:
    """The bytes32 feed id of an underlying: its ASCII symbol, right-padded with zeros."""
    raw = symbol.encode("ascii")
    if not 0 < len(raw) <= 32:
        raise ValueError(f"underlying symbol must be 1-32 ASCII bytes, got {symbol!r}")
    return raw.ljust(32, b"\0")


@dataclass(frozen=True)
class Report:
    """One signed observation; integer fields exactly as the contract sees them."""

    underlying: bytes
    expiry: int
    price: int
    a: int = 0
    b: int = 0
    rho: int = 0
    m: int = 0
    sigma: int = 0
    observed_at: int = 0

    @property
    def is_spot(self) -> bool:
        return self.expiry == 0

    def as_tuple(self) -> tuple:
        """The ABI tuple in field order, for a contract call taking ``Report`` structs."""
        return tuple(getattr(self, f["name"]) for f in REPORT_FIELDS)

    def message(self) -> dict[str, Any]:
        return asdict(self)


def typed_data(report: Report, chain_id: int, verifying_contract: str) -> dict[str, Any]:
    """The full EIP-712 message, as any standard client (or hardware wallet) signs it."""
    return {
        "types": {"EIP712Domain": EIP712_DOMAIN_FIELDS, "Report": REPORT_FIELDS},
        "primaryType": "Report",
        "domain": {
            "name": DOMAIN_NAME,
            "version": DOMAIN_VERSION,
            "chainId": chain_id,
            "verifyingContract": verifying_contract,
        },
        "message": report.message(),
    }


def sign_report(report: Report, private_key: bytes | str, chain_id: int, verifying_contract: str):
    """Sign ``report`` for one oracle deployment; returns the 65-byte signature (r || s || v)."""
    signable = encode_typed_data(full_message=typed_data(report, chain_id, verifying_contract))
    signed = Account.sign_message(signable, private_key)
    return bytes(signed.signature)


def recover_signer(report: Report, signature: bytes, chain_id: int, verifying_contract: str) -> str:
    """The address that signed ``report`` (checksummed)."""
    signable = encode_typed_data(full_message=typed_data(report, chain_id, verifying_contract))
    return Account.recover_message(signable, signature=signature)
