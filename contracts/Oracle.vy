# pragma version ~=0.4.3
# pragma nonreentrancy off
"""
@title Oracle
@notice Ringfence's price and volatility oracle. Registered signers sign
        EIP-712 reports off-chain; anyone relays many of them in one `submit`.
        Per underlying (bytes32 id) it keeps a spot price and, per listed
        expiry, a raw-SVI smile; each value is the median of the fresh
        reports of at least `quorum` distinct signers, computed on update and
        stored so reads are cheap. Reads fail closed: `price` and `vol` revert
        once the value is older than the feed's `max_age`.
        Every value is WAD (1e18 = 1.0); times are unix seconds.
@dev docs/oracle.md is the operator's reference: EIP-712 types and domain,
     batch semantics, every reject reason, staleness, settlement, circuit
     breakers, quorum and median, governance bounds.
"""

from snekmate.auth import ownable
from snekmate.auth import ownable_2step
from snekmate.utils import ecdsa
from snekmate.utils import eip712_domain_separator as eip712

from .interfaces import IOracle
from .interfaces import IRingfenceOracle
from .lib import svi

implements: IOracle
implements: IRingfenceOracle

initializes: ownable
initializes: ownable_2step[ownable := ownable]
initializes: eip712

# `renounce_ownership` is deliberately not exported: an ownerless oracle
# could never rotate a compromised signer.
exports: (
    ownable_2step.owner,
    ownable_2step.pending_owner,
    ownable_2step.transfer_ownership,
    ownable_2step.accept_ownership,
    eip712.eip712Domain,
)

# ---------------------------------------------------------------------------
#                                 constants
# ---------------------------------------------------------------------------

MAX_SIGNERS: constant(uint256) = 16
MAX_FEEDS: constant(uint256) = 32
MAX_EXPIRIES: constant(uint256) = 16
MAX_BATCH: constant(uint256) = 64

BPS: constant(uint256) = 10_000
YEAR: constant(uint256) = 31_536_000

# Governance bounds, enforced in code.
MIN_MAX_AGE: constant(uint256) = 60  # seconds
MAX_MAX_AGE: constant(uint256) = 86_400  # seconds
MIN_SPOT_CAP_BPS: constant(uint256) = 1
MAX_SPOT_CAP_BPS: constant(uint256) = 10_000
MIN_VOL_CAP: constant(uint256) = 10**15  # 0.1 vol point
MAX_VOL_CAP: constant(uint256) = 5 * 10**18  # 500 vol points
MAX_EXPIRY_HORIZON: constant(uint256) = 10 * YEAR

# Report sanity bounds.
MAX_PRICE: constant(uint256) = 10**30  # WAD: 1e12 quote per unit
MAX_ATM_VOL: constant(uint256) = 10 * 10**18  # 1000 % annualised

MALLEABILITY_THRESHOLD: constant(uint256) = ecdsa._MALLEABILITY_THRESHOLD

REPORT_TYPEHASH: constant(bytes32) = keccak256(
    "Report(bytes32 underlying,uint64 expiry,uint256 price,int256 a,int256 b,int256 rho,int256 m,int256 sigma,uint64 observed_at)"
)

# ---------------------------------------------------------------------------
#                                  storage
# ---------------------------------------------------------------------------

quorum: public(uint256)
is_signer: public(HashMap[address, bool])
_signers: DynArray[address, MAX_SIGNERS]

_feed_ids: DynArray[bytes32, MAX_FEEDS]
_feeds: HashMap[bytes32, IRingfenceOracle.FeedConfig]
_expiries: HashMap[bytes32, DynArray[uint256, MAX_EXPIRIES]]
_expiry_listed: HashMap[bytes32, HashMap[uint256, bool]]

_spot: HashMap[bytes32, IRingfenceOracle.Spot]
_surface: HashMap[bytes32, HashMap[uint256, IRingfenceOracle.Surface]]
_settlement: HashMap[bytes32, HashMap[uint256, uint256]]
# Earliest listed expiry without a settlement price (0 when none), so a spot
# update only scans the expiries once one of them is due.
_next_settlement: HashMap[bytes32, uint256]

