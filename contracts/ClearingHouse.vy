# pragma version ~=0.4.3
"""
@title ClearingHouse
@notice Ringfence's clearing house. Accounts keep a free balance of the quote
        token; every position is an isolated vault (one owner, its own
        collateral, 1-4 option legs on one underlying) margined from its NET
        risk. Options are futures-style margined against the liquidity pool:
        no premium at open, entry at mark +- a vega-scaled spread, P&L =
        size * (mark - entry), settlement at the oracle's settlement price.
        Unhealthy vaults are liquidated partially (closed form) or wholly by
        anyone; a shortfall is paid by the insurance fund, then the pool,
        never by the owner's free balance or another vault.
@dev Units: prices, sizes, Greeks, equity and margin are WAD (1e18 = 1.0);
     balances, collateral, costs and rewards are base units of the quote
     token. Every conversion rounds against the trader. The clearing house
     holds exactly sum(free balances) + sum(vault collateral) + insurance
     fund of the quote token; the pool holds its own cash (SPEC 4.2).
     What is listed and on what terms is the registry's; marks and margin are
     the margin engine's; the pool's book is the pool's. This contract keeps
     the accounts and the vaults, and moves tokens.
     Collateral enters a vault only from the owner's free balance: one entry
     path for tokens (`deposit`, which checks the balance delta).
     After every change to a vault it emits `VaultState` with the result.
@custom:kill There is no kill switch: the registry's guardian pauses new
     risk (open, remove collateral); closing, adding collateral,
     liquidation, settlement, deposits and withdrawals never stop.
"""

from ethereum.ercs import IERC20
from ethereum.ercs import IERC20Detailed

from .interfaces import IClearingHouse
from .interfaces import ILiquidityPool
from .interfaces import IMarginEngine
from .interfaces import IOracle
from .interfaces import IRegistry
from .lib import constants
from .lib import margin
from .lib import payoff
from .lib import position_store
from .lib import token_units

implements: IClearingHouse

initializes: position_store

# ================================================================ constants

# @dev Largest |size| of one leg, WAD (a billion units).
MAX_SIZE: constant(uint256) = 10**27
# @dev After this long past its last expiry, anyone who settles a vault for its
#      owner earns its liquidation deposit (docs/solvency.md, "Dust").
SETTLE_GRACE: constant(uint256) = 86_400

# =============================================================== immutables

TOKEN: public(immutable(IERC20))
REGISTRY: public(immutable(IRegistry))
ENGINE: public(immutable(IMarginEngine))
ORACLE: public(immutable(IOracle))
# @dev 10**(18 - decimals): base units to WAD.
SCALE: public(immutable(uint256))
# @dev Base units taken from the owner at open beside the collateral, outside the
#      vault's equity: returned on close and settlement, paid to whoever
#      liquidates the whole vault, so that even a minimum-size vault is worth
#      liquidating (docs/solvency.md, "Dust").
LIQUIDATION_DEPOSIT: public(immutable(uint256))

# ================================================================== structs


# @dev A vault as loaded from `position_store`.
struct Loaded:
    owner: address
    n: uint256
    collateral: uint256
    series: uint256[constants.MAX_LEGS]
    sizes: int256[constants.MAX_LEGS]
    entries: uint256[constants.MAX_LEGS]


struct Outcome:
    returned: uint256
    shortfall: uint256
    reward: uint256
    fee: uint256


# ================================================================== storage

pool: public(ILiquidityPool)
_free: HashMap[address, uint256]
_insurance: uint256


# ===================================================================== init


@deploy
def __init__(
    token: IERC20,
    engine: IMarginEngine,
    registry: IRegistry,
    liquidation_deposit: uint256,
):
    """
    @notice Deploy the clearing house. The registry's owner wires the pool
            once with `set_pool`.
    @param token Quote (collateral) token, at most 18 decimals.
    @param engine The margin engine (MarginEngine.vy); its oracle is ours.
    @param registry The registry of series and risk parameters.
    @param liquidation_deposit Base units every vault deposits at open for
           its eventual liquidator (0 for none), at most 2**93 - 1.
    """
    decimals: uint8 = staticcall IERC20Detailed(token.address).decimals()
    assert decimals <= 18, "clearing: decimals > 18"
    TOKEN = token
    ENGINE = engine
    REGISTRY = registry
    ORACLE = IOracle(staticcall engine.ORACLE())
    SCALE = 10**convert(18 - decimals, uint256)
    assert (
        liquidation_deposit <= position_store.MAX_COLLATERAL
    ), "clearing: deposit too large"
    LIQUIDATION_DEPOSIT = liquidation_deposit
    position_store.__init__()


