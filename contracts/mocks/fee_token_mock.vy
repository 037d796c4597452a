# pragma version ~=0.4.3
"""
@title fee_token_mock
@notice Minimal ERC-20 that burns 1 % of every transfer (a fee-on-transfer
        token) and, when `fail` is set, returns False from transfers instead
        of moving anything; with `reenter` set, every transfer calls back
        `reenter.withdraw(1)` (a hostile token hook). Test only: the clearing
        house and the pool must refuse the first two at deposit and block
        the re-entry.
"""

from ethereum.ercs import IERC20

implements: IERC20


interface IWithdraw:
    def withdraw(amount: uint256): nonpayable


FEE_BPS: constant(uint256) = 100

decimals: public(uint8)
totalSupply: public(uint256)
balanceOf: public(HashMap[address, uint256])
allowance: public(HashMap[address, HashMap[address, uint256]])
fee_enabled: public(bool)
fail: public(bool)
reenter: public(address)


@deploy
def __init__(decimals_: uint8):
    self.decimals = decimals_
    self.fee_enabled = True


@external
def set_mode(fee_enabled: bool, fail: bool):
    """
    @notice Switch the transfer fee and the "return False" failure mode.
    @param fee_enabled True to burn 1 % (rounded down) of every transfer.
    @param fail True to make `transfer` and `transferFrom` return False
           without moving anything.
    """
    self.fee_enabled = fee_enabled
    self.fail = fail


@external
def set_reenter(target: address):
    """
    @notice Make every transfer call `target.withdraw(1)` first (empty: off).
    @param target The contract called back; the empty address turns it off.
    """
    self.reenter = target


@external
def mint(to: address, amount: uint256):
    """
    @notice Create `amount` base units for `to`. Open: test only.
    @param to Receiver of the new tokens.
    @param amount Base units.
    """
    self.balanceOf[to] += amount
    self.totalSupply += amount
    log IERC20.Transfer(sender=empty(address), receiver=to, value=amount)


@external
def approve(spender: address, amount: uint256) -> bool:
    """
    @notice Allow `spender` to move `amount` base units of the caller's.
    @param spender The account allowed to spend.
    @param amount Base units (replaces the previous allowance).
    @return bool Always True.
    """
    self.allowance[msg.sender][spender] = amount
    log IERC20.Approval(owner=msg.sender, spender=spender, value=amount)
    return True


@external
def transfer(receiver: address, amount: uint256) -> bool:
    """
    @notice Send `amount`; the receiver gets 1 % less while the fee is on.
    @param receiver The account credited.
    @param amount Base units debited from the caller.
    @return bool False in failure mode (nothing moves), else True.
    """
    return self._move(msg.sender, receiver, amount)


@external
def transferFrom(sender: address, receiver: address, amount: uint256) -> bool:
    """
    @notice Move `amount` of `sender`'s under allowance; 1 % fee while on.
    @param sender The account debited; the caller spends its allowance.
    @param receiver The account credited.
    @param amount Base units debited from `sender`.
    @return bool False in failure mode (nothing moves, no allowance spent),
            else True.
    """
    if self.fail:
        return False
    self.allowance[sender][msg.sender] -= amount
    return self._move(sender, receiver, amount)


@internal
def _move(sender: address, receiver: address, amount: uint256) -> bool:
    if self.fail:
        return False
    if self.reenter != empty(address):
        extcall IWithdraw(self.reenter).withdraw(1)
    fee: uint256 = 0
    if self.fee_enabled:
        fee = amount * FEE_BPS // 10_000
    self.balanceOf[sender] -= amount
    self.balanceOf[receiver] += amount - fee
    self.totalSupply -= fee
    log IERC20.Transfer(sender=sender, receiver=receiver, value=amount - fee)
    return True
