"""The margin under test, read from the contracts on titanoboa: the backtest's one contract access.

:class:`ContractMargin` deploys the protocol once on an in-process EVM with the real
``contracts/Oracle.vy`` (``ringfence.risk_table.deploy_core``, the wiring every bench and
test uses), configured from the deploy parameter file: the token's decimals, the pool's
utilisation limit, the oracle feed of the underlying (max age, circuit breakers) and its
``risk:`` section, set with ``ClearingHouse.set_risk_params`` (the contract's hard limits
apply: out-of-bounds parameters are refused with the contract's reason).

:meth:`ContractMargin.requirements` then, inside a snapshot that is rolled back afterwards:

1. lists the start's expiries on the oracle and pushes, as one signed batch observed now
   (quorum 1, EIP-712 reports as the pusher signs them), the start's spot and the raw-SVI
   smile (a, b, rho, m, sigma; forward S e^{r tau}) of every expiry;
2. lists every series the book trades;
3. opens each strategy as one vault (its legs netting inside it) with ample collateral and
   reads ``health(id)``: the maintenance and initial margin exactly as the contract computes
   them, its equity (collateral minus the opening spread cost), and each leg's mark from the
   margin engine.

Everything happens at one block timestamp, so the oracle's smile (observed now) and the
marks (tau from now) refer to the same instant as the start surface of the simulation.
The contracts are being restructured; only this module knows their names and wiring.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from decimal import Decimal

import boa
from eth_account import Account
from eth_utils import keccak

from ringfence.deploy_config import DeployConfig
from ringfence.oracle_types import Report, sign_report
from ringfence.risk_table import ETH, WAD, deploy_core, deploy_real_oracle, list_and_seed
from ringfence.tools.backtest.book import Strategy, series_of
from ringfence.tools.backtest.market import StartState

POOL_CASH = 100_000_000  # whole quote units the pool holds, far above the book's notional
OI_CAP = 10**6 * WAD  # per-series cap on traders' net size, never binding for the book
SIGNER_SEED = "ringfence-backtest-oracle-signer"


class ContractError(RuntimeError):
    """The contracts refused the parameters or the book (the message gives their reason)."""


@dataclass(frozen=True)
class Requirement:
    """One strategy's margin as the contract computes it (quote units; ``*_wad`` exact)."""

    mm: float
    im: float
    value: float  # sum of size x contract mark
    cost: float  # opening spread cost (the vault's equity is collateral - cost)
    mm_wad: int
    im_wad: int
    cost_wad: int
    marks: tuple[float, ...]  # per-unit contract mark of each leg

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Listed:
    """The start's expiries (unix s, by book expiry index) and the book's series ids."""

    ids: dict[tuple[int, float, bool], int]
    expiries: list[int]


def to_wad(x: float) -> int:
    """A float in real units as the nearest WAD integer (exact for decimal-short values)."""
    return int((Decimal(repr(float(x))) * WAD).to_integral_value())


def _reason(error: Exception) -> str:
    frame = getattr(getattr(error, "stack_trace", None), "last_frame", None)
    reason = getattr(frame, "pretty_vm_reason", None)
    return str(reason) if reason else str(error).strip().splitlines()[-1]


