"""The push loop with fake chain, sender and sources: batching, triggers, verdicts, retries."""

from __future__ import annotations

import pytest
from pusher_fakes import KEEPER, ORACLE, FakeChain, FakeSender

from oracle.config import Config, FeedConfig, SignerConfig
from oracle.errors import ConfigError, SourceError
from oracle.metrics import Metrics
from oracle.service import Pusher
from oracle.sources.base import Observation, SurfaceQuote
from oracle.svi import Svi
from oracle.units import WAD, years
from ringfence.oracle_types import recover_signer, underlying_id

ETH = underlying_id("ETH")
NOW = 1_700_000_000
EXPIRY = NOW + 30 * 86_400


class ScriptedSource:
    """Returns scripted (spot, atm vol) pairs, or raises what it is given."""

    def __init__(self, name, script):
        self.name = name
        self.script = list(script)

    def fetch(self, now, expiries):
        item = self.script.pop(0) if len(self.script) > 1 else self.script[0]
        if isinstance(item, Exception):
            raise item
        spot, vol = item
        surfaces = {e: SurfaceQuote(e, spot, Svi.flat(vol, years(e - now))) for e in expiries}
        return Observation("ETH", now, spot, surfaces, self.name)


def config(**feed):
    return Config(
        chain_id=31337,
        rpc_urls=["http://x"],
        signer=SignerConfig(keystore="k"),
        poll_interval=1.0,
        feeds=[
            FeedConfig(
                underlying="ETH",
                sources=[],
                deviation_bps=50,
                vol_deviation=0.01,
                heartbeat=600,
                **feed,
            )
        ],
    )


def pusher(script, chain=None, sender=None, dry_run=False, clock=None, sources=None):
    times = iter(range(NOW, NOW + 10_000, 10))
    srcs = sources or [ScriptedSource("a", script)]
    return Pusher(
        config(),
        chain or FakeChain(expiries=[EXPIRY]),
        KEEPER,
        None if dry_run else (sender or FakeSender()),
        Metrics(),
        dry_run=dry_run,
        clock=clock or (lambda: next(times)),
        sleep=lambda s: None,
        sources={"ETH": srcs},
    )


def test_cycle__first_run__spot_and_surface_in_one_signed_batch():
    chain, sender = FakeChain(expiries=[EXPIRY]), FakeSender()
    p = pusher([(2_000.0, 0.6)], chain, sender)
    p.start()
    result = p.cycle()
    assert len(sender.sent) == 1 and result.accepted == 2
    reports, signatures = chain.batches[0]
    assert [(r.expiry, r.price) for r in reports] == [(0, 2_000 * WAD), (EXPIRY, 2_000 * WAD)]
    assert (
        reports[1].a == pytest.approx(0.36 * years(EXPIRY - NOW) * WAD, abs=2) and reports[1].b == 0
    )
    for r, sig in zip(reports, signatures, strict=True):
        assert recover_signer(r, sig, 31337, ORACLE) == KEEPER.address


def test_cycle__small_move__nothing_sent():
    sender = FakeSender()
    p = pusher([(2_000.0, 0.6), (2_005.0, 0.605)], sender=sender)
    p.start()
    p.cycle()
    assert p.cycle().outcome == "idle" and len(sender.sent) == 1


def test_cycle__spot_moves_vol_not__only_spot_report():
    chain = FakeChain(expiries=[EXPIRY])
    p = pusher([(2_000.0, 0.6), (2_020.0, 0.6)], chain)
    p.start()
    p.cycle()
    p.cycle()
    assert [r.expiry for r in chain.batches[1][0]] == [0]


def test_cycle__rejected_report__not_resent_until_it_moves_again():
    chain = FakeChain(rejected={(ETH, 0): "spot cap exceeded"}, expiries=[EXPIRY])
    p = pusher([(2_000.0, 0.6), (2_000.0, 0.6), (2_050.0, 0.6)], chain)
    p.start()
    first = p.cycle()
    assert first.rejected == 1 and first.accepted == 1
    assert p.cycle().outcome == "idle"  # same refused value: no transaction wasted on it
    chain.rejected = {}
    third = p.cycle()  # moved 250 bps from the refused value: offered again
    assert [r.expiry for r in chain.batches[1][0]] == [0] and third.accepted == 1
    assert p.metrics.reports.labels("rejected")._value.get() == 1


