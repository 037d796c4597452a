# pragma version ~=0.4.3
"""
@title LiquidityPool
@notice Ringfence's liquidity pool: an ERC-4626 vault of the quote token and
        the counterparty to every trade. It owns its book: per series the
        traders' net size, the sum of size x entry and the open legs, the
        series with open legs (its NAV loop), and the strike notional it has
        locked; it enforces the series caps and its utilisation limit when
        the clearing house books an opening. Its NAV is its cash minus the
        traders' unrealised P&L over that book, so deposits and redemptions
        are priced fairly; withdrawals may not take the cash below what the
        utilisation limit requires.
@dev Built on snekmate's `erc4626` module (its ERC-20 share token, transfer-
     then-mint `_deposit` and burn-then-transfer `_withdraw`); the
     conversions are re-implemented here because snekmate's `totalAssets` is
     the token balance, while this pool's assets include the open P&L.
     Reads of the NAV fail closed: they revert while the oracle is stale.
     The NAV reads the registry (series terms) and the margin engine (marks),
     never the clearing house: no call cycle.
"""

from ethereum.ercs import IERC20
from ethereum.ercs import IERC4626
from snekmate.extensions import erc4626
from snekmate.utils import math

from .interfaces import IClearingHouse
from .interfaces import ILiquidityPool
from .interfaces import IMarginEngine
from .interfaces import IOracle
from .interfaces import IRegistry
from .lib import constants
from .lib import series_terms
from .lib import token_units

implements: IERC4626
implements: ILiquidityPool

initializes: erc4626

exports: (
    erc4626.asset,
    erc4626.totalSupply,
    erc4626.balanceOf,
    erc4626.transfer,
    erc4626.transferFrom,
    erc4626.approve,
    erc4626.allowance,
    erc4626.name,
    erc4626.symbol,
    erc4626.decimals,
    erc4626.permit,
    erc4626.nonces,
    erc4626.DOMAIN_SEPARATOR,
    erc4626.eip712Domain,
)

# =============================================================== immutables

CLEARING_HOUSE: public(immutable(IClearingHouse))
REGISTRY: public(immutable(IRegistry))
ENGINE: public(immutable(IMarginEngine))
# @dev The engine's oracle: its spot breakers pause deposits and redemptions.
_ORACLE: immutable(IOracle)
_TOKEN: immutable(IERC20)
# @dev 10**(18 - decimals): base units to WAD.
_SCALE: immutable(uint256)

# ================================================================== storage

# @dev The book per series: traders' net size (WAD), sum of size * entry
#      (WAD quote) and the number of open legs.
series_net_size: public(HashMap[uint256, int256])
series_size_entry: public(HashMap[uint256, int256])
series_open_legs: public(HashMap[uint256, uint256])
# @dev sum over series of |net size| * strike, WAD quote.
locked_notional: public(uint256)
# @dev Traders' gains the pool could not pay when they were realised, base units:
#      claims, senior to every LP and paid in the order they arose (FIFO, see
#      docs/solvency.md). Cash up to `owed` is reserved for them. Claim i is
#      `claims[i]` (account, amount still unpaid); [claim_head, claim_tail) are
#      unpaid; `claims_of` totals them per account.
owed: public(uint256)
claim_head: public(uint256)
claim_tail: public(uint256)
claims: public(HashMap[uint256, ILiquidityPool.Claim])
claims_of: public(HashMap[address, uint256])
# @dev Series with open legs; index + 1 in `_active` (0 when not active).
_active: DynArray[uint256, constants.MAX_ACTIVE_SERIES]
_active_index: HashMap[uint256, uint256]
# @dev LP flows while the book is open go through requests (docs/solvency.md,
#      "LP flows"): request `id` is `requests[id]` (`mature` 0 once executed);
#      `_held` packs, in base units, the deposits pending (bits 0-127: held by
#      the pool but outside its cash and NAV) and the cash reserved for the
#      pending redemptions (bits 128-255: each its quote, up to the free cash
#      at the request; out of the free cash and of what backs new exposure, so
#      that no one, the requester included, can drain the cash a mature
#      redemption is paid from and have it returned instead, a free option to
#      cancel when a report that lifts the NAV was pending: attack review B2).
#      One word: an opening's utilisation check reads both.
requests: public(HashMap[uint256, ILiquidityPool.LpRequest])
request_count: public(uint256)
_held: uint256

# ================================================================ constants