# =================================================================== wiring


@external
def set_pool(pool: ILiquidityPool):
    """
    @notice Wire the liquidity pool, once. Only the registry's owner.
    @param pool The pool (an ERC-4626 vault of the same quote token).
    """
    assert msg.sender == staticcall REGISTRY.owner(), "clearing: not owner"
    assert self.pool.address == empty(address), "clearing: pool already set"
    assert pool.address != empty(address), "clearing: zero pool"
    self.pool = pool
    log IClearingHouse.PoolSet(pool=pool.address)


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
    legs: DynArray[IClearingHouse.Leg, constants.MAX_INPUT_LEGS],
    collateral: uint256,
    max_cost: uint256,
) -> uint256:
    """
    @notice Open an isolated vault with 1-4 legs on one underlying, funded
            with `collateral` (and the liquidation deposit) from the caller's
            free balance. Each leg enters
            at mark + spread (long) or mark - spread (short); the spread,
            |size| * spread_vol * (vega + |delta| * spot), is the trader's
            opening cost, owed to
            the pool through the entry price.
    @param legs (series id, signed size WAD; long > 0, short < 0).
    @param collateral Base units moved from the free balance into the vault.
    @param max_cost Largest acceptable total spread cost, base units.
    @return uint256 The new position id.
    @dev Reverts when paused, on 0 or > 4 legs, unlisted, expired, duplicate
         or mixed-underlying series, |size| below the minimum, a stale
         oracle or a held spot breaker, cost above `max_cost`, collateral below the initial margin,
         a series cap or the pool utilisation limit.
    """
    n: uint256 = len(legs)
    assert n > 0, "clearing: no legs"
    assert n <= constants.MAX_LEGS, "clearing: too many legs"
    assert self.pool.address != empty(address), "clearing: no pool"
    v: Loaded = empty(Loaded)
    v.owner = msg.sender
    v.n = n
    v.collateral = collateral
    for i: uint256 in range(n, bound=constants.MAX_LEGS):
        v.series[i] = legs[i].series_id
        v.sizes[i] = legs[i].size
    l: IRegistry.Listing = staticcall REGISTRY.listing(
        v.series, n, constants.LISTING_OPENING
    )
    assert not l.limits.paused, "clearing: paused"
    assert l.indexes[0] != 0, "clearing: unlisted series"
    self._check_breaker(l.underlying)
    for i: uint256 in range(n, bound=constants.MAX_LEGS):
        assert l.indexes[i] != 0, "clearing: unlisted series"
        assert l.indexes[i] == l.indexes[0], "clearing: mixed underlyings"
        for j: uint256 in range(i, bound=constants.MAX_LEGS):
            assert v.series[j] != v.series[i], "clearing: duplicate series"
        size: uint256 = convert(abs(v.sizes[i]), uint256)
        assert size >= l.params.min_size, "clearing: size below minimum"
        assert size <= MAX_SIZE, "clearing: size too large"
        assert l.terms[i].expiry > block.timestamp, "clearing: series expired"

    pr: IMarginEngine.Valuation = self._price(v, l)
    cost: uint256 = 0
    book: DynArray[ILiquidityPool.BookLeg, constants.MAX_LEGS] = []
    for i: uint256 in range(n, bound=constants.MAX_LEGS):
        spread: uint256 = self._spread(l.params.spread_vol, pr, i)
        mark: uint256 = pr.marks[i]
        per_unit: uint256 = spread
        if v.sizes[i] > 0:
            v.entries[i] = mark + spread
        else:
            per_unit = min(spread, mark)
            # per_unit <= mark: cannot underflow
            v.entries[i] = unsafe_sub(mark, per_unit)
        cost += convert(abs(v.sizes[i]), uint256) * per_unit // constants.WAD
        book.append(
            ILiquidityPool.BookLeg(
                series_id=v.series[i],
                old_size=0,
                new_size=v.sizes[i],
                entry=v.entries[i],
                strike=l.terms[i].strike,
                cap=l.limits.caps[i],
            )
        )

    cost_tokens: uint256 = token_units._up(cost, SCALE)
    assert cost_tokens <= max_cost, "clearing: cost above max"
    # the vault's equity at mark, as `health` computes it (each leg's spread
    # rounded against the trader), not collateral - cost rounded down
    equity: int256 = self._equity(v, pr)
    assert equity >= convert(
        pr.initial, int256
    ), "clearing: collateral below initial margin"
    extcall self.pool.book(book, l.limits.max_utilisation, 0, msg.sender)

    self._debit_free(msg.sender, collateral + LIQUIDATION_DEPOSIT)
    position_id: uint256 = position_store._create(msg.sender, n, collateral)
    log IClearingHouse.PositionOpened(
        position_id=position_id,
        owner=msg.sender,
        underlying=l.underlying,
        collateral=collateral,
        cost=cost_tokens,
        n_legs=n,
    )
    for i: uint256 in range(n, bound=constants.MAX_LEGS):
        position_store._set_leg(
            position_id, i, v.series[i], v.sizes[i], v.entries[i]
        )
        log IClearingHouse.LegOpened(
            position_id=position_id,
            series_id=v.series[i],
            size=v.sizes[i],
            entry_price=v.entries[i],
        )
    log IClearingHouse.VaultState(
        position_id=position_id, collateral=collateral, sizes=v.sizes
    )
    return position_id


