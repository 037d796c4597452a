# pragma version ~=0.4.3
"""
@title ClearingHouse
@notice Ringfence's clearing house. Accounts keep a free balance of the quote
        token; every position is an isolated vault (one owner, its own
        collateral, 1-4 option legs on one underlying) margined from its NET
        Black-Scholes Greeks. Options are futures-style margined against the
        liquidity pool: no premium at open, entry at mark +- a vega-scaled
        spread, P&L = size * (mark - entry), settlement at the oracle's
        settlement price. Unhealthy vaults are liquidated partially (closed
        form) or wholly by anyone; a shortfall is paid by the insurance fund,
        then the pool, never by the owner's free balance or another vault.
@dev Units: prices, sizes, Greeks, equity and margin are WAD (1e18 = 1.0);
     balances, collateral, costs and rewards are base units of the quote
     token. Every conversion rounds against the trader. The clearing house
     holds exactly sum(free balances) + sum(vault collateral) + insurance
     fund of the quote token; the pool holds its own cash (SPEC 4.2).
     The insurance fund is an accounting bucket in this contract, fed by
     liquidation fees and donations (`fund_insurance`).
     Collateral enters a vault only from the owner's free balance: one entry
     path for tokens (`deposit`, which checks the balance delta).
"""

from ethereum.ercs import IERC20
from ethereum.ercs import IERC20Detailed
from snekmate.auth import ownable
from snekmate.auth import ownable_2step

from .interfaces import IClearingHouse
from .interfaces import ILiquidityPool
from .interfaces import IMarginEngine
from .interfaces import IOracle
from .lib import margin
from .lib import position_store
from .lib import settlement

implements: IClearingHouse

initializes: ownable
initializes: ownable_2step[ownable := ownable]
initializes: position_store

exports: (
    ownable_2step.owner,
    ownable_2step.pending_owner,
    ownable_2step.transfer_ownership,
    ownable_2step.accept_ownership,
)


# ================================================================ constants

WAD: constant(uint256) = 10**18
IWAD: constant(int256) = 10**18
MAX_LEGS: constant(uint256) = 4
# @dev The ABI takes up to 8 legs so 5-8 get a clear revert message.
MAX_INPUT_LEGS: constant(uint256) = 8
MAX_BATCH: constant(uint256) = 50
# @dev Bound on the series the pool's NAV loops over.
MAX_ACTIVE_SERIES: constant(uint256) = 32
# @dev Largest |size| of one leg, WAD (a billion units).
MAX_SIZE: constant(uint256) = 10**27
MAX_STRIKE: constant(uint256) = 10**30
MAX_EXPIRY: constant(uint256) = 2**64 - 1
# @dev Hard limit of the pool utilisation: strike notional / pool cash.
MAX_UTILISATION_LIMIT: constant(uint256) = 20 * 10**18
# @dev Fields of the packed risk-parameter word (see `margin._pack`), ppm.
FIELD_LIQUIDATION_REWARD: constant(uint256) = 128
FIELD_INSURANCE_FEE: constant(uint256) = 160
FIELD_SPREAD_VOL: constant(uint256) = 192
PPM_UNIT: constant(uint256) = 10**12


# =============================================================== immutables

TOKEN: public(immutable(IERC20))
ORACLE: public(immutable(IOracle))
ENGINE: public(immutable(IMarginEngine))
# @dev 10**(18 - decimals): base units to WAD.
SCALE: public(immutable(uint256))


# ================================================================== structs


struct Vault:
    owner: address
    n: uint256
    underlying: bytes32
    collateral: uint256
    series: uint256[MAX_LEGS]
    terms: uint256[MAX_LEGS]
    sizes: int256[MAX_LEGS]
    entries: uint256[MAX_LEGS]


struct Outcome:
    returned: uint256
    shortfall: uint256
    reward: uint256
    fee: uint256


# ================================================================== storage

pool: public(ILiquidityPool)
guardian: public(address)
paused: public(bool)
# @dev Strike notional the pool may carry per unit of its cash, WAD.
max_utilisation: public(uint256)
# @dev sum over series of |pool net size| * strike, WAD quote.
locked_notional: public(uint256)

_free: HashMap[address, uint256]
_insurance: uint256

series_count: public(uint256)
_series_underlying: HashMap[uint256, bytes32]
# @dev strike (bits 0-127) | expiry (bits 128-191) | is_call (bit 192).
_series_terms: HashMap[uint256, uint256]
_series_cap: HashMap[uint256, uint256]
_series_key: HashMap[bytes32, uint256]
# @dev The pool's book per series: traders' net size (WAD), sum of
#      size * entry (WAD quote) and the number of open legs.
series_net_size: public(HashMap[uint256, int256])
series_size_entry: public(HashMap[uint256, int256])
series_open_legs: public(HashMap[uint256, uint256])
_active: DynArray[uint256, MAX_ACTIVE_SERIES]
# @dev Index + 1 in `_active`; 0 when not active.
_active_index: HashMap[uint256, uint256]

# @dev Packed risk parameters (`margin._pack`); decode with MarginEngine.unpack_params.
risk_word: public(HashMap[bytes32, uint256])
min_size: public(HashMap[bytes32, uint256])


# ===================================================================== init


