# pragma version ~=0.4.3
"""
@title aging_oracle_mock
@notice Settable oracle for the fuzzing campaign that ages like the real one:
        `price` and `vol` revert once the spot is older than `max_age`
        (age == max_age still reads), so time warps cross the staleness
        boundary exactly as with contracts/Oracle.vy. Vol is a smile: a flat
        ATM vol per expiry plus optional per-strike overrides. Never deployed
        on a real network.
"""

from ..interfaces import IOracle

implements: IOracle

# @dev Largest accepted max_age, seconds (a year).
MAX_MAX_AGE: constant(uint256) = 31_536_000

max_age: public(uint256)
_spot: HashMap[bytes32, uint256]
_updated: HashMap[bytes32, uint256]
_atm_vol: HashMap[bytes32, HashMap[uint256, uint256]]
_strike_vol: HashMap[bytes32, HashMap[uint256, HashMap[uint256, uint256]]]
_settlement: HashMap[bytes32, HashMap[uint256, uint256]]
_held: HashMap[bytes32, bool]


@deploy
def __init__(max_age: uint256):
    """
    @param max_age Seconds a spot stays fresh (> 0, at most a year).
    """
    assert max_age > 0 and max_age <= MAX_MAX_AGE, "oracle_mock: max_age"
    self.max_age = max_age


@external
def set_price(underlying: bytes32, price: uint256):
    """
    @notice Set the spot of `underlying` (WAD, > 0), observed now.
    @param underlying Feed id.
    @param price Spot, WAD quote per unit; > 0.
    """
    assert price > 0, "oracle_mock: zero price"
    self._spot[underlying] = price
    self._updated[underlying] = block.timestamp


@external
def set_vol(underlying: bytes32, expiry: uint256, vol: uint256):
    """
    @notice Set the ATM implied vol of (`underlying`, `expiry`), WAD.
    @param underlying Feed id.
    @param expiry Unix seconds.
    @param vol ATM vol, annualised WAD (1e18 = 100 %); 0 unsets it.
    """
    self._atm_vol[underlying][expiry] = vol


@external
def set_strike_vol(
    underlying: bytes32, expiry: uint256, strike: uint256, vol: uint256
):
    """
    @notice Override the vol of one strike (WAD); 0 falls back to the ATM vol.
    @param underlying Feed id.
    @param expiry Unix seconds.
    @param strike WAD quote per unit.
    @param vol Annualised WAD (1e18 = 100 %); 0 clears the override.
    """
    self._strike_vol[underlying][expiry][strike] = vol


@external
def set_settlement_price(underlying: bytes32, expiry: uint256, price: uint256):
    """
    @notice Fix the settlement spot of (`underlying`, `expiry`), WAD, once.
    @param underlying Feed id.
    @param expiry Unix seconds, at or before now.
    @param price Settlement spot, WAD quote per unit.
    @dev Reverts "oracle_mock: not expired" before `expiry` and
         "oracle_mock: already fixed" once a non-zero price is set.
    """
    assert expiry <= block.timestamp, "oracle_mock: not expired"
    assert (
        self._settlement[underlying][expiry] == 0
    ), "oracle_mock: already fixed"
    self._settlement[underlying][expiry] = price


@external
@view
def price(underlying: bytes32) -> uint256:
    """
    @notice Spot of `underlying`, WAD; reverts when unset or older than max_age.
    @param underlying Feed id.
    @return uint256 The spot, WAD quote per unit.
    """
    self._check_fresh(underlying)
    return self._spot[underlying]


@external
@view
def vol(underlying: bytes32, strike: uint256, expiry: uint256) -> uint256:
    """
    @notice Vol of (`underlying`, `strike`, `expiry`), WAD; reverts when stale.
    @param underlying Feed id.
    @param strike WAD quote per unit.
    @param expiry Unix seconds.
    @return uint256 The strike's override if set, else the ATM vol;
            annualised WAD (1e18 = 100 %).
    @dev Reverts "oracle: stale price" when the spot is unset or older than
         max_age, "oracle: stale vol" when neither vol is set.
    """
    self._check_fresh(underlying)
    v: uint256 = self._strike_vol[underlying][expiry][strike]
    if v == 0:
        v = self._atm_vol[underlying][expiry]
    assert v != 0, "oracle: stale vol"
    return v


@external
@view
def settlement_price(underlying: bytes32, expiry: uint256) -> uint256:
    """
    @notice Settlement spot for `expiry`, WAD; 0 until fixed.
    @param underlying Feed id.
    @param expiry Unix seconds.
    @return uint256 The settlement spot, WAD quote per unit; 0 until fixed.
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


@internal
@view
def _check_fresh(underlying: bytes32):
    assert self._spot[underlying] != 0, "oracle: stale price"
    assert (
        block.timestamp <= self._updated[underlying] + self.max_age
    ), "oracle: stale price"


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