HALF_WORD: constant(uint256) = 2**128
# @dev Share decimals = the token's + DECIMALS_OFFSET: a fresh pool mints
#      10**6 shares per base unit, and 10**6 virtual shares price value left in
#      a pool without shares (a donation), so a depositor into it loses at most
#      a rounding unit instead of up to half its deposit (docs/solvency.md §2a).
DECIMALS_OFFSET: constant(uint8) = 6
_VIRTUAL_SHARES: constant(uint256) = 10**6

# @dev Seconds from an LP request to its execution: more than the pusher's
#      heartbeat and a keeper's reaction, so the next oracle report and the
#      liquidations it triggers are in the execution price.
LP_DELAY: public(constant(uint256)) = 3600


# ===================================================================== init


@deploy
def __init__(
    asset: IERC20,
    clearing_house: IClearingHouse,
    registry: IRegistry,
    engine: IMarginEngine,
    name: String[25],
    symbol: String[5],
):
    """
    @notice Deploy the pool over `asset` (the clearing house's quote token).
    @param asset The quote token.
    @param clearing_house The clearing house this pool backs; it must then
           be wired with `ClearingHouse.set_pool`.
    @param registry The registry of series terms and the utilisation limit.
    @param engine The margin engine that marks the book.
    @param name Share token name.
    @param symbol Share token symbol.
    """
    assert (
        staticcall clearing_house.TOKEN() == asset.address
    ), "pool: asset mismatch"
    erc4626.__init__(name, symbol, asset, DECIMALS_OFFSET, name, "1")
    _TOKEN = asset
    _SCALE = staticcall clearing_house.SCALE()
    CLEARING_HOUSE = clearing_house
    REGISTRY = registry
    ENGINE = engine
    _ORACLE = IOracle(staticcall engine.ORACLE())


# =========================================================== clearing house


