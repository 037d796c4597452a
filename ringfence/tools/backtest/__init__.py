"""Margin backtest: does the on-chain maintenance margin cover a vault's loss until liquidation?"""
