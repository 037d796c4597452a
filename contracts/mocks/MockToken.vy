# pragma version ~=0.4.3
"""
@title MockToken
@notice ERC-20 test token with configurable decimals and an open `mint`,
        built on snekmate's audited `erc20` module. Deployed on local
        networks as the quote (collateral) token; never on a real network.
@dev Everything except minting is snekmate's implementation, exported
     unchanged (including EIP-2612 `permit`). `mint` is public here so that
     tests and the local deploy script can fund role accounts.
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
    erc20.transfer,
    erc20.approve,
    erc20.transferFrom,
    erc20.burn,
    erc20.permit,
    erc20.nonces,
    erc20.DOMAIN_SEPARATOR,
    erc20.eip712Domain,
)


# @dev Largest amount one `mint` call may create: 10**30 base units keeps any
# realistic test balance far from uint256 overflow in WAD conversions.
MAX_MINT: constant(uint256) = 10**30


@deploy
def __init__(name_: String[25], symbol_: String[5], decimals_: uint8):
    """
    @notice Deploy a token with `decimals_` decimal places.
    @param name_ Token name, also the EIP-712 domain name.
    @param symbol_ Token symbol.
    @param decimals_ Decimal places; 0 to 36.
    """
    assert decimals_ <= 36, "mock_token: decimals > 36"
    ownable.__init__()
    erc20.__init__(name_, symbol_, decimals_, name_, "1")


@external
def mint(to: address, amount: uint256):
    """
    @notice Create `amount` base units for `to`. Open to anyone: test only.
    @param to Receiver; not the zero address.
    @param amount Base units (the token's own decimals), at most MAX_MINT.
    """
    assert amount <= MAX_MINT, "mock_token: mint too large"
    erc20._mint(to, amount)
