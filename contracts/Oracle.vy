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

from snekmate.utils import ecdsa
from snekmate.utils import eip712_domain_separator as eip712

from .interfaces import IOracle
from .interfaces import IRingfenceOracle
from .interfaces import ISurfaceChecker
from .lib import constants
from .lib import svi

implements: IOracle
implements: IRingfenceOracle

initializes: eip712

exports: eip712.eip712Domain

# ================================================================ constants

MAX_SIGNERS: constant(uint256) = 16
MAX_FEEDS: constant(uint256) = 32
MAX_EXPIRIES: constant(uint256) = 16
MAX_BATCH: constant(uint256) = 64

BPS: constant(uint256) = 10_000

# Report sanity bounds.
MAX_PRICE: constant(uint256) = 10**30  # WAD: 1e12 quote per unit
MAX_ATM_VOL: constant(uint256) = 10 * 10**18  # 1000 % annualised

MALLEABILITY_THRESHOLD: constant(uint256) = ecdsa._MALLEABILITY_THRESHOLD

REPORT_TYPEHASH: constant(bytes32) = keccak256(
    "Report(bytes32 underlying,uint64 expiry,uint256 price,int256 a,int256 b,int256 rho,int256 m,int256 sigma,uint64 observed_at)"
)

# Packed storage (docs/oracle.md, "Storage layout"). Every field is stored
# exactly (no rounding); each width holds the field's whole accepted range:
#   price, forward   [1, MAX_PRICE = 1e30]            < 2**100
#   a + MAX_ABS_A    [0, 2e21]   (svi._check)         < 2**71
#   rho + WAD        [1, 2e18 - 1] (|rho| < 1)        < 2**61
#   b                [0, 1e20]   (svi._check)         < 2**67
#   m + MAX_ABS_M    [0, 2e19]   (svi._check)         < 2**65
#   sigma            [1, 1e19]   (svi._check)         < 2**64
#   times            [1, 2**40)  ("timestamp out of range" beyond)
#   svi time offset  svi_observed_at - observed_at + 2**17, in
#                    [2**17 - 86_400, 2**17 + 86_400] (both fresh) < 2**18
#   max_age          [60, 86_400] (OracleGovernor)    < 2**20
#   round id         one per aggregation              < 2**64
# Params word (a signer report's and a surface's first slot):
#   price/forward @0 (100) | a + MAX_ABS_A @100 (71) | rho + WAD @171 (61)
# Shape word (their second slot):
#   b @0 (67) | m + MAX_ABS_M @67 (65) | sigma @132 (64) | time @196 (40)
#   | surface only: svi time offset @236 (18), expiry listed flag @255 (1)
# Spot word (one slot per feed, everything `price` reads):
#   price @0 (100) | observed_at @100 (40) | round id @140 (64) | max_age @204 (20)
# Signer spot report (one slot): price @0 (100) | observed_at @100 (40)
# Spot breaker (one slot per feed): anchor @0 (100) | window start @100 (40)
#   | held @140 (1) | last median @141 (100)
# Smile anchor (one slot per expiry): vol at VOL_GRID[i] @40*i (40 each, in
#   1e-9 vol units, saturating) | window start @200 (40)
PRICE_MASK: constant(uint256) = 2**100 - 1
A_MASK: constant(uint256) = 2**71 - 1
RHO_MASK: constant(uint256) = 2**61 - 1
B_MASK: constant(uint256) = 2**67 - 1
M_MASK: constant(uint256) = 2**65 - 1
SIGMA_MASK: constant(uint256) = 2**64 - 1
TIME_MASK: constant(uint256) = 2**40 - 1
OFFSET_MASK: constant(uint256) = 2**18 - 1
ROUND_MASK: constant(uint256) = 2**64 - 1
MAX_AGE_MASK: constant(uint256) = 2**20 - 1
A_SHIFT: constant(uint256) = 100
RHO_SHIFT: constant(uint256) = 171
M_SHIFT: constant(uint256) = 67
SIGMA_SHIFT: constant(uint256) = 132
SHAPE_TIME_SHIFT: constant(uint256) = 196
OFFSET_SHIFT: constant(uint256) = 236
LISTED_BIT: constant(uint256) = 1 << 255
SPOT_TIME_SHIFT: constant(uint256) = 100
ROUND_SHIFT: constant(uint256) = 140
MAX_AGE_SHIFT: constant(uint256) = 204
SVI_OFFSET: constant(uint256) = 2**17
TIME_LIMIT: constant(uint256) = 2**40
A_BIAS: constant(int256) = svi.MAX_ABS_A
RHO_BIAS: constant(int256) = svi.WAD  # |rho| < 1
M_BIAS: constant(int256) = svi.MAX_ABS_M
HELD_SHIFT: constant(uint256) = 140
MEDIAN_SHIFT: constant(uint256) = 141
# The log-moneyness points k = ln(K / F) at which the vol breaker bounds a
# smile: strikes from 0.37 F to 2.7 F, denser near the money. SVI total
# variance is convex in k, so a smile cannot rise between two points without
# rising at one of them.
VOL_GRID: constant(int256[5]) = [
    -10**18, -25 * 10**16, 0, 25 * 10**16, 10**18
]
GRID_UNIT: constant(uint256) = 10**9  # a grid vol's unit: 1e-9 vol
GRID_MASK: constant(uint256) = 2**40 - 1
GRID_TIME_SHIFT: constant(uint256) = 200

# =============================================================== immutables

# Validates every surface report's smile (stateless; see SurfaceChecker.vy).
SURFACE_CHECKER: public(immutable(ISurfaceChecker))
# Writes signers, quorum, feeds and expiries (OracleGovernor.vy); bound once.
GOVERNOR: public(immutable(address))

# ================================================================== storage

