"""Model-based test: random spot reports from three signers, time warps and quorum changes,
compared step by step with a small Python model of the oracle's spot rules (acceptance,
median, quorum freshness time, the path breaker's window, anchor and clamp, staleness,
settlement)."""

from __future__ import annotations

import boa
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule
from oracle_helpers import (
    CHANGE_DELAY,
    ETH,
    OracleDeployer,
    Relay,
    gov,
    now,
    signer_account,
    spot_report,
)

WAD = 10**18
MAX_AGE = 600
CAP_BPS = 500  # 5 %
BASE = 2_000 * WAD


_DEPLOYER = []


def _oracle_deployer():
    """Compile once per session; every example deploys a fresh oracle from it."""
    if not _DEPLOYER:
        _DEPLOYER.append(OracleDeployer())
    return _DEPLOYER[0]


def _median(values: list[int], reference: int) -> int:
    """Oracle._median: the middle value; for an even count the point of the two middle
    values' interval nearest `reference` (the published spot), their mean without one."""
    s = sorted(values)
    n = len(s)
    if n % 2:
        return s[n // 2]
    if reference == 0:
        return (s[n // 2 - 1] + s[n // 2]) // 2
    return min(max(reference, s[n // 2 - 1]), s[n // 2])


class SpotModel(RuleBasedStateMachine):
    """Three registered signers on one feed with one listed expiry."""

    @initialize()
    def deploy(self):
        self.governance = boa.env.generate_address("governance")
        self.accounts = [signer_account(i) for i in range(3)]
        with boa.env.prank(self.governance):
            self.oracle = _oracle_deployer().deploy()
            for account in self.accounts:
                gov(self.oracle).add_signer(account.address)
            gov(self.oracle).add_feed(ETH, MAX_AGE, CAP_BPS, 10**17, "ETH / USD")
            self.expiry = now() + 700
            gov(self.oracle).list_expiry(ETH, self.expiry)
        self.relay = Relay(self.oracle, boa.env.generate_address("relayer"), 1)
        self.relay.chain_id = boa.env.evm.patch.chain_id
        self.quorum = 1
        self.last: dict[int, tuple[int, int]] = {}  # signer index -> (price, observed_at)
        self.spot: tuple[int, int, int] | None = None  # (price, observed_at, round)
        self.settlement = 0
        self.breaker: tuple[int, int, bool] | None = None  # (anchor, window start, held)

    # --- model -----------------------------------------------------------------------------

    def _fresh(self, t: int) -> bool:
        return now() - t <= MAX_AGE

    def _reason(self, i: int, price: int, t: int) -> str | None:
        if now() - t > MAX_AGE:
            return "report too old"
        if i in self.last and t <= self.last[i][1]:
            return "timestamp not newer"
        return None  # never refused for its size: the breaker clamps the aggregate

    def _clamp(self, median: int) -> int:
        """The breaker: within each MAX_AGE window the published spot stays within
        CAP_BPS of the window's anchor (the published spot when the window opened)."""
        if self.spot is None:
            self.breaker = (median, now(), False)
            return median
        anchor, since, _ = self.breaker
        if now() >= since + MAX_AGE:
            anchor, since = self.spot[0], now()
        band = anchor * CAP_BPS // 10_000
        published = min(max(median, max(anchor - band, 1)), anchor + band)
        self.breaker = (anchor, since, published != median)
        return published

    def _aggregate(self):
        fresh = [(p, t) for p, t in self.last.values() if self._fresh(t)]
        if len(fresh) >= self.quorum:
            times = sorted(t for _, t in fresh)
            round_id = (self.spot[2] if self.spot else 0) + 1
            current = self.spot[0] if self.spot else 0
            published = self._clamp(_median([p for p, _ in fresh], current))
            self.spot = (published, times[-self.quorum], round_id)
        if self.settlement == 0 and self.expiry <= now():
            after = [p for p, t in self.last.values() if t >= self.expiry and self._fresh(t)]
            if len(after) >= self.quorum:
                self.settlement = _median(after, self.spot[0] if self.spot else 0)

    # --- rules -----------------------------------------------------------------------------

    @rule(
        reports=st.lists(
            st.tuples(
                st.integers(0, 2),
                st.integers(-700, 700) | st.sampled_from([-9_000, -3_000, 3_000, 20_000]),  # bps
                st.integers(0, 5) | st.integers(0, MAX_AGE + 60),  # age at submission, s
            ),
            min_size=1,
            max_size=4,
        )
    )
    def submit(self, reports):
        pairs, expected_reasons, accepted = [], [], 0
        for i, move_bps, age in reports:
            price = BASE + BASE * move_bps // 10_000
            t = max(now() - age, 1)
            reason = self._reason(i, price, t)
            if reason is None:
                self.last[i] = (price, t)
                accepted += 1
            else:
                expected_reasons.append(reason)
            pairs.append((spot_report(price, observed_at=t), self.accounts[i]))
        got_accepted, got_reasons = self.relay.submit(*pairs)
        assert (got_accepted, got_reasons) == (accepted, expected_reasons)
        if accepted:
            self._aggregate()

    @rule(seconds=st.integers(1, 900))
    def warp(self, seconds):
        boa.env.time_travel(seconds=seconds)

    @rule(q=st.integers(1, 3))
    def set_quorum(self, q):
        governor = gov(self.oracle)
        with boa.env.prank(self.governance):
            governor.set_quorum(q)
        if self.spot is not None:
            # once the feed has a price the change is queued: a day later anyone applies it
            assert self.oracle.quorum() == self.quorum
            boa.env.time_travel(seconds=CHANGE_DELAY)
            governor.apply_quorum()
        self.quorum = q

    # --- invariants ------------------------------------------------------------------------

    @invariant()
    def spot_matches_model(self):
        stored = self.oracle.spot(ETH)
        if self.spot is None:
            assert stored.observed_at == 0
            return
        assert (stored.price, stored.observed_at, stored.round_id) == self.spot
        if self._fresh(self.spot[1]):
            assert self.oracle.price(ETH) == self.spot[0]
        else:
            with boa.reverts("oracle: stale price"):
                self.oracle.price(ETH)

    @invariant()
    def breaker_matches_model(self):
        b = self.oracle.breaker(ETH)
        if self.breaker is None:
            assert (b.anchor, b.since, b.held) == (0, 0, False)
            return
        assert (b.anchor, b.since, b.held) == self.breaker
        assert self.oracle.breaker_held(ETH) == self.breaker[2]

    @invariant()
    def settlement_matches_model(self):
        assert self.oracle.settlement_price(ETH, self.expiry) == self.settlement


TestSpotModel = SpotModel.TestCase
TestSpotModel.settings = settings(
    max_examples=10,
    stateful_step_count=20,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
