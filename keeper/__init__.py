"""Ringfence keeper: the framework-free core (index, health model, planner, sender).

The Silverback bot and the ``keeper`` CLI are thin shells over :class:`keeper.scan.Keeper`.
"""
