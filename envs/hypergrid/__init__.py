"""HyperGrid-v0: the classic GFlowNet grid DAG with an exactly known target.

The adapters import on first use, so ``gridmarket.envs.hypergrid.core`` stays
numpy-only.
"""

from gridmarket.envs.common import lazy_exports

__getattr__, __all__ = lazy_exports(
    __name__,
    "ExactDistribution:exact HyperGridEnv:env HyperGridParams:core HyperGridVectorEnv:vector",
)
