"""HyperGrid-v0: the classic GFlowNet grid DAG with an exactly known target.

The adapters import on first use, so ``gridmarket.envs.hypergrid.core`` stays
numpy-only.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "ExactDistribution": "exact",
    "HyperGridEnv": "env",
    "HyperGridParams": "core",
    "HyperGridVectorEnv": "vector",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_EXPORTS[name]}"), name)
