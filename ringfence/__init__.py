"""Ringfence: shared Python code for the oracle pusher, the keeper and the tests."""

__version__ = "0.1.0"
