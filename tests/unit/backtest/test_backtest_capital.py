"""Reg-T and Deribit new money: the premium-inclusive rules of risk_table, net of the premium."""

import pytest

from ringfence.risk_table import deribit, reg_t
from ringfence.tools.backtest.capital import PricedLeg, deribit_new_money, reg_t_new_money

S = 2000.0
MARKS = {(1800, False): 91.36, (2000, True): 182.60, (2000, False): 182.60, (2200, True): 107.96,
         (1600, False): 30.10, (2400, True): 55.20}  # fmt: skip
SAME_EXPIRY = [
    [(2000, True, -1)],
    [(2200, True, -1)],
    [(1800, False, -1)],
    [(2000, True, 1)],
    [(2000, True, -1), (2000, False, -1)],
    [(2000, True, 1), (2200, True, -1)],
    [(2000, True, -1), (2200, True, 1)],
    [(1600, False, 1), (1800, False, -1), (2200, True, -1), (2400, True, 1)],
    [(2000, True, 1), (2000, False, 1)],
]


def _priced(legs):
    return [PricedLeg(30, k, c, s, MARKS[(k, c)]) for k, c, s in legs]


def _received(legs):
    return sum(-s * MARKS[(k, c)] for k, c, s in legs if s < 0)


@pytest.mark.parametrize("legs", SAME_EXPIRY)
def test_reg_t__same_expiry_strategies__risk_table_rule_net_of_credit(legs):
    # risk_table.reg_t is premium-inclusive (a short's requirement counts the premium it
    # received; a long or a debit spread is its premium): new money nets the credit received
    marks = [MARKS[(k, c)] for k, c, _ in legs]
    net = sum(s * m for (_, _, s), m in zip(legs, marks, strict=True))
    expected = reg_t(legs, marks, S) - max(-net, 0.0)
    assert reg_t_new_money(_priced(legs), S) == pytest.approx(expected)


@pytest.mark.parametrize("legs", SAME_EXPIRY)
def test_deribit__every_strategy__risk_table_im_minus_premium_received(legs):
    marks = [MARKS[(k, c)] for k, c, _ in legs]
    im, _ = deribit(legs, marks, S)
    assert deribit_new_money(_priced(legs), S) == pytest.approx(im - _received(legs))


def test_reg_t__naked_short__percent_of_spot_without_premium():
    assert reg_t_new_money(_priced([(2000, True, -1)]), S) == pytest.approx(0.20 * S)
    assert reg_t_new_money(_priced([(2200, True, -1)]), S) == pytest.approx(0.20 * S - 200)
    # a far OTM put is floored at 10 % of its strike
    assert reg_t_new_money(_priced([(1600, False, -1)]), S) == pytest.approx(0.10 * 1600)


def test_reg_t__ratio_spread__one_short_covered_one_naked():
    legs = [(2000, True, 1), (2200, True, -2)]
    debit = MARKS[(2000, True)] - 2 * MARKS[(2200, True)]
    naked = MARKS[(2200, True)] + max(0.20 * S - 200, 0.10 * S)
    assert reg_t_new_money(_priced(legs), S) == pytest.approx(debit + naked)


def test_reg_t__calendar__long_far_covers_short_near():
    legs = [PricedLeg(7, 2000, True, -1, 100.0), PricedLeg(30, 2000, True, 1, 182.6)]
    assert reg_t_new_money(legs, S) == pytest.approx(82.6)
    # the reverse calendar (long near, short far) is not covered: the short is naked
    reverse = [PricedLeg(7, 2000, True, 1, 100.0), PricedLeg(30, 2000, True, -1, 182.6)]
    assert reg_t_new_money(reverse, S) == pytest.approx(100.0 + 0.20 * S)


def test_reg_t__iron_condor__widest_side_minus_credit():
    legs = [(1600, False, 1), (1800, False, -1), (2200, True, -1), (2400, True, 1)]
    credit = MARKS[(1800, False)] + MARKS[(2200, True)] - MARKS[(1600, False)] - MARKS[(2400, True)]
    assert reg_t_new_money(_priced(legs), S) == pytest.approx(200 - credit)