@deploy
def __init__(
    token: IERC20,
    engine: IMarginEngine,
    guardian: address,
    max_utilisation: uint256,
):
    """
    @notice Deploy the clearing house; the deployer becomes the owner.
    @param token Quote (collateral) token, at most 18 decimals.
    @param engine The margin engine (MarginEngine.vy); its oracle is ours.
    @param guardian Account that may pause new risk.
    @param max_utilisation Strike notional the pool may carry per unit of its
           cash, WAD (e.g. 5e18), at most 20e18.
    """
    decimals: uint8 = staticcall IERC20Detailed(token.address).decimals()
    assert decimals <= 18, "clearing: decimals > 18"
    assert (
        max_utilisation > 0 and max_utilisation <= MAX_UTILISATION_LIMIT
    ), "clearing: utilisation"
    TOKEN = token
    ENGINE = engine
    ORACLE = IOracle(staticcall engine.ORACLE())
    SCALE = 10**convert(18 - decimals, uint256)
    ownable.__init__()
    ownable_2step.__init__()
    position_store.__init__()
    self.guardian = guardian
    self.max_utilisation = max_utilisation


# =============================================================== governance


@external
def set_pool(pool: ILiquidityPool):
    """
    @notice Wire the liquidity pool, once. Only the owner.
    @param pool The pool (an ERC-4626 vault of the same quote token).
    """
    ownable._check_owner()
    assert self.pool.address == empty(address), "clearing: pool already set"
    assert pool.address != empty(address), "clearing: zero pool"
    self.pool = pool
    log IClearingHouse.PoolSet(pool=pool.address)


@external
def set_guardian(guardian: address):
    """
    @notice Replace the guardian. Only the owner.
    """
    ownable._check_owner()
    self.guardian = guardian
    log IClearingHouse.GuardianSet(guardian=guardian)


@external
def set_paused(paused: bool):
    """
    @notice Pause or resume new risk (open, remove collateral). The guardian
            or the owner may pause; only the owner may resume. Closing, adding
            collateral, liquidation, settlement, deposits and withdrawals of
            free balance are never paused.
    """
    if paused:
        assert (
            msg.sender == self.guardian or msg.sender == ownable.owner
        ), "clearing: not guardian"
    else:
        ownable._check_owner()
    self.paused = paused
    log IClearingHouse.PausedSet(paused=paused)


@external
def set_risk_params(underlying: bytes32, params: IClearingHouse.RiskParams):
    """
    @notice Set the risk parameters of `underlying`. Only the owner.
    @param params All WAD, each inside the hard limits of `margin`:
           spot_shock h (fraction of spot), vol_shock v (vol points),
           im_factor (IM / MM), min_short_margin (fraction of spot per short
           unit), liquidation_reward and insurance_fee (fractions of the
           closed MM), spread_vol (vol points of vega charged as spread),
           rate (annual, continuously compounded), min_size (units).
    """
    ownable._check_owner()
    self.risk_word[underlying] = staticcall ENGINE.pack_params(params)
    self.min_size[underlying] = params.min_size
    log IClearingHouse.RiskParamsSet(underlying=underlying, params=params)


@external
def set_max_utilisation(max_utilisation: uint256):
    """
    @notice Strike notional the pool may carry per unit of its cash, WAD.
    """
    ownable._check_owner()
    assert (
        max_utilisation > 0 and max_utilisation <= MAX_UTILISATION_LIMIT
    ), "clearing: utilisation"
    self.max_utilisation = max_utilisation
    log IClearingHouse.MaxUtilisationSet(max_utilisation=max_utilisation)


