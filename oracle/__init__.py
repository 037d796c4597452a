"""Ringfence's oracle pusher: sources, triggers, SVI fit, signing and batched submission.

The logic lives in plain modules (no click, no Prometheus server start-up, no network at
import time) so each piece is unit-tested without a chain; `oracle.cli` is a thin shell.
"""
