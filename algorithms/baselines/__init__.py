"""Search baselines for continuous DAG envs (GridMarket-v0), as Tune Trainables:
random search and Metropolis-Hastings over paths. Both spend exactly one oracle
call per scored path, like the learned samplers.

The Trainables (Ray Tune) import on first use, so ``paths`` stays numpy-only.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "PathBatch": "paths",
    "PathMCMC": "mcmc",
    "PathScorer": "paths",
    "RandomSearch": "random_search",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_EXPORTS[name]}"), name)