quorum: public(uint256)
is_signer: public(HashMap[address, bool])
_signers: DynArray[address, MAX_SIGNERS]

# Two slots: a surface report or a surface (see "Packed storage" above).
struct Packed:
    params: uint256
    shape: uint256


_feed_ids: DynArray[bytes32, MAX_FEEDS]
# Governance's copy of each feed's parameters; the write path reads it. The
# spot word carries the read path's copy of max_age (written together).
_feeds: HashMap[bytes32, IRingfenceOracle.FeedConfig]
_expiries: HashMap[bytes32, DynArray[uint256, MAX_EXPIRIES]]

# underlying -> spot word: price, observed_at, round id, max_age (0 = unlisted).
_spot: HashMap[bytes32, uint256]
# underlying -> expiry -> surface words (shape holds the listed flag).
_surface: HashMap[bytes32, HashMap[uint256, Packed]]
# underlying -> expiry -> ATM vol of the surface (write path and views only).
_atm_vol: HashMap[bytes32, HashMap[uint256, uint256]]
_settlement: HashMap[bytes32, HashMap[uint256, uint256]]
# Earliest listed expiry without a settlement price (0 when none), so a spot
# update only scans the expiries once one of them is due.
_next_settlement: HashMap[bytes32, uint256]
# underlying -> spot breaker word (anchor, window start, held, last median).
_breaker: HashMap[bytes32, uint256]
# underlying -> expiry -> smile anchor word (grid vols, window start).
_smile_anchor: HashMap[bytes32, HashMap[uint256, uint256]]

# signer -> underlying -> latest accepted spot report (one word).
_spot_reports: HashMap[address, HashMap[bytes32, uint256]]
# signer -> underlying -> expiry -> latest accepted surface report.
_reports: HashMap[address, HashMap[bytes32, HashMap[uint256, Packed]]]


# ============================================================== constructor


@deploy
def __init__(surface_checker: ISurfaceChecker, governor: address):
    """
    @notice Quorum starts at 1; there are no signers and no feeds yet: the
            governor (OracleGovernor.vy) adds them. EIP-712 domain: name
            "Ringfence Oracle", version "1", this chain and this contract.
    @param surface_checker The stateless validator of surface smiles.
    @param governor The only account that may change signers, quorum, feeds
           and expiries; it checks every bound before it writes.
    """
    assert surface_checker.address != empty(address), "oracle: zero checker"
    assert governor != empty(address), "oracle: zero governor"
    SURFACE_CHECKER = surface_checker
    GOVERNOR = governor
    eip712.__init__("Ringfence Oracle", "1")
    self.quorum = 1


# =============================================================== submission


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
            # A surface report the signer already has stored (a relayer sent it
            # alone first, where its smile was refused for calendar) still
            # re-aggregates its key here: with this batch's neighbours it may fit.
            if expiry == 0 or keccak256(reason) != keccak256(
                "timestamp not newer"
            ):
                continue
        else:
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
        # A smile refused for calendar arbitrage against a neighbour's old
        # surface is tried once more after every other key of the batch has
        # been aggregated: the order of a batch (a relayer's choice) cannot
        # stall an expiry whose new smile fits its neighbours' new ones.
        retry: DynArray[uint256, MAX_BATCH] = []
        for j: uint256 in range(len(touched_u), bound=MAX_BATCH):
            if touched_e[j] == 0:
                self._aggregate_spot(touched_u[j], signers, q)
            elif not self._aggregate_surface(
                touched_u[j], touched_e[j], signers, q, False
            ):
                retry.append(j)
        for j: uint256 in retry:
            self._aggregate_surface(
                touched_u[j], touched_e[j], signers, q, True
            )
    return accepted


# ==================================================================== reads


@external
@view
def price(underlying: bytes32) -> uint256:
    """
    @notice Current spot of `underlying`, WAD quote per unit.
    @param underlying Feed id (ASCII symbol right-padded with zeros).
    @return uint256 The spot, WAD quote per unit: the median of the fresh
            reports of >= quorum signers at the last aggregation.
    @dev Reverts "oracle: unknown feed", "oracle: no price", or
         "oracle: stale price" when block.timestamp - observed_at > max_age
         (age == max_age is still fresh).
    """
    word: uint256 = self._spot[underlying]
    max_age: uint256 = (word >> MAX_AGE_SHIFT) & MAX_AGE_MASK
    assert max_age != 0, "oracle: unknown feed"
    observed_at: uint256 = (word >> SPOT_TIME_SHIFT) & TIME_MASK
    assert observed_at != 0, "oracle: no price"
    assert block.timestamp - observed_at <= max_age, "oracle: stale price"
    return word & PRICE_MASK


@external
@view
def vol(underlying: bytes32, strike: uint256, expiry: uint256) -> uint256:
    """
    @notice Implied volatility at `strike` for `expiry` from the expiry's SVI
            smile: sqrt(w(ln(strike / forward)) / tau), tau = (expiry -
            observation time) / year. Annualised WAD (1e18 = 100 %).
    @param underlying Feed id.
    @param strike WAD quote per unit, in [1, 1e30].
    @param expiry A listed expiry, unix seconds.
    @return uint256 The implied vol, annualised WAD (1e18 = 100 %).
    @dev Reverts "oracle: unknown feed", "oracle: unlisted expiry",
         "oracle: no surface", "oracle: stale vol" (age > max_age), or
         "oracle: strike out of range".
    """
    max_age: uint256 = self._listed_max_age(underlying)
    shape: uint256 = self._surface[underlying][expiry].shape
    observed_at: uint256 = self._fresh_surface_time(shape, max_age)
    assert strike != 0 and strike <= MAX_PRICE, "oracle: strike out of range"
    forward: uint256 = 0
    a: int256 = 0
    rho: int256 = 0
    forward, a, rho = self._unpack_params(
        self._surface[underlying][expiry].params
    )
    b: int256 = 0
    m: int256 = 0
    sigma: int256 = 0
    b, m, sigma = self._unpack_shape(shape)
    # svi_observed_at < expiry: surface reports observed at or after expiry are rejected.
    return svi._implied_vol(
        strike,
        forward,
        expiry - self._svi_time(shape, observed_at),
        a,
        b,
        rho,
        m,
        sigma,
    )


