"""Margin backtest: does the on-chain maintenance margin cover a vault's loss until liquidation?

``python -m ringfence.tools.backtest --help``; docs/backtest.md explains the method, the models,
the output and the figures of a default run. Modules:

- ``config``          the backtest configuration (``default.yaml``), strictly validated;
- ``surface``         raw-SVI smiles from ATM vol, skew and wing;
- ``market``          the seeded path simulator (jump diffusion, regimes, vol and smile moves);
- ``book``            the standard book, strikes chosen by delta;
- ``contract_margin`` the only contract access: MM / IM from ``ClearingHouse.health``;
- ``revalue``         full Black-Scholes revaluation on every path;
- ``stats``           Kupiec's test, breach intervals, VaR / ES;
- ``capital``         Reg-T and Deribit-standard new money;
- ``run``             one run end to end; ``report`` its JSON, tables and charts; ``cli``.
"""
