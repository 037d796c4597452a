# pragma version ~=0.4.3
"""
@title OracleGovernor
@notice The oracle's configurator: governance (a two-step owner) adds and
        removes signers, sets the quorum, adds feeds and changes their
        parameters, and lists and delists expiries here; every bound is
        checked here, then the oracle's governor-only writers store the
        result. The oracle itself keeps only the report path and its reads.
        A change that could move or freeze a live vault's prices (adding or
        removing a signer, the quorum, a priced feed's parameters) is
        announced and waits a day (CHANGE_DELAY) before anyone may apply it;
        before the first price nothing depends on them, so they apply at
        once.
@dev Deploy this first, then `Oracle(checker, governor)`, then `bind(oracle)`
     once. Every revert names the rule ("oracle: ..." as before the split,
     so operators' runbooks keep their messages); every change is logged
     here, never by the oracle.
"""

from snekmate.auth import ownable
from snekmate.auth import ownable_2step

from .interfaces import IOracleGovernor
from .interfaces import IRingfenceOracle
from .lib import constants

implements: IOracleGovernor

initializes: ownable
initializes: ownable_2step[ownable := ownable]

# `renounce_ownership` is deliberately not exported: an ownerless oracle
# could never rotate a compromised signer.
exports: (
    ownable_2step.owner,
    ownable_2step.pending_owner,
    ownable_2step.transfer_ownership,
    ownable_2step.accept_ownership,
)

# ================================================================ constants

MAX_SIGNERS: constant(uint256) = 16
MAX_FEEDS: constant(uint256) = 32
MAX_EXPIRIES: constant(uint256) = 16

# @dev Bounds of a feed's parameters (docs/oracle.md, "Governance").
MIN_MAX_AGE: constant(uint256) = 60  # seconds
MAX_MAX_AGE: constant(uint256) = 86_400  # seconds
MIN_SPOT_CAP_BPS: constant(uint256) = 1
MAX_SPOT_CAP_BPS: constant(uint256) = 10_000
MIN_VOL_CAP: constant(uint256) = 10**15  # 0.1 vol point
MAX_VOL_CAP: constant(uint256) = 5 * 10**18  # 500 vol points
MAX_EXPIRY_HORIZON: constant(uint256) = 10 * constants.YEAR

# @dev How long a change to a live setting waits between its announcement and
#      the earliest time anyone may apply it: a new signer's reports can move
#      the median (within the breaker's band) and make a healthy vault
#      liquidatable; a higher quorum, a shorter max_age or a narrower band can
#      leave a feed stale or held, which freezes opening and closing; a wider
#      band or a lower quorum loosens the breakers. A day lets vault owners
#      add collateral or close first (as the registry's risk parameters).
CHANGE_DELAY: constant(uint256) = 86_400
# @dev How long after it is due a queued change may still be applied: an
#      unapplied change lapses rather than waiting to be sprung weeks later.
CHANGE_WINDOW: constant(uint256) = 7 * 86_400

# ================================================================== storage

# @dev The oracle this contract governs; set once by `bind`.
oracle: public(address)
# @dev signer -> earliest time its queued addition may apply (0: none queued).
pending_signer: public(HashMap[address, uint256])
# @dev signer -> earliest time its queued removal may apply (0: none queued).
pending_removal: public(HashMap[address, uint256])
# @dev The queued quorum and the earliest time it may apply (0: none queued).
_pending_quorum: uint256
_pending_quorum_at: uint256
# @dev feed -> queued parameters and the earliest time they may apply.
_pending_feed: HashMap[bytes32, IOracleGovernor.PendingFeed]

# ============================================================== constructor


@deploy
def __init__():
    """
    @notice The deployer becomes governance (two-step transferable owner).
    """
    ownable.__init__()
    ownable_2step.__init__()


# ================================================================ externals


@external
def bind(oracle: address):
    """
    @notice Point this governor at its oracle, once. Governance only.
    @param oracle An oracle deployed with this contract as its `GOVERNOR`.
    """
    ownable._check_owner()
    assert self.oracle == empty(address), "oracle: governor bound"
    o: IRingfenceOracle = IRingfenceOracle(oracle)
    assert staticcall o.GOVERNOR() == self, "oracle: not its governor"
    self.oracle = oracle
    log IOracleGovernor.OracleBound(oracle=oracle)
    log IOracleGovernor.QuorumSet(quorum=staticcall o.quorum())


