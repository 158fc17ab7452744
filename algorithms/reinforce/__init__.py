"""REINFORCE (leave-one-out baseline) on TB's batched trajectory sampler.

``from gridmarket.algorithms.reinforce import Reinforce, ReinforceConfig``
"""

from gridmarket.algorithms.reinforce.reinforce import Reinforce, ReinforceConfig

__all__ = ["Reinforce", "ReinforceConfig"]
