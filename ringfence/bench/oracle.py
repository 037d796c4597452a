"""Bench section ``oracle``: gas of relaying signed reports to contracts/Oracle.vy.

Measured on titanoboa (py-evm, Prague rules), in a throw-away environment:

- one registered signer, quorum 1; two feeds (ETH, BTC), four listed expiries each;
- a batch of 10 reports = 2 spot reports (one per feed) + 8 surface reports (one per
  expiry, raw SVI with skew), all from that signer, in one ``submit``;
- **steady state**: two warm-up batches write every slot first, so the measured batch
  (the third, 60 s later) overwrites non-zero slots; every value moves (spot, forward and
  all five SVI parameters, as a fresh SVI fit does), so every written slot changes; no
  settlement is due. The cold first-ever batch is reported for comparison.

The arbitrage checks alone (docs/oracle.md, "Arbitrage-free surfaces"): execution gas of
one ``SurfaceChecker.check`` (sanity, Lee, the 34-point density grid) on the batch's 7-day
smile, and of one ``check_calendar`` (39 points) on its 7- and 30-day smiles; every
accepted surface report pays one ``check`` and, when re-aggregated, one ``check_calendar``
per fresh neighbouring expiry (two in the middle of the term structure).

``gas_per_report_batch10`` = the gas of the whole ``submit`` transaction / 10, where the
transaction's gas is 21,000 + calldata (16 / 4 gas per non-zero / zero byte) + the
execution gas metered by titanoboa, or the EIP-7623 calldata floor when that is larger
(it is not, here). No storage slot is cleared, so there is no refund to subtract.

Titanoboa runs every call inside one never-committed py-evm state, so EIP-2200's
"original value" of a slot would stay what it was before the first write and an
overwrite of a non-zero slot would be charged 100 gas instead of 2,900. The bench
commits the state (py-evm ``lock_changes``) before every transaction, so storage writes
are priced as on a real chain.
"""

from __future__ import annotations

from eth_abi import encode
from eth_account import Account
from eth_utils import function_signature_to_4byte_selector, keccak

from ringfence.oracle_types import Report, sign_report, underlying_id
from ringfence.risk_table import deploy_real_oracle, surface_checker_deployer

NAME = "oracle"

WAD = 10**18
YEAR = 31_536_000
DAY = 86_400
FEEDS = (("ETH", 3_000 * WAD), ("BTC", 60_000 * WAD))
EXPIRY_DAYS = (7, 30, 90, 180)
BATCH = 10
INTRINSIC_GAS = 21_000
CALLDATA_FLOOR_PER_TOKEN = 10  # EIP-7623
SUBMIT_SIGNATURE = (
    "submit((bytes32,uint64,uint256,int256,int256,int256,int256,int256,uint64)[],bytes[])"
)


def calldata_tokens(data: bytes) -> int:
    """EIP-7623 tokens: 4 per non-zero byte, 1 per zero byte (x4 = EIP-2028 gas)."""
    return sum(4 if byte else 1 for byte in data)


def tx_gas(execution: int, data: bytes) -> int:
    """Gas of a transaction calling a contract with ``data`` (Prague rules, no refund)."""
    tokens = calldata_tokens(data)
    standard = INTRINSIC_GAS + 4 * tokens + execution
    floor = INTRINSIC_GAS + CALLDATA_FLOOR_PER_TOKEN * tokens
    return max(standard, floor)


def _batch(t: int, expiries: dict[str, list[int]], step: int) -> list[Report]:
    """2 spot + 8 surface reports observed at ``t``; ``step`` nudges every value."""
    reports = []
    for symbol, spot in FEEDS:
        u = underlying_id(symbol)
        reports.append(Report(u, 0, spot + step * WAD, observed_at=t))
        for expiry in expiries[symbol]:
            tau = expiry - t
            reports.append(
                Report(
                    u,
                    expiry,
                    spot + step * WAD,
                    a=(64 + step) * WAD // 100 * tau // YEAR,  # ~0.8 ATM vol level
                    b=WAD // 10 + step * 10**15,
                    rho=-3 * WAD // 10 + step * 10**15,
                    m=WAD // 50 + step * 10**15,
                    sigma=WAD // 5 + step * 10**15,
                    observed_at=t,
                )
            )
    return reports