@external
@nonreentrant
def add_collateral(position_id: uint256, amount: uint256):
    """
    @notice Move `amount` from the owner's free balance into the vault. Never
            paused; needs no oracle.
    @param position_id An open vault of the caller.
    @param amount Base units; > 0.
    @dev Reverts unless the caller owns the open vault.
    """
    owner: address = self._owner_of(position_id)
    self._debit_free(owner, amount)
    total: uint256 = position_store._collateral(position_id) + amount
    position_store._set_collateral(position_id, total)
    self._log_state(position_id, total)


@external
@nonreentrant
def remove_collateral(position_id: uint256, amount: uint256):
    """
    @notice Move `amount` from the vault to the owner's free balance, keeping
            equity >= initial margin at a fresh oracle.
    @param position_id An open vault of the caller.
    @param amount Base units; > 0.
    @dev Reverts when paused, not the owner, above the collateral, when the
         rest would be below IM, on a stale oracle or a held spot breaker.
    """
    owner: address = self._owner_of(position_id)
    assert amount > 0, "clearing: zero amount"
    v: Loaded = self._load(position_id)
    assert amount <= v.collateral, "clearing: above collateral"
    l: IRegistry.Listing = self._listing(v, constants.LISTING_WITHDRAWAL)
    assert not l.limits.paused, "clearing: paused"
    self._check_breaker(l.underlying)
    pr: IMarginEngine.Valuation = self._price(v, l)
    # amount <= collateral: cannot underflow
    rest: uint256 = unsafe_sub(v.collateral, amount)
    v.collateral = rest
    assert self._equity(v, pr) >= convert(
        pr.initial, int256
    ), "clearing: below initial margin"
    position_store._set_collateral(position_id, rest)
    self._free[owner] += amount
    self._log_state(position_id, rest)


@external
@nonreentrant
def close_position(position_id: uint256, max_cost: uint256) -> int256:
    """
    @notice Close every leg at mark -+ spread and return what is left of the
            vault to the owner's free balance. Never paused.
    @param position_id An open vault of the caller.
    @param max_cost Largest acceptable total spread cost, base units.
    @return int256 Realised P&L of the vault, WAD quote (spread included).
    @dev Reverts unless the caller owns the open vault, on a stale oracle or
         a held spot breaker, or when the cost exceeds `max_cost`. A loss beyond the collateral is a
         shortfall paid by the insurance fund, then the pool.
    """
    owner: address = self._owner_of(position_id)
    v: Loaded = self._load(position_id)
    l: IRegistry.Listing = self._listing(v, constants.LISTING_TRADED)
    self._check_breaker(l.underlying)
    pr: IMarginEngine.Valuation = staticcall ENGINE.quote(
        l.underlying, self._priced_legs(v, l), l.params.rate
    )
    exits: uint256[constants.MAX_LEGS] = empty(uint256[constants.MAX_LEGS])
    cost: uint256 = 0
    for i: uint256 in range(v.n, bound=constants.MAX_LEGS):
        spread: uint256 = self._spread(l.params.spread_vol, pr, i)
        mark: uint256 = pr.marks[i]
        per_unit: uint256 = spread
        if v.sizes[i] > 0:
            per_unit = min(spread, mark)
            # per_unit <= mark: cannot underflow
            exits[i] = unsafe_sub(mark, per_unit)
        else:
            exits[i] = mark + spread
        cost += convert(abs(v.sizes[i]), uint256) * per_unit // constants.WAD
    pnl: int256 = payoff._pnl(v.n, v.sizes, exits, v.entries)
    cost_tokens: uint256 = token_units._up(cost, SCALE)
    assert cost_tokens <= max_cost, "clearing: cost above max"
    position_store._delete(position_id, v.n)
    o: Outcome = self._wind_down(position_id, v, l, pnl, 0, 0, owner)
    log IClearingHouse.PositionClosed(
        position_id=position_id,
        owner=owner,
        pnl=pnl,
        cost=cost_tokens,
        returned=o.returned,
        shortfall=o.shortfall,
    )
    self._log_emptied(position_id)
    return pnl