# signer -> underlying -> expiry (0 = spot) -> latest accepted report.
_reports: HashMap[
    address, HashMap[bytes32, HashMap[uint256, IRingfenceOracle.SignerReport]]
]


# ---------------------------------------------------------------------------
#                                constructor
# ---------------------------------------------------------------------------


@deploy
def __init__():
    """
    @notice The deployer becomes governance (two-step transferable owner).
            Quorum starts at 1; there are no signers and no feeds yet.
            EIP-712 domain: name "Ringfence Oracle", version "1", this chain
            and this contract.
    """
    ownable.__init__()
    ownable_2step.__init__()
    eip712.__init__("Ringfence Oracle", "1")
    self.quorum = 1
    log IRingfenceOracle.QuorumSet(quorum=1)


# ---------------------------------------------------------------------------
#                                submission
# ---------------------------------------------------------------------------


@external
def submit(
    reports: DynArray[IRingfenceOracle.Report, MAX_BATCH],
    signatures: DynArray[Bytes[65], MAX_BATCH],
) -> uint256:
    """
    @notice Relay signed reports; anyone may call. Each report is checked on
            its own: a bad one is skipped with `ReportRejected(signer,
            underlying, expiry, reason)` and the rest still apply. After all
            reports, every touched (underlying, expiry) is re-aggregated once
            (median of the fresh reports of >= quorum signers).
    @param reports Up to 64 reports: spot (expiry 0, price = spot WAD, SVI 0)
           or surface (listed expiry, price = forward WAD, raw SVI WAD).
    @param signatures One per report, r (32) || s (32) || v (1 byte, 27/28).
    @return uint256 The number of accepted reports.
    @dev Reverts only for a malformed call: empty batch or length mismatch.
    """
    n: uint256 = len(reports)
    assert n != 0, "oracle: empty batch"
    assert len(signatures) == n, "oracle: length mismatch"

    touched_u: DynArray[bytes32, MAX_BATCH] = []
    touched_e: DynArray[uint256, MAX_BATCH] = []
    accepted: uint256 = 0

    for i: uint256 in range(n, bound=MAX_BATCH):
        report: IRingfenceOracle.Report = reports[i]
        expiry: uint256 = convert(report.expiry, uint256)
        signer: address = empty(address)
        reason: String[32] = ""
        signer, reason = self._recover(report, signatures[i])
        if len(reason) == 0:
            reason = self._check(signer, report)
        if len(reason) != 0:
            log IRingfenceOracle.ReportRejected(
                signer=signer,
                underlying=report.underlying,
                expiry=expiry,
                reason=reason,
            )
            continue

        observed_at: uint256 = self._store(signer, report)
        log IRingfenceOracle.ReportAccepted(
            signer=signer,
            underlying=report.underlying,
            expiry=expiry,
            price=report.price,
            observed_at=observed_at,
        )
        # At most 64 reports per call, so the counter cannot overflow.
        accepted = unsafe_add(accepted, 1)

        seen: bool = False
        for j: uint256 in range(len(touched_u), bound=MAX_BATCH):
            if touched_u[j] == report.underlying and touched_e[j] == expiry:
                seen = True
                break
        if not seen:
            touched_u.append(report.underlying)
            touched_e.append(expiry)
    if len(touched_u) != 0:
        signers: DynArray[address, MAX_SIGNERS] = self._signers
        q: uint256 = self.quorum
        for j: uint256 in range(len(touched_u), bound=MAX_BATCH):
            if touched_e[j] == 0:
                self._aggregate_spot(touched_u[j], signers, q)
            else:
                self._aggregate_surface(touched_u[j], touched_e[j], signers, q)
    return accepted


# ---------------------------------------------------------------------------
#                                   reads
# ---------------------------------------------------------------------------