def run() -> dict:
    import boa

    with boa.swap_env(boa.Env()):
        governance = boa.env.generate_address("governance")
        relayer = boa.env.generate_address("relayer")
        signer = Account.from_key(keccak(text="ringfence-bench-oracle-signer"))
        with boa.env.prank(governance):
            oracle, governor = deploy_real_oracle()
            governor.add_signer(signer.address)
            expiries: dict[str, list[int]] = {}
            for symbol, _ in FEEDS:
                u = underlying_id(symbol)
                governor.add_feed(u, 3_600, 2_000, 2 * 10**17, f"{symbol} / USD")
                now = boa.env.evm.patch.timestamp
                expiries[symbol] = [now + days * DAY for days in EXPIRY_DAYS]
                for expiry in expiries[symbol]:
                    governor.list_expiry(u, expiry)
        chain_id = boa.env.evm.patch.chain_id
        selector = function_signature_to_4byte_selector(SUBMIT_SIGNATURE)

        def submit(step: int) -> tuple[int, int]:
            boa.env.time_travel(seconds=60)
            reports = _batch(boa.env.evm.patch.timestamp, expiries, step)
            assert len(reports) == BATCH
            signatures = [sign_report(r, signer.key, chain_id, oracle.address) for r in reports]
            args = ([r.as_tuple() for r in reports], signatures)
            data = selector + encode(
                [
                    "(bytes32,uint64,uint256,int256,int256,int256,int256,int256,uint64)[]",
                    "bytes[]",
                ],
                args,
            )
            # Commit, so this tx sees the previous ones' writes as original values.
            boa.env.evm.vm.state.lock_changes()
            boa.env.reset_gas_used()
            with boa.env.prank(relayer):
                accepted = oracle.submit(*args)
            if accepted != BATCH:
                raise RuntimeError(f"bench batch: only {accepted} of {BATCH} accepted")
            execution = boa.env.get_gas_used()
            return execution, tx_gas(execution, data)

        _, cold_total = submit(0)
        submit(1)
        execution, total = submit(2)

        checker = surface_checker_deployer().deploy()
        t = boa.env.evm.patch.timestamp
        near, far = (r for r in _batch(t, expiries, 2)[1:3])
        boa.env.reset_gas_used()
        assert checker.check(near.a, near.b, near.rho, near.m, near.sigma) == ""
        check_gas = boa.env.get_gas_used()
        smiles = [(r.a, r.b, r.rho, r.m, r.sigma, r.expiry - t, r.expiry - t) for r in (near, far)]
        boa.env.reset_gas_used()
        assert checker.check_calendar(*smiles) == ""
        calendar_gas = boa.env.get_gas_used()

    return {
        "gas_per_report_batch10": total // BATCH,
        "batch10_tx_gas": total,
        "batch10_execution_gas": execution,
        "batch10_first_write_tx_gas": cold_total,
        "arbitrage_check_gas": check_gas,
        "calendar_check_gas": calendar_gas,
        "batch_mix": "2 spot + 8 surface (2 feeds x 4 expiries), 1 signer, quorum 1",
        "state": "steady (third batch; every slot already non-zero, every value changes)",
        "measured_on": "titanoboa (py-evm)",
    }


def rows(result: dict) -> list[tuple[str, str]]:
    return [
        ("gas per report (batch of 10, tx total)", f"{result['gas_per_report_batch10']:,}"),
        ("batch-of-10 tx gas (steady state)", f"{result['batch10_tx_gas']:,}"),
        ("batch-of-10 execution gas", f"{result['batch10_execution_gas']:,}"),
        ("batch-of-10 tx gas (first write)", f"{result['batch10_first_write_tx_gas']:,}"),
        (
            "SurfaceChecker.check gas (sanity + Lee + density grid)",
            f"{result['arbitrage_check_gas']:,}",
        ),
        ("SurfaceChecker.check_calendar gas (one pair)", f"{result['calendar_check_gas']:,}"),
        ("batch mix", result["batch_mix"]),
    ]