@external
@nonreentrant
def liquidate(position_id: uint256) -> uint256:
    """
    @notice Liquidate a vault whose equity is below maintenance margin:
            close the smallest fraction of every leg that leaves the rest at
            equity >= IM, or the whole vault when that is impossible. The
            caller's free balance receives the reward. Permissionless.
    @param position_id An open vault.
    @return uint256 Fraction closed, WAD (1e18 = the whole vault).
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
def liquidate_many(
    position_ids: DynArray[uint256, constants.MAX_BATCH]
) -> uint256:
    """
    @notice `liquidate` every open, unhealthy vault in the list; skips the
            others (so competing keepers do not revert each other). Each id is
            processed on its own: one that cannot be (say, its underlying's
            feed is stale) is skipped with `BatchSkipped` and the rest go on,
            in any order of ids.
    @param position_ids Up to 50 vault ids.
    @return uint256 Number of vaults liquidated.
    """
    return self._batch(
        position_ids,
        method_id("liquidate_in_batch(uint256,address)", output_type=bytes4),
    )


@external
def liquidate_in_batch(position_id: uint256, liquidator: address) -> uint256:
    """
    @notice One id of `liquidate_many`, in its own call frame so that a
            revert undoes only this id. Only the clearing house itself.
    @param position_id An open vault.
    @param liquidator Who receives the reward.
    @return uint256 Fraction closed, WAD; 0 for a healthy vault.
    @dev Not guarded by the reentrancy lock: `liquidate_many` holds it.
    """
    assert msg.sender == self, "clearing: internal"
    return self._liquidate(position_id, liquidator)


@external
@nonreentrant
def settle(position_id: uint256) -> int256:
    """
    @notice Settle a vault whose legs have all expired, at the oracle's
            settlement prices; the rest goes to the owner's free balance.
            Permissionless; needs no fresh spot. The liquidation deposit goes
            back to the owner, or to the caller who settles someone else's
            vault a day or more after its last expiry.
    @param position_id An open vault.
    @return int256 Realised P&L, WAD quote.
    @dev Reverts for a vault that is not open, before every expiry, or before
         every settlement price is fixed.
    """
    assert (
        position_store._owner_and_count(position_id)[1] != 0
    ), "clearing: no position"
    ok: bool = False
    pnl: int256 = 0
    ok, pnl = self._settle(position_id, True, msg.sender)
    return pnl


@external
@nonreentrant
def settle_many(
    position_ids: DynArray[uint256, constants.MAX_BATCH]
) -> uint256:
    """
    @notice `settle` every open, settleable vault in the list; skips others.
            Each id is processed on its own (see `liquidate_many`).
    @param position_ids Up to 50 vault ids.
    @return uint256 Number of vaults settled.
    """
    return self._batch(
        position_ids,
        method_id("settle_in_batch(uint256,address)", output_type=bytes4),
    )


@external
def settle_in_batch(position_id: uint256, caller: address) -> bool:
    """
    @notice One id of `settle_many`, in its own call frame. Only the clearing
            house itself.
    @param position_id An open vault.
    @param caller Who called `settle_many` (may earn the deposit).
    @return bool Whether it settled (False: not yet expired or no price).
    @dev Not guarded by the reentrancy lock: `settle_many` holds it.
    """
    assert msg.sender == self, "clearing: internal"
    ok: bool = False
    pnl: int256 = 0
    ok, pnl = self._settle(position_id, False, caller)
    return ok


@external
@nonreentrant
def pay_claims(max_claims: uint256) -> uint256:
    """
    @notice Pay the oldest unpaid claims (gains the pool could not pay when
            they were realised, see `LiquidityPool.claim_head`) into their
            owners' free balances, in the order they arose, as far as the
            pool's cash goes. Permissionless.
    @param max_claims Most claims to visit, at most 50.
    @return uint256 Base units credited.
    """
    credited: uint256 = 0
    paid: DynArray[
        ILiquidityPool.Claim, constants.MAX_BATCH
    ] = extcall self.pool.pay_claims(max_claims)
    for c: ILiquidityPool.Claim in paid:
        self._free[c.account] += c.amount
        credited += c.amount
    return credited


# ==================================================================== views


@external
@view
def health(position_id: uint256) -> (int256, uint256, uint256):
    """
    @notice Equity, initial and maintenance margin of a vault.
    @param position_id A vault id.
    @return int256 Equity = collateral + sum size * (mark - entry), WAD quote
            (0 for an id that is not open).
    @return uint256 Initial margin, WAD quote.
    @return uint256 Maintenance margin, WAD quote.
    @dev Reverts on a stale oracle.
    """
    v: Loaded = self._load(position_id)
    if v.n == 0:
        return 0, 0, 0
    pr: IMarginEngine.Valuation = self._price(
        v, self._listing(v, constants.LISTING_PRICED)
    )
    return self._equity(v, pr), pr.initial, pr.maintenance


@external
@view
def vault(position_id: uint256) -> IClearingHouse.Vault:
    """
    @notice The stored state of a vault.
    @param position_id A vault id.
    @return IClearingHouse.Vault Owner, collateral (base units) and legs
            (series id, size WAD, entry price WAD); empty when not open.
    """
    v: Loaded = self._load(position_id)
    out: IClearingHouse.Vault = IClearingHouse.Vault(
        owner=v.owner, collateral=v.collateral, legs=[]
    )
    for i: uint256 in range(v.n, bound=constants.MAX_LEGS):
        out.legs.append(
            IClearingHouse.LegState(
                series_id=v.series[i], size=v.sizes[i], entry_price=v.entries[i]
            )
        )
    return out


@external
@view
def next_position_id() -> uint256:
    """
    @notice The id the next opened vault will get.
    @return uint256 The id.
    """
    return position_store.next_id


@external
@view
def free_balance(account: address) -> uint256:
    """
    @notice Free balance of `account`.
    @param account Any address.
    @return uint256 Base units.
    """
    return self._free[account]


@external
@view
def insurance_fund() -> uint256:
    """
    @notice The insurance fund.
    @return uint256 Base units.
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
@pure
def _spread(
    spread_vol: uint256, pr: IMarginEngine.Valuation, i: uint256
) -> uint256:
    """
    @dev Per-unit half-spread of leg `i`, WAD: what its mark moves when vol
         moves by `spread_vol` and spot by `spread_vol` of itself, to first
         order: spread_vol * (vega + |delta| * spot). Its spot part makes a
         round trip cost 2 * spread_vol of the leg's delta notional, more than
         an oracle step of the pusher's deviation threshold can pay, so
         trading just before a known update and out just after loses
         (docs/oracle.md, "Stale-oracle trading").
    """
    delta_value: uint256 = (
        convert(abs(pr.deltas[i]), uint256) * pr.spot // constants.WAD
    )
    return spread_vol * (pr.vegas[i] + delta_value) // constants.WAD