def test_cycle__rejected_report__resent_after_a_heartbeat():
    chain = FakeChain(rejected={(ETH, 0): "spot cap exceeded"}, expiries=[EXPIRY])
    clock = iter([NOW, NOW + 10, NOW + 700])
    p = pusher([(2_000.0, 0.6)], chain, clock=lambda: next(clock))
    p.start()
    p.cycle()
    assert p.cycle().outcome == "idle"
    chain.rejected = {}
    third = p.cycle()  # 700 s after the refusal (heartbeat 600): spot offered again
    assert [r.expiry for r in chain.batches[-1][0]] == [0, EXPIRY]  # smile: its own heartbeat
    assert len(chain.batches) == 2 and third.accepted == 2


def test_cycle__surface_refused_at_aggregation__counted_rejected_baseline_unchanged():
    # The oracle logs ReportAccepted, then ReportRejected "svi calendar arbitrage" for the
    # same key when the smile passed its report checks but not the calendar test.
    chain = FakeChain(
        refused_at_aggregation={(ETH, EXPIRY): "svi calendar arbitrage"}, expiries=[EXPIRY]
    )
    p = pusher([(2_000.0, 0.6)], chain)
    p.start()
    first = p.cycle()
    assert (first.accepted, first.rejected) == (1, 1)  # the spot accepted, the smile refused
    assert EXPIRY not in p.feeds[0].last and EXPIRY in p.feeds[0].rejected


def test_cycle__tx_not_mined__baseline_unchanged():
    chain = FakeChain(expiries=[EXPIRY])
    p = pusher([(2_000.0, 0.6)], chain, FakeSender(outcome="timeout"))
    p.start()
    p.cycle()
    p.cycle()
    assert len(chain.batches) == 2 and len(chain.batches[1][0]) == 2


def test_cycle__dry_run__simulated_never_sent():
    chain = FakeChain(expiries=[EXPIRY])
    p = pusher([(2_000.0, 0.6)], chain, dry_run=True)
    p.start()
    result = p.cycle()
    assert result.outcome == "dry_run" and result.accepted == 2
    assert p.metrics.transactions.labels("dry_run")._value.get() == 1


def test_cycle__one_source_fails__others_still_pushed():
    chain = FakeChain(expiries=[EXPIRY])
    bad = ScriptedSource("bad", [SourceError("deribit down")])
    good = ScriptedSource("good", [(2_000.0, 0.6)])
    p = pusher(None, chain, sources=[bad, good])
    p.start()
    assert p.cycle().accepted == 2
    assert p.metrics.cycle_errors.labels("source")._value.get() == 1


def test_cycle__outlier_source__median_of_the_rest():
    chain = FakeChain(expiries=[EXPIRY])
    srcs = [
        ScriptedSource("a", [(2_000.0, 0.6)]),
        ScriptedSource("b", [(2_002.0, 0.6)]),
        ScriptedSource("c", [(9_999.0, 0.6)]),
    ]
    p = pusher(None, chain, sources=srcs)
    p.start()
    p.cycle()
    assert chain.batches[0][0][0].price == 2_001 * WAD


def test_cycle__same_second_as_last_push__deferred():
    chain = FakeChain(expiries=[EXPIRY])
    p = pusher([(2_000.0, 0.6), (2_100.0, 0.7)], chain, clock=lambda: NOW)
    p.start()
    p.cycle()
    assert p.cycle().outcome == "idle"  # observed_at would not be newer than the last report


def test_cycle__metrics__value_time_deviation_and_balance():
    p = pusher([(2_000.0, 0.6), (2_100.0, 0.6)])
    p.start()
    p.cycle()
    p.cycle()
    m = p.metrics
    assert m.last_value.labels("ETH", "spot")._value.get() == 2_100.0
    assert m.deviation.labels("ETH", "spot")._value.get() == pytest.approx(500.0)
    assert m.last_time.labels("ETH", "spot")._value.get() == NOW + 10
    assert m.balance._value.get() == 5 * WAD
    assert m.transactions.labels("mined")._value.get() == 2
    assert m.replacements._value.get() == 2


def test_start__feed_not_on_oracle__config_error():
    with pytest.raises(ConfigError, match="unknown feed 'ETH'"):
        pusher([(2_000.0, 0.6)], FakeChain(listed=False, expiries=[EXPIRY])).start()


def test_start__key_not_a_signer__config_error():
    with pytest.raises(ConfigError, match="is not registered"):
        pusher([(2_000.0, 0.6)], FakeChain(signer=False, expiries=[EXPIRY])).start()


def test_start__existing_spot__used_as_baseline():
    chain = FakeChain(spot=(2_000 * WAD, NOW - 5, 3), expiries=[EXPIRY])
    p = pusher([(2_001.0, 0.6)], chain)
    p.start()
    p.cycle()
    assert [r.expiry for r in chain.batches[0][0]] == [EXPIRY]  # spot moved 5 bps only


