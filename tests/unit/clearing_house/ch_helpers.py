"""Helpers shared by the clearing-house tests (imported as a plain module)."""

import boa

from ringfence.risk_table import ETH, WAD


def open_vault(proto, owner, legs, collateral, max_cost=None):
    """Open a vault of `legs` [(strike, is_call, size_in_units)] with `collateral` units."""
    encoded = [(proto.series[(strike, is_call)], int(size * WAD)) for strike, is_call, size in legs]
    cap = proto.units(1_000_000) if max_cost is None else max_cost
    with boa.env.prank(owner):
        return proto.ch.open_position(encoded, proto.units(collateral), cap)


def set_spot(proto, spot):
    proto.oracle.set_price(ETH, int(spot * WAD))


def equity_im_mm(proto, pid):
    return proto.ch.health(pid)


def held_by_clearing_house(proto, accounts):
    """Sum of the free balances of `accounts`, every vault's collateral and liquidation
    deposit, and the insurance fund."""
    total = proto.ch.insurance_fund()
    total += sum(proto.ch.free_balance(a) for a in set(accounts))
    deposit = proto.ch.LIQUIDATION_DEPOSIT()
    for pid in range(1, proto.ch.next_position_id()):
        p = proto.view.position(pid)
        total += p.collateral + (deposit if p.legs else 0)
    return total


def assert_conserved(proto, accounts):
    """SPEC 4.2, exactly: the clearing house holds what its books say, no more, no less."""
    assert proto.token.balanceOf(proto.ch.address) == held_by_clearing_house(proto, accounts)


def closing_log(contract):
    """The event of the last call that emptied a vault (closed, liquidated whole or settled),
    checking that the empty `VaultState` snapshot follows it."""
    *_, action, state = contract.get_logs()
    assert type(state).__name__ == "VaultState"
    assert state.position_id == action.position_id
    assert (state.collateral, state.sizes) == (0, [0, 0, 0, 0])
    return action


def event_names(contract):
    return [type(e).__name__ for e in contract.get_logs()]
