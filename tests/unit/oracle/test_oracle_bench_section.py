"""The `oracle` bench section runs end to end and reports a consistent gas figure."""

from ringfence.bench import oracle as oracle_bench


def test_bench_run__batch_of_ten__all_accepted_and_figures_consistent():
    result = oracle_bench.run()  # raises when the batch is not fully accepted
    assert result["gas_per_report_batch10"] == result["batch10_tx_gas"] // 10
    assert result["batch10_tx_gas"] > result["batch10_execution_gas"] + 21_000
    # Steady state overwrites non-zero slots: cheaper than the first-ever write (no longer
    # by half: the arbitrage and breaker checks are most of a surface report's gas).
    assert result["batch10_tx_gas"] < result["batch10_first_write_tx_gas"]
    # The checks alone are part of every surface report's gas, not more than it.
    assert 0 < result["arbitrage_check_gas"] < result["batch10_execution_gas"] // 8
    assert 0 < result["calendar_check_gas"] < result["batch10_execution_gas"] // 8
    rows = dict(oracle_bench.rows(result))
    assert rows["gas per report (batch of 10, tx total)"] == (
        f"{result['gas_per_report_batch10']:,}"
    )
