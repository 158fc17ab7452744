"""gridmarket: standard-API RL environments for financial risk, with Ray RLlib trainers.

``import gridmarket`` registers every Gymnasium id of the suite, so that
``gym.make("HyperGrid-v0")`` works; ``gym.make("gridmarket:HyperGrid-v0")`` imports
this module itself. ``gym.register_envs(gridmarket)`` is accepted too.

The ids are registered without importing gymnasium here (at once if it is loaded,
else when it is), so ``import gridmarket.envs.hypergrid.core`` stays numpy-only.
"""

from gridmarket.envs import GYMNASIUM_ENVS, register_envs, register_envs_with_gymnasium

__version__ = "0.1.0"

register_envs_with_gymnasium()

__all__ = ["GYMNASIUM_ENVS", "__version__", "register_envs"]
