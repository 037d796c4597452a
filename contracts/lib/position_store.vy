# pragma version ~=0.4.3
"""
@title position_store
@notice Storage of Ringfence's isolated vaults, packed so that a one-leg
        health check reads three slots: the vault's owner and leg count, its
        collateral, and one word per leg (series id, signed size, entry price).
@dev Ids start at 1 and are never reused: a closed vault keeps its id and its
     owner word is cleared (n_legs == 0 means "not open").
"""

# @dev Leg word layout: series id (bits 0-31) | size + 2**111 (bits 32-143)
#      | entry price (bits 144-255). Size and entry are WAD.
SIZE_OFFSET: constant(int256) = 2**111
MAX_LEG_SIZE: constant(int256) = 2**111 - 1
MAX_ENTRY: constant(uint256) = 2**112 - 1
MAX_SERIES_ID: constant(uint256) = 2**32 - 1
MASK_32: constant(uint256) = 2**32 - 1
MASK_112: constant(uint256) = 2**112 - 1
MAX_LEGS: constant(uint256) = 4


# @dev Next id to hand out; 0 is never an id.
next_id: uint256
# @dev owner (bits 0-159) | n_legs (bits 160-167).
_meta: HashMap[uint256, uint256]
# @dev Collateral of each vault, base units of the quote token.
collateral: HashMap[uint256, uint256]
_legs: HashMap[uint256, uint256[MAX_LEGS]]


@deploy
def __init__():
    self.next_id = 1


@internal
@view
def _owner_and_count(position_id: uint256) -> (address, uint256):
    """
    @dev (owner, number of legs); (empty, 0) for an id that is not open.
    """
    word: uint256 = self._meta[position_id]
    return convert(
        convert(word & (2**160 - 1), uint160), address
    ), word >> 160


@internal
@view
def _leg(position_id: uint256, i: uint256) -> (uint256, int256, uint256):
    """
    @dev (series id, size WAD, entry price WAD) of leg `i`.
    """
    word: uint256 = self._legs[position_id][i]
    size: int256 = convert((word >> 32) & MASK_112, int256) - SIZE_OFFSET
    return word & MASK_32, size, word >> 144


@internal
def _set_leg(
    position_id: uint256,
    i: uint256,
    series_id: uint256,
    size: int256,
    entry: uint256,
):
    assert series_id <= MAX_SERIES_ID, "position_store: series id"
    assert abs(size) <= MAX_LEG_SIZE, "position_store: size"
    assert entry <= MAX_ENTRY, "position_store: entry"
    packed_size: uint256 = convert(size + SIZE_OFFSET, uint256)
    self._legs[position_id][i] = series_id | packed_size << 32 | entry << 144


@internal
def _create(owner: address, n_legs: uint256, collateral: uint256) -> uint256:
    """
    @dev Take the next id and record owner, leg count and collateral.
    """
    position_id: uint256 = self.next_id
    self.next_id = position_id + 1
    self._meta[position_id] = convert(owner, uint256) | n_legs << 160
    self.collateral[position_id] = collateral
    return position_id


@internal
def _delete(position_id: uint256, n_legs: uint256):
    """
    @dev Clear a vault entirely (its id stays used: `next_id` only grows).
    """
    self._meta[position_id] = 0
    self.collateral[position_id] = 0
    for i: uint256 in range(n_legs, bound=MAX_LEGS):
        self._legs[position_id][i] = 0
