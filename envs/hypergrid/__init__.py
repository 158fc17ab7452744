"""HyperGrid-v0: the classic GFlowNet grid DAG with an exactly known target."""

from gridmarket.envs.hypergrid.core import HyperGridParams
from gridmarket.envs.hypergrid.env import HyperGridEnv
from gridmarket.envs.hypergrid.exact import ExactDistribution
from gridmarket.envs.hypergrid.vector import HyperGridVectorEnv

__all__ = ["ExactDistribution", "HyperGridEnv", "HyperGridParams", "HyperGridVectorEnv"]
