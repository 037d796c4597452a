"""Kupiec's proportion-of-failures test, breach intervals and tail measures: known values."""

import math

import numpy as np
import pytest

from ringfence.tools.backtest.stats import (
    clopper_pearson,
    expected_shortfall,
    kupiec,
    value_at_risk,
)

# Kupiec (1995) / Jorion, "Value at Risk", table 6-3: the non-rejection regions lo < x < hi
# of the 5 % test for breach probability p over T observations.
JORION = [
    (0.01, 510, 1, 11),
    (0.01, 1000, 4, 17),
    (0.025, 255, 2, 12),
    (0.025, 510, 6, 21),
    (0.025, 1000, 15, 36),
    (0.05, 255, 6, 21),
    (0.05, 510, 16, 36),
    (0.05, 1000, 37, 65),
    (0.10, 1000, 81, 120),
]


@pytest.mark.parametrize(("p", "trials", "lo", "hi"), JORION)
def test_kupiec__jorion_table__same_non_rejection_region(p, trials, lo, hi):
    accepted = [x for x in range(trials + 1) if not kupiec(x, trials, p).reject]
    assert (min(accepted), max(accepted)) == (lo + 1, hi - 1)


def test_kupiec__jorion_255_days_at_99__upper_bound_seven():
    # The table gives "N < 7" for T = 255, p = 1 %; its lower bound (0) is not the LR test's:
    # LR(0) = -2 * 255 * ln(0.99) = 5.13 > 3.84, which the test rightly rejects.
    assert not kupiec(6, 255, 0.01).reject
    assert kupiec(7, 255, 0.01).reject
    assert kupiec(0, 255, 0.01).lr == pytest.approx(-2 * 255 * math.log(0.99))


def test_kupiec__rate_equals_p__lr_zero_and_pass():
    k = kupiec(5, 1000, 0.005)
    assert k.lr == pytest.approx(0.0, abs=1e-12)
    assert k.p_value == pytest.approx(1.0)
    assert k.verdict == "pass"


def test_kupiec__17_in_1000_at_1_percent__hand_computed_lr():
    # null = 983 ln 0.99 + 17 ln 0.01 = -88.16737; alt = 983 ln 0.983 + 17 ln 0.017 = -86.12192
    k = kupiec(17, 1000, 0.01)
    assert k.lr == pytest.approx(4.0909, abs=1e-3)
    assert k.p_value == pytest.approx(0.0431, abs=1e-3)  # chi-squared(1) tail beyond 4.09
    assert k.verdict == "fail"


def test_kupiec__too_many_breaches__fail_too_few__conservative():
    assert kupiec(60, 10_000, 0.005).verdict == "pass"
    assert kupiec(80, 10_000, 0.005).verdict == "fail"
    assert kupiec(20, 10_000, 0.005).verdict == "conservative"
    assert kupiec(0, 200_000, 0.005).verdict == "conservative"


def test_kupiec__every_path_breaches__finite_lr():
    k = kupiec(100, 100, 0.005)
    assert k.lr == pytest.approx(-2 * 100 * math.log(0.005))
    assert k.verdict == "fail"


def test_kupiec__bad_counts__value_error():
    with pytest.raises(ValueError):
        kupiec(11, 10, 0.005)
    with pytest.raises(ValueError):
        kupiec(1, 10, 0.0)


def test_clopper_pearson__no_breach__closed_form_upper_bound():
    lo, hi = clopper_pearson(0, 100)
    assert lo == 0.0
    assert hi == pytest.approx(1 - 0.025 ** (1 / 100))


def test_clopper_pearson__covers_the_rate():
    lo, hi = clopper_pearson(50, 10_000)
    assert lo < 0.005 < hi
    assert hi - lo == pytest.approx(0.0029, abs=2e-4)


def test_tail_measures__losses_one_to_thousand__known_values():
    losses = np.random.default_rng(0).permutation(np.arange(1.0, 1001.0))
    assert value_at_risk(losses, 0.99) == 991.0
    assert expected_shortfall(losses, 0.99) == pytest.approx(995.5)
    assert expected_shortfall(losses, 0.995) == pytest.approx(998.0)