@view
@external
def price(underlying: bytes32) -> uint256:
    """
    @notice Current spot of `underlying`, WAD quote per unit.
    @dev Reverts "oracle: unknown feed", "oracle: no price", or
         "oracle: stale price" when block.timestamp - observed_at > max_age
         (age == max_age is still fresh).
    """
    max_age: uint256 = self._listed_max_age(underlying)
    spot: IRingfenceOracle.Spot = self._spot[underlying]
    assert spot.observed_at != 0, "oracle: no price"
    assert block.timestamp - spot.observed_at <= max_age, "oracle: stale price"
    return spot.price


@view
@external
def vol(underlying: bytes32, strike: uint256, expiry: uint256) -> uint256:
    """
    @notice Implied volatility at `strike` for `expiry` from the expiry's SVI
            smile: sqrt(w(ln(strike / forward)) / tau), tau = (expiry -
            observation time) / year. Annualised WAD (1e18 = 100 %).
    @param strike WAD quote per unit, in [1, 1e30].
    @param expiry A listed expiry, unix seconds.
    @dev Reverts "oracle: unknown feed", "oracle: unlisted expiry",
         "oracle: no surface", "oracle: stale vol" (age > max_age), or
         "oracle: strike out of range".
    """
    max_age: uint256 = self._listed_max_age(underlying)
    assert self._expiry_listed[underlying][expiry], "oracle: unlisted expiry"
    s: IRingfenceOracle.Surface = self._surface[underlying][expiry]
    assert s.observed_at != 0, "oracle: no surface"
    assert block.timestamp - s.observed_at <= max_age, "oracle: stale vol"
    assert strike != 0 and strike <= MAX_PRICE, "oracle: strike out of range"
    # svi_observed_at < expiry: surface reports observed at or after expiry are rejected.
    return svi._implied_vol(
        strike,
        s.forward,
        expiry - s.svi_observed_at,
        s.a,
        s.b,
        s.rho,
        s.m,
        s.sigma,
    )


@view
@external
def settlement_price(underlying: bytes32, expiry: uint256) -> uint256:
    """
    @notice The spot fixed for `expiry`, WAD: the median of the first
            aggregation of >= quorum fresh spot reports observed at or after
            the expiry (with quorum 1: the first accepted spot at or after it).
            0 until then; never changes afterwards.
    """
    return self._settlement[underlying][expiry]


@view
@external
def last_update(underlying: bytes32) -> uint256:
    """
    @notice Freshness time (unix s) of the current spot value; 0 if none.
            Never reverts, so a keeper can tell "stale" from "unhealthy".
    """
    return self._spot[underlying].observed_at


@view
@external
def spot(underlying: bytes32) -> IRingfenceOracle.Spot:
    """
    @notice The stored spot aggregate (price WAD, observed_at unix s, round id)
            without any freshness check; all zero when none.
    """
    return self._spot[underlying]


@view
@external
def surface(underlying: bytes32, expiry: uint256) -> IRingfenceOracle.Surface:
    """
    @notice The stored surface of (`underlying`, `expiry`) without any
            freshness check: forward WAD, raw SVI WAD, the chosen report's
            observation time, the aggregate's freshness time, ATM vol WAD.
    """
    return self._surface[underlying][expiry]


@view
@external
def atm_vol(underlying: bytes32, expiry: uint256) -> uint256:
    """
    @notice At-the-money (strike == forward) vol of the surface, annualised WAD.
    @dev Fails closed like `vol`.
    """
    max_age: uint256 = self._listed_max_age(underlying)
    assert self._expiry_listed[underlying][expiry], "oracle: unlisted expiry"
    s: IRingfenceOracle.Surface = self._surface[underlying][expiry]
    assert s.observed_at != 0, "oracle: no surface"
    assert block.timestamp - s.observed_at <= max_age, "oracle: stale vol"
    return s.atm_vol


