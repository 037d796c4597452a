# pragma version ~=0.4.3
"""
@title Registry
@notice What Ringfence lists and on what terms: the underlyings with their
        risk parameters, the European series with their open-interest caps,
        the pool's utilisation limit, and the guardian's pause of new risk.
        Governance (a two-step owner) writes it; the clearing house reads one
        `listing` per vault action, the pool and the view contract read the
        series terms. Nothing here holds tokens or vault state.
@dev Units: strikes, caps and parameters WAD (1e18 = 1.0), expiries unix
     seconds. Series terms are stored as one word each (`lib/series.vy`),
     with the underlying as a small index so one storage read gives a leg
     everything it needs.
@custom:kill Governance pauses new risk with `set_paused(True)` (the
     guardian may too): opening and removing collateral stop; closing,
     adding collateral, liquidation and settlement never do.
"""

from snekmate.auth import ownable
from snekmate.auth import ownable_2step

from .interfaces import IRegistry
from .lib import constants
from .lib import risk_params as risk
from .lib import series_terms

implements: IRegistry

initializes: ownable
initializes: ownable_2step[ownable := ownable]

exports: (
    ownable_2step.owner,
    ownable_2step.pending_owner,
    ownable_2step.transfer_ownership,
    ownable_2step.accept_ownership,
)

# ================================================================ constants

# @dev Hard limit of the pool utilisation: strike notional / pool cash.
MAX_UTILISATION_LIMIT: constant(uint256) = 20 * 10**18
# @dev Largest series id (the vault leg word keeps 32 bits for it).
MAX_SERIES_ID: constant(uint256) = 2**32 - 1
PAUSED_BIT: constant(uint256) = 1 << 255
# @dev How long a change to a configured underlying's risk parameters waits
#      between its announcement and the earliest time it can take effect: vault
#      owners see a raised margin coming and have a day to add collateral, so
#      no vault healthy before a change is liquidated because of it at once.
RISK_PARAMS_DELAY: constant(uint256) = 86_400
# @dev How long after `effective_at` a queued change may still be applied: a
#      change left unapplied lapses, so no one can keep an announced change in
#      reserve and spring it on vaults opened weeks later.
RISK_PARAMS_WINDOW: constant(uint256) = 7 * 86_400

# ================================================================== storage

guardian: public(address)
# @dev max_utilisation WAD (bits 0-254; at most 20e18) | paused (bit 255):
#      one read gives an opening both.
_config: uint256

# @dev Configured underlyings by index (from 1) and the index of each.
underlying_count: public(uint256)
_underlying: HashMap[uint256, bytes32]
_index: HashMap[bytes32, uint256]
# @dev Packed risk parameters per index (`risk._pack`): the pricing word (all a
#      health check reads) and the trading word (penalties, spread, minimum size).
_pricing: HashMap[uint256, uint256]
_trading: HashMap[uint256, uint256]
# @dev A queued change per index: its two words and the earliest time it may
#      take effect (0: none queued).
_pending_pricing: HashMap[uint256, uint256]
_pending_trading: HashMap[uint256, uint256]
_pending_at: HashMap[uint256, uint256]

series_count: public(uint256)
# @dev Terms word per series id (`series_terms._pack`); 0 when not listed.
_terms: HashMap[uint256, uint256]
_cap: HashMap[uint256, uint256]
_series_key: HashMap[bytes32, uint256]


# ===================================================================== init


@deploy
def __init__(guardian: address, max_utilisation: uint256):
    """
    @notice Deploy the registry; the deployer becomes governance.
    @param guardian Account that may pause new risk.
    @param max_utilisation Strike notional the pool may carry per unit of
           its cash, WAD (e.g. 5e18), in (0, 20e18].
    """
    ownable.__init__()
    ownable_2step.__init__()
    self._set_max_utilisation(max_utilisation)
    self.guardian = guardian
    log IRegistry.GuardianSet(guardian=guardian)


# =============================================================== governance


