"""gridmarket: standard-API RL environments for financial risk, with Ray RLlib trainers.

``import gridmarket`` registers every Gymnasium id of the suite, so that
``gym.make("HyperGrid-v0")`` works; ``gym.make("gridmarket:HyperGrid-v0")`` imports
this module itself. ``gym.register_envs(gridmarket)`` is accepted too.
"""

from gridmarket.envs import GYMNASIUM_ENVS, register_envs

__version__ = "0.1.0"

register_envs()

__all__ = ["GYMNASIUM_ENVS", "__version__", "register_envs"]