@view
@external
def is_fresh(underlying: bytes32, expiry: uint256) -> bool:
    """
    @notice Whether `price` (expiry 0) or `vol` (a listed expiry) would read
            without reverting for staleness right now.
    """
    cfg_listed: bool = self._feeds[underlying].listed
    if not cfg_listed:
        return False
    observed_at: uint256 = 0
    if expiry == 0:
        observed_at = self._spot[underlying].observed_at
    else:
        if not self._expiry_listed[underlying][expiry]:
            return False
        observed_at = self._surface[underlying][expiry].observed_at
    if observed_at == 0:
        return False
    return block.timestamp - observed_at <= self._feeds[underlying].max_age


@view
@external
def feed(underlying: bytes32) -> IRingfenceOracle.FeedConfig:
    """
    @notice Governance parameters of a feed: listed, max_age (s), spot cap
            (bps), vol cap (WAD vol points), description.
    """
    return self._feeds[underlying]


@view
@external
def feed_ids() -> DynArray[bytes32, MAX_FEEDS]:
    """
    @notice Every feed id ever added, in order of addition.
    """
    return self._feed_ids


@view
@external
def expiries(underlying: bytes32) -> DynArray[uint256, MAX_EXPIRIES]:
    """
    @notice The listed expiries of a feed (unix s), in order of listing.
    """
    return self._expiries[underlying]


@view
@external
def signers() -> DynArray[address, MAX_SIGNERS]:
    """
    @notice The registered signers, in order of registration.
    """
    return self._signers


@view
@external
def fresh_report_count(underlying: bytes32, expiry: uint256) -> uint256:
    """
    @notice How many registered signers have a fresh (age <= max_age) report
            for (`underlying`, `expiry`); expiry 0 = spot.
    """
    max_age: uint256 = self._feeds[underlying].max_age
    count: uint256 = 0
    for signer: address in self._signers:
        t: uint256 = self._reports[signer][underlying][expiry].observed_at
        if t != 0 and block.timestamp - t <= max_age:
            # At most MAX_SIGNERS increments.
            count = unsafe_add(count, 1)
    return count


@view
@external
def signer_report(
    signer: address, underlying: bytes32, expiry: uint256
) -> IRingfenceOracle.SignerReport:
    """
    @notice `signer`'s latest accepted report for (`underlying`, `expiry`);
            its observed_at is the time a new report must exceed.
    """
    return self._reports[signer][underlying][expiry]


@view
@external
def report_digest(report: IRingfenceOracle.Report) -> bytes32:
    """
    @notice The EIP-712 digest a signer signs for `report` on this deployment.
    """
    return self._digest(report)


# ---------------------------------------------------------------------------
#                                governance
# ---------------------------------------------------------------------------


@external
def add_signer(signer: address):
    """
    @notice Register `signer` (at most 16). Governance only.
    """
    ownable._check_owner()
    assert signer != empty(address), "oracle: zero signer"
    assert not self.is_signer[signer], "oracle: signer exists"
    assert len(self._signers) < MAX_SIGNERS, "oracle: too many signers"
    self._signers.append(signer)
    self.is_signer[signer] = True
    log IRingfenceOracle.SignerAdded(signer=signer)


@external
def remove_signer(signer: address):
    """
    @notice Deregister `signer`; its reports stop counting from the next
            aggregation. Governance only.
    @dev Reverts "oracle: quorum above signers" when fewer signers than the
         quorum would remain: lower the quorum (or add a signer) first.
    """
    ownable._check_owner()
    assert self.is_signer[signer], "oracle: not a signer"
    assert len(self._signers) > self.quorum, "oracle: quorum above signers"
    kept: DynArray[address, MAX_SIGNERS] = []
    for s: address in self._signers:
        if s != signer:
            kept.append(s)
    self._signers = kept
    self.is_signer[signer] = False
    log IRingfenceOracle.SignerRemoved(signer=signer)