@internal
@view
def _check_breaker(underlying: bytes32):
    """
    @dev No new risk, no withdrawal and no close against a spot that lags its
         signers (the oracle's breaker holds): each would trade at a price
         the market has left. Liquidation, top-ups and settlement go on.
    """
    assert not staticcall ORACLE.breaker_held(
        underlying
    ), "clearing: breaker held"


@internal
def _send(receiver: address, amount: uint256):
    assert extcall TOKEN.transfer(
        receiver, amount, default_return_value=True
    ), "clearing: transfer failed"


@internal
def _batch(
    position_ids: DynArray[uint256, constants.MAX_BATCH], method: bytes4
) -> uint256:
    """
    @dev Call `method(position_id, msg.sender)` on this contract for every
         open vault in the list, each in its own frame: a revert undoes only
         that id, which is logged as `BatchSkipped`. Returns how many calls
         returned a non-zero word (a liquidation or settlement done).
    """
    count: uint256 = 0
    for position_id: uint256 in position_ids:
        if position_store._owner_and_count(position_id)[1] == 0:
            continue
        ok: bool = False
        out: Bytes[128] = b""
        ok, out = raw_call(
            self,
            concat(method, abi_encode(position_id, msg.sender)),
            max_outsize=128,
            revert_on_failure=False,
        )
        if not ok:
            log IClearingHouse.BatchSkipped(position_id=position_id, reason=out)
        elif extract32(out, 0, output_type=uint256) != 0:
            count += 1
    return count


