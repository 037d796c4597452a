"""Model-based test of the vol breaker on the path: random smiles (ATM moves, wing-only
lifts and drops, skew flips) from one signer, several in one block or after silences,
against a float model of the window, its anchor smile and the five-point grid bound.

Every accepted smile must lie within `vol_cap` of its window's anchor at every grid point
(wings included), however many reports the window saw; the contract's accept / reject
decision must equal the model's wherever the model is not within 1e-9 of the cap."""

from __future__ import annotations

import math

import boa
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule
from oracle_helpers import ETH, OracleDeployer, Relay, gov, now, signer_account

WAD = 10**18
YEAR = 31_536_000
MAX_AGE = 600
VOL_CAP = 0.2
GRID = (-1.0, -0.25, 0.0, 0.25, 1.0)
FORWARD = 3_000 * WAD

_DEPLOYER: list[OracleDeployer] = []


def grid_vols(svi: tuple[int, ...], tau: int) -> list[float]:
    a, b, rho, m, sigma = (x / WAD for x in svi)
    out = []
    for k in GRID:
        w = a + b * (rho * (k - m) + math.sqrt((k - m) ** 2 + sigma**2))
        out.append(math.sqrt(max(w, 0.0) * YEAR / tau))
    return out


class SmileModel(RuleBasedStateMachine):
    @initialize()
    def deploy(self):
        if not _DEPLOYER:
            _DEPLOYER.append(OracleDeployer())
        self.governance = boa.env.generate_address("governance")
        self.signer = signer_account(0)
        self.expiry = now() + 30 * 86_400
        with boa.env.prank(self.governance):
            self.oracle = _DEPLOYER[0].deploy()
            gov(self.oracle).add_signer(self.signer.address)
            gov(self.oracle).add_feed(ETH, MAX_AGE, 2_000, int(VOL_CAP * WAD), "ETH / USD")
            gov(self.oracle).list_expiry(ETH, self.expiry)
        self.relay = Relay(self.oracle, boa.env.generate_address("relayer"), 1)
        self.relay.chain_id = boa.env.evm.patch.chain_id
        self.last_t = 0
        self.published: tuple[tuple[int, ...], int] | None = None  # (svi, observed_at)
        self.anchor: list[float] | None = None
        self.since = 0
        self.accepted = 0
        self.atm_pts = 80  # the last accepted smile's ATM vol, vol points
        self.cap = VOL_CAP  # the band the last accepted smile was held to

    def _roll(self):
        if self.anchor is None or now() >= self.since + MAX_AGE:
            if self.published is None:
                self.anchor = None
                return
            svi, t = self.published
            self.anchor, self.since = grid_vols(svi, self.expiry - t), now()

    @rule(
        smiles=st.lists(
            st.tuples(
                st.integers(-30, 30),  # ATM vol move from the last accepted, vol points
                st.sampled_from([0, 1, 2, 5, 10, 20, 50, 200]),  # wing b, 1e-2
                st.sampled_from([-80, -30, 0, 30, 80]),  # rho, 1e-2
            ),
            min_size=1,
            max_size=4,
        )
    )
    def submit(self, smiles):
        """Up to four smiles in one block (one batch), each observed a second after the last."""
        from ringfence.oracle_types import Report

        for move, b_c, rho_c in smiles:
            atm_pts = min(max(self.atm_pts + move, 10), 400)
            if self.last_t >= now():
                boa.env.time_travel(seconds=1)
            t = max(self.last_t + 1, now() - 30)
            tau = self.expiry - t
            b, rho, sigma = b_c * WAD // 100, rho_c * WAD // 100, WAD // 10
            atm_w = (atm_pts * 10**16) ** 2 // WAD * tau // YEAR
            # keep w(0) at the ATM level: a = w(0) - b * (rho * (-m) + sqrt(m^2 + sigma^2)), m = 0
            a = atm_w - b * sigma // WAD
            if a + b * sigma * math.isqrt(WAD**2 - rho * rho) // WAD // WAD < 0:
                continue  # negative variance: another check's business
            svi = (a, b, rho, 0, sigma)
            report = Report(ETH, self.expiry, FORWARD, *svi, observed_at=t)
            before = (self.anchor, self.since)
            self._roll()
            expected, near, cap = True, False, VOL_CAP
            if self.anchor is not None:
                new = grid_vols(svi, tau)
                # the band widens by vol_cap per max_age the published smile is stale
                cap = VOL_CAP * max((now() - self.published[1]) // MAX_AGE, 1)
                gaps = [abs(x - y) - cap for x, y in zip(new, self.anchor, strict=True)]
                expected = max(gaps) <= 0
                near = min(abs(g) for g in gaps) < 1e-9
            count, reasons = self.relay.submit((report, self.signer))
            self.last_t = t
            if reasons and reasons[0] != "vol cap exceeded":
                assert reasons[0].startswith("svi "), reasons  # an arbitrage test's refusal
                self.anchor, self.since = before  # refused before the window could roll
                continue
            if not near:
                assert (count == 1) == expected, (reasons, self.anchor, svi)
            if count == 1:
                self.accepted += 1
                self.cap = cap
                self.atm_pts = atm_pts
                self.published = (svi, t)
            else:
                assert reasons == ["vol cap exceeded"], reasons

    @rule(seconds=st.sampled_from([1, 60, MAX_AGE - 1, MAX_AGE, 3 * MAX_AGE]))
    def warp(self, seconds):
        boa.env.time_travel(seconds=seconds)

    @invariant()
    def published_within_the_anchor_band(self):
        if self.published is None or self.anchor is None:
            return
        stored = self.oracle.surface(ETH, self.expiry)
        svi = (stored.a, stored.b, stored.rho, stored.m, stored.sigma)
        assert (svi, stored.svi_observed_at) == self.published
        if now() < self.since + MAX_AGE:
            vols = grid_vols(svi, self.expiry - stored.svi_observed_at)
            for v, anchor in zip(vols, self.anchor, strict=True):
                assert abs(v - anchor) <= self.cap + 1e-9


TestSmileModel = SmileModel.TestCase
TestSmileModel.settings = settings(
    max_examples=30,
    stateful_step_count=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
