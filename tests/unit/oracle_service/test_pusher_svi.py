"""SVI evaluation, the flat smile, and fit quality on synthetic smiles."""

import math

import numpy as np
import pytest

from oracle.svi import Svi, fit_svi
from oracle.units import WAD

SMILES = [
    Svi(a=0.04, b=0.1, rho=-0.3, m=0.02, sigma=0.15),  # equity-like skew
    Svi(a=0.01, b=0.05, rho=0.2, m=-0.05, sigma=0.1),  # call skew
    Svi(a=0.09, b=0.3, rho=-0.6, m=0.1, sigma=0.3),  # steep, long-dated
    Svi(a=0.002, b=0.02, rho=0.0, m=0.0, sigma=0.05),  # short-dated symmetric
]
TAUS = [0.25, 0.1, 1.0, 0.02]
K = np.linspace(-0.4, 0.4, 21)


def test_flat__any_strike__returns_the_vol():
    svi = Svi.flat(0.65, 0.5)
    assert svi.a == pytest.approx(0.65**2 * 0.5)
    assert (svi.b, svi.rho, svi.m) == (0.0, 0.0, 0.0) and svi.sigma > 0
    assert np.allclose(svi.implied_vol(K, 0.5), 0.65)


def test_flat__non_positive_vol__raises():
    with pytest.raises(ValueError):
        Svi.flat(0.0, 0.5)


def test_to_wad__params__scaled_by_1e18_in_report_order():
    assert Svi(0.04, 0.1, -0.3, 0.02, 0.15).to_wad() == (
        4 * 10**16,
        10**17,
        -3 * 10**17,
        2 * 10**16,
        15 * 10**16,
    )
    assert Svi.flat(0.5, 1.0).to_wad()[0] == WAD // 4


@pytest.mark.parametrize("truth,tau", list(zip(SMILES, TAUS, strict=True)))
def test_fit__exact_quotes__recovers_smile_within_a_tenth_of_a_vol_point(truth, tau):
    vols = truth.implied_vol(K, tau)
    fit = fit_svi(K, vols, tau)
    assert fit.max_error_vol < 0.001
    fit.svi.check()


@pytest.mark.parametrize("truth,tau", list(zip(SMILES, TAUS, strict=True)))
def test_fit__noisy_quotes__rmse_close_to_the_noise(truth, tau):
    rng = np.random.default_rng(7)
    noise = 0.005  # half a vol point
    vols = truth.implied_vol(K, tau) + rng.normal(0, noise, size=K.size)
    fit = fit_svi(K, vols, tau)
    assert fit.rmse_vol < 1.5 * noise
    true_err = np.abs(np.asarray(fit.svi.implied_vol(K, tau)) - truth.implied_vol(K, tau))
    assert true_err.max() < 4 * noise


def test_fit__any_result__satisfies_contract_bounds():
    vols = [0.9, 0.7, 0.55, 0.5, 0.52, 0.6, 0.75]  # a steep, ragged smile
    fit = fit_svi(np.linspace(-0.3, 0.3, 7), vols, 0.05)
    assert fit.svi.b >= 0 and abs(fit.svi.rho) < 1 and fit.svi.sigma > 0
    assert fit.svi.min_total_variance() >= 0


def test_fit__fewer_than_five_quotes__raises():
    with pytest.raises(ValueError, match="at least 5"):
        fit_svi([-0.1, 0.0, 0.1, 0.2], [0.5, 0.5, 0.5, 0.5], 0.1)


def test_check__negative_total_variance__raises():
    with pytest.raises(ValueError, match="negative"):
        Svi(a=-0.1, b=0.1, rho=0.0, m=0.0, sigma=0.1).check()


def test_implied_vol__atm__is_sqrt_w_over_tau():
    svi = SMILES[0]
    assert svi.implied_vol(0.0, 0.25) == pytest.approx(math.sqrt(svi.total_variance(0.0) / 0.25))


def test_to_wad__smile_touching_zero_variance__never_negative_on_chain():
    from oracle.svi import wad_min_total_variance

    # each of these rounds to a negative on-chain minimum (-1 to -18 wei) without the fix
    for rho, b, sigma in [
        (0.472104, 0.011031966, 0.228239725),
        (0.398772, 0.122093488, 0.473182641),
        (0.722569, 0.024989092, 0.022468472),
        (0.074542, 0.47018309, 0.196790076),
    ]:
        edge = Svi(a=-b * sigma * math.sqrt(1 - rho * rho), b=b, rho=rho, m=0.0, sigma=sigma)
        a, b_w, rho_w, _, sigma_w = edge.to_wad()
        assert 0 <= wad_min_total_variance(a, b_w, rho_w, sigma_w) <= 2