@internal
def _book(
    book: DynArray[ILiquidityPool.BookLeg, constants.MAX_LEGS],
    gain: uint256,
    owner: address,
) -> uint256:
    """
    @dev Apply leg changes to the pool's book and collect a trader's gain;
         what the pool cannot pay now becomes `owner`'s claim on the pool
         (never a revert). Returns what was paid now.
    """
    return extcall self.pool.book(book, 0, gain, owner)


@internal
def _log_state(position_id: uint256, collateral: uint256):
    """
    @dev `VaultState` from storage: the vault's collateral and leg sizes.
    """
    n: uint256 = position_store._owner_and_count(position_id)[1]
    sizes: int256[constants.MAX_LEGS] = empty(int256[constants.MAX_LEGS])
    for i: uint256 in range(n, bound=constants.MAX_LEGS):
        sizes[i] = position_store._leg(position_id, i)[1]
    log IClearingHouse.VaultState(
        position_id=position_id, collateral=collateral, sizes=sizes
    )


@internal
def _log_emptied(position_id: uint256):
    """
    @dev `VaultState` of a vault that no longer exists: no collateral, no legs.
    """
    log IClearingHouse.VaultState(
        position_id=position_id,
        collateral=0,
        sizes=empty(int256[constants.MAX_LEGS]),
    )


@internal
@view
def _owner_of(position_id: uint256) -> address:
    owner: address = empty(address)
    n: uint256 = 0
    owner, n = position_store._owner_and_count(position_id)
    assert n != 0, "clearing: no position"
    assert owner == msg.sender, "clearing: not owner"
    return owner


@internal
@view
def _load(position_id: uint256) -> Loaded:
    v: Loaded = empty(Loaded)
    v.owner, v.n, v.collateral = position_store._header(position_id)
    for i: uint256 in range(v.n, bound=constants.MAX_LEGS):
        v.series[i], v.sizes[i], v.entries[i] = position_store._leg(
            position_id, i
        )
    return v


@internal
@view
def _listing(v: Loaded, detail: uint256) -> IRegistry.Listing:
    """
    @dev The registry's terms (and, per `detail`, risk parameters) of an
         open vault's legs.
    """
    return staticcall REGISTRY.listing(v.series, v.n, detail)


@internal
@view
def _price(v: Loaded, l: IRegistry.Listing) -> IMarginEngine.Valuation:
    """
    @dev Marks, vegas and margin of the vault from the margin engine.
    """
    return staticcall ENGINE.evaluate(
        l.underlying, self._priced_legs(v, l), l.params
    )


@internal
@pure
def _priced_legs(
    v: Loaded, l: IRegistry.Listing
) -> DynArray[IMarginEngine.PricedLeg, constants.MAX_LEGS]:
    """
    @dev The vault's legs as the margin engine takes them: terms and size.
    """
    legs: DynArray[IMarginEngine.PricedLeg, constants.MAX_LEGS] = []
    for i: uint256 in range(v.n, bound=constants.MAX_LEGS):
        legs.append(IMarginEngine.PricedLeg(terms=l.terms[i], size=v.sizes[i]))
    return legs


@internal
@view
def _equity(v: Loaded, pr: IMarginEngine.Valuation) -> int256:
    """
    @dev collateral + sum size * (mark - entry), WAD quote.
    """
    return convert(v.collateral * SCALE, int256) + payoff._pnl(
        v.n, v.sizes, pr.marks, v.entries
    )


