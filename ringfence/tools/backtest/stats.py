"""Backtest statistics: breach counts, Kupiec's proportion-of-failures test, tail measures.

Kupiec (1995): with x breaches in T independent trials and a model that promises a breach
probability p, the likelihood ratio

    LR = -2 ln[(1 - p)^(T - x) p^x] + 2 ln[(1 - x/T)^(T - x) (x/T)^x]

is asymptotically chi-squared with one degree of freedom. The test is two-sided: it rejects
a margin that breaches too often and one that breaches too rarely. :func:`kupiec` reports
the two-sided LR and p-value and names the direction of a rejection: ``fail`` (too many
breaches -- the margin does not give the promised coverage) or ``conservative`` (too few --
the margin over-covers at the cost of capital), ``pass`` otherwise. With the many paths of a
simulation the test is powerful: it rejects small departures from p in either direction.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy.special import xlogy
from scipy.stats import beta, chi2


@dataclass(frozen=True)
class Kupiec:
    breaches: int
    trials: int
    p: float  # the promised breach probability, 1 - confidence
    lr: float
    p_value: float
    reject: bool  # two-sided, at `alpha`
    verdict: str  # pass | fail | conservative

    def as_dict(self) -> dict:
        return asdict(self)


def kupiec(breaches: int, trials: int, p: float, alpha: float = 0.05) -> Kupiec:
    """Kupiec's POF test of `breaches` in `trials` against breach probability `p`."""
    if trials <= 0 or not 0 <= breaches <= trials or not 0 < p < 1:
        raise ValueError("kupiec: need 0 <= breaches <= trials, trials > 0, 0 < p < 1")
    x, t = breaches, trials
    rate = x / t
    null = xlogy(t - x, 1.0 - p) + xlogy(x, p)
    alt = xlogy(t - x, 1.0 - rate) + xlogy(x, rate)
    lr = max(-2.0 * (null - alt), 0.0)
    p_value = float(chi2.sf(lr, 1))
    reject = p_value < alpha
    verdict = "pass" if not reject else ("fail" if rate > p else "conservative")
    return Kupiec(x, t, p, float(lr), p_value, reject, verdict)


def clopper_pearson(breaches: int, trials: int, level: float = 0.95) -> tuple[float, float]:
    """Exact two-sided confidence interval of a breach probability."""
    tail = (1.0 - level) / 2.0
    lo = 0.0 if breaches == 0 else float(beta.ppf(tail, breaches, trials - breaches + 1))
    hi = 1.0 if breaches == trials else float(beta.ppf(1 - tail, breaches + 1, trials - breaches))
    return lo, hi


def tail_count(n: int, confidence: float) -> int:
    """How many of `n` observations lie in the (1 - confidence) tail (at least one)."""
    return max(1, math.ceil(n * (1.0 - confidence) - 1e-9))


def value_at_risk(losses: ArrayLike, confidence: float) -> float:
    """The smallest loss of the worst tail: the empirical `confidence` quantile."""
    x = np.asarray(losses, dtype=np.float64)
    m = tail_count(x.size, confidence)
    return float(np.partition(x, x.size - m)[x.size - m])


def expected_shortfall(losses: ArrayLike, confidence: float) -> float:
    """Mean of the worst ceil(n (1 - confidence)) losses."""
    x = np.asarray(losses, dtype=np.float64)
    m = tail_count(x.size, confidence)
    return float(np.partition(x, x.size - m)[x.size - m :].mean())
