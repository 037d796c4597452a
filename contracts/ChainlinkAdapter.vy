# pragma version ~=0.4.3
# pragma nonreentrancy off
"""
@title ChainlinkAdapter
@notice A Chainlink AggregatorV3Interface view of one Ringfence spot feed,
        so existing tools (dashboards, lending markets' price adapters) can
        read it unchanged. Answers are WAD (`decimals() == 18`).
@dev Fails closed like the oracle: `latestRoundData` reverts with the
     oracle's "oracle: stale price" (or "oracle: no price") instead of
     returning an old answer, so a consumer that forgets to check
     `updatedAt` still cannot use a stale value. The oracle keeps only the
     latest round, so `getRoundData` answers for the latest round id and
     reverts "chainlink: no data present" for any other (Chainlink's own
     message for a missing round).
"""

from .interfaces import IAggregatorV3
from .interfaces import IRingfenceOracle

implements: IAggregatorV3

# ================================================================ constants

DECIMALS: constant(uint8) = 18
VERSION: constant(uint256) = 1

# =============================================================== immutables

ORACLE: public(immutable(IRingfenceOracle))
UNDERLYING: public(immutable(bytes32))
_DESCRIPTION: immutable(String[64])


@deploy
def __init__(oracle: address, underlying: bytes32, description: String[64]):
    """
    @param oracle The Ringfence Oracle.
    @param underlying The spot feed id (bytes32) this adapter serves.
    @param description Label returned by `description()`, e.g. "ETH / USD".
    @dev Reverts "chainlink: unknown feed" unless the oracle lists the feed.
    """
    assert oracle != empty(address), "chainlink: zero oracle"
    ORACLE = IRingfenceOracle(oracle)
    cfg: IRingfenceOracle.FeedConfig = staticcall ORACLE.feed(underlying)
    assert cfg.listed, "chainlink: unknown feed"
    UNDERLYING = underlying
    _DESCRIPTION = description


@external
@view
def decimals() -> uint8:
    """
    @notice 18: answers are WAD (1e18 = 1.0 quote per unit).
    @return uint8 The decimals of the answer, 18.
    """
    return DECIMALS


@external
@view
def description() -> String[64]:
    """
    @notice The label given at deployment.
    @return String[64] The label, e.g. "ETH / USD".
    """
    return _DESCRIPTION


@external
@view
def version() -> uint256:
    """
    @notice Adapter version, 1.
    @return uint256 The version, 1.
    """
    return VERSION


@external
@view
def latestRoundData() -> (uint80, int256, uint256, uint256, uint80):
    """
    @notice The current spot: (roundId = the feed's update counter, answer =
            spot WAD, startedAt = updatedAt = observation time (unix s),
            answeredInRound = roundId).
    @return uint80 roundId: the oracle's spot round id (its count of spot
            aggregations).
    @return int256 answer: the spot, WAD quote per unit.
    @return uint256 startedAt: the spot's freshness time, unix seconds.
    @return uint256 updatedAt: the same time as startedAt, unix seconds.
    @return uint80 answeredInRound: equal to roundId.
    @dev Reverts when the feed is stale or has no value (fails closed).
    """
    return self._latest()


@external
@view
def getRoundData(
    _roundId: uint80,
) -> (uint80, int256, uint256, uint256, uint80):
    """
    @notice The latest round when `_roundId` is its id.
    @param _roundId The round id asked for; only the latest one answers.
    @return uint80 roundId: the oracle's spot round id (its count of spot
            aggregations).
    @return int256 answer: the spot, WAD quote per unit.
    @return uint256 startedAt: the spot's freshness time, unix seconds.
    @return uint256 updatedAt: the same time as startedAt, unix seconds.
    @return uint80 answeredInRound: equal to roundId.
    @dev Reverts "chainlink: no data present" for any other round id, and
         like `latestRoundData` when the feed is stale.
    """
    round_id: uint80 = 0
    answer: int256 = 0
    started_at: uint256 = 0
    updated_at: uint256 = 0
    answered_in: uint80 = 0
    round_id, answer, started_at, updated_at, answered_in = self._latest()
    assert _roundId == round_id, "chainlink: no data present"
    return round_id, answer, started_at, updated_at, answered_in


@internal
@view
def _latest() -> (uint80, int256, uint256, uint256, uint80):
    # `price` reverts "oracle: stale price" / "oracle: no price": fail closed.
    answer: uint256 = staticcall ORACLE.price(UNDERLYING)
    spot: IRingfenceOracle.Spot = staticcall ORACLE.spot(UNDERLYING)
    # The oracle bounds prices to 1e30 (< 2**255) and counts rounds one by one.
    round_id: uint80 = convert(spot.round_id, uint80)
    return round_id, convert(
        answer, int256
    ), spot.observed_at, spot.observed_at, round_id
