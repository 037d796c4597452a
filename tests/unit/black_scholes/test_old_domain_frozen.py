"""Inside the pre-extension domain `_price_and_greeks` is frozen: the same integers, bit for
bit, and the same gas within 1 %, as measured on the library before the total-domain
extension (the golden file, see old_domain_golden.py)."""

import statistics

import old_domain_golden


def test_price_and_greeks__old_domain__bit_for_bit_and_gas_as_before(black_scholes):
    points = old_domain_golden.points()
    golden = old_domain_golden.load()
    assert len(points) == len(golden) == 2_920
    ratios = []
    for point, (digest, old_gas) in zip(points, golden, strict=True):
        assert old_domain_golden.in_old_domain(point)
        outputs = black_scholes.price_and_greeks(*point)
        assert old_domain_golden.digest(outputs) == digest, (point, outputs)
        ratios.append(black_scholes.price_and_greeks_gas(*point) / old_gas)
    assert min(ratios) >= 0.99 and max(ratios) <= 1.01
    assert abs(statistics.median(ratios) - 1) <= 0.005
