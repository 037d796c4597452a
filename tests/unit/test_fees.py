"""ringfence.fees: the one EIP-1559 policy of the pusher and the keeper (first attempt under
a ceiling, waiting when the ceiling is below the base fee, same-nonce replacements)."""

import pytest

import keeper.scan
import oracle.sender
from ringfence.fees import GWEI, FeePolicy, Fees, bumped

POLICY = FeePolicy(max_fee_ceiling=10 * GWEI, priority_fee=GWEI, replace_after_blocks=3)


def test_both_services__use_this_policy():
    # the two copies had drifted (the pusher broadcast what the keeper would not): one now
    assert oracle.sender.FeePolicy is FeePolicy and keeper.scan.FeePolicy is FeePolicy


def test_bumped__values__plus_12_5_percent_rounded_up_and_at_least_one_wei():
    assert bumped(1_000) == 1_125
    assert bumped(1_001) == 1_127  # 1126.125 rounds up
    assert bumped(100) == 113  # 112.5 -> 113
    assert bumped(0) == 1 and bumped(1) == 2 and bumped(8) == 9
    assert bumped(21 * GWEI) == 23_625_000_000


def test_initial__twice_base_plus_tip_capped_at_ceiling():
    policy = FeePolicy(max_fee_ceiling=100 * GWEI, priority_fee=GWEI)
    assert policy.initial(10 * GWEI) == Fees(21 * GWEI, GWEI)
    assert POLICY.initial(2 * GWEI) == Fees(max_fee=5 * GWEI, priority_fee=GWEI)
    capped = FeePolicy(max_fee_ceiling=15 * GWEI, priority_fee=GWEI)
    assert capped.initial(10 * GWEI) == Fees(15 * GWEI, GWEI)


@pytest.mark.parametrize("base_fee", [10 * GWEI + 1, 50 * GWEI])
def test_initial__ceiling_below_base_fee__none_so_nothing_is_broadcast(base_fee):
    assert POLICY.initial(base_fee) is None
    assert POLICY.initial(10 * GWEI) == Fees(10 * GWEI, GWEI)  # at the ceiling: still minable


def test_initial__fractional_multiplier__exact_in_thousandths():
    policy = FeePolicy(max_fee_ceiling=100 * GWEI, priority_fee=0, base_fee_multiplier=1.125)
    assert policy.initial(8 * GWEI + 8) == Fees(9 * GWEI + 9, 0)


def test_initial__pending_attempt_at_same_nonce__outbids_it():
    floor = Fees(max_fee=4 * GWEI, priority_fee=2 * GWEI)
    fees = POLICY.initial(GWEI, floor=floor)
    assert fees == Fees(max_fee=bumped(4 * GWEI), priority_fee=bumped(2 * GWEI))


def test_replacement__both_fees_bumped_at_least_12_5_percent():
    policy = FeePolicy(max_fee_ceiling=100 * GWEI, priority_fee=GWEI)
    new = policy.replacement(Fees(21 * GWEI, GWEI), base_fee=10 * GWEI)
    assert new == Fees(23_625_000_000, 1_125_000_000)
    assert POLICY.replacement(Fees(8 * GWEI, GWEI), base_fee=0) == Fees(9 * GWEI, 1_125_000_000)


def test_replacement__after_base_fee_jump__follows_the_market():
    policy = FeePolicy(max_fee_ceiling=100 * GWEI, priority_fee=GWEI)
    new = policy.replacement(Fees(21 * GWEI, GWEI), base_fee=30 * GWEI)
    # 2 x 30 + bumped tip 1.125 gwei beats the bare 12.5 % bump
    assert new == Fees(61_125_000_000, 1_125_000_000)


def test_replacement__partly_above_ceiling__capped_when_bump_still_fits():
    policy = FeePolicy(max_fee_ceiling=24 * GWEI, priority_fee=GWEI)
    assert policy.replacement(Fees(21 * GWEI, GWEI), base_fee=30 * GWEI) == Fees(
        24 * GWEI, 1_125_000_000
    )


def test_replacement__ceiling_blocks_a_full_bump__none_waits_instead_of_underpricing():
    policy = FeePolicy(max_fee_ceiling=23 * GWEI, priority_fee=GWEI)
    assert policy.replacement(Fees(21 * GWEI, GWEI), base_fee=10 * GWEI) is None
    assert POLICY.replacement(Fees(9 * GWEI, GWEI), base_fee=0) is None


def test_replacement__tip_equal_to_max_fee__both_bumped_and_tip_never_above_max_fee():
    new = POLICY.replacement(Fees(8 * GWEI, 8 * GWEI), base_fee=GWEI)
    # 2 x 1 + 9 = 11 gwei wanted, capped at the 10 gwei ceiling; tip 8 x 1.125 = 9
    assert new == Fees(10 * GWEI, 9 * GWEI)


def test_should_replace__blocks_or_seconds():
    assert not POLICY.should_replace(100, 102, 0.0, 999.0)
    assert POLICY.should_replace(100, 103, 0.0, 0.0)
    timed = FeePolicy(max_fee_ceiling=10 * GWEI, replace_after_seconds=5.0)
    assert timed.should_replace(100, 100, 0.0, 5.0) and not timed.should_replace(100, 100, 0.0, 4.9)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"max_fee_ceiling": 0}, "max_fee_ceiling"),
        ({"max_fee_ceiling": GWEI, "priority_fee": -1}, "priority_fee"),
        ({"max_fee_ceiling": GWEI, "base_fee_multiplier": 0.5}, "base_fee_multiplier"),
        ({"max_fee_ceiling": GWEI, "replace_after_blocks": 0}, "replace_after_blocks"),
    ],
)
def test_policy__bad_settings__value_error_naming_the_field(kwargs, message):
    with pytest.raises(ValueError, match=message):
        FeePolicy(**kwargs)