def test_run__transient_errors__logged_retried_never_fatal():
    chain = FakeChain(expiries=[EXPIRY])
    p = pusher([(2_000.0, 0.6)], chain)
    p.start()
    chain.rpc.fail_next = 3
    assert p.run(max_cycles=2) == 2
    assert p.metrics.cycle_errors.labels("transient")._value.get() == 3


@pytest.fixture
def service_log(caplog):
    """The pusher's own records, even when an earlier test's CLI run made the `oracle`
    logger stop propagating (its JSON handler)."""
    import logging

    logger = logging.getLogger("oracle.service")
    logger.addHandler(caplog.handler)
    caplog.set_level("WARNING", logger="oracle.service")
    yield caplog
    logger.removeHandler(caplog.handler)


def test_cycle__published_spot_differs__warned_with_the_reason_and_gap_metric(service_log):
    # operator trial point 1: pushing 2,700 logged success while the oracle published 2,850
    # (the median with the deploy's own signer, still fresh): now it says so
    chain = FakeChain(expiries=[EXPIRY], published=2_850 * WAD, fresh_signers=2)
    p = pusher([(2_700.0, 0.8)], chain=chain)
    p.cycle()
    (warning,) = [r for r in service_log.records if r.getMessage() == "published_differs"]
    assert (warning.pushed, warning.published, warning.fresh_signers) == (2_700.0, 2_850.0, 2)
    assert "median of 2 fresh signers" in warning.why
    gap = p.metrics.published_gap.labels("ETH")._value.get()
    assert gap == pytest.approx(10_000 * 150 / 2_700)


def test_cycle__breaker_holds__warned_as_clamped(service_log):
    chain = FakeChain(expiries=[EXPIRY], published=2_400 * WAD, held=True)
    p = pusher([(2_000.0, 0.8)], chain=chain)
    p.cycle()
    (warning,) = [r for r in service_log.records if r.getMessage() == "published_differs"]
    assert warning.breaker_held and "breaker holds" in warning.why


def test_cycle__published_equals_pushed__no_warning_gap_zero(service_log):
    p = pusher([(2_000.0, 0.8)])
    p.cycle()
    assert not [r for r in service_log.records if r.getMessage() == "published_differs"]
    assert p.metrics.published_gap.labels("ETH")._value.get() == 0


def _published_atm(chain) -> float:
    s = chain.published_surface
    svi = Svi(*(x / WAD for x in s[1:6]))
    return (svi.total_variance(0.0) / years(EXPIRY - s[6])) ** 0.5


def test_cycle__vol_jump_past_the_band__ramped_one_band_per_push_never_stalled(service_log):
    # ATM vol 0.6 -> 1.5 in one observation with a 0.2 band: the fit is refused once, then
    # every push is the largest blend the oracle accepts (within the band of the last
    # published smile, at most 1/128 of the move short of it) until the fit itself passes
    service_log.set_level("INFO", logger="oracle.service")
    chain, sender = FakeChain(expiries=[EXPIRY], vol_band=0.2), FakeSender()
    p = pusher([(2_000.0, 0.6), (2_000.0, 1.5)], chain, sender)
    p.start()
    p.cycle()
    assert abs(_published_atm(chain) - 0.6) < 1e-9
    refused = p.cycle()
    assert refused.rejected == 1 and p.feeds[0].band_limited == {EXPIRY}
    assert not p.feeds[0].rejected  # not held back until a heartbeat
    vols = []
    for _ in range(8):
        before = _published_atm(chain)
        result = p.cycle()
        assert result.rejected == 0 and result.accepted == 1
        after = _published_atm(chain)
        vols.append(after)
        assert before < after <= before + 0.2 + 1e-9
        if not p.feeds[0].band_limited:
            break
    assert abs(vols[-1] - 1.5) < 1e-9  # the fit itself, once within the band
    assert len(vols) >= 4 and all(v > 0.6 + 0.15 * (i + 1) for i, v in enumerate(vols[:-1]))
    events = [r.getMessage() for r in service_log.records]
    assert events.count("smile_ramped") == len(vols) - 1 and "smile_ramp_done" in events


def test_cycle__ramp__not_even_the_published_smile_passes__nothing_sent():
    chain, sender = FakeChain(expiries=[EXPIRY], vol_band=0.2), FakeSender()
    p = pusher([(2_000.0, 0.6), (2_000.0, 1.5)], chain, sender)
    p.start()
    p.cycle()
    p.cycle()  # refused: band-limited
    chain.rejected[(ETH, EXPIRY)] = "stale report"  # every simulation now fails
    sent = len(sender.sent)
    result = p.cycle()
    assert result.outcome == "idle" and len(sender.sent) == sent
    assert chain.simulated == 2  # the fit, then the published smile: no bisection