@external
@nonreentrant
def book(
    legs: DynArray[ILiquidityPool.BookLeg, constants.MAX_LEGS],
    max_utilisation: uint256,
    pay: uint256,
    claimant: address,
) -> uint256:
    """
    @notice Apply a vault's leg changes to the book, then send up to `pay`
            base units of cash to the clearing house (a trader's realised
            gain); what cash above the older claims cannot pay becomes a claim
            of `claimant`, queued behind them. Only the clearing house.
    @param legs Per leg: series id, size before and after (WAD; 0 before =
           a new leg, 0 after = a removed leg), entry price and strike (WAD),
           and the series' cap on |traders' net size| (checked for a new leg
           that increases |net size|).
    @param max_utilisation When > 0 (an opening), the locked notional must
           stay within this many times the cash (WAD) if it grew. Closings,
           liquidations and settlements pass 0: they are never blocked.
    @param pay Base units requested, 0 for none.
    @param claimant The trader whose gain `pay` is: the owner of any claim.
    @return uint256 Base units sent: min(pay, cash above the outstanding
            claims); the rest becomes a claim (never a revert).
    """
    assert msg.sender == CLEARING_HOUSE.address, "pool: not clearing house"
    locked_before: uint256 = self.locked_notional
    locked: uint256 = locked_before
    for leg: ILiquidityPool.BookLeg in legs:
        old_net: int256 = self.series_net_size[leg.series_id]
        new_net: int256 = old_net - leg.old_size + leg.new_size
        if leg.old_size == 0 and abs(new_net) > abs(old_net):
            assert (
                convert(abs(new_net), uint256) <= leg.cap
            ), "pool: open interest cap"
        self.series_net_size[leg.series_id] = new_net
        e: int256 = convert(leg.entry, int256)
        # per leg, rounded exactly as when it was added: the terms cancel
        self.series_size_entry[leg.series_id] += (
            leg.new_size * e // constants.IWAD
            - leg.old_size * e // constants.IWAD
        )
        locked = (
            locked
            + convert(abs(new_net), uint256) * leg.strike // constants.WAD
            - convert(abs(old_net), uint256) * leg.strike // constants.WAD
        )
        if leg.old_size == 0:
            self._add_leg(leg.series_id)
        elif leg.new_size == 0:
            self._remove_leg(leg.series_id)
    self.locked_notional = locked
    if max_utilisation != 0 and locked > locked_before:
        # cash the outstanding claims or the pending redemptions reserve backs no
        # new exposure
        cash: uint256 = self._unreserved(self.owed + self._held // HALF_WORD)
        assert (
            locked <= cash * _SCALE * max_utilisation // constants.WAD
        ), "pool: utilisation"
    if pay == 0:
        return 0
    # a new gain is paid only from cash above what older claims reserve; what it
    # cannot pay becomes a claim behind them (never a revert)
    owed: uint256 = self.owed
    paid: uint256 = min(pay, self._unreserved(owed))
    if paid < pay:
        # paid < pay: cannot underflow
        amount: uint256 = unsafe_sub(pay, paid)
        self.owed = owed + amount
        index: uint256 = self.claim_tail
        self.claims[index] = ILiquidityPool.Claim(
            account=claimant, amount=amount
        )
        self.claim_tail = index + 1
        self.claims_of[claimant] += amount
        log ILiquidityPool.ClaimQueued(
            account=claimant, index=index, amount=amount
        )
    if paid > 0:
        self._send(paid)
    log ILiquidityPool.PoolPaid(receiver=msg.sender, requested=pay, paid=paid)
    return paid


@external
@nonreentrant
def pay_claims(
    max_claims: uint256,
) -> DynArray[ILiquidityPool.Claim, constants.MAX_BATCH]:
    """
    @notice Pay the oldest claims, in the order they arose, as far as the
            pool's cash goes (claims come before LPs: all of it may serve
            them); the last one visited may be paid in part. Sends the total
            to the clearing house, which credits each owner's free balance.
            Only the clearing house.
    @param max_claims Most claims to visit, at most 50.
    @return DynArray[ILiquidityPool.Claim, 50] (account, base units paid)
            per claim paid, oldest first.
    """
    assert msg.sender == CLEARING_HOUSE.address, "pool: not clearing house"
    out: DynArray[ILiquidityPool.Claim, constants.MAX_BATCH] = []
    head: uint256 = self.claim_head
    tail: uint256 = self.claim_tail
    cash: uint256 = self._cash()
    total: uint256 = 0
    for _: uint256 in range(
        min(max_claims, constants.MAX_BATCH), bound=constants.MAX_BATCH
    ):
        if head == tail or cash == 0:
            break
        account: address = self.claims[head].account
        amount: uint256 = self.claims[head].amount
        paid: uint256 = min(amount, cash)
        # paid <= cash, paid <= amount: cannot underflow
        cash = unsafe_sub(cash, paid)
        rest: uint256 = unsafe_sub(amount, paid)
        total += paid
        self.claims_of[account] -= paid
        out.append(ILiquidityPool.Claim(account=account, amount=paid))
        log ILiquidityPool.ClaimPaid(
            account=account, index=head, paid=paid, remaining=rest
        )
        self.claims[head].amount = rest
        if rest != 0:
            break
        head += 1
    self.claim_head = head
    if total > 0:
        # total is the sum of claims: at most owed
        self.owed = unsafe_sub(self.owed, total)
        self._send(total)
    return out


@external
@view
def available_cash() -> uint256:
    """
    @notice Cash the pool can pay a new gain with now: its cash above what the
            outstanding claims reserve.
    @return uint256 Base units.
    """
    return self._unreserved(self.owed)


@external
@view
def cash() -> uint256:
    """
    @notice The pool's cash, base units: the quote tokens it holds, less the
            deposits still pending (`pending_assets`, not yet the pool's).
    @return uint256 Base units of the quote token.
    """
    return self._cash()


@external
@view
def free_cash() -> uint256:
    """
    @notice Cash above what claims, the utilisation limit and the traders'
            current gains require, base units: the most LPs may take out now.
    @return uint256 cash - required_cash (at least 0), base units of the
            quote token.
    """
    return self._free_cash()


@external
@view
def liability() -> int256:
    """
    @notice Traders' unrealised P&L over the book, WAD quote: sum over the
            series with open legs of net_size * mark - sum size * entry.
            Positive: the pool owes it. Bounded loop (MAX_ACTIVE_SERIES).
    @return int256 The liability, WAD quote. Reverts on a stale oracle.
    """
    return self._liability()


@external
@view
def required_cash() -> uint256:
    """
    @notice Cash LPs may not withdraw: the outstanding claims plus the larger
            of locked strike notional / max_utilisation and the traders' net
            unrealised gain, rounded up.
    @return uint256 Base units.
    """
    return self._required_cash()


@external
@view
def active_series() -> DynArray[uint256, constants.MAX_ACTIVE_SERIES]:
    """
    @notice Ids of the series with open legs (the NAV's loop).
    @return DynArray[uint256, 32] Series ids.
    """
    return self._active


# ================================================================= ERC-4626


@external
@view
def totalAssets() -> uint256:
    """
    @notice NAV, base units: cash - traders' unrealised P&L (a liability
            rounded up, a receivable rounded down), at least 0.
    @return uint256 The NAV, base units of the quote token.
    """
    return self._total_assets()


@external
@view
def convertToShares(assets: uint256) -> uint256:
    """
    @notice Shares for `assets` base units, rounded down.
    @param assets Base units of the quote token.
    @return uint256 Shares, base units of the share token (the quote
            token's decimals), rounded down.
    """
    return self._to_shares(assets, False)


@external
@view
def convertToAssets(shares: uint256) -> uint256:
    """
    @notice Base units for `shares`, rounded down.
    @param shares Base units of the share token.
    @return uint256 Base units of the quote token, rounded down.
    """
    return self._to_assets(shares, False)


@external
@view
def maxDeposit(receiver: address) -> uint256:
    """
    @notice No deposit limit while no leg is open; 0 while the book is open
            (deposits then go through `request_deposit`) or the pool is
            insolvent.
    @param receiver Any address (ignored).
    @return uint256 max_value(uint256) or 0, base units of the quote token.
    """
    if len(self._active) != 0 or not self._solvent():
        return 0
    return max_value(uint256)


@external
@view
def previewDeposit(assets: uint256) -> uint256:
    """
    @notice Shares a deposit of `assets` base units mints now.
    @param assets Base units of the quote token.
    @return uint256 Shares minted, base units of the share token, rounded
            down.
    """
    return self._to_shares(assets, False)


@external
@nonreentrant
def deposit(assets: uint256, receiver: address) -> uint256:
    """
    @notice Deposit `assets` base units, minting shares (rounded down) to `receiver`.
    @param assets Base units of the quote token pulled from the caller
           (needs an allowance; a fee-on-transfer token is rejected).
    @param receiver Account credited with the shares.
    @return uint256 Shares minted, base units of the share token.
    @dev Only while no leg is open (else `request_deposit`). Reverts on 0
         shares, a stale oracle, a held spot breaker, or an
         insolvent pool (NAV 0 with shares outstanding: the deposit would pay
         older claims).
    """
    self._check_book_closed()
    self._check_solvent()
    shares: uint256 = self._to_shares(assets, False)
    assert shares > 0, "pool: zero shares"
    self._pull(assets)
    erc4626.erc20._mint(receiver, shares)
    log IERC4626.Deposit(
        sender=msg.sender, owner=receiver, assets=assets, shares=shares
    )
    return shares


@external
@view
def maxMint(receiver: address) -> uint256:
    """
    @notice No mint limit while no leg is open; 0 while the book is open or
            the pool is insolvent.
    @param receiver Any address (ignored).
    @return uint256 max_value(uint256) or 0, base units of the share token.
    """
    if len(self._active) != 0 or not self._solvent():
        return 0
    return max_value(uint256)


@external
@view
def previewMint(shares: uint256) -> uint256:
    """
    @notice Base units minting `shares` costs now, rounded up.
    @param shares Base units of the share token.
    @return uint256 Base units of the quote token, rounded up.
    """
    return self._to_assets(shares, True)


@external
@nonreentrant
def mint(shares: uint256, receiver: address) -> uint256:
    """
    @notice Mint exactly `shares` to `receiver` for base units rounded up.
    @param shares Base units of the share token to mint.
    @param receiver Account credited with the shares.
    @return uint256 Base units of the quote token pulled from the caller
            (needs an allowance; a fee-on-transfer token is rejected).
    @dev Only while no leg is open (else `request_deposit`). Reverts on 0
         assets, a stale oracle, a held spot breaker, or an
         insolvent pool (shares would be priced at nothing).
    """
    self._check_book_closed()
    self._check_solvent()
    assets: uint256 = self._to_assets(shares, True)
    assert assets > 0, "pool: zero assets"
    self._pull(assets)
    erc4626.erc20._mint(receiver, shares)
    log IERC4626.Deposit(
        sender=msg.sender, owner=receiver, assets=assets, shares=shares
    )
    return assets


@external
@view
def maxWithdraw(owner: address) -> uint256:
    """
    @notice Base units `owner` can withdraw now: their shares' value, capped
            by the free cash; 0 while the book is open (`request_redeem`).
    @param owner Share holder.
    @return uint256 min(value of `owner`'s shares rounded down, free_cash),
            base units of the quote token.
    """
    if len(self._active) != 0:
        return 0
    return min(
        self._to_assets(erc4626.erc20.balanceOf[owner], False),
        self._free_cash(),
    )


@external
@view
def previewWithdraw(assets: uint256) -> uint256:
    """
    @notice Shares burnt to withdraw `assets` base units, rounded up.
    @param assets Base units of the quote token.
    @return uint256 Shares burnt, base units of the share token, rounded up.
    """
    return self._to_shares(assets, True)


@external
@nonreentrant
def withdraw(assets: uint256, receiver: address, owner: address) -> uint256:
    """
    @notice Withdraw `assets` base units to `receiver`, burning `owner`'s
            shares (rounded up).
    @param assets Base units of the quote token sent to `receiver`; at most
           the free cash.
    @param receiver Account receiving the quote tokens.
    @param owner Holder whose shares are burnt; a caller other than `owner`
           spends its share allowance.
    @return uint256 Shares burnt, base units of the share token.
    @dev Only while no leg is open (else `request_redeem`). Reverts above
         the free cash, on a stale oracle or a held spot
         breaker.
    """
    self._check_book_closed()
    self._check_breakers()
    assert assets <= self._free_cash(), "pool: utilisation"
    shares: uint256 = self._to_shares(assets, True)
    erc4626._withdraw(msg.sender, receiver, owner, assets, shares)
    return shares


@external
@view
def maxRedeem(owner: address) -> uint256:
    """
    @notice Shares `owner` can redeem now (capped by the free cash); 0
            while the book is open (`request_redeem`) or they are worth 0.
    @param owner Share holder.
    @return uint256 All of `owner`'s shares, or the shares worth the free
            cash (rounded down) when theirs are worth more; base units of the
            share token.
    """
    if len(self._active) != 0:
        return 0
    shares: uint256 = erc4626.erc20.balanceOf[owner]
    free: uint256 = self._free_cash()
    worth: uint256 = self._to_assets(shares, False)
    if worth == 0:
        return 0  # redeem would revert "pool: zero assets"
    if worth <= free:
        return shares
    return self._to_shares(free, False)


@external
@view
def previewRedeem(shares: uint256) -> uint256:
    """
    @notice Base units redeeming `shares` pays now, rounded down.
    @param shares Base units of the share token.
    @return uint256 Base units of the quote token, rounded down.
    """
    return self._to_assets(shares, False)


@external
@nonreentrant
def redeem(shares: uint256, receiver: address, owner: address) -> uint256:
    """
    @notice Redeem `owner`'s `shares` for base units (rounded down) to `receiver`.
    @param shares Base units of the share token burnt from `owner`.
    @param receiver Account receiving the quote tokens.
    @param owner Holder whose shares are burnt; a caller other than `owner`
           spends its share allowance.
    @return uint256 Base units of the quote token sent to `receiver`.
    @dev Only while no leg is open (else `request_redeem`). Reverts on 0
         assets, above the free cash, on a stale oracle or a
         held spot breaker.
    """
    self._check_book_closed()
    self._check_breakers()
    assets: uint256 = self._to_assets(shares, False)
    assert assets > 0, "pool: zero assets"
    assert assets <= self._free_cash(), "pool: utilisation"
    erc4626._withdraw(msg.sender, receiver, owner, assets, shares)
    return assets


# ============================================================== LP requests


@external
@view
def pending_assets() -> uint256:
    """
    @notice Base units of deposit requests not yet executed.
    @return uint256 Base units, outside the pool's cash and NAV.
    """
    return self._held % HALF_WORD


@external
@view
def reserved_assets() -> uint256:
    """
    @notice Base units set aside for the pending redemption requests (each
            its quote, up to the free cash at the request), out of the free
            cash and of what backs new exposure.
    @return uint256 Base units.
    """
    return self._held // HALF_WORD


@external
@nonreentrant
def request_deposit(assets: uint256, receiver: address) -> uint256:
    """
    @notice Ask to deposit `assets` base units for shares to `receiver`: the
            way in while the book is open. Executed by anyone `LP_DELAY`
            seconds later, for the fewer of the shares quoted now and the
            shares the assets buy then, paid at the price then (the rest of
            the assets returned). Until then the assets are held apart:
            outside the pool's cash and NAV. A request cannot be cancelled.
    @param assets Base units of the quote token pulled from the caller now
           (needs an allowance; a fee-on-transfer token is rejected).
    @param receiver Account credited with the shares at execution.
    @return uint256 The request's id.
    @dev Reverts on 0 shares, a stale oracle, a held spot breaker or an
         insolvent pool, as `deposit` does.
    """
    self._check_solvent()
    shares: uint256 = self._to_shares(assets, False)
    assert shares > 0, "pool: zero shares"
    self._pull(assets)
    held: uint256 = self._held
    self._hold(held % HALF_WORD + assets, held // HALF_WORD)
    return self._request(True, assets, shares, receiver)


@external
@nonreentrant
def request_redeem(shares: uint256, receiver: address) -> uint256:
    """
    @notice Ask to redeem `shares` of the caller for base units to
            `receiver`: the way out while the book is open. The shares move
            to the pool now (they still count in the supply); executed by
            anyone `LP_DELAY` seconds later, for the lesser of the value
            quoted now, their value then and the free cash then, burning the
            shares that buy it at the price then (the rest returned). A
            request cannot be cancelled.
    @param shares Base units of the share token taken from the caller now.
    @param receiver Account receiving the quote tokens at execution.
    @return uint256 The request's id.
    @dev Reverts on 0 assets, a stale oracle or a held spot breaker; the
         free cash limits the execution, not the request.
    """
    self._check_breakers()
    assets: uint256 = self._to_assets(shares, False)
    assert assets > 0, "pool: zero assets"
    erc4626.erc20._transfer(msg.sender, self, shares)
    reserve: uint256 = min(assets, self._free_cash())
    held: uint256 = self._held
    self._hold(held % HALF_WORD, held // HALF_WORD + reserve)
    request_id: uint256 = self._request(False, shares, assets, receiver)
    self.requests[request_id].reserved = reserve
    return request_id


@external
@nonreentrant
def execute_request(request_id: uint256) -> uint256:
    """
    @notice Execute a mature LP request; anyone may, so no requester can
            hold one back to time the market. It trades at the price now,
            but never for more than was quoted: a deposit mints the fewer of
            the quoted shares and what the assets buy now, paying for them at
            today's price and returning the rest of the assets; a redemption
            pays the least of the quoted value, the shares' value now and the
            free cash, burning the shares that buy it today and returning the
            rest (a request never waits, so it is never a standing option). A
            deposit into an insolvent pool, or one that buys 0 shares, and a
            redemption worth 0 (or with no free cash) are returned whole.
            Nothing is left behind for the others to share (docs/solvency.md
            section 2a).
    @param request_id The id `request_deposit` or `request_redeem` returned.
    @return uint256 Shares minted (deposit) or base units paid
            (redemption); 0 when returned whole.
    @dev Reverts before `mature`, on a stale oracle or a held spot breaker.
    """
    request: ILiquidityPool.LpRequest = self.requests[request_id]
    assert request.mature != 0, "pool: no request"
    assert block.timestamp >= request.mature, "pool: request not mature"
    self._check_breakers()
    self.requests[request_id] = empty(ILiquidityPool.LpRequest)
    out: uint256 = 0
    returned: uint256 = request.amount
    if request.is_deposit:
        used: uint256 = 0
        if self._solvent():
            bought: uint256 = self._to_shares(request.amount, False)
            out = min(request.quoted, bought)
            used = request.amount
            if out < bought:
                # the quoted shares at today's price, rounded up (against the LP)
                used = min(self._to_assets(out, True), request.amount)
        held: uint256 = self._held
        self._hold(held % HALF_WORD - request.amount, held // HALF_WORD)
        # used <= amount: cannot underflow
        returned = unsafe_sub(request.amount, used)
        if out != 0:
            erc4626.erc20._mint(request.receiver, out)
            log IERC4626.Deposit(
                sender=request.owner,
                owner=request.receiver,
                assets=used,
                shares=out,
            )
        else:
            returned = request.amount
        if returned != 0:
            assert extcall _TOKEN.transfer(
                request.owner, returned, default_return_value=True
            ), "pool: transfer failed"
    else:
        worth: uint256 = self._to_assets(request.amount, False)
        # its own reservation is the first cash it may take; it never waits: what the
        # free cash allows now, the rest of the shares returned (a mature request that
        # waited for cash was a standing option on the timing)
        held: uint256 = self._held
        self._hold(held % HALF_WORD, held // HALF_WORD - request.reserved)
        out = min(min(request.quoted, worth), self._free_cash())
        if out != 0:
            burnt: uint256 = request.amount
            if out < worth:
                # the shares that buy `out` today, rounded up (against the LP)
                burnt = min(self._to_shares(out, True), request.amount)
            # burnt <= amount: cannot underflow
            returned = unsafe_sub(request.amount, burnt)
            erc4626._withdraw(self, request.receiver, self, out, burnt)
        if returned != 0:
            erc4626.erc20._transfer(self, request.owner, returned)
    log ILiquidityPool.LpExecuted(
        id=request_id,
        owner=request.owner,
        is_deposit=request.is_deposit,
        amount=request.amount,
        paid=out,
        returned=returned,
    )
    return out


# ================================================================ internals


@internal
@view
def _total_assets() -> uint256:
    """
    @dev NAV: cash - claims - traders' unrealised P&L (a liability rounded up,
         a receivable rounded down), at least 0.
    """
    cash: uint256 = self._cash()
    liability: int256 = self._liability()
    owed: uint256 = self.owed
    if liability < 0:
        cash += token_units._down(convert(-liability, uint256), _SCALE)
    else:
        owed += token_units._up(convert(liability, uint256), _SCALE)
    if owed >= cash:
        return 0
    # owed < cash: cannot underflow
    return unsafe_sub(cash, owed)


@internal
@view
def _required_cash() -> uint256:
    """
    @dev Cash LPs may not take: the outstanding claims plus the larger of the
         utilisation limit's share of the locked strike notional and the
         traders' current net unrealised gain.
    """
    by_notional: uint256 = token_units._up(
        self.locked_notional
        * constants.WAD // staticcall REGISTRY.max_utilisation(),
        _SCALE,
    )
    liability: int256 = self._liability()
    by_gains: uint256 = 0
    if liability > 0:
        by_gains = token_units._up(convert(liability, uint256), _SCALE)
    return self.owed + max(by_notional, by_gains)


@internal
@view
def _free_cash() -> uint256:
    """
    @dev Cash above what claims, the utilisation limit, the traders' gains and
         the pending redemptions' reservation require, base units.
    """
    cash: uint256 = self._cash()
    required: uint256 = self._required_cash() + self._held // HALF_WORD
    if required >= cash:
        return 0
    # required < cash: cannot underflow
    return unsafe_sub(cash, required)


@internal
@view
def _check_solvent():
    """
    @dev New shares only while the existing ones are worth something: in an
         insolvent pool (claims and traders' gains at least its cash) a deposit
         would only pay older claims, and mint would sell shares for nothing.
    """
    self._check_breakers()
    assert self._solvent(), "pool: insolvent"


@internal
@view
def _solvent() -> bool:
    """
    @dev A pool may take new money when its NAV is positive, or when it is
         fresh: no share, no cash, no claim and no open leg. A pool whose
         last share was redeemed while it owes more than its cash is not
         fresh: a new deposit would pay those debts.
    """
    if self._total_assets() > 0:
        return True
    return (
        erc4626.erc20.totalSupply == 0
        and self._cash() == 0
        and self.owed == 0
        and len(self._active) == 0
    )


@internal
@view
def _check_breakers():
    """
    @dev No share is priced from a spot that lags its signers: while the
         oracle's breaker holds on an underlying of the book, the NAV is off
         by the lag, so the LP who moves first would take it from the others.
    """
    active: DynArray[uint256, constants.MAX_ACTIVE_SERIES] = self._active
    if len(active) == 0:
        return
    infos: DynArray[
        IRegistry.SeriesInfo, constants.MAX_ACTIVE_SERIES
    ] = staticcall REGISTRY.terms_many(active)
    for info: IRegistry.SeriesInfo in infos:
        assert not staticcall _ORACLE.breaker_held(
            info.underlying
        ), "pool: breaker held"


@internal
@view
def _unreserved(owed: uint256) -> uint256:
    """
    @dev Cash above `owed`, base units.
    """
    cash: uint256 = self._cash()
    if cash <= owed:
        return 0
    # owed < cash: cannot underflow
    return unsafe_sub(cash, owed)


@internal
@view
def _cash() -> uint256:
    """
    @dev The quote tokens held less the pending deposits, base units (the
         pending deposits are held apart, so this cannot underflow unless
         tokens leave the pool by another way).
    """
    return staticcall _TOKEN.balanceOf(self) - self._held % HALF_WORD


@internal
def _hold(pending: uint256, reserved: uint256):
    """
    @dev Store the pending deposits and the reserved cash (both base units,
         each below 2**128: any real token amount is).
    """
    assert (
        pending < HALF_WORD and reserved < HALF_WORD
    ), "pool: amount too large"
    self._held = pending | (reserved << 128)


@internal
@view
def _check_book_closed():
    """
    @dev Instant ERC-4626 flows only while no leg is open: the NAV is then
         cash less claims, with no price in it for an LP to trade ahead of.
    """
    assert len(self._active) == 0, "pool: book open, use a request"


@internal
def _request(
    is_deposit: bool, amount: uint256, quoted: uint256, receiver: address
) -> uint256:
    """
    @dev Record request `request_count` of the caller, mature after LP_DELAY.
    """
    assert receiver != empty(address), "pool: zero receiver"
    assert receiver != self, "pool: receiver is the pool"
    request_id: uint256 = self.request_count
    mature: uint256 = block.timestamp + LP_DELAY
    self.requests[request_id] = ILiquidityPool.LpRequest(
        owner=msg.sender,
        receiver=receiver,
        is_deposit=is_deposit,
        amount=amount,
        quoted=quoted,
        mature=mature,
        reserved=0,
    )
    self.request_count = request_id + 1
    log ILiquidityPool.LpRequested(
        id=request_id,
        owner=msg.sender,
        receiver=receiver,
        is_deposit=is_deposit,
        amount=amount,
        quoted=quoted,
        mature=mature,
    )
    return request_id


@internal
def _send(amount: uint256):
    assert extcall _TOKEN.transfer(
        msg.sender, amount, default_return_value=True
    ), "pool: transfer failed"


@internal
@view
def _liability() -> int256:
    """
    @dev sum over active series of net * mark - size_entry, WAD quote; one
         `marks` call per underlying (series sharing it are grouped).
    """
    active: DynArray[uint256, constants.MAX_ACTIVE_SERIES] = self._active
    if len(active) == 0:
        return 0
    infos: DynArray[
        IRegistry.SeriesInfo, constants.MAX_ACTIVE_SERIES
    ] = staticcall REGISTRY.terms_many(active)
    n: uint256 = len(active)
    done: bool[constants.MAX_ACTIVE_SERIES] = empty(
        bool[constants.MAX_ACTIVE_SERIES]
    )
    total: int256 = 0
    for i: uint256 in range(n, bound=constants.MAX_ACTIVE_SERIES):
        if done[i]:
            continue
        underlying: bytes32 = infos[i].underlying
        group: DynArray[uint256, constants.MAX_ACTIVE_SERIES] = []
        terms: DynArray[series_terms.Terms, constants.MAX_ACTIVE_SERIES] = []
        for j: uint256 in range(i, n, bound=constants.MAX_ACTIVE_SERIES):
            if not done[j] and infos[j].underlying == underlying:
                done[j] = True
                group.append(active[j])
                terms.append(
                    series_terms.Terms(
                        strike=infos[j].strike,
                        expiry=infos[j].expiry,
                        is_call=infos[j].is_call,
                    )
                )
        marks: DynArray[
            uint256, constants.MAX_ACTIVE_SERIES
        ] = staticcall ENGINE.marks(
            underlying,
            terms,
            (staticcall REGISTRY.risk_params(underlying)).rate,
        )
        for k: uint256 in range(len(group), bound=constants.MAX_ACTIVE_SERIES):
            series_id: uint256 = group[k]
            total += (
                self.series_net_size[series_id]
                * convert(marks[k], int256) // constants.IWAD
                - self.series_size_entry[series_id]
            )
    return total


@internal
def _add_leg(series_id: uint256):
    """
    @dev One more open leg in `series_id`; activates the series on its first.
    """
    legs: uint256 = self.series_open_legs[series_id]
    if legs == 0:
        assert (
            len(self._active) < constants.MAX_ACTIVE_SERIES
        ), "pool: too many active series"
        self._active.append(series_id)
        self._active_index[series_id] = len(self._active)
    self.series_open_legs[series_id] = legs + 1


@internal
def _remove_leg(series_id: uint256):
    """
    @dev One open leg fewer; the last one swaps-and-pops the series out of
         the active list (its net size and size x entry are then 0).
    """
    legs: uint256 = self.series_open_legs[series_id] - 1
    self.series_open_legs[series_id] = legs
    if legs != 0:
        return
    index: uint256 = self._active_index[series_id] - 1
    last: uint256 = self._active.pop()
    if last != series_id:
        self._active[index] = last
        self._active_index[last] = index + 1
    self._active_index[series_id] = 0


@internal
@view
def _to_shares(assets: uint256, roundup: bool) -> uint256:
    # virtual shares and one virtual asset as in snekmate, against inflation
    # attacks and the rounding loss of a deposit into a share-less leftover
    return math._mul_div(
        assets,
        erc4626.erc20.totalSupply + _VIRTUAL_SHARES,
        self._total_assets() + 1,
        roundup,
    )


@internal
@view
def _to_assets(shares: uint256, roundup: bool) -> uint256:
    return math._mul_div(
        shares,
        self._total_assets() + 1,
        erc4626.erc20.totalSupply + _VIRTUAL_SHARES,
        roundup,
    )


@internal
def _pull(assets: uint256):
    """
    @dev Take `assets` from the caller, rejecting fee-on-transfer tokens.
    """
    before: uint256 = staticcall _TOKEN.balanceOf(self)
    assert extcall _TOKEN.transferFrom(
        msg.sender, self, assets, default_return_value=True
    ), "pool: transfer failed"
    assert (
        staticcall _TOKEN.balanceOf(self) - before == assets
    ), "pool: fee-on-transfer token"
