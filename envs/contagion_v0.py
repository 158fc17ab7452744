"""contagion_v0: multi-bank financial contagion, the PettingZoo-style versioned module.

    from gridmarket.envs import contagion_v0

    env = contagion_v0.parallel_env(num_banks=30, scenario="liquidity_crisis")
    aec = contagion_v0.env(num_banks=30)      # AEC, via pettingzoo's parallel_to_aec

``raw_env`` is the ParallelEnv class (the environment is parallel-native).
"""

from __future__ import annotations

from typing import Any

from pettingzoo.utils.conversions import parallel_to_aec

from gridmarket.envs.contagion.env import ContagionEnv

raw_env = ContagionEnv


def parallel_env(**kwargs: Any) -> ContagionEnv:
    """The ParallelEnv; keyword arguments as in :class:`ContagionEnv`."""
    return ContagionEnv(**kwargs)


def env(**kwargs: Any):
    """The AEC version (``parallel_to_aec`` with PettingZoo's order enforcing)."""
    return parallel_to_aec(ContagionEnv(**kwargs))


__all__ = ["ContagionEnv", "env", "parallel_env", "raw_env"]
