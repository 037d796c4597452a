# pragma version ~=0.4.3
"""
@title oracle_mock
@notice Test double of Ringfence's oracle: implements IOracle with open
        setters so tests and benchmarks can move spot, vol and settlement
        prices and make a feed stale. Never deployed on a real network.
@dev Vol is flat per (underlying, expiry): the smile is the real oracle's job.
"""

from ..interfaces import IOracle

implements: IOracle

STALE_BIT: constant(uint256) = 1 << 255

# @dev spot (bits 0-254) | stale flag (bit 255): one slot per read, like a packed feed.
_spot: HashMap[bytes32, uint256]
_updated: HashMap[bytes32, uint256]
_vol: HashMap[bytes32, HashMap[uint256, uint256]]
_settlement: HashMap[bytes32, HashMap[uint256, uint256]]
_held: HashMap[bytes32, bool]


@external
def set_price(underlying: bytes32, price: uint256):
    """
    @notice Set the spot of `underlying`, WAD quote per unit; stamps `last_update`.
    @param underlying Feed id.
    @param price WAD quote per unit, below 2**255 (0 makes `price` revert);
           the stale flag is kept.
    """
    assert price < STALE_BIT, "oracle_mock: price too large"
    self._spot[underlying] = price | (self._spot[underlying] & STALE_BIT)
    self._updated[underlying] = block.timestamp


@external
def set_vol(underlying: bytes32, expiry: uint256, vol: uint256):
    """
    @notice Set the flat implied vol of (`underlying`, `expiry`), annualised WAD.
    @param underlying Feed id.
    @param expiry Unix seconds.
    @param vol Annualised WAD (1e18 = 100 %); 0 makes `vol` revert.
    """
    self._vol[underlying][expiry] = vol


@external
def set_settlement_price(underlying: bytes32, expiry: uint256, price: uint256):
    """
    @notice Fix the settlement spot of (`underlying`, `expiry`), WAD.
    @param underlying Feed id.
    @param expiry Unix seconds.
    @param price Settlement spot, WAD quote per unit (may be overwritten).
    """
    self._settlement[underlying][expiry] = price


@external
def set_stale(underlying: bytes32, stale: bool):
    """
    @notice Make `price` and `vol` of `underlying` revert (or read again).
    @param underlying Feed id.
    @param stale True to make reads revert, False to restore them.
    """
    word: uint256 = self._spot[underlying] & (STALE_BIT - 1)
    if stale:
        word |= STALE_BIT
    self._spot[underlying] = word


@external
@view
def price(underlying: bytes32) -> uint256:
    """
    @notice Spot of `underlying`, WAD; reverts "oracle: stale price" when stale or unset.
    @param underlying Feed id.
    @return uint256 The spot, WAD quote per unit.
    """
    p: uint256 = self._spot[underlying]
    assert p != 0 and p < STALE_BIT, "oracle: stale price"
    return p


@external
@view
def vol(underlying: bytes32, strike: uint256, expiry: uint256) -> uint256:
    """
    @notice Flat vol of (`underlying`, `expiry`), WAD; reverts when stale or unset.
    @param underlying Feed id.
    @param strike WAD quote per unit; ignored (the vol is flat).
    @param expiry Unix seconds.
    @return uint256 The vol, annualised WAD (1e18 = 100 %).
    @dev Reverts "oracle: stale price" when stale, "oracle: stale vol" when
         the vol is unset.
    """
    assert self._spot[underlying] < STALE_BIT, "oracle: stale price"
    v: uint256 = self._vol[underlying][expiry]
    assert v != 0, "oracle: stale vol"
    return v


@external
@view
def settlement_price(underlying: bytes32, expiry: uint256) -> uint256:
    """
    @notice Settlement spot for `expiry`, WAD; 0 until set.
    @param underlying Feed id.
    @param expiry Unix seconds.
    @return uint256 The settlement spot, WAD quote per unit; 0 until set.
    """
    return self._settlement[underlying][expiry]


@external
@view
def last_update(underlying: bytes32) -> uint256:
    """
    @notice Timestamp of the last `set_price` of `underlying`.
    @param underlying Feed id.
    @return uint256 Unix seconds; 0 when never set.
    """
    return self._updated[underlying]


@external
def set_breaker_held(underlying: bytes32, held: bool):
    """
    @notice Test hook: hold (or release) the spot circuit breaker.
    @param underlying Feed id.
    @param held True to hold.
    """
    self._held[underlying] = held


@external
@view
def breaker_held(underlying: bytes32) -> bool:
    """
    @notice Whether `set_breaker_held` holds the breaker of `underlying`.
    @param underlying Feed id.
    @return bool True while held.
    """
    return self._held[underlying]