@external
@view
def settlement_price(underlying: bytes32, expiry: uint256) -> uint256:
    """
    @notice The spot fixed for `expiry`, WAD: the median of the first
            aggregation of >= quorum fresh spot reports observed at or after
            the expiry (with quorum 1: the first accepted spot at or after it).
            0 until then; never changes afterwards.
    @param underlying Feed id.
    @param expiry An expiry, unix seconds.
    @return uint256 The settlement spot, WAD quote per unit; 0 while not fixed.
    """
    return self._settlement[underlying][expiry]


@external
@view
def last_update(underlying: bytes32) -> uint256:
    """
    @notice Freshness time (unix s) of the current spot value; 0 if none.
            Never reverts, so a keeper can tell "stale" from "unhealthy".
    @param underlying Feed id.
    @return uint256 The spot's freshness time (the quorum-th newest
            observation behind it), unix seconds; 0 when there is no spot.
    """
    return (self._spot[underlying] >> SPOT_TIME_SHIFT) & TIME_MASK


@external
@view
def breaker_held(underlying: bytes32) -> bool:
    """
    @notice Whether the spot circuit breaker holds: the last aggregation's
            median was outside the window's band, so the published spot lags
            it (docs/oracle.md, "Circuit breakers").
    @param underlying Feed id.
    @return bool True while held; False for an unknown feed.
    """
    return (self._breaker[underlying] >> HELD_SHIFT) & 1 == 1


@external
@view
def breaker(underlying: bytes32) -> IRingfenceOracle.Breaker:
    """
    @notice The spot circuit breaker's state.
    @param underlying Feed id.
    @return IRingfenceOracle.Breaker Anchor (the published spot when the
            window opened, WAD), window start (unix seconds), whether it
            holds, and the last aggregation's median (WAD); all zero before
            the first price.
    """
    word: uint256 = self._breaker[underlying]
    return IRingfenceOracle.Breaker(
        anchor=word & PRICE_MASK,
        since=(word >> SPOT_TIME_SHIFT) & TIME_MASK,
        held=(word >> HELD_SHIFT) & 1 == 1,
        median=(word >> MEDIAN_SHIFT) & PRICE_MASK,
    )


@external
@view
def spot(underlying: bytes32) -> IRingfenceOracle.Spot:
    """
    @notice The stored spot aggregate (price WAD, observed_at unix s, round id)
            without any freshness check; all zero when none.
    @param underlying Feed id.
    @return IRingfenceOracle.Spot Price (WAD quote per unit), observed_at
            (freshness time, unix seconds) and round_id (number of spot
            aggregations so far); all zero when there is no spot.
    """
    word: uint256 = self._spot[underlying]
    return IRingfenceOracle.Spot(
        price=word & PRICE_MASK,
        observed_at=(word >> SPOT_TIME_SHIFT) & TIME_MASK,
        round_id=(word >> ROUND_SHIFT) & ROUND_MASK,
    )


@external
@view
def surface(underlying: bytes32, expiry: uint256) -> IRingfenceOracle.Surface:
    """
    @notice The stored surface of (`underlying`, `expiry`) without any
            freshness check: forward WAD, raw SVI WAD, the chosen report's
            observation time, the aggregate's freshness time, ATM vol WAD.
    @param underlying Feed id.
    @param expiry An expiry, unix seconds.
    @return IRingfenceOracle.Surface Forward (WAD quote per unit), raw SVI
            a, b, rho, m, sigma (WAD), svi_observed_at and observed_at (unix
            seconds), atm_vol (annualised WAD); all zero when no surface has
            been aggregated.
    """
    words: Packed = self._surface[underlying][expiry]
    observed_at: uint256 = (words.shape >> SHAPE_TIME_SHIFT) & TIME_MASK
    if observed_at == 0:
        return empty(IRingfenceOracle.Surface)
    out: IRingfenceOracle.Surface = empty(IRingfenceOracle.Surface)
    out.forward, out.a, out.rho = self._unpack_params(words.params)
    out.b, out.m, out.sigma = self._unpack_shape(words.shape)
    out.svi_observed_at = self._svi_time(words.shape, observed_at)
    out.observed_at = observed_at
    out.atm_vol = self._atm_vol[underlying][expiry]
    return out


@external
@view
def atm_vol(underlying: bytes32, expiry: uint256) -> uint256:
    """
    @notice At-the-money (strike == forward) vol of the surface, annualised WAD.
    @param underlying Feed id.
    @param expiry A listed expiry, unix seconds.
    @return uint256 The ATM vol of the aggregated surface, annualised WAD
            (1e18 = 100 %).
    @dev Fails closed like `vol`.
    """
    max_age: uint256 = self._listed_max_age(underlying)
    self._fresh_surface_time(self._surface[underlying][expiry].shape, max_age)
    return self._atm_vol[underlying][expiry]


