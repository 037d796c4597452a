"""A10: adversarial search for smiles the on-chain checker accepts (exact integer replica
oracle/svi_arbitrage.wad_check) whose density g(k) is negative strictly between grid
points; reports the worst g and the most negative butterfly price it implies."""
import numpy as np, math, sys
from oracle.svi_arbitrage import wad_check
rng = np.random.default_rng(int(sys.argv[1]) if len(sys.argv) > 1 else 1)
W = 10**18
kk = np.linspace(-6.075, 6.075, 120_001)

def g(a, b, rho, m, s, k):
    d = k - m; r = np.sqrt(d * d + s * s)
    w = a + b * (rho * d + r); w1 = b * (rho + d / r); w2 = b * s * s / r**3
    return (1 - k * w1 / (2 * w)) ** 2 - w1**2 / 4 * (1 / w + 0.25) + w2 / 2, w

worst = (0, None)
tried = acc = 0
for _ in range(6000):
    b = rng.uniform(0.2, 1.3); rho = rng.uniform(-0.97, 0.97)
    if b * (1 + abs(rho)) > 2: continue
    s = 10 ** rng.uniform(-3, -0.3); m = rng.uniform(-1.5, 1.5)
    # a: put the minimum of w near zero (where density dips hide)
    wmin = b * s * math.sqrt(1 - rho * rho)
    a = -wmin + 10 ** rng.uniform(-4, -1)
    p = [int(a * W), int(b * W), int(rho * W), int(m * W), int(s * W)]
    tried += 1
    if wad_check(*p) != "":
        continue
    acc += 1
    gg, w = g(*[x / W for x in p], kk)
    i = int(np.argmin(gg))
    if gg[i] < worst[0]:
        worst = (gg[i], p, kk[i])
print(f"tried {tried}, accepted {acc}; worst accepted g = {worst[0]:.5f} at k = {worst[2] if worst[1] else None}; params {worst[1]}")

# what the dip is worth: the most negative butterfly C(K-h) - 2C(K) + C(K+h) (forward 1,
# undiscounted Black prices from the smile) over strikes near the dip, per unit of forward
if worst[1]:
    from math import erf, sqrt, log, exp
    N = lambda x: 0.5 * (1 + erf(x / sqrt(2)))
    a, b, rho, m, s = [x / W for x in worst[1]]
    def call(K):
        k = log(K); w = a + b * (rho * (k - m) + sqrt((k - m) ** 2 + s * s)); sw = sqrt(w)
        d1 = -k / sw + sw / 2
        return N(d1) - K * N(d1 - sw)
    k0 = worst[2]
    for h_rel in (0.001, 0.005, 0.01, 0.02):
        best = 0
        for dk in np.linspace(-0.05, 0.05, 401):
            K = exp(k0 + dk); h = K * h_rel
            bf = call(K - h) - 2 * call(K) + call(K + h)
            best = min(best, bf)
        print(f"strike spacing {h_rel*100:.1f}% of F: most negative butterfly = {best:.3e} x F "
              f"(F = 2,000: {best*2000:.4f} per unit)")