@external
def add_signer(signer: address):
    """
    @notice Register `signer` (at most 16): at once before the oracle's first
            price, else queued (`SignerQueued`) for `apply_signer` a day
            later. Governance only.
    @param signer The signer's address; not empty and not yet registered.
    """
    ownable._check_owner()
    o: IRingfenceOracle = self._bound()
    self._check_new_signer(o, signer)
    if self._any_priced(o):
        effective_at: uint256 = block.timestamp + CHANGE_DELAY
        self.pending_signer[signer] = effective_at
        log IOracleGovernor.SignerQueued(
            signer=signer, effective_at=effective_at
        )
        return
    self._add_signer(o, signer)


@external
def apply_signer(signer: address):
    """
    @notice Register `signer`, queued by `add_signer` at least a day ago.
            Permissionless.
    @param signer A signer with a queued addition.
    @dev Reverts "oracle: nothing queued", "oracle: change not due",
         "oracle: change lapsed" (more than 7 days after it was due), or as
         `add_signer` when the signer set changed meanwhile.
    """
    o: IRingfenceOracle = self._bound()
    self._check_due(self.pending_signer[signer])
    self.pending_signer[signer] = 0
    self._check_new_signer(o, signer)
    self._add_signer(o, signer)


@external
def cancel_signer(signer: address):
    """
    @notice Drop the queued addition of `signer`. Governance only.
    @param signer A signer with a queued addition.
    """
    ownable._check_owner()
    assert self.pending_signer[signer] != 0, "oracle: nothing queued"
    self.pending_signer[signer] = 0
    log IOracleGovernor.SignerCancelled(signer=signer)


@external
def remove_signer(signer: address):
    """
    @notice Deregister `signer`; its reports stop counting from the next
            aggregation: at once before the oracle's first price, else
            queued (`SignerRemovalQueued`) for `apply_removal` a day later.
            A removal moves the median as surely as an addition (the signers
            left decide it), so it waits like one. Governance only.
    @param signer A registered signer.
    @dev Reverts "oracle: quorum above signers" when fewer signers than the
         quorum would remain: lower the quorum (or add a signer) first.
    """
    ownable._check_owner()
    o: IRingfenceOracle = self._bound()
    self._remaining(o, signer)
    if self._any_priced(o):
        effective_at: uint256 = block.timestamp + CHANGE_DELAY
        self.pending_removal[signer] = effective_at
        log IOracleGovernor.SignerRemovalQueued(
            signer=signer, effective_at=effective_at
        )
        return
    self._remove_signer(o, signer)


@external
def apply_removal(signer: address):
    """
    @notice Deregister `signer`, queued by `remove_signer` at least a day
            ago. Permissionless.
    @param signer A signer with a queued removal.
    @dev Reverts "oracle: nothing queued", "oracle: change not due",
         "oracle: change lapsed", or as `remove_signer` when the set or the
         quorum changed meanwhile.
    """
    o: IRingfenceOracle = self._bound()
    self._check_due(self.pending_removal[signer])
    self.pending_removal[signer] = 0
    self._remove_signer(o, signer)


@external
def cancel_removal(signer: address):
    """
    @notice Drop the queued removal of `signer`. Governance only.
    @param signer A signer with a queued removal.
    """
    ownable._check_owner()
    assert self.pending_removal[signer] != 0, "oracle: nothing queued"
    self.pending_removal[signer] = 0
    log IOracleGovernor.SignerRemovalCancelled(signer=signer)


@external
def set_quorum(new_quorum: uint256):
    """
    @notice Minimum number of distinct fresh signers behind a value, in
            [1, signer count]: at once before the oracle's first price, else
            queued (`QuorumQueued`, replacing a queued one) for
            `apply_quorum` a day later. Governance only.
    @param new_quorum Number of distinct signers, in [1, signer count].
    """
    ownable._check_owner()
    o: IRingfenceOracle = self._bound()
    self._check_quorum(o, new_quorum)
    if self._any_priced(o):
        effective_at: uint256 = block.timestamp + CHANGE_DELAY
        self._pending_quorum = new_quorum
        self._pending_quorum_at = effective_at
        log IOracleGovernor.QuorumQueued(
            quorum=new_quorum, effective_at=effective_at
        )
        return
    self._set_quorum(o, new_quorum)