@external
@view
def is_fresh(underlying: bytes32, expiry: uint256) -> bool:
    """
    @notice Whether `price` (expiry 0) or `vol` (a listed expiry) would read
            without reverting for staleness right now.
    @param underlying Feed id.
    @param expiry 0 for the spot, else a listed expiry (unix seconds).
    @return bool True when the value exists and its age <= max_age; False
            for an unknown feed, an unlisted expiry or no value yet.
    """
    word: uint256 = self._spot[underlying]
    max_age: uint256 = (word >> MAX_AGE_SHIFT) & MAX_AGE_MASK
    if max_age == 0:
        return False
    observed_at: uint256 = 0
    if expiry == 0:
        observed_at = (word >> SPOT_TIME_SHIFT) & TIME_MASK
    else:
        shape: uint256 = self._surface[underlying][expiry].shape
        if shape & LISTED_BIT == 0:
            return False
        observed_at = (shape >> SHAPE_TIME_SHIFT) & TIME_MASK
    if observed_at == 0:
        return False
    return block.timestamp - observed_at <= max_age


@external
@view
def feed(underlying: bytes32) -> IRingfenceOracle.FeedConfig:
    """
    @notice Governance parameters of a feed: listed, max_age (s), spot cap
            (bps), vol cap (WAD vol points), description.
    @param underlying Feed id.
    @return IRingfenceOracle.FeedConfig listed, max_age (seconds),
            spot_cap_bps (bps), vol_cap (WAD vol points, 1e16 = 1 vol
            point), description; all zero when never added.
    """
    return self._feeds[underlying]


@external
@view
def feed_ids() -> DynArray[bytes32, MAX_FEEDS]:
    """
    @notice Every feed id ever added, in order of addition.
    @return DynArray[bytes32, 32] Feed ids (ASCII symbols right-padded with
            zeros).
    """
    return self._feed_ids


@external
@view
def expiries(underlying: bytes32) -> DynArray[uint256, MAX_EXPIRIES]:
    """
    @notice The listed expiries of a feed (unix s), in order of listing.
    @param underlying Feed id.
    @return DynArray[uint256, 16] The listed expiries, unix seconds
            (delisted ones removed).
    """
    return self._expiries[underlying]


@external
@view
def signers() -> DynArray[address, MAX_SIGNERS]:
    """
    @notice The registered signers, in order of registration.
    @return DynArray[address, 16] Signer addresses (removed ones excluded).
    """
    return self._signers


@external
@view
def fresh_report_count(underlying: bytes32, expiry: uint256) -> uint256:
    """
    @notice How many registered signers have a fresh (age <= max_age) report
            for (`underlying`, `expiry`); expiry 0 = spot.
    @param underlying Feed id.
    @param expiry 0 for spot reports, else an expiry (unix seconds).
    @return uint256 Number of registered signers, at most 16.
    """
    max_age: uint256 = self._feeds[underlying].max_age
    count: uint256 = 0
    for signer: address in self._signers:
        t: uint256 = self._report_time(signer, underlying, expiry)
        if t != 0 and block.timestamp - t <= max_age:
            # At most MAX_SIGNERS increments.
            count = unsafe_add(count, 1)
    return count


@external
@view
def signer_report(
    signer: address, underlying: bytes32, expiry: uint256
) -> IRingfenceOracle.SignerReport:
    """
    @notice `signer`'s latest accepted report for (`underlying`, `expiry`);
            its observed_at is the time a new report must exceed.
    @param signer Any address (a removed signer's last reports stay readable).
    @param underlying Feed id.
    @param expiry 0 for the spot report, else an expiry (unix seconds).
    @return IRingfenceOracle.SignerReport price (spot or forward, WAD quote
            per unit), raw SVI a, b, rho, m, sigma (WAD; 0 for spot) and
            observed_at (unix seconds); all zero when none.
    """
    out: IRingfenceOracle.SignerReport = empty(IRingfenceOracle.SignerReport)
    if expiry == 0:
        word: uint256 = self._spot_reports[signer][underlying]
        out.price = word & PRICE_MASK
        out.observed_at = (word >> SPOT_TIME_SHIFT) & TIME_MASK
        return out
    words: Packed = self._reports[signer][underlying][expiry]
    out.observed_at = (words.shape >> SHAPE_TIME_SHIFT) & TIME_MASK
    if out.observed_at == 0:
        return out
    out.price, out.a, out.rho = self._unpack_params(words.params)
    out.b, out.m, out.sigma = self._unpack_shape(words.shape)
    return out


@external
@view
def report_digest(report: IRingfenceOracle.Report) -> bytes32:
    """
    @notice The EIP-712 digest a signer signs for `report` on this deployment.
    @param report The report (fields as in `submit`).
    @return bytes32 The EIP-712 typed-data hash (domain "Ringfence Oracle",
            version "1", this chain and this contract).
    """
    return self._digest(report)


# ================================================= governor's write path


@external
def set_signers(signers: DynArray[address, MAX_SIGNERS], quorum: uint256):
    """
    @notice Replace the signer set and the quorum. The governor only; it
            checks the set (distinct, non-zero) and 1 <= quorum <= its size.
    @param signers The registered signers after the change, in order.
    @param quorum Minimum number of distinct fresh signers behind a value.
    """
    assert msg.sender == GOVERNOR, "oracle: governor only"
    for s: address in self._signers:
        self.is_signer[s] = False
    for s: address in signers:
        self.is_signer[s] = True
    self._signers = signers
    self.quorum = quorum


@external
def set_feed(underlying: bytes32, config: IRingfenceOracle.FeedConfig):
    """
    @notice Add a feed or change its parameters. The governor only; it checks
            the id and every bound (OracleGovernor.vy).
    @param underlying Feed id (ASCII symbol right-padded with zeros).
    @param config The feed's parameters, listed set.
    """
    assert msg.sender == GOVERNOR, "oracle: governor only"
    if not self._feeds[underlying].listed:
        self._feed_ids.append(underlying)
    self._feeds[underlying] = config
    word: uint256 = self._spot[underlying]
    self._spot[underlying] = (word & ~(MAX_AGE_MASK << MAX_AGE_SHIFT)) | (
        config.max_age << MAX_AGE_SHIFT
    )


