# pragma version ~=0.4.3
"""
@title position_store
@notice Storage of Ringfence's isolated vaults, packed so that a one-leg
        health check reads two slots: the vault's owner, leg count and
        collateral in one word, and one word per leg (series id, signed size,
        entry price).
@dev Ids start at 1 and are never reused: a closed vault keeps its id and its
     owner word is cleared (n_legs == 0 means "not open").
"""

from . import constants

# @dev Leg word layout: series id (bits 0-31) | size + 2**111 (bits 32-143)
#      | entry price (bits 144-255). Size and entry are WAD.
SIZE_OFFSET: constant(int256) = 2**111
MAX_LEG_SIZE: constant(int256) = 2**111 - 1
MAX_ENTRY: constant(uint256) = 2**112 - 1
MAX_SERIES_ID: constant(uint256) = 2**32 - 1
MASK_32: constant(uint256) = 2**32 - 1
MASK_112: constant(uint256) = 2**112 - 1
# @dev Vault word layout: owner (bits 0-159) | n_legs (bits 160-162)
#      | collateral in base units (bits 163-255).
COUNT_SHIFT: constant(uint256) = 160
COLLATERAL_SHIFT: constant(uint256) = 163
OWNER_MASK: constant(uint256) = 2**160 - 1
COUNT_MASK: constant(uint256) = 7
# @dev Largest collateral of one vault, base units (~9.9e27: ~9.9e9 tokens of
#      an 18-decimal token).
MAX_COLLATERAL: constant(uint256) = 2**93 - 1


# @dev Next id to hand out; 0 is never an id.
next_id: uint256
# @dev owner | n_legs | collateral (see above); 0 when the vault is not open.
_vault: HashMap[uint256, uint256]
_legs: HashMap[uint256, uint256[constants.MAX_LEGS]]


@deploy
def __init__():
    self.next_id = 1


@internal
@view
def _owner_and_count(position_id: uint256) -> (address, uint256):
    """
    @dev (owner, number of legs); (empty, 0) for an id that is not open.
    """
    word: uint256 = self._vault[position_id]
    return convert(convert(word & OWNER_MASK, uint160), address), (
        word >> COUNT_SHIFT
    ) & COUNT_MASK


@internal
@view
def _header(position_id: uint256) -> (address, uint256, uint256):
    """
    @dev (owner, number of legs, collateral in base units); zeros when the id
         is not open.
    """
    word: uint256 = self._vault[position_id]
    return (
        convert(convert(word & OWNER_MASK, uint160), address),
        (word >> COUNT_SHIFT) & COUNT_MASK,
        word >> COLLATERAL_SHIFT,
    )


@internal
@view
def _collateral(position_id: uint256) -> uint256:
    """
    @dev Collateral of a vault, base units (0 when not open).
    """
    return self._vault[position_id] >> COLLATERAL_SHIFT


@internal
def _set_collateral(position_id: uint256, collateral: uint256):
    """
    @dev Replace the collateral of an open vault, base units.
    """
    assert collateral <= MAX_COLLATERAL, "position_store: collateral"
    word: uint256 = self._vault[position_id]
    self._vault[position_id] = (word & (2**COLLATERAL_SHIFT - 1)) | (
        collateral << COLLATERAL_SHIFT
    )


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
    assert collateral <= MAX_COLLATERAL, "position_store: collateral"
    position_id: uint256 = self.next_id
    self.next_id = position_id + 1
    self._vault[position_id] = (
        convert(owner, uint256)
        | n_legs << COUNT_SHIFT
        | collateral << COLLATERAL_SHIFT
    )
    return position_id


@internal
def _delete(position_id: uint256, n_legs: uint256):
    """
    @dev Clear a vault entirely (its id stays used: `next_id` only grows).
    """
    self._vault[position_id] = 0
    for i: uint256 in range(n_legs, bound=constants.MAX_LEGS):
        self._legs[position_id][i] = 0