@external
def set_quorum(new_quorum: uint256):
    """
    @notice Minimum number of distinct fresh signers behind a value, in
            [1, signer count]. Governance only.
    """
    ownable._check_owner()
    assert new_quorum >= 1 and new_quorum <= len(
        self._signers
    ), "oracle: quorum out of range"
    self.quorum = new_quorum
    log IRingfenceOracle.QuorumSet(quorum=new_quorum)


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
    @param spot_cap_bps Max spot move per report vs the current fresh value,
           basis points, in [1, 10_000].
    @param vol_cap Max ATM-vol move per report vs the current fresh surface,
           WAD vol points (1e16 = 1 vol point), in [1e15, 5e18].
    @param description Human-readable label, also served by the Chainlink adapter.
    """
    ownable._check_owner()
    assert underlying != empty(bytes32), "oracle: zero feed id"
    assert not self._feeds[underlying].listed, "oracle: feed exists"
    assert len(self._feed_ids) < MAX_FEEDS, "oracle: too many feeds"
    self._check_params(max_age, spot_cap_bps, vol_cap)
    self._feeds[underlying] = IRingfenceOracle.FeedConfig(
        listed=True,
        max_age=max_age,
        spot_cap_bps=spot_cap_bps,
        vol_cap=vol_cap,
        description=description,
    )
    self._feed_ids.append(underlying)
    log IRingfenceOracle.FeedAdded(
        underlying=underlying, description=description
    )
    log IRingfenceOracle.FeedParamsSet(
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
            points), within the bounds of `add_feed`. Governance only.
    """
    ownable._check_owner()
    assert self._feeds[underlying].listed, "oracle: unknown feed"
    self._check_params(max_age, spot_cap_bps, vol_cap)
    self._feeds[underlying].max_age = max_age
    self._feeds[underlying].spot_cap_bps = spot_cap_bps
    self._feeds[underlying].vol_cap = vol_cap
    log IRingfenceOracle.FeedParamsSet(
        underlying=underlying,
        max_age=max_age,
        spot_cap_bps=spot_cap_bps,
        vol_cap=vol_cap,
    )


@external
def list_expiry(underlying: bytes32, expiry: uint256):
    """
    @notice List `expiry` (unix s, in the future and at most 10 years out)
            for surfaces and settlement; at most 16 per feed. Governance only.
    """
    ownable._check_owner()
    assert self._feeds[underlying].listed, "oracle: unknown feed"
    assert expiry > block.timestamp, "oracle: expiry in the past"
    assert (
        expiry <= block.timestamp + MAX_EXPIRY_HORIZON
    ), "oracle: expiry too far"
    assert not self._expiry_listed[underlying][expiry], "oracle: expiry listed"
    assert (
        len(self._expiries[underlying]) < MAX_EXPIRIES
    ), "oracle: too many expiries"
    self._expiries[underlying].append(expiry)
    self._expiry_listed[underlying][expiry] = True
    self._next_settlement[underlying] = self._earliest_unsettled(underlying)
    log IRingfenceOracle.ExpiryListed(underlying=underlying, expiry=expiry)


@external
def delist_expiry(underlying: bytes32, expiry: uint256):
    """
    @notice Delist `expiry`: no more surface reports, `vol` reverts, and it is
            no longer settled (a settlement price already fixed stays).
            Governance only.
    """
    ownable._check_owner()
    assert self._expiry_listed[underlying][expiry], "oracle: expiry not listed"
    kept: DynArray[uint256, MAX_EXPIRIES] = []
    for e: uint256 in self._expiries[underlying]:
        if e != expiry:
            kept.append(e)
    self._expiries[underlying] = kept
    self._expiry_listed[underlying][expiry] = False
    self._next_settlement[underlying] = self._earliest_unsettled(underlying)
    log IRingfenceOracle.ExpiryDelisted(underlying=underlying, expiry=expiry)


# ---------------------------------------------------------------------------
#                            internal functions
# ---------------------------------------------------------------------------


@internal
@view
def _listed_max_age(underlying: bytes32) -> uint256:
    assert self._feeds[underlying].listed, "oracle: unknown feed"
    return self._feeds[underlying].max_age