@external
def set_expiry(underlying: bytes32, expiry: uint256, listed: bool):
    """
    @notice List or delist `expiry` of a feed. The governor only; it checks
            the expiry (future, horizon, count; delisting only once settled).
    @param underlying A listed feed id.
    @param expiry Unix seconds.
    @param listed True to list (not yet listed), False to delist (listed).
    """
    assert msg.sender == GOVERNOR, "oracle: governor only"
    shape: uint256 = self._surface[underlying][expiry].shape
    if listed:
        self._expiries[underlying].append(expiry)
        shape |= LISTED_BIT
    else:
        kept: DynArray[uint256, MAX_EXPIRIES] = []
        for e: uint256 in self._expiries[underlying]:
            if e != expiry:
                kept.append(e)
        self._expiries[underlying] = kept
        shape &= LISTED_BIT - 1
    self._surface[underlying][expiry].shape = shape
    self._next_settlement[underlying] = self._earliest_unsettled(underlying)


# ======================================================= internal functions


@internal
@view
def _listed_max_age(underlying: bytes32) -> uint256:
    """
    @dev The feed's max_age (s) from its spot word; reverts for an unknown feed.
    """
    max_age: uint256 = (self._spot[underlying] >> MAX_AGE_SHIFT) & MAX_AGE_MASK
    assert max_age != 0, "oracle: unknown feed"
    return max_age


@internal
@view
def _fresh_surface_time(shape: uint256, max_age: uint256) -> uint256:
    """
    @dev The freshness time of a surface from its shape word; reverts when its
         expiry is unlisted, it has no surface yet, or it is stale.
    """
    assert shape & LISTED_BIT != 0, "oracle: unlisted expiry"
    observed_at: uint256 = (shape >> SHAPE_TIME_SHIFT) & TIME_MASK
    assert observed_at != 0, "oracle: no surface"
    assert block.timestamp - observed_at <= max_age, "oracle: stale vol"
    return observed_at


@internal
@view
def _report_time(signer: address, u: bytes32, expiry: uint256) -> uint256:
    """
    @dev Observation time of `signer`'s latest report for (`u`, `expiry`); 0 if none.
    """
    if expiry == 0:
        return (self._spot_reports[signer][u] >> SPOT_TIME_SHIFT) & TIME_MASK
    return (
        self._reports[signer][u][expiry].shape >> SHAPE_TIME_SHIFT
    ) & TIME_MASK


@internal
@pure
def _svi_time(shape: uint256, observed_at: uint256) -> uint256:
    """
    @dev The chosen report's observation time, from the surface's freshness
         time and the stored offset (svi_observed_at - observed_at + 2**17).
    """
    return observed_at + ((shape >> OFFSET_SHIFT) & OFFSET_MASK) - SVI_OFFSET


@internal
@pure
def _pack_params(price: uint256, a: int256, rho: int256) -> uint256:
    """
    @dev Params word. Requires price <= MAX_PRICE, |a| <= MAX_ABS_A, |rho| < 1
         (checked by `_check`), so every biased field fits its width.
    """
    return (
        price
        | (convert(a + A_BIAS, uint256) << A_SHIFT)
        | (convert(rho + RHO_BIAS, uint256) << RHO_SHIFT)
    )


@internal
@pure
def _unpack_params(word: uint256) -> (uint256, int256, int256):
    """
    @dev (price or forward, a, rho) from a params word.
    """
    a: int256 = convert((word >> A_SHIFT) & A_MASK, int256) - A_BIAS
    rho: int256 = convert((word >> RHO_SHIFT) & RHO_MASK, int256) - RHO_BIAS
    return word & PRICE_MASK, a, rho


@internal
@pure
def _pack_shape(b: int256, m: int256, sigma: int256) -> uint256:
    """
    @dev Low 196 bits of a shape word. Requires 0 <= b <= MAX_B, |m| <=
         MAX_ABS_M, 0 < sigma <= MAX_SIGMA (checked by `svi._check`).
    """
    return (
        convert(b, uint256)
        | (convert(m + M_BIAS, uint256) << M_SHIFT)
        | (convert(sigma, uint256) << SIGMA_SHIFT)
    )