@external
def set_risk_params(underlying: bytes32, params: risk.RiskParams):
    """
    @notice Set the risk parameters of `underlying`: at once when it is
            configured for the first time; otherwise the change is queued and
            announced (`RiskParamsQueued`) and takes effect through
            `apply_risk_params` no sooner than RISK_PARAMS_DELAY (one day)
            later, replacing any change already queued. Only the owner.
    @param underlying Feed id (ASCII symbol right-padded with zeros).
    @param params Each inside the hard limits of `risk_params`, WAD except
           `horizon` (seconds); docs/risk.md explains every field: the spot
           shock (floor spot_shock, spot_sigmas standard deviations over the
           horizon, crash_factor for the down move), the vol shocks (vol_up,
           vol_down at 30 days, vol_tenor_cap), horizon, im_factor,
           min_short_margin, liquidation_reward and insurance_fee (fractions
           of the closed MM), spread_vol (vol points of vega charged as
           spread), rate (annual, continuously compounded), min_size (units).
    @dev Reverts "risk_params: <name>" for a parameter out of bounds.
    """
    ownable._check_owner()
    assert underlying != empty(bytes32), "registry: zero underlying"
    risk._check(params)
    index: uint256 = self._index[underlying]
    if index != 0:
        effective_at: uint256 = block.timestamp + RISK_PARAMS_DELAY
        self._pending_pricing[index], self._pending_trading[index] = risk._pack(
            params
        )
        self._pending_at[index] = effective_at
        log IRegistry.RiskParamsQueued(
            underlying=underlying, params=params, effective_at=effective_at
        )
        return
    index = self.underlying_count + 1
    assert index <= constants.MAX_UNDERLYINGS, "registry: too many underlyings"
    self.underlying_count = index
    self._underlying[index] = underlying
    self._index[underlying] = index
    self._pricing[index], self._trading[index] = risk._pack(params)
    log IRegistry.RiskParamsSet(underlying=underlying, params=params)


@external
def apply_risk_params(underlying: bytes32):
    """
    @notice Make the queued change of `underlying`'s risk parameters take
            effect, once its delay has passed. Permissionless.
    @param underlying A configured underlying with a queued change.
    @dev Reverts "registry: nothing queued", "registry: change not due", or
         "registry: change lapsed" more than 7 days after it was due.
    """
    index: uint256 = self._index[underlying]
    effective_at: uint256 = self._pending_at[index]
    assert index != 0 and effective_at != 0, "registry: nothing queued"
    assert block.timestamp >= effective_at, "registry: change not due"
    assert (
        block.timestamp <= effective_at + RISK_PARAMS_WINDOW
    ), "registry: change lapsed"
    pricing: uint256 = self._pending_pricing[index]
    trading: uint256 = self._pending_trading[index]
    self._pricing[index] = pricing
    self._trading[index] = trading
    self._pending_at[index] = 0
    log IRegistry.RiskParamsSet(
        underlying=underlying, params=risk._unpack(pricing, trading)
    )


@external
def cancel_risk_params(underlying: bytes32):
    """
    @notice Drop the queued change of `underlying`'s risk parameters. Only
            the owner.
    @param underlying A configured underlying with a queued change.
    """
    ownable._check_owner()
    index: uint256 = self._index[underlying]
    assert (
        index != 0 and self._pending_at[index] != 0
    ), "registry: nothing queued"
    self._pending_at[index] = 0
    log IRegistry.RiskParamsCancelled(underlying=underlying)


@external
def list_series(
    underlying: bytes32,
    strike: uint256,
    expiry: uint256,
    is_call: bool,
    oi_cap: uint256,
) -> uint256:
    """
    @notice List a European series. Only the owner.
    @param underlying A configured underlying.
    @param strike WAD quote per unit, in (0, 1e30].
    @param expiry Unix seconds, in the future.
    @param is_call True for a call, False for a put.
    @param oi_cap Largest |traders' net size| in the series, WAD units: the
           exposure the pool may carry on it.
    @return uint256 The series id (from 1).
    @dev Reverts when the underlying has no risk parameters or the series is
         already listed.
    """
    ownable._check_owner()
    index: uint256 = self._index[underlying]
    assert index != 0, "registry: underlying not configured"
    assert (
        strike > 0 and strike <= series_terms.MAX_STRIKE
    ), "registry: strike out of range"
    assert (
        expiry > block.timestamp and expiry <= series_terms.MAX_EXPIRY
    ), "registry: expiry out of range"
    key: bytes32 = keccak256(abi_encode(underlying, strike, expiry, is_call))
    assert self._series_key[key] == 0, "registry: series already listed"
    series_id: uint256 = self.series_count + 1
    assert series_id <= MAX_SERIES_ID, "registry: too many series"
    self.series_count = series_id
    self._series_key[key] = series_id
    self._terms[series_id] = series_terms._pack(
        series_terms.Terms(strike=strike, expiry=expiry, is_call=is_call), index
    )
    self._cap[series_id] = oi_cap
    log IRegistry.SeriesListed(
        series_id=series_id,
        underlying=underlying,
        strike=strike,
        expiry=expiry,
        is_call=is_call,
        oi_cap=oi_cap,
    )
    return series_id