@internal
@pure
def _check_params(max_age: uint256, spot_cap_bps: uint256, vol_cap: uint256):
    assert (
        max_age >= MIN_MAX_AGE and max_age <= MAX_MAX_AGE
    ), "oracle: max_age out of range"
    assert (
        spot_cap_bps >= MIN_SPOT_CAP_BPS and spot_cap_bps <= MAX_SPOT_CAP_BPS
    ), "oracle: spot cap out of range"
    assert (
        vol_cap >= MIN_VOL_CAP and vol_cap <= MAX_VOL_CAP
    ), "oracle: vol cap out of range"


@internal
@view
def _digest(report: IRingfenceOracle.Report) -> bytes32:
    struct_hash: bytes32 = keccak256(
        abi_encode(
            REPORT_TYPEHASH,
            report.underlying,
            report.expiry,
            report.price,
            report.a,
            report.b,
            report.rho,
            report.m,
            report.sigma,
            report.observed_at,
        )
    )
    return eip712._hash_typed_data_v4(struct_hash)


@internal
@view
def _recover(
    report: IRingfenceOracle.Report, signature: Bytes[65]
) -> (address, String[32]):
    """
    @dev The registered signer of `report`, or a reject reason. Same checks
         as snekmate's ecdsa (65-byte form only, s <= secp256k1n / 2, non-zero
         recovery) but returning a reason instead of reverting, so one bad
         signature cannot sink a batch.
    """
    if len(signature) != 65:
        return empty(address), "bad signature length"
    r: uint256 = extract32(signature, 0, output_type=uint256)
    s: uint256 = extract32(signature, 32, output_type=uint256)
    v: uint256 = convert(slice(signature, 64, 1), uint256)
    if s > MALLEABILITY_THRESHOLD:
        return empty(address), "malleable signature"
    if v != 27 and v != 28:
        return empty(address), "bad signature v"
    signer: address = ecrecover(self._digest(report), v, r, s)
    if signer == empty(address):
        return empty(address), "bad signature"
    if not self.is_signer[signer]:
        return signer, "unknown signer"
    return signer, ""


@internal
@view
def _check(signer: address, report: IRingfenceOracle.Report) -> String[32]:
    """
    @dev Why a correctly signed report from a registered signer is rejected;
         "" when it is accepted. Structural checks first, then time, then
         values, then the circuit breaker.
    """
    u: bytes32 = report.underlying
    if not self._feeds[u].listed:
        return "unlisted feed"
    expiry: uint256 = convert(report.expiry, uint256)
    if expiry != 0 and not self._expiry_listed[u][expiry]:
        return "unlisted expiry"

    observed_at: uint256 = convert(report.observed_at, uint256)
    if observed_at > block.timestamp:
        return "future timestamp"
    max_age: uint256 = self._feeds[u].max_age
    if block.timestamp - observed_at > max_age:
        return "report too old"
    if observed_at <= self._reports[signer][u][expiry].observed_at:
        return "timestamp not newer"

    if report.price == 0:
        return "zero price"
    if report.price > MAX_PRICE:
        return "price out of range"

    if expiry == 0:
        if (
            report.a != 0
            or report.b != 0
            or report.rho != 0
            or report.m != 0
            or report.sigma != 0
        ):
            return "svi on spot report"
        current: IRingfenceOracle.Spot = self._spot[u]
        if (
            current.observed_at != 0
            and block.timestamp - current.observed_at <= max_age
        ):
            move: uint256 = 0
            if report.price > current.price:
                move = report.price - current.price
            else:
                move = current.price - report.price
            # move <= 1e30 and cap <= 1e4: both products < 1e35.
            if move * BPS > self._feeds[u].spot_cap_bps * current.price:
                return "spot cap exceeded"
        return ""

    if observed_at >= expiry:
        return "expiry passed"
    reason: String[32] = svi._check(
        report.a, report.b, report.rho, report.m, report.sigma
    )
    if len(reason) != 0:
        return reason
    atm: uint256 = svi._vol_from_variance(
        svi._atm_variance(
            expiry - observed_at,
            report.a,
            report.b,
            report.rho,
            report.m,
            report.sigma,
        )
    )
    if atm > MAX_ATM_VOL:
        return "atm vol out of range"
    cur: IRingfenceOracle.Surface = self._surface[u][expiry]
    if cur.observed_at != 0 and block.timestamp - cur.observed_at <= max_age:
        vol_move: uint256 = 0
        if atm > cur.atm_vol:
            vol_move = atm - cur.atm_vol
        else:
            vol_move = cur.atm_vol - atm
        if vol_move > self._feeds[u].vol_cap:
            return "vol cap exceeded"
    return ""