@external
def apply_quorum():
    """
    @notice Set the quorum queued by `set_quorum` at least a day ago.
            Permissionless.
    @dev Reverts "oracle: nothing queued", "oracle: change not due",
         "oracle: change lapsed", or "oracle: quorum out of range" when the
         signer set shrank below it meanwhile.
    """
    o: IRingfenceOracle = self._bound()
    self._check_due(self._pending_quorum_at)
    self._pending_quorum_at = 0
    q: uint256 = self._pending_quorum
    self._check_quorum(o, q)
    self._set_quorum(o, q)


@external
def cancel_quorum():
    """
    @notice Drop the queued quorum. Governance only.
    """
    ownable._check_owner()
    assert self._pending_quorum_at != 0, "oracle: nothing queued"
    self._pending_quorum_at = 0
    log IOracleGovernor.QuorumCancelled(quorum=self._pending_quorum)


@external
def add_feed(
    underlying: bytes32,
    max_age: uint256,
    spot_cap_bps: uint256,
    vol_cap: uint256,
    description: String[64],
):
    """
    @notice List a new underlying (at most 32). Governance only.
    @param underlying Feed id: ASCII symbol right-padded with zeros.
    @param max_age Seconds, in [60, 86_400]; age == max_age is fresh.
    @param spot_cap_bps Max spot move within one breaker window, basis
           points, in [1, 10_000].
    @param vol_cap Max vol move at each grid point within one window, WAD
           vol points (1e16 = 1 vol point), in [1e15, 5e18].
    @param description Human-readable label, also served by the Chainlink adapter.
    """
    ownable._check_owner()
    o: IRingfenceOracle = self._bound()
    assert underlying != empty(bytes32), "oracle: zero feed id"
    assert not (staticcall o.feed(underlying)).listed, "oracle: feed exists"
    assert len(staticcall o.feed_ids()) < MAX_FEEDS, "oracle: too many feeds"
    self._check_params(max_age, spot_cap_bps, vol_cap)
    extcall o.set_feed(
        underlying,
        IRingfenceOracle.FeedConfig(
            listed=True,
            max_age=max_age,
            spot_cap_bps=spot_cap_bps,
            vol_cap=vol_cap,
            description=description,
        ),
    )
    log IOracleGovernor.FeedAdded(
        underlying=underlying, description=description
    )
    log IOracleGovernor.FeedParamsSet(
        underlying=underlying,
        max_age=max_age,
        spot_cap_bps=spot_cap_bps,
        vol_cap=vol_cap,
    )


@external
def set_feed_params(
    underlying: bytes32,
    max_age: uint256,
    spot_cap_bps: uint256,
    vol_cap: uint256,
):
    """
    @notice Change a feed's max_age (s), spot cap (bps) and vol cap (WAD vol
            points), within the bounds of `add_feed`: at once while the feed
            has never had a price, else queued (`FeedParamsQueued`, replacing
            a queued change) for `apply_feed_params` a day later.
            Governance only.
    @param underlying A listed feed id.
    @param max_age Seconds, in [60, 86_400]; age == max_age is fresh.
    @param spot_cap_bps Max spot move within one breaker window, basis
           points, in [1, 10_000].
    @param vol_cap Max vol move at each grid point within one window, WAD
           vol points (1e16 = 1 vol point), in [1e15, 5e18].
    """
    ownable._check_owner()
    o: IRingfenceOracle = self._bound()
    assert (staticcall o.feed(underlying)).listed, "oracle: unknown feed"
    self._check_params(max_age, spot_cap_bps, vol_cap)
    if staticcall o.last_update(underlying) != 0:
        effective_at: uint256 = block.timestamp + CHANGE_DELAY
        self._pending_feed[underlying] = IOracleGovernor.PendingFeed(
            max_age=max_age,
            spot_cap_bps=spot_cap_bps,
            vol_cap=vol_cap,
            effective_at=effective_at,
        )
        log IOracleGovernor.FeedParamsQueued(
            underlying=underlying,
            max_age=max_age,
            spot_cap_bps=spot_cap_bps,
            vol_cap=vol_cap,
            effective_at=effective_at,
        )
        return
    self._set_feed_params(o, underlying, max_age, spot_cap_bps, vol_cap)