@external
def set_series_cap(series_id: uint256, oi_cap: uint256):
    """
    @notice Change a series' cap on |traders' net size|. Lowering it below the
            current exposure only blocks trades that increase it. Only the owner.
    @param series_id A listed series.
    @param oi_cap The new cap, WAD units.
    """
    ownable._check_owner()
    assert self._terms[series_id] != 0, "registry: unlisted series"
    self._cap[series_id] = oi_cap
    log IRegistry.SeriesCapSet(series_id=series_id, oi_cap=oi_cap)


@external
def set_max_utilisation(max_utilisation: uint256):
    """
    @notice Set the pool's utilisation limit. Only the owner.
    @param max_utilisation Strike notional the pool may carry per unit of
           its cash, WAD, in (0, 20e18].
    """
    ownable._check_owner()
    self._set_max_utilisation(max_utilisation)


@external
def set_guardian(guardian: address):
    """
    @notice Replace the guardian. Only the owner.
    @param guardian The new guardian (may be empty: nobody but the owner pauses).
    """
    ownable._check_owner()
    self.guardian = guardian
    log IRegistry.GuardianSet(guardian=guardian)


@external
def set_paused(paused: bool):
    """
    @notice Pause or resume new risk (open, remove collateral). The guardian
            or the owner may pause; only the owner may resume. Closing, adding
            collateral, liquidation, settlement, deposits and withdrawals of
            free balance are never paused.
    @param paused True to pause.
    """
    if paused:
        assert (
            msg.sender == self.guardian or msg.sender == ownable.owner
        ), "registry: not guardian"
    else:
        ownable._check_owner()
    config: uint256 = self._config & (PAUSED_BIT - 1)
    if paused:
        config |= PAUSED_BIT
    self._config = config
    log IRegistry.PausedSet(paused=paused)


# ==================================================================== views


@external
@view
def listing(
    series_ids: uint256[constants.MAX_LEGS], n: uint256, detail: uint256
) -> IRegistry.Listing:
    """
    @notice Everything the clearing house needs to act on a vault's legs.
    @param series_ids The legs' series ids (the first `n` are used).
    @param n Number of legs, at most 4.
    @param detail `constants.LISTING_TERMS`: terms only (settling a vault);
           `LISTING_PRICED`: also the pricing parameters (health);
           `LISTING_TRADED`: also the trading parameters (liquidation
           penalties, spread, minimum size: closing, liquidating);
           `LISTING_OPENING`: also the limits (caps, pause flag, utilisation
           limit) that only an opening checks; `LISTING_WITHDRAWAL`: the
           pricing parameters and the pause flag (removing collateral).
    @return IRegistry.Listing Underlying of the first leg, each leg's
            underlying index (0: unlisted) and terms, and what `detail`
            asks for (zero otherwise).
    """
    assert detail <= constants.LISTING_WITHDRAWAL, "registry: unknown detail"
    opening: bool = detail == constants.LISTING_OPENING
    out: IRegistry.Listing = empty(IRegistry.Listing)
    for i: uint256 in range(n, bound=constants.MAX_LEGS):
        word: uint256 = self._terms[series_ids[i]]
        out.indexes[i] = series_terms._index(word)
        out.terms[i] = series_terms._unpack(word)
        if opening:
            out.limits.caps[i] = self._cap[series_ids[i]]
    index: uint256 = out.indexes[0]
    if index != 0:
        out.underlying = self._underlying[index]
        if detail != constants.LISTING_TERMS:
            trading: uint256 = 0
            if detail == constants.LISTING_TRADED or opening:
                trading = self._trading[index]
            out.params = risk._unpack(self._pricing[index], trading)
    if opening or detail == constants.LISTING_WITHDRAWAL:
        config: uint256 = self._config
        out.limits.paused = config & PAUSED_BIT != 0
        out.limits.max_utilisation = config & (PAUSED_BIT - 1)
    return out