class ContractMargin:
    """MM / IM of whole strategies from ``ClearingHouse.health`` on the deployed contracts."""

    def __init__(self, params: DeployConfig, underlying: str):
        if underlying not in params.risk:
            known = ", ".join(sorted(params.risk)) or "none"
            raise ContractError(f"params: no risk.{underlying} section (have: {known})")
        feeds = [f for f in params.feeds if f.symbol == underlying]
        if not feeds:
            raise ContractError(f"params: no oracle feed for {underlying}")
        self.risk = params.risk[underlying]
        self.rate = self.risk.rate / WAD
        feed = feeds[0]
        self._signer = Account.from_key(keccak(text=SIGNER_SEED))

        def make_oracle(_expiry: int):
            oracle, self._governor = deploy_real_oracle()
            governor = self._governor
            governor.add_signer(self._signer.address)
            governor.add_feed(ETH, feed.max_age, feed.spot_cap_bps, feed.vol_cap, feed.description)
            return oracle

        risk = asdict(self.risk)
        try:
            self.proto = deploy_core(
                make_oracle, params.token.decimals, 1, params.max_utilisation, risk
            )
            list_and_seed(self.proto, (), OI_CAP, POOL_CASH)
        except boa.BoaError as error:
            raise ContractError(f"contracts refused the parameters: {_reason(error)}") from None
        self.trader = boa.env.generate_address("backtest-trader")
        self.relayer = boa.env.generate_address("backtest-relayer")

    # -----------------------------------------------------------------------------------

    def _push(self, start: StartState, expiries: list[int], now: int) -> None:
        spot = to_wad(start.spot)
        reports = [Report(ETH, 0, spot, observed_at=now)]
        for i, expiry in enumerate(expiries):
            a, b, rho, m, sigma = (to_wad(x) for x in start.svi(i))
            forward = to_wad(start.spot * math.exp(start.rate * start.tau(i)))
            reports.append(Report(ETH, expiry, forward, a, b, rho, m, sigma, now))
        chain_id = boa.env.evm.patch.chain_id
        oracle = self.proto.oracle
        signatures = [sign_report(r, self._signer.key, chain_id, oracle.address) for r in reports]
        with boa.env.prank(self.relayer):
            accepted = oracle.submit([r.as_tuple() for r in reports], signatures)
        if accepted != len(reports):
            raise ContractError(
                f"oracle accepted {accepted} of {len(reports)} reports of the {start.name} start"
            )

    @contextmanager
    def market(self, book: list[Strategy], start: StartState) -> Iterator[Listed]:
        """Inside: `start` is on the oracle (observed now) and every series of `book` is
        listed (the yielded :class:`Listed`). Everything is rolled back on exit."""
        if abs(start.rate - self.rate) > 1e-15:
            raise ContractError(f"start rate {start.rate} is not the contract's {self.rate}")
        proto = self.proto
        with boa.env.anchor():
            try:
                now = boa.env.evm.patch.timestamp
                expiries = [now + s for s in start.expiry_seconds]
                with boa.env.prank(proto.governance):
                    for expiry in expiries:
                        self._governor.list_expiry(ETH, expiry)
                self._push(start, expiries, now)
                ids = {}
                with boa.env.prank(proto.governance):
                    for i, strike, is_call in series_of(book):
                        ids[(i, strike, is_call)] = proto.registry.list_series(
                            ETH, to_wad(strike), expiries[i], is_call, OI_CAP
                        )
            except boa.BoaError as error:
                raise ContractError(
                    f"contracts refused the {start.name} start: {_reason(error)}"
                ) from None
            yield Listed(ids, expiries)

    def requirements(self, book: list[Strategy], start: StartState) -> list[Requirement]:
        """MM, IM, value and cost of every strategy of `book` on `start`, in book order."""
        with self.market(book, start) as listed:
            try:
                return [self._open(strategy, listed, start) for strategy in book]
            except boa.BoaError as error:
                raise ContractError(
                    f"contracts refused the {start.name} book: {_reason(error)}"
                ) from None

    def _open(self, strategy: Strategy, listed: Listed, start: StartState) -> Requirement:
        """Open `strategy` as one amply funded vault and read its health and marks."""
        proto = self.proto
        units = sum(abs(leg.size) for leg in strategy.legs)
        collateral = proto.units(math.ceil(10 * start.spot * units))
        proto.fund(self.trader, collateral)
        legs = [(listed.ids[leg.series], to_wad(leg.size)) for leg in strategy.legs]
        with boa.env.prank(self.trader):
            pid = proto.ch.open_position(legs, collateral, collateral)
        equity, im, mm = proto.ch.health(pid)
        terms = [
            (to_wad(leg.strike), listed.expiries[leg.expiry], leg.is_call) for leg in strategy.legs
        ]
        rate = proto.registry.risk_params(ETH).rate
        marks = [m / WAD for m in proto.engine.marks(ETH, terms, rate)]
        cost = collateral * 10 ** (18 - proto.decimals) - equity
        value = sum(leg.size * m for leg, m in zip(strategy.legs, marks, strict=True))
        return Requirement(mm / WAD, im / WAD, value, cost / WAD, mm, im, cost, tuple(marks))