@external
def apply_feed_params(underlying: bytes32):
    """
    @notice Make the feed parameters queued by `set_feed_params` at least a
            day ago take effect. Permissionless.
    @param underlying A feed with a queued change.
    @dev Reverts "oracle: nothing queued", "oracle: change not due" or
         "oracle: change lapsed".
    """
    o: IRingfenceOracle = self._bound()
    p: IOracleGovernor.PendingFeed = self._pending_feed[underlying]
    self._check_due(p.effective_at)
    self._pending_feed[underlying] = empty(IOracleGovernor.PendingFeed)
    self._set_feed_params(o, underlying, p.max_age, p.spot_cap_bps, p.vol_cap)


@external
def cancel_feed_params(underlying: bytes32):
    """
    @notice Drop the queued change of a feed's parameters. Governance only.
    @param underlying A feed with a queued change.
    """
    ownable._check_owner()
    assert (
        self._pending_feed[underlying].effective_at != 0
    ), "oracle: nothing queued"
    self._pending_feed[underlying] = empty(IOracleGovernor.PendingFeed)
    log IOracleGovernor.FeedParamsCancelled(underlying=underlying)


@external
def list_expiry(underlying: bytes32, expiry: uint256):
    """
    @notice List `expiry` (unix s, in the future and at most 10 years out)
            for surfaces and settlement; at most 16 per feed. Governance only.
    @param underlying A listed feed id.
    @param expiry Unix seconds, in (now, now + 10 years]; not already listed.
    """
    ownable._check_owner()
    o: IRingfenceOracle = self._bound()
    assert (staticcall o.feed(underlying)).listed, "oracle: unknown feed"
    assert expiry > block.timestamp, "oracle: expiry in the past"
    assert (
        expiry <= block.timestamp + MAX_EXPIRY_HORIZON
    ), "oracle: expiry too far"
    listed: DynArray[uint256, MAX_EXPIRIES] = staticcall o.expiries(underlying)
    assert expiry not in listed, "oracle: expiry listed"
    assert len(listed) < MAX_EXPIRIES, "oracle: too many expiries"
    extcall o.set_expiry(underlying, expiry, True)
    log IOracleGovernor.ExpiryListed(underlying=underlying, expiry=expiry)


@external
def delist_expiry(underlying: bytes32, expiry: uint256):
    """
    @notice Delist a settled `expiry`, freeing its slot: no more surface
            reports and `vol` reverts; its settlement price stays. Only once
            the price is fixed, so that no live vault is frozen: before it, a
            vault on the expiry needs its vol (marks, margin) or its
            settlement price. To stop new positions on an expiry, set its
            series' caps to 0 in the registry. Governance only.
    @param underlying Feed id.
    @param expiry A listed expiry, unix seconds, with its settlement price fixed.
    """
    ownable._check_owner()
    o: IRingfenceOracle = self._bound()
    assert expiry in staticcall o.expiries(
        underlying
    ), "oracle: expiry not listed"
    assert (
        staticcall o.settlement_price(underlying, expiry) != 0
    ), "oracle: expiry not settled"
    extcall o.set_expiry(underlying, expiry, False)
    log IOracleGovernor.ExpiryDelisted(underlying=underlying, expiry=expiry)


# ==================================================================== views


@external
@view
def pending_quorum() -> (uint256, uint256):
    """
    @notice The queued quorum, if any.
    @return uint256 The queued quorum (meaningless when none is queued).
    @return uint256 The earliest time it may apply, unix seconds; 0 when
            none is queued.
    """
    return self._pending_quorum, self._pending_quorum_at


@external
@view
def pending_feed_params(underlying: bytes32) -> IOracleGovernor.PendingFeed:
    """
    @notice The queued parameters of a feed, if any.
    @param underlying Feed id.
    @return IOracleGovernor.PendingFeed max_age (s), spot_cap_bps (bps),
            vol_cap (WAD vol points) and effective_at (unix s; 0 when none).
    """
    return self._pending_feed[underlying]