@external
def list_series(
    underlying: bytes32,
    strike: uint256,
    expiry: uint256,
    is_call: bool,
    oi_cap: uint256,
) -> uint256:
    """
    @notice List a European series; returns its id (from 1). Only the owner.
    @param strike WAD quote per unit, in (0, 1e30].
    @param expiry Unix seconds, in the future.
    @param oi_cap Largest |traders' net size| in the series, WAD units: the
           exposure the pool may carry on it.
    @dev Reverts when the underlying has no risk parameters, the series is
         already listed or MAX_ACTIVE_SERIES are active.
    """
    ownable._check_owner()
    assert (
        self.risk_word[underlying] != 0
    ), "clearing: underlying not configured"
    assert strike > 0 and strike <= MAX_STRIKE, "clearing: strike"
    assert expiry > block.timestamp and expiry <= MAX_EXPIRY, "clearing: expiry"
    key: bytes32 = keccak256(abi_encode(underlying, strike, expiry, is_call))
    assert self._series_key[key] == 0, "clearing: series already listed"
    assert (
        len(self._active) < MAX_ACTIVE_SERIES
    ), "clearing: too many active series"
    series_id: uint256 = self.series_count + 1
    self.series_count = series_id
    self._series_key[key] = series_id
    self._series_underlying[series_id] = underlying
    call_bit: uint256 = 0
    if is_call:
        call_bit = 1
    self._series_terms[series_id] = strike | expiry << 128 | call_bit << 192
    self._series_cap[series_id] = oi_cap
    self._active.append(series_id)
    self._active_index[series_id] = len(self._active)
    log IClearingHouse.SeriesListed(
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
    @notice Change a series' cap on |traders' net size| (WAD). Lowering it
            below the current exposure only blocks trades that increase it.
    """
    ownable._check_owner()
    assert self._series_terms[series_id] != 0, "clearing: unlisted series"
    self._series_cap[series_id] = oi_cap
    log IClearingHouse.SeriesCapSet(series_id=series_id, oi_cap=oi_cap)


@external
def prune_series(series_id: uint256):
    """
    @notice Drop an expired series with no open legs from the active list
            (the pool's NAV loop). Anyone.
    """
    assert self._active_index[series_id] != 0, "clearing: not active"
    strike: uint256 = 0
    expiry: uint256 = 0
    is_call: bool = False
    strike, expiry, is_call = self._terms(series_id)
    assert expiry <= block.timestamp, "clearing: not expired"
    assert self.series_open_legs[series_id] == 0, "clearing: open legs"
    self._deactivate(series_id)


# ================================================================= accounts


@external
@nonreentrant
def deposit(amount: uint256):
    """
    @notice Move `amount` quote tokens from the caller into their free balance.
    @param amount Base units of the quote token; > 0. Needs an allowance.
    @dev Reverts for tokens that deliver less than `amount` (fee on transfer).
    """
    assert amount > 0, "clearing: zero amount"
    before: uint256 = staticcall TOKEN.balanceOf(self)
    assert extcall TOKEN.transferFrom(
        msg.sender, self, amount, default_return_value=True
    ), "clearing: transfer failed"
    received: uint256 = staticcall TOKEN.balanceOf(self) - before
    assert received == amount, "clearing: fee-on-transfer token"
    self._free[msg.sender] += amount
    log IClearingHouse.Deposited(account=msg.sender, amount=amount)


@external
@nonreentrant
def withdraw(amount: uint256):
    """
    @notice Send `amount` of the caller's free balance to the caller.
    @param amount Base units; > 0 and at most the free balance.
    """
    self._debit_free(msg.sender, amount)
    self._send(msg.sender, amount)
    log IClearingHouse.Withdrawn(account=msg.sender, amount=amount)


@external
@nonreentrant
def fund_insurance(amount: uint256):
    """
    @notice Donate `amount` of the caller's free balance to the insurance fund.
    @param amount Base units; > 0 and at most the free balance.
    """
    self._debit_free(msg.sender, amount)
    self._insurance += amount
    log IClearingHouse.InsuranceFunded(account=msg.sender, amount=amount)


# ================================================================ positions


@external
@nonreentrant
def open_position(
    legs: DynArray[IClearingHouse.Leg, MAX_INPUT_LEGS],
    collateral: uint256,
    max_cost: uint256,
) -> uint256:
    """
    @notice Open an isolated vault with 1-4 legs on one underlying, funded
            with `collateral` from the caller's free balance. Each leg enters
            at mark + spread (long) or mark - spread (short); the spread,
            |size| * spread_vol * vega, is the trader's opening cost, owed to
            the pool through the entry price.
    @param legs (series id, signed size WAD; long > 0, short < 0).
    @param collateral Base units moved from the free balance into the vault.
    @param max_cost Largest acceptable total spread cost, base units.
    @return The new position id.
    @dev Reverts when paused, on 0 or > 4 legs, unlisted, expired, duplicate
         or mixed-underlying series, |size| below the minimum, a stale
         oracle, cost above `max_cost`, collateral below the initial margin,
         a series cap or the pool utilisation limit.
    """
    assert not self.paused, "clearing: paused"
    n: uint256 = len(legs)
    assert n > 0, "clearing: no legs"
    assert n <= MAX_LEGS, "clearing: too many legs"
    assert self.pool.address != empty(address), "clearing: no pool"
    v: Vault = empty(Vault)
    v.owner = msg.sender
    v.n = n
    v.collateral = collateral
    v.underlying = self._series_underlying[legs[0].series_id]
    assert v.underlying != empty(bytes32), "clearing: unlisted series"
    leg_min: uint256 = self.min_size[v.underlying]
    for i: uint256 in range(n, bound=MAX_LEGS):
        leg: IClearingHouse.Leg = legs[i]
        assert (
            self._series_terms[leg.series_id] != 0
        ), "clearing: unlisted series"
        assert (
            self._series_underlying[leg.series_id] == v.underlying
        ), "clearing: mixed underlyings"
        for j: uint256 in range(i, bound=MAX_LEGS):
            assert v.series[j] != leg.series_id, "clearing: duplicate series"
        assert (
            convert(abs(leg.size), uint256) >= leg_min
        ), "clearing: size below minimum"
        assert (
            convert(abs(leg.size), uint256) <= MAX_SIZE
        ), "clearing: size too large"
        assert (self._series_terms[leg.series_id] >> 128) & (
            2**64 - 1
        ) > block.timestamp, "clearing: series expired"
        v.series[i] = leg.series_id
        v.terms[i] = self._series_terms[leg.series_id]
        v.sizes[i] = leg.size

    word: uint256 = self.risk_word[v.underlying]
    pr: IMarginEngine.Valuation = self._price(v, word)
    spread_vol: uint256 = self._param(word, FIELD_SPREAD_VOL)
    locked_before: uint256 = self.locked_notional
    cost: uint256 = 0
    for i: uint256 in range(n, bound=MAX_LEGS):
        spread: uint256 = spread_vol * pr.vegas[i] // WAD
        mark: uint256 = pr.marks[i]
        if v.sizes[i] > 0:
            v.entries[i] = mark + spread
        else:
            v.entries[i] = mark - min(spread, mark)
        per_unit: uint256 = (
            v.entries[i] - mark if v.sizes[i] > 0 else mark - v.entries[i]
        )
        cost += convert(abs(v.sizes[i]), uint256) * per_unit // WAD
        self._book_add(v.series[i], v.sizes[i], v.entries[i])

    cost_tokens: uint256 = settlement._tokens_up(cost, SCALE)
    assert cost_tokens <= max_cost, "clearing: cost above max"
    equity: int256 = convert(collateral * SCALE, int256) - convert(cost, int256)
    assert equity >= convert(
        pr.initial, int256
    ), "clearing: collateral below initial margin"
    if self.locked_notional > locked_before:
        self._check_utilisation()

    self._debit_free(msg.sender, collateral)
    position_id: uint256 = position_store._create(msg.sender, n, collateral)
    log IClearingHouse.PositionOpened(
        position_id=position_id,
        owner=msg.sender,
        underlying=v.underlying,
        collateral=collateral,
        cost=cost_tokens,
        n_legs=n,
    )
    for i: uint256 in range(n, bound=MAX_LEGS):
        position_store._set_leg(
            position_id, i, v.series[i], v.sizes[i], v.entries[i]
        )
        log IClearingHouse.LegOpened(
            position_id=position_id,
            series_id=v.series[i],
            size=v.sizes[i],
            entry_price=v.entries[i],
        )
    return position_id


@external
@nonreentrant
def add_collateral(position_id: uint256, amount: uint256):
    """
    @notice Move `amount` from the owner's free balance into the vault. Never
            paused; needs no oracle.
    @param amount Base units; > 0.
    @dev Reverts unless the caller owns the open vault.
    """
    owner: address = self._owner_of(position_id)
    self._debit_free(owner, amount)
    total: uint256 = position_store.collateral[position_id] + amount
    position_store.collateral[position_id] = total
    log IClearingHouse.CollateralChanged(
        position_id=position_id,
        owner=owner,
        delta=convert(amount, int256),
        collateral=total,
    )


@external
@nonreentrant
def remove_collateral(position_id: uint256, amount: uint256):
    """
    @notice Move `amount` from the vault to the owner's free balance, keeping
            equity >= initial margin at a fresh oracle.
    @param amount Base units; > 0.
    @dev Reverts when paused, not the owner, above the collateral, when the
         rest would be below IM, or on a stale oracle.
    """
    assert not self.paused, "clearing: paused"
    owner: address = self._owner_of(position_id)
    assert amount > 0, "clearing: zero amount"
    v: Vault = self._load(position_id)
    assert amount <= v.collateral, "clearing: above collateral"
    pr: IMarginEngine.Valuation = self._price(v, self.risk_word[v.underlying])
    # amount <= collateral: cannot underflow
    rest: uint256 = unsafe_sub(v.collateral, amount)
    equity: int256 = convert(rest * SCALE, int256) + self._pnl(v, pr)
    assert equity >= convert(
        pr.initial, int256
    ), "clearing: below initial margin"
    position_store.collateral[position_id] = rest
    self._free[owner] += amount
    log IClearingHouse.CollateralChanged(
        position_id=position_id,
        owner=owner,
        delta=-convert(amount, int256),
        collateral=rest,
    )


@external
@nonreentrant
def close_position(position_id: uint256, max_cost: uint256) -> int256:
    """
    @notice Close every leg at mark -+ spread and return what is left of the
            vault to the owner's free balance. Never paused.
    @param max_cost Largest acceptable total spread cost, base units.
    @return Realised P&L of the vault, WAD quote (spread included).
    @dev Reverts unless the caller owns the open vault, on a stale oracle, or
         when the cost exceeds `max_cost`. A loss beyond the collateral is a
         shortfall paid by the insurance fund, then the pool.
    """
    owner: address = self._owner_of(position_id)
    v: Vault = self._load(position_id)
    word: uint256 = self.risk_word[v.underlying]
    pr: IMarginEngine.Valuation = self._price(v, word)
    spread_vol: uint256 = self._param(word, FIELD_SPREAD_VOL)
    pnl: int256 = 0
    cost: uint256 = 0
    for i: uint256 in range(v.n, bound=MAX_LEGS):
        spread: uint256 = spread_vol * pr.vegas[i] // WAD
        mark: uint256 = pr.marks[i]
        exit: uint256 = mark
        if v.sizes[i] > 0:
            exit = mark - min(spread, mark)
            cost += convert(v.sizes[i], uint256) * (mark - exit) // WAD
        else:
            exit = mark + spread
            cost += convert(-v.sizes[i], uint256) * spread // WAD
        pnl += (
            v.sizes[i]
            * (convert(exit, int256) - convert(v.entries[i], int256)) // IWAD
        )
        self._book_remove(v.series[i], v.sizes[i], v.entries[i])
    cost_tokens: uint256 = settlement._tokens_up(cost, SCALE)
    assert cost_tokens <= max_cost, "clearing: cost above max"
    position_store._delete(position_id, v.n)
    o: Outcome = self._wind_down(
        position_id, owner, v.collateral, pnl, 0, 0, empty(address)
    )
    log IClearingHouse.PositionClosed(
        position_id=position_id,
        owner=owner,
        pnl=pnl,
        cost=cost_tokens,
        returned=o.returned,
        shortfall=o.shortfall,
    )
    return pnl


@external
@nonreentrant
def liquidate(position_id: uint256) -> uint256:
    """
    @notice Liquidate a vault whose equity is below maintenance margin:
            close the smallest fraction of every leg that leaves the rest at
            equity >= IM, or the whole vault when that is impossible. The
            caller's free balance receives the reward. Permissionless.
    @return Fraction closed, WAD (1e18 = the whole vault).
    @dev Reverts for a vault that is not open or is healthy, and on a stale
         oracle; never for an unhealthy vault, bad debt included.
    """
    assert (
        position_store._owner_and_count(position_id)[1] != 0
    ), "clearing: no position"
    fraction: uint256 = self._liquidate(position_id, msg.sender)
    assert fraction != 0, "clearing: healthy position"
    return fraction


@external
@nonreentrant
def liquidate_many(position_ids: DynArray[uint256, MAX_BATCH]) -> uint256:
    """
    @notice `liquidate` every open, unhealthy vault in the list; skips the
            others (so competing keepers do not revert each other).
    @return Number of vaults liquidated.
    """
    count: uint256 = 0
    for position_id: uint256 in position_ids:
        if position_store._owner_and_count(position_id)[1] == 0:
            continue
        if self._liquidate(position_id, msg.sender) != 0:
            count += 1
    return count


@external
@nonreentrant
def settle(position_id: uint256) -> int256:
    """
    @notice Settle a vault whose legs have all expired, at the oracle's
            settlement prices; the rest goes to the owner's free balance.
            Permissionless; needs no fresh spot.
    @return Realised P&L, WAD quote.
    @dev Reverts for a vault that is not open, before every expiry, or before
         every settlement price is fixed.
    """
    assert (
        position_store._owner_and_count(position_id)[1] != 0
    ), "clearing: no position"
    ok: bool = False
    pnl: int256 = 0
    ok, pnl = self._settle(position_id, True)
    return pnl


@external
@nonreentrant
def settle_many(position_ids: DynArray[uint256, MAX_BATCH]) -> uint256:
    """
    @notice `settle` every open, settleable vault in the list; skips others.
    @return Number of vaults settled.
    """
    count: uint256 = 0
    for position_id: uint256 in position_ids:
        if position_store._owner_and_count(position_id)[1] == 0:
            continue
        ok: bool = False
        pnl: int256 = 0
        ok, pnl = self._settle(position_id, False)
        if ok:
            count += 1
    return count


# ==================================================================== views


@view
@external
def health(position_id: uint256) -> (int256, uint256, uint256):
    """
    @notice (equity, initial margin, maintenance margin) of a vault, all WAD
            quote; (0, 0, 0) for an id that is not open.
    @dev Equity = collateral + sum size * (mark - entry). Reverts on a stale oracle.
    """
    h: IClearingHouse.Health = self._health(position_id)
    return h.equity, h.initial, h.maintenance


@view
@external
def health_many(
    position_ids: DynArray[uint256, MAX_BATCH]
) -> DynArray[IClearingHouse.Health, MAX_BATCH]:
    """
    @notice `health` for every id, in order.
    """
    out: DynArray[IClearingHouse.Health, MAX_BATCH] = []
    for position_id: uint256 in position_ids:
        out.append(self._health(position_id))
    return out


@view
@external
def is_liquidatable(position_id: uint256) -> bool:
    """
    @notice True when the vault is open and equity < maintenance margin.
    """
    if position_store._owner_and_count(position_id)[1] == 0:
        return False
    h: IClearingHouse.Health = self._health(position_id)
    return h.equity < convert(h.maintenance, int256)


@view
@external
def position(position_id: uint256) -> IClearingHouse.Position:
    """
    @notice Owner, underlying, collateral (base units) and legs (series id,
            size WAD, entry price WAD) of a vault; empty when not open.
    """
    v: Vault = self._load(position_id)
    legs: DynArray[IClearingHouse.LegState, MAX_LEGS] = []
    for i: uint256 in range(v.n, bound=MAX_LEGS):
        legs.append(
            IClearingHouse.LegState(
                series_id=v.series[i], size=v.sizes[i], entry_price=v.entries[i]
            )
        )
    return IClearingHouse.Position(
        owner=v.owner,
        underlying=v.underlying,
        collateral=v.collateral,
        legs=legs,
    )


@view
@external
def series(series_id: uint256) -> IClearingHouse.Series:
    """
    @notice Terms and cap of a series; empty when not listed.
    """
    strike: uint256 = 0
    expiry: uint256 = 0
    is_call: bool = False
    strike, expiry, is_call = self._terms(series_id)
    return IClearingHouse.Series(
        underlying=self._series_underlying[series_id],
        strike=strike,
        expiry=expiry,
        is_call=is_call,
        oi_cap=self._series_cap[series_id],
    )


@view
@external
def risk_params(underlying: bytes32) -> IClearingHouse.RiskParams:
    """
    @notice The risk parameters of `underlying`, WAD (all zero when unset).
    """
    word: uint256 = self.risk_word[underlying]
    if word == 0:
        return empty(IClearingHouse.RiskParams)
    return staticcall ENGINE.unpack_params(word, self.min_size[underlying])


@view
@external
def active_series() -> DynArray[uint256, MAX_ACTIVE_SERIES]:
    """
    @notice Ids of the series the pool's NAV counts.
    """
    return self._active


@view
@external
def next_position_id() -> uint256:
    """
    @notice The id the next opened vault will get.
    """
    return position_store.next_id


@view
@external
def pool_liability() -> int256:
    """
    @notice Traders' unrealised P&L over every active series, WAD quote:
            sum of net_size * mark - sum size * entry. Positive = the pool
            owes it. Bounded loop (MAX_ACTIVE_SERIES). Reverts on a stale oracle.
    """
    total: int256 = 0
    last_underlying: bytes32 = empty(bytes32)
    spot: uint256 = 0
    for series_id: uint256 in self._active:
        net: int256 = self.series_net_size[series_id]
        size_entry: int256 = self.series_size_entry[series_id]
        if net == 0 and size_entry == 0:
            continue
        underlying: bytes32 = self._series_underlying[series_id]
        if underlying != last_underlying:
            spot = staticcall ORACLE.price(underlying)
            last_underlying = underlying
        mark: uint256 = staticcall ENGINE.mark(
            underlying,
            self._series_terms[series_id],
            spot,
            self.risk_word[underlying],
        )
        total += net * convert(mark, int256) // IWAD - size_entry
    return total


@view
@external
def required_pool_cash() -> uint256:
    """
    @notice Pool cash (base units) the utilisation limit requires:
            locked strike notional / max_utilisation, rounded up.
    """
    return settlement._tokens_up(
        self.locked_notional * WAD // self.max_utilisation, SCALE
    )


@view
@external
def free_balance(account: address) -> uint256:
    """
    @notice Free balance of `account`, base units.
    """
    return self._free[account]


@view
@external
def insurance_fund() -> uint256:
    """
    @notice The insurance fund, base units.
    """
    return self._insurance


# ================================================================ internals


@internal
def _debit_free(account: address, amount: uint256):
    """
    @dev Take `amount` (> 0) base units from `account`'s free balance.
    """
    assert amount > 0, "clearing: zero amount"
    free: uint256 = self._free[account]
    assert amount <= free, "clearing: insufficient free balance"
    # amount <= free: cannot underflow
    self._free[account] = unsafe_sub(free, amount)


@internal
def _send(receiver: address, amount: uint256):
    assert extcall TOKEN.transfer(
        receiver, amount, default_return_value=True
    ), "clearing: transfer failed"


@internal
def _pool_pay_exact(amount: uint256):
    """
    @dev A trader's gain: the pool must pay it in full.
    """
    assert extcall self.pool.pay(amount) == amount, "clearing: pool cannot pay"


@view
@internal
def _owner_of(position_id: uint256) -> address:
    owner: address = empty(address)
    n: uint256 = 0
    owner, n = position_store._owner_and_count(position_id)
    assert n != 0, "clearing: no position"
    assert owner == msg.sender, "clearing: not owner"
    return owner


@view
@internal
def _terms(series_id: uint256) -> (uint256, uint256, bool):
    word: uint256 = self._series_terms[series_id]
    return word & (2**128 - 1), (word >> 128) & (2**64 - 1), (
        word >> 192
    ) & 1 == 1


@pure
@internal
def _param(word: uint256, offset: uint256) -> uint256:
    """
    @dev One ppm field of the packed risk-parameter word, as WAD.
    """
    return ((word >> offset) & (2**32 - 1)) * PPM_UNIT


@view
@internal
def _load(position_id: uint256) -> Vault:
    v: Vault = empty(Vault)
    v.owner, v.n = position_store._owner_and_count(position_id)
    if v.n == 0:
        return v
    v.collateral = position_store.collateral[position_id]
    for i: uint256 in range(v.n, bound=MAX_LEGS):
        v.series[i], v.sizes[i], v.entries[i] = position_store._leg(
            position_id, i
        )
        v.terms[i] = self._series_terms[v.series[i]]
    v.underlying = self._series_underlying[v.series[0]]
    return v


@view
@internal
def _price(v: Vault, word: uint256) -> IMarginEngine.Valuation:
    """
    @dev Marks, vegas and margin of the vault from the margin engine.
    """
    return staticcall ENGINE.evaluate(v.underlying, v.n, v.terms, v.sizes, word)


@pure
@internal
def _pnl(v: Vault, pr: IMarginEngine.Valuation) -> int256:
    """
    @dev sum size * (mark - entry), WAD quote.
    """
    pnl: int256 = 0
    for i: uint256 in range(v.n, bound=MAX_LEGS):
        pnl += (
            v.sizes[i]
            * (
                convert(pr.marks[i], int256) - convert(v.entries[i], int256)
            ) // IWAD
        )
    return pnl


@view
@internal
def _health(position_id: uint256) -> IClearingHouse.Health:
    v: Vault = self._load(position_id)
    if v.n == 0:
        return empty(IClearingHouse.Health)
    pr: IMarginEngine.Valuation = self._price(v, self.risk_word[v.underlying])
    return IClearingHouse.Health(
        equity=convert(v.collateral * SCALE, int256) + self._pnl(v, pr),
        initial=pr.initial,
        maintenance=pr.maintenance,
    )


@view
@internal
def _check_utilisation():
    """
    @dev locked strike notional <= max_utilisation * pool cash; checked only
         when a trade increases the locked notional, so trades that reduce the
         pool's exposure always pass.
    """
    cash: uint256 = staticcall self.pool.cash()
    assert (
        self.locked_notional <= cash * SCALE * self.max_utilisation // WAD
    ), "clearing: pool utilisation"


@internal
def _book_add(series_id: uint256, size: int256, entry: uint256):
    """
    @dev Add a leg to the pool's book of `series_id`, enforcing its cap on
         |net size| whenever the leg increases it.
    """
    old_net: int256 = self.series_net_size[series_id]
    new_net: int256 = old_net + size
    if abs(new_net) > abs(old_net):
        assert (
            convert(abs(new_net), uint256) <= self._series_cap[series_id]
        ), "clearing: open interest cap"
    self._book_set(
        series_id, old_net, new_net, size * convert(entry, int256) // IWAD
    )
    self.series_open_legs[series_id] += 1


@internal
def _book_remove(series_id: uint256, size: int256, entry: uint256):
    old_net: int256 = self.series_net_size[series_id]
    self._book_set(
        series_id,
        old_net,
        old_net - size, -(size * convert(entry, int256) // IWAD),
    )
    legs: uint256 = self.series_open_legs[series_id] - 1
    self.series_open_legs[series_id] = legs
    if (
        legs == 0
        and (self._series_terms[series_id] >> 128) & (2**64 - 1)
        <= block.timestamp
    ):
        if self._active_index[series_id] != 0:
            self._deactivate(series_id)


@internal
def _book_set(
    series_id: uint256,
    old_net: int256,
    new_net: int256,
    size_entry_delta: int256,
):
    self.series_net_size[series_id] = new_net
    self.series_size_entry[series_id] += size_entry_delta
    strike: uint256 = self._series_terms[series_id] & (2**128 - 1)
    old_locked: uint256 = convert(abs(old_net), uint256) * strike // WAD
    new_locked: uint256 = convert(abs(new_net), uint256) * strike // WAD
    self.locked_notional = self.locked_notional + new_locked - old_locked


@internal
def _deactivate(series_id: uint256):
    """
    @dev Swap-and-pop `series_id` out of the active list.
    """
    index: uint256 = self._active_index[series_id] - 1
    last: uint256 = self._active.pop()
    if last != series_id:
        self._active[index] = last
        self._active_index[last] = index + 1
    self._active_index[series_id] = 0


@internal
def _wind_down(
    position_id: uint256,
    owner: address,
    collateral: uint256,
    pnl: int256,
    reward: uint256,
    fee: uint256,
    liquidator: address,
) -> Outcome:
    """
    @dev Realise a closed vault: the pool pays a gain (rounded down) or is
         paid the loss (rounded up) from the collateral; then the liquidator
         reward and the insurance fee; the rest goes to the owner's free
         balance. What the collateral cannot cover (loss, then reward) is
         a shortfall: paid by the insurance fund, then borne by the pool.
         The owner's free balance and other vaults are never debited.
    """
    o: Outcome = empty(Outcome)
    cash: uint256 = collateral
    to_pool: uint256 = 0
    debt: uint256 = 0
    gain: uint256 = settlement._gain_tokens(pnl, SCALE)
    if gain > 0:
        self._pool_pay_exact(gain)
        cash += gain
    loss: uint256 = settlement._loss_tokens(pnl, SCALE)
    if loss > 0:
        to_pool = min(cash, loss)
        cash -= to_pool
        # to_pool <= loss: cannot underflow
        debt = unsafe_sub(loss, to_pool)
    o.reward = min(cash, reward)
    cash -= o.reward
    reward_short: uint256 = reward - o.reward
    o.fee = min(cash, fee)
    cash -= o.fee
    o.shortfall = debt + reward_short

    insurance: uint256 = self._insurance + o.fee
    insurance_paid: uint256 = 0
    if o.shortfall > 0:
        cover: uint256 = min(insurance, reward_short)
        insurance -= cover
        o.reward += cover
        reward_short -= cover
        cover_debt: uint256 = min(insurance, debt)
        insurance -= cover_debt
        to_pool += cover_debt
        insurance_paid = cover + cover_debt
    self._insurance = insurance

    # net pool flow: the pool pays the rest of the reward, out of what it receives first
    if reward_short > 0:
        from_receipts: uint256 = min(to_pool, reward_short)
        to_pool -= from_receipts
        o.reward += from_receipts
        rest: uint256 = reward_short - from_receipts
        if rest > 0:
            o.reward += extcall self.pool.pay(rest)
    if to_pool > 0:
        self._send(self.pool.address, to_pool)
    if o.shortfall > 0:
        log IClearingHouse.BadDebt(
            position_id=position_id,
            insurance_paid=insurance_paid,
            pool_loss=o.shortfall - insurance_paid,
        )
    if o.reward > 0:
        self._free[liquidator] += o.reward
    o.returned = cash
    if cash > 0:
        self._free[owner] += cash
    return o


@internal
def _liquidate(position_id: uint256, liquidator: address) -> uint256:
    """
    @dev Liquidate if unhealthy; returns the fraction closed (WAD), 0 when
         the vault is healthy. The whole vault goes when no partial close
         restores IM, would leave a dust leg, or exceeds the collateral.
    """
    v: Vault = self._load(position_id)
    word: uint256 = self.risk_word[v.underlying]
    pr: IMarginEngine.Valuation = self._price(v, word)
    equity: int256 = convert(v.collateral * SCALE, int256) + self._pnl(v, pr)
    if equity >= convert(pr.maintenance, int256):
        return 0
    reward_rate: uint256 = self._param(word, FIELD_LIQUIDATION_REWARD)
    fee_rate: uint256 = self._param(word, FIELD_INSURANCE_FEE)
    # head room for token rounding: a few base units plus 1e-6 of IM
    buffer: uint256 = 4 * SCALE + pr.initial // 10**6
    fraction: uint256 = margin._liquidation_fraction(
        equity, pr.initial, pr.maintenance, reward_rate + fee_rate, buffer
    )
    if fraction < WAD:
        if self._liquidate_partial(
            position_id, v, reward_rate, fee_rate, pr, fraction, liquidator
        ):
            return fraction
    pnl: int256 = 0
    for i: uint256 in range(v.n, bound=MAX_LEGS):
        pnl += (
            v.sizes[i]
            * (
                convert(pr.marks[i], int256) - convert(v.entries[i], int256)
            ) // IWAD
        )
        self._book_remove(v.series[i], v.sizes[i], v.entries[i])
    position_store._delete(position_id, v.n)
    reward: uint256 = settlement._tokens_down(
        pr.maintenance * reward_rate // WAD, SCALE
    )
    fee: uint256 = settlement._tokens_down(
        pr.maintenance * fee_rate // WAD, SCALE
    )
    o: Outcome = self._wind_down(
        position_id, v.owner, v.collateral, pnl, reward, fee, liquidator
    )
    log IClearingHouse.PositionLiquidated(
        position_id=position_id,
        owner=v.owner,
        liquidator=liquidator,
        fraction=WAD,
        pnl=pnl,
        reward=o.reward,
        insurance_fee=o.fee,
        returned=o.returned,
        shortfall=o.shortfall,
    )
    return WAD


@internal
def _liquidate_partial(
    position_id: uint256,
    v: Vault,
    reward_rate: uint256,
    fee_rate: uint256,
    pr: IMarginEngine.Valuation,
    fraction: uint256,
    liquidator: address,
) -> bool:
    """
    @dev Close `fraction` of every leg at mark (sizes rounded up), pay the
         reward and fee on fraction * MM from the collateral. Returns False,
         changing nothing, when a remaining leg would be below the minimum
         size or the collateral could not cover it (the caller then closes
         the whole vault).
    """
    closed: int256[MAX_LEGS] = empty(int256[MAX_LEGS])
    leg_min: uint256 = self.min_size[v.underlying]
    pnl: int256 = 0
    for i: uint256 in range(v.n, bound=MAX_LEGS):
        size_abs: uint256 = convert(abs(v.sizes[i]), uint256)
        part: uint256 = (size_abs * fraction + WAD - 1) // WAD
        if size_abs - part < leg_min:
            return False
        closed[i] = (
            convert(part, int256) if v.sizes[i] > 0 else -convert(part, int256)
        )
        pnl += (
            closed[i]
            * (
                convert(pr.marks[i], int256) - convert(v.entries[i], int256)
            ) // IWAD
        )
    charged: uint256 = pr.maintenance * fraction // WAD
    reward: uint256 = settlement._tokens_down(
        charged * reward_rate // WAD, SCALE
    )
    fee: uint256 = settlement._tokens_down(charged * fee_rate // WAD, SCALE)
    gain: uint256 = settlement._gain_tokens(pnl, SCALE)
    loss: uint256 = settlement._loss_tokens(pnl, SCALE)
    if v.collateral + gain < loss + reward + fee:
        return False
    rest: uint256 = v.collateral + gain - loss - reward - fee
    for i: uint256 in range(v.n, bound=MAX_LEGS):
        self._book_resize(
            v.series[i], v.sizes[i], v.sizes[i] - closed[i], v.entries[i]
        )
        position_store._set_leg(
            position_id, i, v.series[i], v.sizes[i] - closed[i], v.entries[i]
        )
    position_store.collateral[position_id] = rest
    log IClearingHouse.CollateralChanged(
        position_id=position_id,
        owner=v.owner,
        delta=convert(rest, int256) - convert(v.collateral, int256),
        collateral=rest,
    )
    if gain > 0:
        self._pool_pay_exact(gain)
    if loss > 0:
        self._send(self.pool.address, loss)
    self._free[liquidator] += reward
    self._insurance += fee
    log IClearingHouse.PositionLiquidated(
        position_id=position_id,
        owner=v.owner,
        liquidator=liquidator,
        fraction=fraction,
        pnl=pnl,
        reward=reward,
        insurance_fee=fee,
        returned=0,
        shortfall=0,
    )
    return True


@internal
def _book_resize(
    series_id: uint256, old_size: int256, new_size: int256, entry: uint256
):
    """
    @dev A leg shrinks from `old_size` to `new_size` at the same entry (partial
         liquidation); its leg count is unchanged. The size * entry term is
         recomputed per leg exactly as `_book_add` / `_book_remove` round it.
    """
    old_net: int256 = self.series_net_size[series_id]
    e: int256 = convert(entry, int256)
    self._book_set(
        series_id,
        old_net,
        old_net - old_size + new_size,
        new_size * e // IWAD - old_size * e // IWAD,
    )


@internal
def _settle(position_id: uint256, strict: bool) -> (bool, int256):
    """
    @dev Settle at the settlement prices; with `strict` a vault that cannot
         settle yet reverts, otherwise it returns (False, 0).
    """
    v: Vault = self._load(position_id)
    pnl: int256 = 0
    for i: uint256 in range(v.n, bound=MAX_LEGS):
        strike: uint256 = 0
        expiry: uint256 = 0
        is_call: bool = False
        strike, expiry, is_call = self._terms(v.series[i])
        if expiry > block.timestamp:
            assert not strict, "clearing: not expired"
            return False, 0
        s: uint256 = staticcall ORACLE.settlement_price(v.underlying, expiry)
        if s == 0:
            assert not strict, "clearing: no settlement price"
            return False, 0
        payoff: int256 = convert(settlement._payoff(is_call, s, strike), int256)
        pnl += v.sizes[i] * (payoff - convert(v.entries[i], int256)) // IWAD
    for i: uint256 in range(v.n, bound=MAX_LEGS):
        self._book_remove(v.series[i], v.sizes[i], v.entries[i])
    position_store._delete(position_id, v.n)
    o: Outcome = self._wind_down(
        position_id, v.owner, v.collateral, pnl, 0, 0, empty(address)
    )
    log IClearingHouse.PositionSettled(
        position_id=position_id,
        owner=v.owner,
        pnl=pnl,
        returned=o.returned,
        shortfall=o.shortfall,
    )
    return True, pnl
