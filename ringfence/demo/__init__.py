"""``make demo``: the whole Ringfence stack on a local anvil through a market scenario.

Plain modules: ``scenario`` (scenario files), ``book`` (who opens what), ``chain`` (web3
driver: funding, bulk transactions, snapshots, time), ``supervisor`` (anvil, pusher and
keeper as child processes), ``analysis`` (summary, isolation and health checks),
``report`` (terminal table, summary.json, charts) and ``run`` (the sequence). Entry point:
``python -m ringfence.demo``.
"""