@internal
@pure
def _unpack_shape(word: uint256) -> (int256, int256, int256):
    """
    @dev (b, m, sigma) from a shape word.
    """
    b: int256 = convert(word & B_MASK, int256)
    m: int256 = convert((word >> M_SHIFT) & M_MASK, int256) - M_BIAS
    sigma: int256 = convert((word >> SIGMA_SHIFT) & SIGMA_MASK, int256)
    return b, m, sigma


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
def _check(signer: address, report: IRingfenceOracle.Report) -> String[32]:
    """
    @dev Why a correctly signed report from a registered signer is rejected;
         "" when it is accepted. Structural checks first, then time, then
         values, then the vol breaker (which may roll its window: not a view).
    """
    u: bytes32 = report.underlying
    word: uint256 = self._spot[u]
    max_age: uint256 = (word >> MAX_AGE_SHIFT) & MAX_AGE_MASK
    if max_age == 0:
        return "unlisted feed"
    expiry: uint256 = convert(report.expiry, uint256)
    shape: uint256 = 0
    if expiry != 0:
        shape = self._surface[u][expiry].shape
        if shape & LISTED_BIT == 0:
            return "unlisted expiry"
    observed_at: uint256 = convert(report.observed_at, uint256)
    if observed_at > block.timestamp:
        return "future timestamp"
    if observed_at >= TIME_LIMIT:
        return "timestamp out of range"
    if block.timestamp - observed_at > max_age:
        return "report too old"
    if observed_at <= self._report_time(signer, u, expiry):
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
        # a spot report is never refused for its size: the breaker clamps the
        # aggregate instead (`_clamp_spot`)
        return ""

    if observed_at >= expiry:
        return "expiry passed"
    # The smile is read at ln(K / forward): a forward far from the spot would
    # move every strike's vol past the vol breaker, which compares smiles at
    # fixed log-moneyness. It must lie within the spot breaker's band of the
    # signers' last spot median (the basis of a forward is far inside any sane
    # band). The median, not the published spot: while the breaker ramps the
    # published spot, true forwards must still be accepted or every smile
    # would go stale in the very crash that needs them.
    spot: uint256 = (self._breaker[u] >> MEDIAN_SHIFT) & PRICE_MASK
    if spot != 0:
        gap: uint256 = max(report.price, spot) - min(report.price, spot)
        # gap <= 1e30 and cap <= 1e4: both products < 1e35
        if gap * BPS > self._feeds[u].spot_cap_bps * spot:
            return "forward out of band"
    reason: String[32] = staticcall SURFACE_CHECKER.check(
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
    anchor: uint256 = self._anchor_smile(u, expiry, shape, max_age)
    if anchor == 0:
        return ""
    # The band is vol_cap while the published smile is fresh, and widens by
    # vol_cap per max_age it has been stale: a genuine move faster than the
    # band (every report refused) stalls the smile only for as many windows as
    # it needs bands, never for ever.
    stale_for: uint256 = block.timestamp - (
        (shape >> SHAPE_TIME_SHIFT) & TIME_MASK
    )
    cap: uint256 = self._feeds[u].vol_cap * max(stale_for // max_age, 1)
    for i: uint256 in range(5):
        # |vol - anchor vol| <= cap, compared as variances (no square root):
        # (anchor - cap)^2 <= variance <= (anchor + cap)^2, all WAD^2
        old: uint256 = ((anchor >> (40 * i)) & GRID_MASK) * GRID_UNIT
        variance: uint256 = (
            svi._annualised_variance(
                svi._total_variance(
                    VOL_GRID[i],
                    report.a,
                    report.b,
                    report.rho,
                    report.m,
                    report.sigma,
                ),
                expiry - observed_at,
            )
            * 10**18
        )
        low: uint256 = 0
        if old > cap:
            low = old - cap
        if variance > (old + cap)**2 or variance < low**2:
            return "vol cap exceeded"
    return ""


@internal
def _store(signer: address, report: IRingfenceOracle.Report) -> uint256:
    """
    @dev Record `report` as `signer`'s latest for its (underlying, expiry);
         returns its observation time. A spot report is one word; a surface
         report two (checked by `_check`, so every field fits its width).
    """
    u: bytes32 = report.underlying
    expiry: uint256 = convert(report.expiry, uint256)
    observed_at: uint256 = convert(report.observed_at, uint256)
    if expiry == 0:
        self._spot_reports[signer][u] = report.price | (
            observed_at << SPOT_TIME_SHIFT
        )
        return observed_at
    self._reports[signer][u][expiry] = Packed(
        params=self._pack_params(report.price, report.a, report.rho),
        shape=self._pack_shape(report.b, report.m, report.sigma)
        | (observed_at << SHAPE_TIME_SHIFT),
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
    word: uint256 = self._spot[u]
    max_age: uint256 = (word >> MAX_AGE_SHIFT) & MAX_AGE_MASK
    prices: DynArray[uint256, MAX_SIGNERS] = []
    times: DynArray[uint256, MAX_SIGNERS] = []
    for signer: address in signers:
        rw: uint256 = self._spot_reports[signer][u]
        t: uint256 = (rw >> SPOT_TIME_SHIFT) & TIME_MASK
        if t == 0 or block.timestamp - t > max_age:
            continue
        prices.append(rw & PRICE_MASK)
        times.append(t)

    n: uint256 = len(prices)
    if n >= q:
        # The published price (the median clamped into the breaker's band) is
        # <= MAX_PRICE < 2**100, and the quorum time is an accepted report's
        # time < 2**40: both fit.
        published: uint256 = self._clamp_spot(
            u,
            word & PRICE_MASK,
            self._median(prices, word & PRICE_MASK),
            max_age,
        )
        observed_at: uint256 = self._quorum_time(times, q)
        # One increment per accepted aggregation: 2**64 - 1 is out of reach,
        # and the checked add below still guards the field's width.
        round_id: uint256 = ((word >> ROUND_SHIFT) & ROUND_MASK) + 1
        assert round_id <= ROUND_MASK, "oracle: round id overflow"
        self._spot[u] = (
            published
            | (observed_at << SPOT_TIME_SHIFT)
            | (round_id << ROUND_SHIFT)
            | (max_age << MAX_AGE_SHIFT)
        )
        log IRingfenceOracle.SpotUpdated(
            underlying=u,
            price=published,
            observed_at=observed_at,
            round_id=round_id,
            reports=n,
        )

    due: uint256 = self._next_settlement[u]
    if due != 0 and due <= block.timestamp:
        self._settle(u, signers, q, max_age)


@internal
def _clamp_spot(
    u: bytes32, current: uint256, median: uint256, window: uint256
) -> uint256:
    """
    @dev The spot circuit breaker: the price to publish for a new `median`.
         Each window of `window` (= max_age) seconds starts from an anchor,
         the published price when it opened; within it the published price
         stays within +-spot_cap_bps of that anchor however many aggregations
         happen, so in any window the spot moves at most one band (two across
         a window boundary). A silence changes nothing: the first aggregation
         after it opens a window anchored at the last published price. A
         median outside the band is clamped to its edge and the breaker
         holds (`breaker_held`) until a median lands inside a band.
    """
    if current == 0:
        # the first price of a feed: nothing to anchor to
        self._breaker[u] = (
            median
            | (block.timestamp << SPOT_TIME_SHIFT)
            | (median << MEDIAN_SHIFT)
        )
        return median
    word: uint256 = self._breaker[u]
    anchor: uint256 = word & PRICE_MASK
    since: uint256 = (word >> SPOT_TIME_SHIFT) & TIME_MASK
    if block.timestamp >= since + window:
        anchor = current
        since = block.timestamp
    # anchor <= 1e30 and cap <= 1e4: the product < 1e35
    band: uint256 = anchor * self._feeds[u].spot_cap_bps // BPS
    low: uint256 = 1
    if band < anchor:
        low = anchor - band
    published: uint256 = min(max(median, low), min(anchor + band, MAX_PRICE))
    held: uint256 = 0
    if published != median:
        held = 1
        log IRingfenceOracle.SpotHeld(
            underlying=u, median=median, price=published, anchor=anchor
        )
    self._breaker[u] = (
        anchor
        | (since << SPOT_TIME_SHIFT)
        | (held << HELD_SHIFT)
        | (median << MEDIAN_SHIFT)
    )
    return published


@internal
def _anchor_smile(
    u: bytes32, expiry: uint256, shape: uint256, window: uint256
) -> uint256:
    """
    @dev The vol breaker's anchor for (`u`, `expiry`): the grid vols
         (`_grid_vols`) of the surface published when the current window of
         `window` (= max_age) seconds opened. Opens a new window, anchored at
         the current surface (fresh or not: a silence changes nothing), when
         the last one has ended. 0 when the expiry has no surface yet.
    """
    word: uint256 = self._smile_anchor[u][expiry]
    since: uint256 = (word >> GRID_TIME_SHIFT) & TIME_MASK
    if word != 0 and block.timestamp < since + window:
        return word
    observed_at: uint256 = (shape >> SHAPE_TIME_SHIFT) & TIME_MASK
    if observed_at == 0:
        return 0
    forward: uint256 = 0
    a: int256 = 0
    rho: int256 = 0
    forward, a, rho = self._unpack_params(self._surface[u][expiry].params)
    b: int256 = 0
    m: int256 = 0
    sigma: int256 = 0
    b, m, sigma = self._unpack_shape(shape)
    word = self._grid_vols(
        expiry - self._svi_time(shape, observed_at), a, b, rho, m, sigma
    ) | (block.timestamp << GRID_TIME_SHIFT)
    self._smile_anchor[u][expiry] = word
    return word


@internal
@pure
def _grid_vols(
    tau: uint256, a: int256, b: int256, rho: int256, m: int256, sigma: int256
) -> uint256:
    """
    @dev The smile's implied vol at each VOL_GRID point, `tau` seconds before
         expiry, packed 40 bits each in 1e-9 vol units (rounded down,
         saturating at 2**40 - 1, about 1,100 vol).
    """
    out: uint256 = 0
    for i: uint256 in range(5):
        w: int256 = svi._total_variance(VOL_GRID[i], a, b, rho, m, sigma)
        vol: uint256 = svi._vol_from_variance(svi._annualised_variance(w, tau))
        out |= min(vol // GRID_UNIT, GRID_MASK) << (40 * i)
    return out


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
            rw: uint256 = self._spot_reports[signer][u]
            t: uint256 = (rw >> SPOT_TIME_SHIFT) & TIME_MASK
            if t < e or block.timestamp - t > max_age:
                continue
            prices.append(rw & PRICE_MASK)
        if len(prices) >= q:
            settled: uint256 = self._median(prices, self._spot[u] & PRICE_MASK)
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
    final: bool,
) -> bool:
    """
    @dev Re-aggregate the surface of (`u`, `expiry`): among the fresh reports,
         the whole report whose ATM vol is the median becomes the surface, so
         its five SVI parameters and its forward stay one consistent,
         validated smile. For an even count, of the two middle reports the
         one whose ATM vol is nearer the published one (the upper when there
         is none, or a tie): one report of two cannot lift the smile past the
         other's. Returns False only
         when the chosen smile fails the calendar test; it is then logged as
         rejected if `final`, else left for the batch's retry.
    """
    max_age: uint256 = (self._spot[u] >> MAX_AGE_SHIFT) & MAX_AGE_MASK
    reps: DynArray[Packed, MAX_SIGNERS] = []
    keys: DynArray[uint256, MAX_SIGNERS] = []
    times: DynArray[uint256, MAX_SIGNERS] = []
    owners: DynArray[address, MAX_SIGNERS] = []
    for signer: address in signers:
        r: Packed = self._reports[signer][u][expiry]
        t: uint256 = (r.shape >> SHAPE_TIME_SHIFT) & TIME_MASK
        if t == 0 or block.timestamp - t > max_age:
            continue
        forward: uint256 = 0
        a: int256 = 0
        rho: int256 = 0
        forward, a, rho = self._unpack_params(r.params)
        b: int256 = 0
        m: int256 = 0
        sigma: int256 = 0
        b, m, sigma = self._unpack_shape(r.shape)
        # Accepted reports have t < expiry and ATM variance <= 100 WAD < 2**67,
        # so shifting by 8 bits and adding the index (< 16) cannot overflow.
        variance: uint256 = svi._atm_variance(expiry - t, a, b, rho, m, sigma)
        keys.append(unsafe_add(variance << 8, len(reps)))
        reps.append(r)
        times.append(t)
        owners.append(signer)

    n: uint256 = len(keys)
    if n < q:
        return True
    # Sorting (variance, index) keys sorts by ATM vol, ties by signer order.
    sorted_keys: DynArray[uint256, MAX_SIGNERS] = self._sorted(keys)
    chosen_key: uint256 = sorted_keys[n // 2]
    published_atm: uint256 = self._atm_vol[u][expiry]
    if n % 2 == 0 and published_atm != 0:
        lower_key: uint256 = sorted_keys[n // 2 - 1]
        lower: uint256 = svi._vol_from_variance(lower_key >> 8)
        upper: uint256 = svi._vol_from_variance(chosen_key >> 8)
        # lower <= upper; the upper stays chosen when it is nearer, or on a tie
        if lower >= published_atm or (
            published_atm < upper
            and published_atm - lower < upper - published_atm
        ):
            chosen_key = lower_key
    rep: Packed = reps[chosen_key & 255]
    atm: uint256 = svi._vol_from_variance(chosen_key >> 8)
    observed_at: uint256 = self._quorum_time(times, q)
    rep_at: uint256 = (rep.shape >> SHAPE_TIME_SHIFT) & TIME_MASK
    reason: String[32] = self._calendar(
        u, expiry, rep, expiry - rep_at, max_age
    )
    if len(reason) != 0:
        # The surface stays as it was; the chosen report stays its signer's latest.
        if final:
            log IRingfenceOracle.ReportRejected(
                signer=owners[chosen_key & 255],
                underlying=u,
                expiry=expiry,
                reason=reason,
            )
        return False
    # Both times are of fresh reports (within max_age <= 86_400 < 2**17 of
    # now), so the offset lies in [2**17 - 86_400, 2**17 + 86_400] < 2**18.
    offset: uint256 = rep_at + SVI_OFFSET - observed_at
    self._surface[u][expiry] = Packed(
        params=rep.params,
        shape=(rep.shape & (2**SHAPE_TIME_SHIFT - 1))
        | (observed_at << SHAPE_TIME_SHIFT)
        | (offset << OFFSET_SHIFT)
        | LISTED_BIT,
    )
    self._atm_vol[u][expiry] = atm
    forward_out: uint256 = rep.params & PRICE_MASK
    log IRingfenceOracle.SurfaceUpdated(
        underlying=u,
        expiry=expiry,
        forward=forward_out,
        atm_vol=atm,
        observed_at=observed_at,
        reports=n,
    )
    return True


@internal
@view
def _calendar(
    u: bytes32, expiry: uint256, rep: Packed, tau: uint256, max_age: uint256
) -> String[32]:
    """
    @dev Why the smile `rep` (observed `tau` s before `expiry`) would hold
         calendar arbitrage against the nearest shorter and longer listed,
         unexpired expiries of `u` with a fresh surface; "" when it would not
         (docs/oracle.md, "Arbitrage-free surfaces").
    """
    if expiry <= block.timestamp:
        return ""
    near: uint256 = 0
    far: uint256 = 0
    for e: uint256 in self._expiries[u]:
        shape: uint256 = self._surface[u][e].shape
        t: uint256 = (shape >> SHAPE_TIME_SHIFT) & TIME_MASK
        if (
            e <= block.timestamp
            or shape & LISTED_BIT == 0
            or t == 0
            or block.timestamp - t > max_age
        ):
            continue
        if e < expiry and e > near:
            near = e
        if e > expiry and (far == 0 or e < far):
            far = e
    smile: ISurfaceChecker.Smile = self._smile(rep, expiry, tau)
    for other: uint256 in [near, far]:
        if other == 0:
            continue
        lo: ISurfaceChecker.Smile = smile
        hi: ISurfaceChecker.Smile = smile
        if other < expiry:
            lo = self._stored_smile(u, other)
        else:
            hi = self._stored_smile(u, other)
        reason: String[32] = staticcall SURFACE_CHECKER.check_calendar(lo, hi)
        if len(reason) != 0:
            return reason
    return ""


@internal
@view
def _stored_smile(u: bytes32, expiry: uint256) -> ISurfaceChecker.Smile:
    """
    @dev The stored surface of (`u`, `expiry`) with its clock (tau as `vol`
         measures it: from the chosen report's observation time).
    """
    words: Packed = self._surface[u][expiry]
    observed_at: uint256 = (words.shape >> SHAPE_TIME_SHIFT) & TIME_MASK
    return self._smile(
        words, expiry, expiry - self._svi_time(words.shape, observed_at)
    )


@internal
@view
def _smile(
    words: Packed, expiry: uint256, tau: uint256
) -> ISurfaceChecker.Smile:
    """
    @dev A packed smile observed `tau` s before its unexpired `expiry`.
    """
    forward: uint256 = 0
    a: int256 = 0
    rho: int256 = 0
    forward, a, rho = self._unpack_params(words.params)
    b: int256 = 0
    m: int256 = 0
    sigma: int256 = 0
    b, m, sigma = self._unpack_shape(words.shape)
    return ISurfaceChecker.Smile(
        a=a,
        b=b,
        rho=rho,
        m=m,
        sigma=sigma,
        tau_observed=tau,
        tau_now=expiry - block.timestamp,
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
def _median(
    values: DynArray[uint256, MAX_SIGNERS], reference: uint256
) -> uint256:
    """
    @dev Median of 1..16 values: the middle one for an odd count; for an even
         count the point of [lower, upper middle] nearest `reference` (the
         published spot), or their mean (rounded down) when there is none
         yet. With two fresh reports the mean let one of them put the result
         anywhere (a report of 1 wei halved the spot); the nearest point keeps
         it between the published value and the other report: one report can
         hold the value back, never push it past an honest one.
    """
    s: DynArray[uint256, MAX_SIGNERS] = self._sorted(values)
    n: uint256 = len(s)
    half: uint256 = n // 2
    if n % 2 == 1:
        return s[half]
    if reference == 0:
        # Each value <= MAX_PRICE = 1e30, so the sum cannot overflow.
        return unsafe_add(s[half - 1], s[half]) // 2
    return min(max(reference, s[half - 1]), s[half])


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