@internal
def _store(signer: address, report: IRingfenceOracle.Report) -> uint256:
    """
    @dev Record `report` as `signer`'s latest for its (underlying, expiry);
         returns its observation time. A spot report writes only the two
         fields it uses.
    """
    u: bytes32 = report.underlying
    expiry: uint256 = convert(report.expiry, uint256)
    observed_at: uint256 = convert(report.observed_at, uint256)
    if expiry == 0:
        self._reports[signer][u][0].price = report.price
        self._reports[signer][u][0].observed_at = observed_at
        return observed_at
    self._reports[signer][u][expiry] = IRingfenceOracle.SignerReport(
        price=report.price,
        a=report.a,
        b=report.b,
        rho=report.rho,
        m=report.m,
        sigma=report.sigma,
        observed_at=observed_at,
    )
    return observed_at


@internal
def _aggregate_spot(
    u: bytes32, signers: DynArray[address, MAX_SIGNERS], q: uint256
):
    """
    @dev Re-aggregate the spot of `u` from the fresh reports of `signers`;
         then fix any due settlement.
    """
    max_age: uint256 = self._feeds[u].max_age
    prices: DynArray[uint256, MAX_SIGNERS] = []
    times: DynArray[uint256, MAX_SIGNERS] = []
    for signer: address in signers:
        t: uint256 = self._reports[signer][u][0].observed_at
        if t == 0 or block.timestamp - t > max_age:
            continue
        prices.append(self._reports[signer][u][0].price)
        times.append(t)

    n: uint256 = len(prices)
    if n >= q:
        median: uint256 = self._median(prices)
        observed_at: uint256 = self._quorum_time(times, q)
        # One increment per accepted aggregation: cannot reach 2**256.
        round_id: uint256 = unsafe_add(self._spot[u].round_id, 1)
        self._spot[u] = IRingfenceOracle.Spot(
            price=median, observed_at=observed_at, round_id=round_id
        )
        log IRingfenceOracle.SpotUpdated(
            underlying=u,
            price=median,
            observed_at=observed_at,
            round_id=round_id,
            reports=n,
        )

    due: uint256 = self._next_settlement[u]
    if due != 0 and due <= block.timestamp:
        self._settle(u, signers, q, max_age)


@internal
def _settle(
    u: bytes32,
    signers: DynArray[address, MAX_SIGNERS],
    q: uint256,
    max_age: uint256,
):
    """
    @dev Fix the settlement price of every due, unsettled listed expiry for
         which >= q fresh spot reports were observed at or after it: their median.
    """
    for e: uint256 in self._expiries[u]:
        if e > block.timestamp or self._settlement[u][e] != 0:
            continue
        prices: DynArray[uint256, MAX_SIGNERS] = []
        for signer: address in signers:
            t: uint256 = self._reports[signer][u][0].observed_at
            if t < e or block.timestamp - t > max_age:
                continue
            prices.append(self._reports[signer][u][0].price)
        if len(prices) >= q:
            settled: uint256 = self._median(prices)
            self._settlement[u][e] = settled
            log IRingfenceOracle.SettlementFixed(
                underlying=u, expiry=e, price=settled, reports=len(prices)
            )
    self._next_settlement[u] = self._earliest_unsettled(u)


