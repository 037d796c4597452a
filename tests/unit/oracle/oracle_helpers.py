"""Helpers shared by the Oracle unit tests: constants, report builders, a signing relay."""

from __future__ import annotations

import boa
from eth_account import Account
from eth_utils import keccak

from ringfence.oracle_types import Report, sign_report, underlying_id
from ringfence.paths import contract_path
from ringfence.risk_table import oracle_governor

WAD = 10**18
YEAR = 31_536_000
ETH = underlying_id("ETH")
BTC = underlying_id("BTC")

MAX_AGE = 3_600
SPOT_CAP_BPS = 2_000  # 20 %
VOL_CAP = 20 * 10**16  # 20 vol points
ETH_SPOT = 3_000 * WAD
FLAT_VOL = 80 * 10**16  # 80 %


def signer_account(index: int):
    """Deterministic signer keys: the same addresses in every run."""
    return Account.from_key(keccak(text=f"ringfence-oracle-signer-{index}"))


def now() -> int:
    return boa.env.evm.patch.timestamp


def spot_report(price: int, observed_at: int | None = None, underlying: bytes = ETH) -> Report:
    return Report(
        underlying=underlying,
        expiry=0,
        price=price,
        observed_at=now() if observed_at is None else observed_at,
    )


def settle_expiry(relay, signer, expiry: int, price: int) -> None:
    """Move to `expiry` and relay `signer`'s spot report there: its settlement is fixed
    (quorum 1) at `price`."""
    boa.env.time_travel(seconds=max(expiry - now(), 0))
    relay.submit((spot_report(price), signer))


def flat_total_variance(vol: int, expiry: int, observed_at: int) -> int:
    """a for a flat smile (b = 0) of annualised `vol` observed `expiry - observed_at` s out."""
    return vol * vol // WAD * (expiry - observed_at) // YEAR


def surface_report(
    expiry: int,
    forward: int = ETH_SPOT,
    vol: int = FLAT_VOL,
    observed_at: int | None = None,
    underlying: bytes = ETH,
    **svi: int,
) -> Report:
    """A surface report; flat at `vol` unless raw SVI fields are given."""
    t = now() if observed_at is None else observed_at
    params = {"a": flat_total_variance(vol, expiry, t), "b": 0, "rho": 0, "m": 0, "sigma": WAD}
    params.update(svi)
    return Report(underlying=underlying, expiry=expiry, price=forward, observed_at=t, **params)


class Relay:
    """Signs reports for one oracle deployment and submits them as a relayer."""

    def __init__(self, oracle, relayer: str, chain_id: int):
        self.oracle = oracle
        self.relayer = relayer
        self.chain_id = chain_id

    def sign(self, report: Report, account, chain_id=None, contract=None) -> bytes:
        return sign_report(
            report,
            account.key,
            self.chain_id if chain_id is None else chain_id,
            self.oracle.address if contract is None else contract,
        )

    def submit_signed(self, reports: list[Report], signatures: list[bytes]):
        """Submit; returns (accepted count, list of rejection reasons in order)."""
        with boa.env.prank(self.relayer):
            accepted = self.oracle.submit([r.as_tuple() for r in reports], signatures)
        logs = self.oracle.get_logs()
        reasons = [log.reason for log in logs if type(log).__name__ == "ReportRejected"]
        return accepted, reasons

    def submit(self, *pairs):
        """Each pair is (report, signer account)."""
        reports = [r for r, _ in pairs]
        signatures = [self.sign(r, account) for r, account in pairs]
        return self.submit_signed(reports, signatures)

    def rejects(self, report: Report, account) -> str:
        """Submit one report that must be rejected; returns the reason."""
        accepted, reasons = self.submit((report, account))
        assert accepted == 0
        assert len(reasons) == 1
        return reasons[0]


class OracleDeployer:
    """Deploys ``Oracle.vy`` over a fresh ``SurfaceChecker`` (stateless) with its bound
    ``OracleGovernor``: all three are compiled once, and each oracle gets its own checker and
    governor, so no deployment outlives the snapshot it was made in (every test runs inside
    ``boa.env.anchor()``). The caller (the prank's sender) owns the governor."""

    def __init__(self):
        self._oracle = boa.load_partial(str(contract_path("Oracle.vy")))
        self._checker = boa.load_partial(str(contract_path("SurfaceChecker.vy")))
        self._governor = boa.load_partial(str(contract_path("OracleGovernor.vy")))

    def deploy(self):
        governor = self._governor.deploy()
        oracle = self._oracle.deploy(self._checker.deploy().address, governor.address)
        governor.bind(oracle.address)
        return oracle


def gov(oracle):
    """The ``OracleGovernor`` of a deployed oracle (its ``GOVERNOR``): where signers, quorum,
    feeds and expiries are changed."""
    return oracle_governor(oracle)


CHANGE_DELAY = 86_400  # OracleGovernor.CHANGE_DELAY: a live setting's change waits a day
