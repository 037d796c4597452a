# pragma version ~=0.4.3
"""
@title constants
@notice The protocol's shared constants: fixed-point units, time, and the
        bounds every contract and interface sizes its arrays with. One
        definition each; import as `from .lib import constants`.
"""

# ============================================================== fixed point

# @dev 1.0 in WAD fixed point (prices, sizes, vols, Greeks, margin).
WAD: constant(uint256) = 10**18
IWAD: constant(int256) = 10**18
# @dev A year, seconds (365 days): the unit of `tau` and of every annual rate.
YEAR: constant(uint256) = 31_536_000

# =================================================================== bounds

# @dev Legs of one vault (a single option or a pod of up to four).
MAX_LEGS: constant(uint256) = 4
# @dev Legs the ABI of `open_position` accepts, so 5-8 get a clear revert.
MAX_INPUT_LEGS: constant(uint256) = 8
# @dev Vault ids per batch call (`liquidate_many`, `settle_many`, `health_many`).
MAX_BATCH: constant(uint256) = 50
# @dev Series the pool's book may hold open legs in at once (its NAV loop).
MAX_ACTIVE_SERIES: constant(uint256) = 32
# @dev Underlyings the registry can configure (their index fits 8 bits).
MAX_UNDERLYINGS: constant(uint256) = 255

# ========================================================== registry listing

# @dev How much `Registry.listing` reads: terms only (settlement); the pricing
#      parameters (health); also the trading parameters (closing,
#      liquidating); everything an opening checks; or the pricing parameters
#      and the pause flag (removing collateral).
LISTING_TERMS: constant(uint256) = 0
LISTING_PRICED: constant(uint256) = 1
LISTING_TRADED: constant(uint256) = 2
LISTING_OPENING: constant(uint256) = 3
LISTING_WITHDRAWAL: constant(uint256) = 4
