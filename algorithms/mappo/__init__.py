"""MAPPO (multi-agent PPO with a centralized critic) for contagion_v0, on RLlib.

``from gridmarket.algorithms.mappo import MAPPO, MAPPOConfig``
"""

from gridmarket.algorithms.mappo.mappo import MAPPO, MAPPOConfig

__all__ = ["MAPPO", "MAPPOConfig"]