@internal
def _aggregate_surface(
    u: bytes32,
    expiry: uint256,
    signers: DynArray[address, MAX_SIGNERS],
    q: uint256,
):
    """
    @dev Re-aggregate the surface of (`u`, `expiry`): among the fresh reports,
         the whole report whose ATM vol is the median (upper median for an
         even count) becomes the surface, so its five SVI parameters and its
         forward stay one consistent, validated smile.
    """
    max_age: uint256 = self._feeds[u].max_age
    reps: DynArray[IRingfenceOracle.SignerReport, MAX_SIGNERS] = []
    keys: DynArray[uint256, MAX_SIGNERS] = []
    times: DynArray[uint256, MAX_SIGNERS] = []
    for signer: address in signers:
        t: uint256 = self._reports[signer][u][expiry].observed_at
        if t == 0 or block.timestamp - t > max_age:
            continue
        r: IRingfenceOracle.SignerReport = self._reports[signer][u][expiry]
        # Accepted reports have t < expiry and ATM variance <= 100 WAD < 2**67,
        # so shifting by 8 bits and adding the index (< 16) cannot overflow.
        variance: uint256 = svi._atm_variance(
            expiry - t, r.a, r.b, r.rho, r.m, r.sigma
        )
        keys.append(unsafe_add(variance << 8, len(reps)))
        reps.append(r)
        times.append(t)

    n: uint256 = len(keys)
    if n < q:
        return
    # Sorting (variance, index) keys sorts by ATM vol, ties by signer order.
    chosen_key: uint256 = self._sorted(keys)[n // 2]
    rep: IRingfenceOracle.SignerReport = reps[chosen_key & 255]
    atm: uint256 = svi._vol_from_variance(chosen_key >> 8)
    observed_at: uint256 = self._quorum_time(times, q)
    self._surface[u][expiry] = IRingfenceOracle.Surface(
        forward=rep.price,
        a=rep.a,
        b=rep.b,
        rho=rep.rho,
        m=rep.m,
        sigma=rep.sigma,
        svi_observed_at=rep.observed_at,
        observed_at=observed_at,
        atm_vol=atm,
    )
    log IRingfenceOracle.SurfaceUpdated(
        underlying=u,
        expiry=expiry,
        forward=rep.price,
        atm_vol=atm,
        observed_at=observed_at,
        reports=n,
    )


@internal
@view
def _earliest_unsettled(u: bytes32) -> uint256:
    """
    @dev The earliest listed expiry of `u` without a settlement price; 0 if none.
    """
    earliest: uint256 = 0
    for e: uint256 in self._expiries[u]:
        if self._settlement[u][e] == 0 and (earliest == 0 or e < earliest):
            earliest = e
    return earliest


@internal
@pure
def _sorted(
    values: DynArray[uint256, MAX_SIGNERS]
) -> DynArray[uint256, MAX_SIGNERS]:
    """
    @dev Ascending insertion sort; at most 16 elements.
    """
    out: DynArray[uint256, MAX_SIGNERS] = values
    n: uint256 = len(out)
    for i: uint256 in range(1, MAX_SIGNERS):
        if i >= n:
            break
        x: uint256 = out[i]
        j: uint256 = i
        for _: uint256 in range(MAX_SIGNERS):
            if j == 0 or out[j - 1] <= x:
                break
            out[j] = out[j - 1]
            j -= 1
        out[j] = x
    return out


@internal
@pure
def _median(values: DynArray[uint256, MAX_SIGNERS]) -> uint256:
    """
    @dev Median of 1..16 values: the middle one for an odd count, the mean of
         the two middle ones (rounded down) for an even count.
    """
    s: DynArray[uint256, MAX_SIGNERS] = self._sorted(values)
    n: uint256 = len(s)
    half: uint256 = n // 2
    if n % 2 == 1:
        return s[half]
    # Each value <= MAX_PRICE = 1e30, so the sum cannot overflow.
    return unsafe_add(s[half - 1], s[half]) // 2


@internal
@pure
def _quorum_time(times: DynArray[uint256, MAX_SIGNERS], q: uint256) -> uint256:
    """
    @dev The q-th newest observation time: the aggregate stays fresh exactly
         as long as at least q of the reports behind it are fresh.
         Requires 1 <= q <= len(times).
    """
    s: DynArray[uint256, MAX_SIGNERS] = self._sorted(times)
    return s[len(s) - q]