# ======================================================= internal functions


@internal
@view
def _any_priced(o: IRingfenceOracle) -> bool:
    """
    @dev Whether any feed has ever had a price: before that no vault can
         exist, so signer and quorum changes need no delay.
    """
    for u: bytes32 in staticcall o.feed_ids():
        if staticcall o.last_update(u) != 0:
            return True
    return False


@internal
@view
def _check_due(effective_at: uint256):
    """
    @dev A queued change may apply: queued, due, not lapsed.
    """
    assert effective_at != 0, "oracle: nothing queued"
    assert block.timestamp >= effective_at, "oracle: change not due"
    assert (
        block.timestamp <= effective_at + CHANGE_WINDOW
    ), "oracle: change lapsed"


@internal
@view
def _check_new_signer(o: IRingfenceOracle, signer: address):
    """
    @dev `signer` may be added: not zero, not registered, room for it.
    """
    assert signer != empty(address), "oracle: zero signer"
    assert not staticcall o.is_signer(signer), "oracle: signer exists"
    assert len(staticcall o.signers()) < MAX_SIGNERS, "oracle: too many signers"


@internal
def _add_signer(o: IRingfenceOracle, signer: address):
    signers: DynArray[address, MAX_SIGNERS] = staticcall o.signers()
    signers.append(signer)
    extcall o.set_signers(signers, staticcall o.quorum())
    log IOracleGovernor.SignerAdded(signer=signer)


@internal
@view
def _remaining(
    o: IRingfenceOracle, signer: address
) -> DynArray[address, MAX_SIGNERS]:
    """
    @dev The signer set without `signer`: it must be registered, and at least
         the quorum must remain.
    """
    assert staticcall o.is_signer(signer), "oracle: not a signer"
    kept: DynArray[address, MAX_SIGNERS] = []
    for s: address in staticcall o.signers():
        if s != signer:
            kept.append(s)
    assert len(kept) >= staticcall o.quorum(), "oracle: quorum above signers"
    return kept


@internal
def _remove_signer(o: IRingfenceOracle, signer: address):
    extcall o.set_signers(self._remaining(o, signer), staticcall o.quorum())
    log IOracleGovernor.SignerRemoved(signer=signer)


@internal
@view
def _check_quorum(o: IRingfenceOracle, q: uint256):
    assert q >= 1 and q <= len(
        staticcall o.signers()
    ), "oracle: quorum out of range"


@internal
def _set_quorum(o: IRingfenceOracle, q: uint256):
    extcall o.set_signers(staticcall o.signers(), q)
    log IOracleGovernor.QuorumSet(quorum=q)


@internal
def _set_feed_params(
    o: IRingfenceOracle,
    underlying: bytes32,
    max_age: uint256,
    spot_cap_bps: uint256,
    vol_cap: uint256,
):
    config: IRingfenceOracle.FeedConfig = staticcall o.feed(underlying)
    config.max_age = max_age
    config.spot_cap_bps = spot_cap_bps
    config.vol_cap = vol_cap
    extcall o.set_feed(underlying, config)
    log IOracleGovernor.FeedParamsSet(
        underlying=underlying,
        max_age=max_age,
        spot_cap_bps=spot_cap_bps,
        vol_cap=vol_cap,
    )


@internal
@view
def _bound() -> IRingfenceOracle:
    """
    @dev The governed oracle; reverts before `bind`.
    """
    assert self.oracle != empty(address), "oracle: governor not bound"
    return IRingfenceOracle(self.oracle)


@internal
@pure
def _check_params(max_age: uint256, spot_cap_bps: uint256, vol_cap: uint256):
    """
    @dev Every feed parameter within its bound, or a revert naming it.
    """
    assert (
        max_age >= MIN_MAX_AGE and max_age <= MAX_MAX_AGE
    ), "oracle: max_age out of range"
    assert (
        spot_cap_bps >= MIN_SPOT_CAP_BPS and spot_cap_bps <= MAX_SPOT_CAP_BPS
    ), "oracle: spot cap out of range"
    assert (
        vol_cap >= MIN_VOL_CAP and vol_cap <= MAX_VOL_CAP
    ), "oracle: vol cap out of range"
