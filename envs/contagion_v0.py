"""contagion_v0: multi-bank financial contagion, the PettingZoo-style versioned module.

    from gridmarket.envs import contagion_v0

    env = contagion_v0.parallel_env(num_banks=30, scenario="liquidity_crisis",
                                    max_cycles=100)
    aec = contagion_v0.env(num_banks=30)      # AEC, via pettingzoo's parallel_to_aec
    vec = contagion_v0.vector_env(8, seed=0, num_banks=30)  # arrays, for trainers

``raw_env`` is the ParallelEnv class (the environment is parallel-native);
``vector_env`` the array path (``ContagionVectorEnv``: worlds x banks arrays).
"""

from __future__ import annotations

from typing import Any

from pettingzoo.utils.conversions import parallel_to_aec

from gridmarket.envs.contagion.env import ContagionEnv
from gridmarket.envs.contagion.vector import ContagionVectorEnv

raw_env = ContagionEnv


def parallel_env(**kwargs: Any) -> ContagionEnv:
    """The ParallelEnv; keyword arguments as in :class:`ContagionEnv`."""
    return ContagionEnv(**kwargs)


def env(**kwargs: Any):
    """The AEC version (``parallel_to_aec`` with PettingZoo's order enforcing)."""
    return parallel_to_aec(ContagionEnv(**kwargs))


def vector_env(num_worlds: int, *, seed: int | None = None, **kwargs: Any):
    """``ContagionVectorEnv(num_worlds, seed=seed, **kwargs)``, kwargs as above."""
    return ContagionVectorEnv(num_worlds, seed=seed, **kwargs)


__all__ = [
    "ContagionEnv",
    "ContagionVectorEnv",
    "env",
    "parallel_env",
    "raw_env",
    "vector_env",
]
