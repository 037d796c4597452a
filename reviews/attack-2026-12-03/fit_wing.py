"""Float search: a smile whose vols at the pusher's trigger grid k in {-0.2..0.2} move < 1 pt
(and whose breaker grid {-1,-.25,0,.25,1} moves < cap) while the vol at a wing k moves most."""
import math
import numpy as np
from scipy.optimize import minimize
from oracle.svi_arbitrage import *  # noqa
TRIG = np.array([-0.2, -0.1, 0, 0.1, 0.2])
BRK = np.array([-1, -0.25, 0, 0.25, 1])

def w(p, k):
    a, b, rho, m, s = p
    return a + b * (rho * (k - m) + np.sqrt((k - m) ** 2 + s * s))

def vol(p, k, tau):
    return np.sqrt(np.maximum(w(p, k), 1e-12) / tau)

def g(p, k):
    a, b, rho, m, s = p
    d = k - m; r = np.sqrt(d * d + s * s)
    W = w(p, k); w1 = b * (rho + d / r); w2 = b * s * s / r ** 3
    return (1 - k * w1 / (2 * W)) ** 2 - w1 ** 2 / 4 * (1 / W + 0.25) + w2 / 2

def search(old, tau, k_target, sign=+1, trig_cap=0.0095, brk_cap=0.19, x0=None):
    v0t, v0b = vol(old, TRIG, tau), vol(old, BRK, tau)
    kk = np.linspace(-4, 4, 801)
    cons = [
        {"type": "ineq", "fun": lambda p: trig_cap - np.abs(vol(p, TRIG, tau) - v0t)},
        {"type": "ineq", "fun": lambda p: brk_cap - np.abs(vol(p, BRK, tau) - v0b)},
        {"type": "ineq", "fun": lambda p: 1.95 - p[1] * (1 + abs(p[2]))},
        {"type": "ineq", "fun": lambda p: g(p, kk) - 0.01},
        {"type": "ineq", "fun": lambda p: p[4] - 0.01},
        {"type": "ineq", "fun": lambda p: 0.97 - abs(p[2])},
        {"type": "ineq", "fun": lambda p: w(p, kk) - 1e-4},
    ]
    best = None
    for start in ([old] + ([x0] if x0 is not None else [])):
        r = minimize(lambda p: -sign * vol(p, k_target, tau), np.array(start, float), constraints=cons,
                     method="SLSQP", options={"maxiter": 500})
        if best is None or -sign * r.fun > -sign * best.fun:
            best = r
    return best.x
