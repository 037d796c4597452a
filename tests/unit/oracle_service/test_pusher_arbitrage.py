"""The pusher only sends arbitrage-free surfaces (docs/oracle.md, "Arbitrage-free
surfaces"): `fit_svi` output passes the contract's butterfly test on realistic and
adversarial quote sets, and `arbitrage_free_surfaces` makes a cycle's term structure pass
the calendar test too; checked against the deployed SurfaceChecker, not only the replica."""

from __future__ import annotations

import math

import numpy as np
import pytest

from oracle import svi_arbitrage as arb
from oracle.service import arbitrage_free_surfaces
from oracle.sources.base import SurfaceQuote
from oracle.svi import Svi, butterfly_free, calendar_free, fit_svi
from ringfence.risk_table import surface_checker_deployer

DAY = 86_400
K = np.linspace(-0.5, 0.5, 21)


@pytest.fixture(scope="module")
def checker():
    return surface_checker_deployer().deploy()


def _vols(svi: Svi, ks: np.ndarray, tau: float) -> np.ndarray:
    return np.asarray(svi.implied_vol(ks, tau))


REALISTIC = {
    "eth 7d skew": (Svi(0.64 * 7 / 365, 0.1, -0.3, 0.02, 0.2), 7 / 365),
    "eth 30d skew": (Svi(0.012, 0.08, -0.35, 0.03, 0.15), 30 / 365),
    "eth 180d smile": (Svi(0.1, 0.25, -0.4, 0.05, 0.3), 0.5),
    "btc 90d call skew": (Svi(0.03, 0.1, 0.2, -0.02, 0.2), 0.25),
}


@pytest.mark.parametrize("name", list(REALISTIC))
def test_fit__realistic_quotes__contract_accepts(checker, name):
    truth, tau = REALISTIC[name]
    rng = np.random.default_rng(3)
    vols = _vols(truth, K, tau) + rng.normal(0, 0.003, K.size)
    fit = fit_svi(K, vols, tau)
    assert checker.check(*fit.svi.to_wad()) == ""
    assert fit.rmse_vol < 0.01


def _adversarial() -> dict[str, tuple[np.ndarray, np.ndarray, float]]:
    tau = 14 / 365
    ks = np.linspace(-0.3, 0.5, 17)
    # issue 16's attack: vol leaps between 1.1 F and 1.2 F
    attack = Svi(0.001, 1.0, 0.99, 0.1, 0.01)
    jump = (ks, _vols(attack, ks, tau), tau)
    # wings far steeper than Lee allows (b (1 + |rho|) ~ 4)
    steep = Svi(0.005, 2.5, 0.6, 0.0, 0.05)
    lee = (ks, _vols(steep, ks, tau), tau)
    # saw-tooth noise of +-8 vol points on a 60 % smile
    saw = (ks, 0.6 + 0.08 * (-1.0) ** np.arange(ks.size), tau)
    # a put wing that collapses to 5 % vol, the rest at 90 %
    cliff_v = np.where(ks < -0.1, 0.05, 0.9)
    cliff = (ks, cliff_v, tau)
    # one day to expiry, a V with a sharp kink at the money
    short = np.linspace(-0.1, 0.1, 11)
    kink = (short, 0.5 + 4.0 * np.abs(short), 1 / 365)
    return {"vol jump": jump, "beyond lee": lee, "saw-tooth": saw, "cliff": cliff, "kink": kink}


ADVERSARIAL = _adversarial()


@pytest.mark.parametrize("name", list(ADVERSARIAL))
def test_fit__adversarial_quotes__contract_accepts(checker, name):
    ks, vols, tau = ADVERSARIAL[name]
    fit = fit_svi(ks, vols, tau)
    a, b, rho, m, sigma = fit.svi.to_wad()
    assert checker.check(a, b, rho, m, sigma) == ""
    assert arb.min_density(fit.svi.a, fit.svi.b, fit.svi.rho, fit.svi.m, fit.svi.sigma) >= 0


