# pragma version ~=0.4.3
"""
@title reentrant_token_mock
@notice Adversarial ERC-20 for the fuzzing campaign: when an armed contract
        (the trigger, e.g. the clearing house) calls `transfer` or
        `transferFrom`, the token first calls back into a configured target
        with configured calldata, and records whether that nested call
        succeeded. The protocol must make every such call fail (reentrancy
        is impossible). Never deployed on a real network.
@dev Built on snekmate's erc20; only `transfer` and `transferFrom` are
     rewritten so that the callback happens inside the token call.
"""

from snekmate.auth import ownable
from snekmate.tokens import erc20

initializes: ownable
initializes: erc20[ownable := ownable]

exports: (
    erc20.name,
    erc20.symbol,
    erc20.decimals,
    erc20.balanceOf,
    erc20.allowance,
    erc20.totalSupply,
    erc20.approve,
)

MAX_MINT: constant(uint256) = 10**30
MAX_CALLDATA: constant(uint256) = 1_024

# @dev Per trigger (the caller of transfer / transferFrom): the contract the
#      token calls back into (none when empty) and the calldata of the call.
target: public(HashMap[address, address])
payload: public(HashMap[address, Bytes[MAX_CALLDATA]])
# @dev Number of callbacks attempted and of callbacks that succeeded.
attempts: public(uint256)
successes: public(uint256)
# @dev Revert data of the last failed callback (its reason), for tests.
last_error: public(Bytes[MAX_CALLDATA])


@deploy
def __init__(name_: String[25], symbol_: String[5], decimals_: uint8):
    """
    @notice Deploy the token with `decimals_` decimal places (at most 36).
    """
    assert decimals_ <= 36, "reentrant_token: decimals > 36"
    ownable.__init__()
    erc20.__init__(name_, symbol_, decimals_, name_, "1")


@external
def mint(to: address, amount: uint256):
    """
    @notice Create `amount` base units for `to`. Open to anyone: test only.
    @param to Receiver of the new tokens.
    @param amount Base units, at most 1e30.
    """
    assert amount <= MAX_MINT, "reentrant_token: mint too large"
    erc20._mint(to, amount)


@external
def arm(trigger: address, target: address, payload: Bytes[MAX_CALLDATA]):
    """
    @notice Whenever `trigger` moves tokens, first call `target` with
            `payload` (empty target: off).
    @param trigger The caller of `transfer` / `transferFrom` that sets off
           the callback (e.g. the clearing house).
    @param target The contract called back; the empty address disarms
           `trigger`.
    @param payload Calldata of the callback, at most 1,024 bytes.
    """
    self.target[trigger] = target
    self.payload[trigger] = payload


@external
def transfer(to: address, amount: uint256) -> bool:
    """
    @notice ERC-20 transfer, after the callback.
    @param to The account credited.
    @param amount Base units debited from the caller.
    @return bool Always True (reverts on an insufficient balance).
    """
    self._callback()
    erc20._transfer(msg.sender, to, amount)
    return True


@external
def transferFrom(owner: address, to: address, amount: uint256) -> bool:
    """
    @notice ERC-20 transferFrom, after the callback.
    @param owner The account debited; the caller spends its allowance.
    @param to The account credited.
    @param amount Base units debited from `owner`.
    @return bool Always True (reverts on an insufficient balance or
            allowance).
    """
    self._callback()
    erc20._spend_allowance(owner, msg.sender, amount)
    erc20._transfer(owner, to, amount)
    return True


@internal
def _callback():
    target: address = self.target[msg.sender]
    if target == empty(address):
        return
    self.attempts += 1
    ok: bool = False
    response: Bytes[MAX_CALLDATA] = b""
    ok, response = raw_call(
        target,
        self.payload[msg.sender],
        max_outsize=MAX_CALLDATA,
        revert_on_failure=False,
    )
    if ok:
        self.successes += 1
    else:
        self.last_error = response