@external
@view
def terms_many(
    series_ids: DynArray[uint256, constants.MAX_ACTIVE_SERIES]
) -> DynArray[IRegistry.SeriesInfo, constants.MAX_ACTIVE_SERIES]:
    """
    @notice Underlying, terms and cap of each series, in order.
    @param series_ids Series ids.
    @return DynArray[IRegistry.SeriesInfo, 32] One entry per id (all zero
            when not listed).
    """
    out: DynArray[IRegistry.SeriesInfo, constants.MAX_ACTIVE_SERIES] = []
    for series_id: uint256 in series_ids:
        out.append(self._series(series_id))
    return out


@external
@view
def series(series_id: uint256) -> IRegistry.SeriesInfo:
    """
    @notice A series' underlying, terms and cap.
    @param series_id A series id (from 1).
    @return IRegistry.SeriesInfo All zero when not listed.
    """
    return self._series(series_id)


@external
@view
def risk_params(underlying: bytes32) -> risk.RiskParams:
    """
    @notice The risk parameters of `underlying`.
    @param underlying Feed id.
    @return risk.RiskParams WAD; all zero when not configured.
    """
    index: uint256 = self._index[underlying]
    return risk._unpack(self._pricing[index], self._trading[index])


@external
@view
def pending_risk_params(underlying: bytes32) -> (risk.RiskParams, uint256):
    """
    @notice The queued change of `underlying`'s risk parameters, if any.
    @param underlying Feed id.
    @return risk.RiskParams The queued parameters (all zero when none).
    @return uint256 The earliest time it may take effect, unix seconds; 0
            when none is queued.
    """
    index: uint256 = self._index[underlying]
    effective_at: uint256 = self._pending_at[index]
    if index == 0 or effective_at == 0:
        return empty(risk.RiskParams), 0
    return (
        risk._unpack(
            self._pending_pricing[index], self._pending_trading[index]
        ),
        effective_at,
    )


@external
@view
def min_size(underlying: bytes32) -> uint256:
    """
    @notice The smallest |size| of a leg of `underlying` (and of what a
            partial liquidation may leave), WAD units.
    @param underlying Feed id.
    @return uint256 WAD units; 0 when not configured.
    """
    return risk._unpack(0, self._trading[self._index[underlying]]).min_size


@external
@view
def underlying(index: uint256) -> bytes32:
    """
    @notice The underlying configured with `index` (from 1, in order of
            configuration).
    @param index In [1, underlying_count].
    @return bytes32 Feed id; empty beyond the count.
    """
    return self._underlying[index]


@external
@view
def paused() -> bool:
    """
    @notice Whether new risk (open, remove collateral) is paused.
    @return bool The pause flag.
    """
    return self._config & PAUSED_BIT != 0


@external
@view
def max_utilisation() -> uint256:
    """
    @notice Strike notional the pool may carry per unit of its cash, WAD.
    @return uint256 The limit, WAD.
    """
    return self._config & (PAUSED_BIT - 1)


# ================================================================ internals


@internal
def _set_max_utilisation(max_utilisation: uint256):
    assert (
        max_utilisation > 0 and max_utilisation <= MAX_UTILISATION_LIMIT
    ), "registry: utilisation"
    self._config = (self._config & PAUSED_BIT) | max_utilisation
    log IRegistry.MaxUtilisationSet(max_utilisation=max_utilisation)


@internal
@view
def _series(series_id: uint256) -> IRegistry.SeriesInfo:
    word: uint256 = self._terms[series_id]
    index: uint256 = series_terms._index(word)
    if index == 0:
        return empty(IRegistry.SeriesInfo)
    t: series_terms.Terms = series_terms._unpack(word)
    return IRegistry.SeriesInfo(
        underlying=self._underlying[index],
        strike=t.strike,
        expiry=t.expiry,
        is_call=t.is_call,
        oi_cap=self._cap[series_id],
    )
