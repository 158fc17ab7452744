"""Trajectory balance (TB) for GFlowNets, as a custom RLlib algorithm.

``from gridmarket.algorithms.tb import TB, TBConfig``
"""

from gridmarket.algorithms.tb.tb import TB, TBConfig

__all__ = ["TB", "TBConfig"]
