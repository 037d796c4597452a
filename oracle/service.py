"""The push loop: observe, aggregate, decide, sign, send one batch, learn what landed.

`Pusher` holds no CLI or server code; `oracle.cli` builds one from a Config and runs it.
Per cycle:

1. for each feed: read its listed expiries on-chain, fetch every source (a failing source
   is logged and left out; see `oracle.aggregate` for the median/outlier rule);
2. decide per (feed, expiry) with `oracle.triggers` (deviation or heartbeat);
3. sign every due report (EIP-712, `ringfence.oracle_types`) and send them ALL in one
   `submit` transaction (split only past the contract's 64-report batch limit);
4. read ReportAccepted / ReportRejected from the receipt: only accepted values become the
   new trigger baseline; rejections are logged with the contract's reason, and a rejected
   value is offered again only after it moved by the trigger threshold or a heartbeat passed;
5. a smile refused for ``vol cap exceeded`` (the market moved faster than the oracle's vol
   band) is ramped instead: from the next cycle the pusher sends the largest blend
   ``published + λ (fit − published)`` of SVI parameters that the oracle accepts now (found
   by bisection on λ with ``eth_call`` of a one-report ``submit``), so the expiry stays
   fresh and moves one band per window, until the full fit is accepted (docs/oracle.md §5).

With ``dry_run`` the batch is simulated with eth_call (the accepted count is logged) and
never sent. A transient error ends the cycle, is logged and counted, and the next cycle
starts after a backoff; the loop never exits on one.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from eth_account.signers.local import LocalAccount

from oracle.aggregate import AggregationError, aggregate
from oracle.config import (
    Config,
    DeribitSourceConfig,
    FeedConfig,
    ReplaySourceConfig,
    SimSourceConfig,
)
from oracle.contract import OracleChain
from oracle.errors import ConfigError, SourceError, SourceExhausted, TransientError
from oracle.metrics import Metrics
from oracle.sender import Sender
from oracle.sources.base import Observation, Source, SurfaceQuote
from oracle.sources.deribit import DeribitParams, DeribitSource
from oracle.sources.replay import ReplaySource
from oracle.sources.sim import SimParams, SimSource
from oracle.svi import Svi, butterfly_free, calendar_free
from oracle.triggers import Decision, Pushed, TriggerConfig, spot_due, surface_due
from oracle.units import WAD, to_wad
from ringfence.oracle_types import Report, sign_report, underlying_id

log = logging.getLogger("oracle.service")

MAX_BATCH = 64  # DynArray bound of Oracle.submit
RAMP_STEPS = 7  # bisection steps on the blend fraction of a ramped smile (1/128)
RAMP_RETRY = 60  # s: a ramp stuck at the band's edge (or blocked) is tried again after this


def build_source(feed: FeedConfig, src: Any) -> Source:
    if isinstance(src, ReplaySourceConfig):
        return ReplaySource(src.path, feed.underlying, src.on_end, src.use_file_timestamps)
    if isinstance(src, SimSourceConfig):
        params = SimParams(**{k: v for k, v in vars(src).items() if k != "kind"})
        return SimSource(feed.underlying, params)
    if isinstance(src, DeribitSourceConfig):
        params = DeribitParams(**{k: v for k, v in vars(src).items() if k != "kind"})
        return DeribitSource(feed.underlying, params)
    raise ConfigError(f"feed {feed.underlying}: unsupported source {src!r}")


def arbitrage_free_surfaces(
    feed: str, surfaces: dict[int, SurfaceQuote]
) -> list[tuple[int, SurfaceQuote]]:
    """The cycle's smiles in ascending expiry, each repaired until the contract's checks
    pass (docs/oracle.md, "Arbitrage-free surfaces"): butterfly-free on its own, and
    calendar-free against the previous expiry kept this cycle (same observation time, so
    total variance compares directly). A smile that cannot be repaired is left out."""
    out: list[tuple[int, SurfaceQuote]] = []
    for expiry, quote in sorted(surfaces.items()):
        try:
            svi = butterfly_free(quote.svi)
            if out:
                svi = calendar_free(out[-1][1].svi, svi)
        except ValueError as exc:
            log.warning(
                "arbitrage_unrepairable", extra={"feed": feed, "expiry": expiry, "error": str(exc)}
            )
            continue
        if svi != quote.svi:
            log.info("arbitrage_repaired", extra={"feed": feed, "expiry": expiry})
        out.append((expiry, replace(quote, svi=svi)))
    return out


@dataclass
class Planned:
    """One due report with why it is due."""

    feed: str
    report: Report
    decision: Decision
    value: float  # spot (quote units) or ATM vol (0.5 = 50 %), for logs and metrics
    quote: SurfaceQuote | None = None

    @property
    def key(self) -> tuple[bytes, int]:
        return (self.report.underlying, self.report.expiry)


@dataclass
class FeedRuntime:
    config: FeedConfig
    sources: list[Source]
    uid: bytes
    trigger: TriggerConfig
    last: dict[int, Pushed] = field(default_factory=dict)  # expiry (0 = spot) -> last accepted
    exhausted: set[int] = field(default_factory=set)  # indices of finished sources
    rejected: dict[int, Pushed] = field(default_factory=dict)  # expiry -> last refused value
    band_limited: set[int] = field(default_factory=set)  # expiries refused "vol cap exceeded"
    ramp_wait: dict[int, int] = field(default_factory=dict)  # expiry -> no ramp before (unix s)


@dataclass
class CycleResult:
    planned: list[Planned]
    outcome: str  # "idle", "dry_run", or the Sender outcome of the (last) batch
    accepted: int = 0
    rejected: int = 0


def make_clock(kind: str, rpc: Any) -> Callable[[], float]:
    """The pusher's clock: ``"wall"`` is this machine's time; ``"chain"`` is the latest
    block's timestamp (read through the failover RPC), for local chains whose time is warped
    with ``evm_increaseTime`` so reports are neither stale nor in the future."""
    if kind == "wall":
        return time.time
    if kind == "chain":
        return lambda: float(rpc.call(lambda w3: w3.eth.get_block("latest")["timestamp"], "clock"))
    raise ValueError(f"unknown clock {kind!r}")


class Pusher:
    def __init__(
        self,
        cfg: Config,
        chain: OracleChain,
        account: LocalAccount,
        sender: Sender | None,
        metrics: Metrics,
        dry_run: bool = False,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        sources: dict[str, list[Source]] | None = None,
    ) -> None:
        if sender is None and not dry_run:
            raise ValueError("a Sender is required unless dry_run")
        self.cfg = cfg
        self.chain = chain
        self.account = account
        self.sender = sender
        self.metrics = metrics
        self.dry_run = dry_run
        self.clock = clock
        self.sleep = sleep
        self.feeds: list[FeedRuntime] = []
        for f in cfg.feeds:
            built = sources[f.underlying] if sources else [build_source(f, s) for s in f.sources]
            trigger = TriggerConfig(f.deviation_bps, f.vol_deviation, f.heartbeat)
            self.feeds.append(FeedRuntime(f, built, underlying_id(f.underlying), trigger))

    # -- start-up ------------------------------------------------------------------

    def start(self) -> None:
        """Check the deployment against the config (ConfigError on any mismatch) and load
        the on-chain values as the first trigger baselines."""
        if not self.chain.has_code():
            raise ConfigError(f"no contract at oracle address {self.chain.address}")
        if not self.chain.view("is_signer", self.account.address):
            raise ConfigError(f"signer {self.account.address} is not registered on the oracle")
        for feed in self.feeds:
            if not self.chain.view("feed", feed.uid)[0]:
                raise ConfigError(
                    f"unknown feed {feed.config.underlying!r}: not listed on the oracle"
                )
            self._load_baseline(feed)
        log.info(
            "started",
            extra={
                "signer": self.account.address,
                "oracle": self.chain.address,
                "feeds": [f.config.underlying for f in self.feeds],
                "dry_run": self.dry_run,
            },
        )

    def _load_baseline(self, feed: FeedRuntime) -> None:
        price, observed_at, _round = self.chain.view("spot", feed.uid)
        if observed_at:
            feed.last[0] = Pushed(observed_at=int(observed_at), spot=price / WAD)
        for expiry in self._expiries(feed, now=0):
            s = self.chain.view("surface", feed.uid, expiry)
            forward, a, b, rho, m, sigma, svi_observed_at, observed = s[:8]
            if observed:
                svi = Svi(a / WAD, b / WAD, rho / WAD, m / WAD, sigma / WAD)
                quote = SurfaceQuote(int(expiry), forward / WAD, svi)
                feed.last[int(expiry)] = Pushed(observed_at=int(svi_observed_at), surface=quote)

    def _expiries(self, feed: FeedRuntime, now: int) -> list[int]:
        listed = [int(e) for e in self.chain.view("expiries", feed.uid)]
        wanted = set(feed.config.expiries)
        return [e for e in listed if e > now and (not wanted or e in wanted)]

    # -- one cycle -----------------------------------------------------------------

    @property
    def finished(self) -> bool:
        """Every source of every feed is a replay that ran out (``on_end: stop``)."""
        return all(len(f.exhausted) == len(f.sources) for f in self.feeds)

    def observe(self, feed: FeedRuntime, now: int) -> list[Observation]:
        expiries = self._expiries(feed, now)
        out = []
        for i, src in enumerate(feed.sources):
            if i in feed.exhausted:
                continue
            try:
                out.append(src.fetch(now, expiries))
                for expiry, why in getattr(src, "skipped", {}).items():
                    log.info(
                        "expiry_skipped",
                        extra={
                            "feed": feed.config.underlying,
                            "source": src.name,
                            "expiry": expiry,
                            "reason": why,
                        },
                    )
            except SourceExhausted:
                feed.exhausted.add(i)
                log.info(
                    "source_exhausted", extra={"feed": feed.config.underlying, "source": src.name}
                )
            except SourceError as exc:
                self.metrics.cycle_errors.labels("source").inc()
                log.warning(
                    "source_error",
                    extra={"feed": feed.config.underlying, "source": src.name, "error": str(exc)},
                )
        return out

    def plan(self, now: int) -> list[Planned]:
        planned: list[Planned] = []
        for feed in self.feeds:
            name = feed.config.underlying
            observations = self.observe(feed, now)
            if not observations:
                continue
            try:
                value = aggregate(
                    observations, feed.config.max_spread_bps, feed.config.max_vol_spread
                )
            except AggregationError as exc:
                log.warning("sources_disagree", extra={"feed": name, "error": str(exc)})
                continue
            if value.dropped:
                log.warning("outliers_dropped", extra={"feed": name, "sources": value.dropped})
            for problem in value.problems:
                log.warning("sources_disagree", extra={"feed": name, "error": problem})
            t = value.observed_at
            last = feed.last.get(0)
            decision = spot_due(last, value.spot, now, feed.trigger)
            if decision.due and self._resend_rejected(feed, 0, value.spot, None, t, now):
                decision = Decision(False, "", decision.deviation)
            if decision.due and (last is None or t > last.observed_at):
                report = Report(
                    underlying=feed.uid, expiry=0, price=to_wad(value.spot), observed_at=t
                )
                planned.append(Planned(name, report, decision, value.spot))
            for expiry, quote in arbitrage_free_surfaces(name, value.surfaces):
                last = feed.last.get(expiry)
                decision = surface_due(last, quote, t, now, feed.trigger)
                if not decision.due or (last is not None and t <= last.observed_at):
                    continue
                if expiry in feed.band_limited:
                    if now < feed.ramp_wait.get(expiry, 0):
                        continue
                    fit = quote
                    ramped = self._ramp(feed, expiry, quote, t)
                    if ramped is None:
                        feed.ramp_wait[expiry] = now + RAMP_RETRY
                        continue
                    quote, fraction = ramped
                    decision = surface_due(last, quote, t, now, feed.trigger)
                    if not decision.due:  # at the band's edge for this window
                        feed.ramp_wait[expiry] = now + RAMP_RETRY
                        continue
                    if fraction < 1.0:
                        log.warning(
                            "smile_ramped",
                            extra={
                                "feed": name,
                                "expiry": expiry,
                                "fraction": fraction,
                                "fit_atm_vol": round(fit.atm_vol(t), 6),
                                "sent_atm_vol": round(quote.atm_vol(t), 6),
                            },
                        )
                if self._resend_rejected(feed, expiry, None, quote, t, now):
                    continue
                try:
                    quote.svi.check()
                except ValueError as exc:
                    log.warning(
                        "bad_smile", extra={"feed": name, "expiry": expiry, "error": str(exc)}
                    )
                    continue
                a, b, rho, m, sigma = quote.svi.to_wad()
                report = Report(feed.uid, expiry, to_wad(quote.forward), a, b, rho, m, sigma, t)
                planned.append(Planned(name, report, decision, quote.atm_vol(t), quote))
        return planned

    def _ramp(
        self, feed: FeedRuntime, expiry: int, quote: SurfaceQuote, t: int
    ) -> tuple[SurfaceQuote, float] | None:
        """The smile to send, and its blend fraction, for an expiry whose last report the
        oracle's vol band refused: the fit itself once the oracle accepts it (the expiry
        leaves the band-limited set),
        else the largest blend of the published smile's SVI parameters towards the fit that
        it accepts now, or None when not even the published smile passes (then nothing is
        sent for the expiry this cycle). The fit's forward is kept; every candidate must pass
        the contract's own SVI checks (``Svi.check``, ``arbitrage_reason``) before it is
        simulated."""

        def accepted(q: SurfaceQuote) -> bool:
            try:
                q.svi.check()
            except ValueError:
                return False
            if q.svi.arbitrage_reason():
                return False
            report = Report(feed.uid, expiry, to_wad(q.forward), *q.svi.to_wad(), t)
            signature = sign_report(report, self.account.key, self.cfg.chain_id, self.chain.address)
            return self.chain.accepts(report, signature, self.account.address)

        if accepted(quote):
            feed.band_limited.discard(expiry)
            log.info("smile_ramp_done", extra={"feed": feed.config.underlying, "expiry": expiry})
            return quote, 1.0
        s = self.chain.view("surface", feed.uid, expiry)
        if not s[7]:
            return None
        start = [x / WAD for x in (s[1], s[2], s[3], s[4], s[5])]
        target = [quote.svi.a, quote.svi.b, quote.svi.rho, quote.svi.m, quote.svi.sigma]

        def blend(lam: float) -> SurfaceQuote:
            svi = Svi(*(x + lam * (y - x) for x, y in zip(start, target, strict=True)))
            return SurfaceQuote(expiry, quote.forward, svi)

        if not accepted(blend(0.0)):
            log.warning(
                "smile_ramp_blocked",
                extra={"feed": feed.config.underlying, "expiry": expiry},
            )
            return None
        lo, hi = 0.0, 1.0
        for _ in range(RAMP_STEPS):
            mid = (lo + hi) / 2
            if accepted(blend(mid)):
                lo = mid
            else:
                hi = mid
        return blend(lo), lo

    @staticmethod
    def _resend_rejected(
        feed: FeedRuntime,
        expiry: int,
        spot: float | None,
        quote: SurfaceQuote | None,
        t: int,
        now: int,
    ) -> bool:
        """True to hold back a value the contract just rejected (e.g. its circuit breaker):
        it is offered again only once it moved by the trigger threshold from the rejected
        value, or a heartbeat after the rejection, so a refusal costs one transaction per
        heartbeat, not one per cycle."""
        rejected = feed.rejected.get(expiry)
        if rejected is None:
            return False
        if expiry == 0:
            again = spot_due(rejected, spot or 0.0, now, feed.trigger).due
        else:
            assert quote is not None
            again = surface_due(rejected, quote, t, now, feed.trigger).due
        if again:
            del feed.rejected[expiry]
        return not again

    def _sign(self, planned: Sequence[Planned]) -> list[bytes]:
        return [
            sign_report(p.report, self.account.key, self.cfg.chain_id, self.chain.address)
            for p in planned
        ]

    def _record(self, p: Planned) -> None:
        feed = next(f for f in self.feeds if f.uid == p.report.underlying)
        r = p.report
        if r.expiry == 0:
            feed.last[0] = Pushed(observed_at=r.observed_at, spot=p.value)
        else:
            feed.last[r.expiry] = Pushed(observed_at=r.observed_at, surface=p.quote)
        label = (p.feed, "spot" if r.expiry == 0 else str(r.expiry))
        self.metrics.last_value.labels(*label).set(p.value)
        self.metrics.last_time.labels(*label).set(r.observed_at)
        self.metrics.deviation.labels(*label).set(p.decision.deviation)

    def cycle(self) -> CycleResult:
        now = int(self.clock())
        planned = self.plan(now)
        self._update_balance()
        if not planned:
            log.debug("nothing_due")
            return CycleResult(planned, "idle")
        for p in planned:
            log.info(
                "due",
                extra={
                    "feed": p.feed,
                    "expiry": p.report.expiry,
                    "value": p.value,
                    "reason": p.decision.reason,
                    "deviation": p.decision.deviation,
                    "observed_at": p.report.observed_at,
                },
            )
        result = CycleResult(planned, "idle")
        for start in range(0, len(planned), MAX_BATCH):
            batch = planned[start : start + MAX_BATCH]
            self._submit(batch, result)
        return result

    def _submit(self, batch: list[Planned], result: CycleResult) -> None:
        signatures = self._sign(batch)
        data = self.chain.submit_calldata([p.report for p in batch], signatures)
        if self.dry_run:
            accepted = self._simulate(data)
            self.metrics.transactions.labels("dry_run").inc()
            log.info("dry_run", extra={"reports": len(batch), "would_accept": accepted})
            for p in batch:
                self._record(p)
            result.outcome = "dry_run"
            result.accepted += accepted if accepted is not None else 0
            return
        assert self.sender is not None
        sent = self.sender.send(self.chain.address, data)
        self.metrics.transactions.labels(sent.outcome).inc()
        if sent.replacements:
            self.metrics.replacements.inc(sent.replacements)
        result.outcome = sent.outcome
        if sent.outcome != "mined":
            log.warning(
                "batch_not_mined",
                extra={
                    "outcome": sent.outcome,
                    "nonce": sent.nonce,
                    "hashes": sent.hashes,
                    "error": sent.error,
                },
            )
            return
        by_key = {p.key: p for p in batch}
        # The last verdict per key wins: a surface whose report passed but whose smile the
        # oracle then refused at aggregation ("svi calendar arbitrage") logs ReportAccepted
        # and, after it, ReportRejected; it is a rejection (the stored surface is unchanged).
        final = {(v.underlying, v.expiry): v for v in self.chain.verdicts(sent.receipt)}
        for verdict in final.values():
            p = by_key.get((verdict.underlying, verdict.expiry))
            if p is None:
                continue
            if verdict.accepted:
                result.accepted += 1
                self.metrics.reports.labels("accepted").inc()
                self._record(p)
                if p.report.expiry == 0:
                    self._check_published(p)
            else:
                result.rejected += 1
                self.metrics.reports.labels("rejected").inc()
                feed = next(f for f in self.feeds if f.uid == p.report.underlying)
                if p.report.expiry != 0 and verdict.reason == "vol cap exceeded":
                    # not held back: ramped towards the fit from the next cycle
                    feed.band_limited.add(p.report.expiry)
                    log.warning(
                        "report_rejected",
                        extra={
                            "feed": p.feed,
                            "expiry": verdict.expiry,
                            "reason": verdict.reason,
                            "next": "ramp",
                        },
                    )
                    continue
                feed.rejected[p.report.expiry] = Pushed(
                    observed_at=p.report.observed_at,
                    spot=p.value if p.report.expiry == 0 else None,
                    surface=p.quote,
                )
                log.warning(
                    "report_rejected",
                    extra={"feed": p.feed, "expiry": verdict.expiry, "reason": verdict.reason},
                )
        log.info(
            "batch_done",
            extra={
                "tx_hash": sent.tx_hash,
                "accepted": result.accepted,
                "rejected": result.rejected,
                "replacements": sent.replacements,
            },
        )

    def _check_published(self, p: Planned) -> None:
        """After an accepted spot report: is what the oracle publishes what was pushed? It
        is not while another registered signer's report is still fresh (the median is taken
        with it: the operator trial pushed 2,700 and the oracle published 2,850) or while
        the breaker holds; say so, with why, instead of leaving it silent."""
        uid = p.report.underlying
        published = int(self.chain.view("spot", uid)[0])
        pushed = int(p.report.price)
        gap_bps = (published - pushed) * 10_000 / pushed
        self.metrics.published_gap.labels(p.feed).set(gap_bps)
        if published == pushed:
            return
        fresh = int(self.chain.view("fresh_report_count", uid, 0))
        held = bool(self.chain.view("breaker_held", uid))
        why = (
            "the spot breaker holds: the published price is clamped into its band"
            if held
            else f"the median of {fresh} fresh signers' reports, not this one alone"
        )
        log.warning(
            "published_differs",
            extra={
                "feed": p.feed,
                "pushed": pushed / 1e18,
                "published": published / 1e18,
                "gap_bps": round(gap_bps, 2),
                "fresh_signers": fresh,
                "breaker_held": held,
                "why": why,
            },
        )

    def _simulate(self, data: str) -> int | None:
        tx = {"from": self.account.address, "to": self.chain.address, "data": data}
        try:
            raw = self.chain.rpc.call(lambda w3: w3.eth.call(tx, "pending"), "eth_call")
        except TransientError:
            raise
        except Exception as exc:
            log.warning("dry_run_reverts", extra={"error": str(exc)})
            return None
        return int.from_bytes(bytes(raw)[-32:], "big") if raw else None

    def _update_balance(self) -> None:
        address = self.account.address
        balance = self.chain.rpc.call(lambda w3: w3.eth.get_balance(address), "eth_getBalance")
        self.metrics.balance.set(balance)

    # -- the loop ------------------------------------------------------------------

    def run(self, max_cycles: int | None = None) -> int:
        """Cycle until ``max_cycles`` or every source is exhausted; returns cycles run."""
        cycles = failures = 0
        retry = self.cfg.retry
        while True:
            try:
                self.cycle()
                failures = 0
            except TransientError as exc:
                failures += 1
                self.metrics.cycle_errors.labels("transient").inc()
                delay = min(self.cfg.poll_interval * 2**failures, retry.cycle_backoff_max)
                log.warning("cycle_failed", extra={"error": str(exc), "retry_in": delay})
                self.sleep(delay)
                continue
            except ConfigError:
                raise
            except Exception as exc:  # a bug or an unexpected node answer: log, back off, go on
                failures += 1
                self.metrics.cycle_errors.labels("unexpected").inc()
                delay = min(self.cfg.poll_interval * 2**failures, retry.cycle_backoff_max)
                log.error(
                    "cycle_crashed", exc_info=True, extra={"error": repr(exc), "retry_in": delay}
                )
                self.sleep(delay)
                continue
            cycles += 1
            if max_cycles is not None and cycles >= max_cycles:
                return cycles
            if self.finished:
                log.info("sources_exhausted", extra={"cycles": cycles})
                return cycles
            self.sleep(self.cfg.poll_interval)