def test_butterfly_free__attack_smile__flattened_and_keeps_atm_variance(checker):
    attack = Svi(0.001, 1.0, 0.99, 0.1, 0.01)
    assert attack.arbitrage_reason() == "svi butterfly arbitrage"
    fixed = butterfly_free(attack)
    assert checker.check(*fixed.to_wad()) == ""
    assert fixed.total_variance(0.0) == pytest.approx(attack.total_variance(0.0), rel=1e-12)
    assert 0 <= fixed.b < attack.b


def test_butterfly_free__passing_smile__unchanged():
    svi = REALISTIC["eth 30d skew"][0]
    assert butterfly_free(svi) is svi


def _quote(expiry_days: int, svi: Svi) -> SurfaceQuote:
    return SurfaceQuote(expiry=1_000_000 + expiry_days * DAY, forward=3_000.0, svi=svi)


def test_surfaces__inverted_term_structure__each_pair_passes_calendar(checker):
    # Fitted independently: the 7-day smile carries more total variance than the 30-day
    # one in the put wing (a steep front-month skew over a flat back month).
    fits = {
        7: Svi(0.02, 0.3, -0.8, 0.0, 0.05),
        30: Svi(0.025, 0.02, 0.0, 0.0, 0.2),
        90: Svi(0.07, 0.05, -0.2, 0.0, 0.3),
    }
    near, far = fits[7].to_wad(), fits[30].to_wad()
    assert not arb.wad_calendar(near, 1, 1, far, 1, 1)
    surfaces = {q.expiry: q for q in (_quote(d, s) for d, s in fits.items())}
    out = arbitrage_free_surfaces("ETH", surfaces)
    assert [e for e, _ in out] == sorted(surfaces)
    for (_, q1), (_, q2) in zip(out, out[1:], strict=False):
        n, f = q1.svi.to_wad(), q2.svi.to_wad()
        assert checker.check(*n) == "" and checker.check(*f) == ""
        t1, t2 = q1.expiry - 1_000_000, q2.expiry - 1_000_000
        assert checker.check_calendar(n + (t1, t1), f + (t2, t2)) == ""
        # later, at any block time before the near expiry, still free (linear in time)
        assert checker.check_calendar(n + (t1, t1 // 2), f + (t2, t2 - t1 // 2)) == ""


def test_surfaces__adversarial_cycle__all_sent_smiles_pass(checker):
    surfaces = {}
    for i, (ks, vols, tau) in enumerate(ADVERSARIAL.values()):
        surfaces[1_000_000 + (i + 1) * 7 * DAY] = SurfaceQuote(
            expiry=1_000_000 + (i + 1) * 7 * DAY,
            forward=3_000.0,
            svi=fit_svi(ks, vols, tau).svi,
        )
    out = arbitrage_free_surfaces("ETH", surfaces)
    assert out  # nothing this adversarial is beyond repair
    for (_, q1), (_, q2) in zip(out, out[1:], strict=False):
        assert arb.wad_calendar(q1.svi.to_wad(), 1, 1, q2.svi.to_wad(), 1, 1)
    for _, q in out:
        assert checker.check(*q.svi.to_wad()) == ""


def test_calendar_free__already_free__unchanged():
    near, far = Svi(0.01, 0.05, -0.3, 0.0, 0.2), Svi(0.04, 0.05, -0.3, 0.0, 0.2)
    assert calendar_free(near, far) is far


def test_calendar_free__lift_is_small():
    near, far = Svi(0.03, 0.1, -0.3, 0.0, 0.2), Svi(0.02, 0.1, -0.3, 0.0, 0.2)
    fixed = calendar_free(near, far)
    # just enough to reach the near level (the same shape otherwise), to ~1e-15
    assert fixed.a == pytest.approx(near.a, abs=1e-14) and fixed.b == far.b
    assert math.isclose(fixed.rho, far.rho)
