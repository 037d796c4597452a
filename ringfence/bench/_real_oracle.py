"""The protocol of ``ringfence.risk_table.deploy_protocol`` wired to the real ``Oracle.vy``.

``deploy_protocol`` uses the oracle mock (open setters, one packed slot per spot read) so
unit tests can move prices freely. What users pay for is the deployed system, which reads
``contracts/Oracle.vy``: ``price`` with its staleness check, ``vol(u, K, T)`` evaluating the
expiry's SVI smile (one ``ln`` and two ``isqrt``), ``settlement_price``. This module deploys
the same token / engine / clearing house / pool set-up on the real oracle and feeds it the
way the pusher does, with EIP-712 reports signed by one registered signer (quorum 1):

- the feed: max_age 86,400 s (the governance maximum, so a surface stays fresh while the
  bench moves spot for a few seconds), spot cap 10,000 bps (the maximum: the bench moves
  spot by up to 30 % in one report), vol cap 1.0;
- the surface of the one listed expiry: a raw-SVI smile with skew whose at-the-money vol is
  ``vol`` (80 % by default) and whose wings differ, so ``vol`` really evaluates a smile;
- :class:`SignedFeed` moves spot (one signed spot report per move, one second apart, since
  a signer's timestamps must increase) and fixes settlement prices (the first spot report
  at or after the expiry).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import boa
from eth_account import Account
from eth_utils import keccak

from ringfence.oracle_types import Report, sign_report
from ringfence.risk_table import (
    ETH,
    WAD,
    YEAR,
    Protocol,
    deploy_core,
    deploy_real_oracle,
    list_and_seed,
)

MAX_AGE = 86_400
SPOT_CAP_BPS = 10_000
VOL_CAP = WAD
# Shape of the smile (WAD); `a` is solved so the ATM vol is the requested one.
SVI_B = WAD // 10
SVI_RHO = -3 * WAD // 10
SVI_M = WAD // 50
SVI_SIGMA = WAD // 5


def svi_for_atm_vol(vol: int, tau: int) -> tuple[int, int, int, int, int]:
    """Raw SVI (a, b, rho, m, sigma), WAD, whose ATM total variance is vol^2 * tau / year."""
    target = vol * vol // WAD * tau // YEAR
    skew = SVI_B * (-SVI_RHO * SVI_M // WAD + math.isqrt(SVI_M * SVI_M + SVI_SIGMA * SVI_SIGMA))
    return target - skew // WAD, SVI_B, SVI_RHO, SVI_M, SVI_SIGMA


class SignedFeed:
    """Moves the real oracle the way the pusher does: signed reports, relayed by a keeper."""

    def __init__(self, oracle, signer_key: bytes, relayer: str):
        self.oracle = oracle
        self.key = signer_key
        self.relayer = relayer
        self.chain_id = boa.env.evm.patch.chain_id

    def _submit(self, report: Report) -> None:
        signature = sign_report(report, self.key, self.chain_id, self.oracle.address)
        with boa.env.prank(self.relayer):
            accepted = self.oracle.submit([report.as_tuple()], [signature])
        if accepted != 1:
            raise RuntimeError(f"real oracle: report rejected: {report}")

    def set_price(self, underlying: bytes, price: int) -> None:
        """One second later, a signed spot report of `price` (WAD)."""
        boa.env.time_travel(seconds=1)
        self._submit(Report(underlying, 0, price, observed_at=boa.env.evm.patch.timestamp))

    def set_surface(self, underlying: bytes, expiry: int, forward: int, vol: int) -> None:
        """One second later, a signed surface report with ATM vol `vol` (WAD)."""
        boa.env.time_travel(seconds=1)
        now = boa.env.evm.patch.timestamp
        a, b, rho, m, sigma = svi_for_atm_vol(vol, expiry - now)
        self._submit(Report(underlying, expiry, forward, a, b, rho, m, sigma, now))

    def set_settlement_price(self, underlying: bytes, expiry: int, price: int) -> None:
        """The first spot report at or after `expiry` fixes its settlement price."""
        if boa.env.evm.patch.timestamp < expiry:
            raise ValueError("real oracle: settlement needs a report at or after the expiry")
        self.set_price(underlying, price)
        if self.oracle.settlement_price(underlying, expiry) != price:
            raise RuntimeError("real oracle: settlement price was not fixed")


@dataclass
class RealOracleProtocol:
    proto: Protocol
    feed: SignedFeed


def deploy_protocol_real_oracle(
    decimals: int = 6,
    spot: int = 2000 * WAD,
    vol: int = 8 * 10**17,
    days: int = 30,
    strikes: tuple[int, ...] = (1600, 1800, 2000, 2200, 2400),
    pool_cash: int = 10_000_000,
    oi_cap: int = 10_000 * WAD,
    max_utilisation: int = 5 * WAD,
    params: dict[str, int] | None = None,
) -> RealOracleProtocol:
    """``deploy_protocol`` with ``contracts/Oracle.vy`` fed by signed reports (see module doc)."""
    signer = Account.from_key(keccak(text="ringfence-bench-real-oracle-signer"))

    def make_oracle(expiry: int):
        oracle, governor = deploy_real_oracle()
        governor.add_signer(signer.address)
        governor.add_feed(ETH, MAX_AGE, SPOT_CAP_BPS, VOL_CAP, "ETH / USD")
        governor.list_expiry(ETH, expiry)
        return oracle

    proto = deploy_core(make_oracle, decimals, days, max_utilisation, params)
    feed = SignedFeed(proto.oracle, signer.key, boa.env.generate_address("relayer"))
    feed.set_price(ETH, spot)
    feed.set_surface(ETH, proto.expiry, spot, vol)
    list_and_seed(proto, strikes, oi_cap, pool_cash)
    return RealOracleProtocol(proto, feed)