@internal
@view
def _charge(margin_wad: uint256, rate: uint256) -> uint256:
    """
    @dev `rate` (WAD) of a margin (WAD), in base units rounded down: a
         liquidation's reward or insurance fee, never more than it is.
    """
    return token_units._down(margin_wad * rate // constants.WAD, SCALE)


@internal
@pure
def _book_legs(
    v: Loaded, l: IRegistry.Listing, closed: int256[constants.MAX_LEGS]
) -> DynArray[ILiquidityPool.BookLeg, constants.MAX_LEGS]:
    """
    @dev Book changes that shrink each leg by `closed` (all of it to remove).
    """
    book: DynArray[ILiquidityPool.BookLeg, constants.MAX_LEGS] = []
    for i: uint256 in range(v.n, bound=constants.MAX_LEGS):
        book.append(
            ILiquidityPool.BookLeg(
                series_id=v.series[i],
                old_size=v.sizes[i],
                new_size=v.sizes[i] - closed[i],
                entry=v.entries[i],
                strike=l.terms[i].strike,
                cap=0,
            )
        )
    return book


@internal
def _wind_down(
    position_id: uint256,
    v: Loaded,
    l: IRegistry.Listing,
    pnl: int256,
    reward: uint256,
    fee: uint256,
    receiver: address,
) -> Outcome:
    """
    @dev Realise a closed vault: remove its legs from the pool's book, the
         pool pays a gain (rounded down) or is paid the loss (rounded up)
         from the collateral; then the liquidator reward and the insurance
         fee, as far as what is left pays them; the rest goes to the owner's
         free balance. A loss the collateral cannot cover is a shortfall: paid
         by the insurance fund, then borne by the pool. The owner's free balance and
         other vaults are never debited. `receiver` gets the reward and the
         liquidation deposit (the owner, on a close). The caller logs its event,
         then `_log_emptied`.
    """
    o: Outcome = empty(Outcome)
    cash: uint256 = v.collateral
    to_pool: uint256 = 0
    debt: uint256 = 0
    gain: uint256 = token_units._gain_down(pnl, SCALE)
    cash += self._book(self._book_legs(v, l, v.sizes), gain, v.owner)
    loss: uint256 = token_units._loss_up(pnl, SCALE)
    if loss > 0:
        to_pool = min(cash, loss)
        cash -= to_pool
        # to_pool <= loss: cannot underflow
        debt = unsafe_sub(loss, to_pool)
    # the reward and the fee come only out of what the vault still holds: they can
    # never create bad debt of their own
    o.reward = min(cash, reward)
    cash -= o.reward
    o.fee = min(cash, fee)
    cash -= o.fee
    o.shortfall = debt

    insurance_paid: uint256 = 0
    if o.fee > 0 or debt > 0:
        insurance: uint256 = self._insurance + o.fee
        insurance_paid = min(insurance, debt)
        self._insurance = insurance - insurance_paid
        to_pool += insurance_paid
    if to_pool > 0:
        self._send(self.pool.address, to_pool)
    if o.shortfall > 0:
        log IClearingHouse.BadDebt(
            position_id=position_id,
            insurance_paid=insurance_paid,
            pool_loss=o.shortfall - insurance_paid,
        )
    if o.reward + LIQUIDATION_DEPOSIT > 0:
        self._free[receiver] += o.reward + LIQUIDATION_DEPOSIT
    o.returned = cash
    if cash > 0:
        self._free[v.owner] += cash
    return o


@internal
def _liquidate(position_id: uint256, liquidator: address) -> uint256:
    """
    @dev Liquidate if unhealthy; returns the fraction closed (WAD), 0 when
         the vault is healthy. The whole vault goes when no partial close
         restores IM, would leave a dust leg, or exceeds the collateral.
    """
    v: Loaded = self._load(position_id)
    l: IRegistry.Listing = self._listing(v, constants.LISTING_TRADED)
    pr: IMarginEngine.Valuation = self._price(v, l)
    equity: int256 = self._equity(v, pr)
    if equity >= convert(pr.maintenance, int256):
        return 0
    reward_rate: uint256 = l.params.liquidation_reward
    fee_rate: uint256 = l.params.insurance_fee
    # head room for token rounding: a few base units plus 1e-6 of IM
    buffer: uint256 = 4 * SCALE + pr.initial // 10**6
    fraction: uint256 = margin._liquidation_fraction(
        equity, pr.initial, pr.maintenance, reward_rate + fee_rate, buffer
    )
    if fraction < constants.WAD:
        if self._liquidate_partial(position_id, v, l, pr, fraction, liquidator):
            return fraction
    pnl: int256 = payoff._pnl(v.n, v.sizes, pr.marks, v.entries)
    position_store._delete(position_id, v.n)
    reward: uint256 = self._charge(pr.maintenance, reward_rate)
    fee: uint256 = self._charge(pr.maintenance, fee_rate)
    o: Outcome = self._wind_down(
        position_id, v, l, pnl, reward, fee, liquidator
    )
    log IClearingHouse.PositionLiquidated(
        position_id=position_id,
        owner=v.owner,
        liquidator=liquidator,
        fraction=constants.WAD,
        pnl=pnl,
        reward=o.reward + LIQUIDATION_DEPOSIT,
        insurance_fee=o.fee,
        returned=o.returned,
        shortfall=o.shortfall,
    )
    self._log_emptied(position_id)
    return constants.WAD


@internal
def _liquidate_partial(
    position_id: uint256,
    v: Loaded,
    l: IRegistry.Listing,
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
    closed: int256[constants.MAX_LEGS] = empty(int256[constants.MAX_LEGS])
    rest_sizes: int256[constants.MAX_LEGS] = empty(int256[constants.MAX_LEGS])
    leg_min: uint256 = l.params.min_size
    for i: uint256 in range(v.n, bound=constants.MAX_LEGS):
        size_abs: uint256 = convert(abs(v.sizes[i]), uint256)
        part: uint256 = token_units._up(size_abs * fraction, constants.WAD)
        if size_abs - part < leg_min:
            return False
        closed[i] = (
            convert(part, int256) if v.sizes[i] > 0 else -convert(part, int256)
        )
        rest_sizes[i] = v.sizes[i] - closed[i]
    pnl: int256 = payoff._pnl(v.n, closed, pr.marks, v.entries)
    charged: uint256 = pr.maintenance * fraction // constants.WAD
    reward: uint256 = self._charge(charged, l.params.liquidation_reward)
    fee: uint256 = self._charge(charged, l.params.insurance_fee)
    gain: uint256 = token_units._gain_down(pnl, SCALE)
    loss: uint256 = token_units._loss_up(pnl, SCALE)
    if v.collateral + gain < loss + reward + fee:
        return False
    # the closed part's gain must reach the vault now, or the rest would be short of
    # IM: when the pool cannot pay it, the whole vault goes (its gain a claim)
    if gain > 0 and gain > staticcall self.pool.available_cash():
        return False
    rest: uint256 = v.collateral + gain - loss - reward - fee
    for i: uint256 in range(v.n, bound=constants.MAX_LEGS):
        position_store._set_leg(
            position_id, i, v.series[i], rest_sizes[i], v.entries[i]
        )
    position_store._set_collateral(position_id, rest)
    self._book(self._book_legs(v, l, closed), gain, v.owner)
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
    log IClearingHouse.VaultState(
        position_id=position_id, collateral=rest, sizes=rest_sizes
    )
    return True


@internal
def _settle(
    position_id: uint256, strict: bool, caller: address
) -> (bool, int256):
    """
    @dev Settle at the settlement prices; with `strict` a vault that cannot
         settle yet reverts, otherwise it returns (False, 0). The deposit goes
         to `caller` when it settles another's vault SETTLE_GRACE after the
         last expiry, else to the owner.
    """
    v: Loaded = self._load(position_id)
    l: IRegistry.Listing = self._listing(v, constants.LISTING_TERMS)
    payoffs: uint256[constants.MAX_LEGS] = empty(uint256[constants.MAX_LEGS])
    last: uint256 = 0
    for i: uint256 in range(v.n, bound=constants.MAX_LEGS):
        if l.terms[i].expiry > block.timestamp:
            assert not strict, "clearing: not expired"
            return False, 0
        last = max(last, l.terms[i].expiry)
        s: uint256 = staticcall ORACLE.settlement_price(
            l.underlying, l.terms[i].expiry
        )
        if s == 0:
            assert not strict, "clearing: no settlement price"
            return False, 0
        payoffs[i] = payoff._payoff(l.terms[i].is_call, s, l.terms[i].strike)
    pnl: int256 = payoff._pnl(v.n, v.sizes, payoffs, v.entries)
    position_store._delete(position_id, v.n)
    receiver: address = v.owner
    if block.timestamp >= last + SETTLE_GRACE:
        receiver = caller
    o: Outcome = self._wind_down(position_id, v, l, pnl, 0, 0, receiver)
    log IClearingHouse.PositionSettled(
        position_id=position_id,
        owner=v.owner,
        pnl=pnl,
        returned=o.returned,
        shortfall=o.shortfall,
    )
    self._log_emptied(position_id)
    return True, pnl
