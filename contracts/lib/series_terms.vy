# pragma version ~=0.4.3
"""
@title series_terms
@notice The terms of a listed European series and the one storage word
        that holds them. This module is the only code that packs or reads
        the terms word; everything else passes the typed `Terms`.
@dev Terms word: strike WAD (bits 0-127) | expiry unix s (bits 128-191)
     | is_call (bit 192) | underlying index (bits 193-200, from 1). Keeping
     the underlying as a small index lets one storage read give a leg
     everything it needs.
"""

MAX_STRIKE: constant(uint256) = 10**30
MAX_EXPIRY: constant(uint256) = 2**64 - 1
MAX_INDEX: constant(uint256) = 255

STRIKE_MASK: constant(uint256) = 2**128 - 1
EXPIRY_MASK: constant(uint256) = 2**64 - 1
INDEX_MASK: constant(uint256) = 2**8 - 1
EXPIRY_SHIFT: constant(uint256) = 128
CALL_SHIFT: constant(uint256) = 192
INDEX_SHIFT: constant(uint256) = 193


struct Terms:
    strike: uint256
    expiry: uint256
    is_call: bool


@internal
@pure
def _pack(t: Terms, index: uint256) -> uint256:
    """
    @dev The terms word of `t` on the underlying with registry index `index`.
    @param t Strike in (0, 1e30] WAD, expiry < 2**64 unix s.
    @param index Underlying index in [1, 255].
    @return uint256 The packed word (never 0 for valid terms).
    """
    assert t.strike != 0 and t.strike <= MAX_STRIKE, "series_terms: strike"
    assert t.expiry <= MAX_EXPIRY, "series_terms: expiry"
    assert index != 0 and index <= MAX_INDEX, "series_terms: underlying index"
    word: uint256 = t.strike | t.expiry << EXPIRY_SHIFT | index << INDEX_SHIFT
    if t.is_call:
        word |= 1 << CALL_SHIFT
    return word


@internal
@pure
def _unpack(word: uint256) -> Terms:
    """
    @dev The typed terms of a terms word (all zero for 0).
    @param word A word made by `_pack`.
    @return Terms Strike WAD, expiry unix s, call flag.
    """
    return Terms(
        strike=word & STRIKE_MASK,
        expiry=(word >> EXPIRY_SHIFT) & EXPIRY_MASK,
        is_call=(word >> CALL_SHIFT) & 1 == 1,
    )


@internal
@pure
def _expiry(word: uint256) -> uint256:
    """
    @dev The expiry (unix s) of a terms word.
    @param word A word made by `_pack`.
    @return uint256 Expiry, unix seconds.
    """
    return (word >> EXPIRY_SHIFT) & EXPIRY_MASK


@internal
@pure
def _index(word: uint256) -> uint256:
    """
    @dev The underlying index of a terms word (0 for an unlisted series).
    @param word A word made by `_pack`.
    @return uint256 Registry index of the underlying, in [1, 255].
    """
    return (word >> INDEX_SHIFT) & INDEX_MASK
