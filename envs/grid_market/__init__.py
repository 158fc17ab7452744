"""GridMarket-v0: GFlowNet market stress paths on real data, scored by safe oracles.

The adapters and scenarios (oracles: pandas, scikit-learn) import on first use, so
``gridmarket.envs.grid_market.core`` stays numpy-only.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "SCENARIOS": "scenarios",
    "GridMarketEnv": "env",
    "GridMarketParams": "core",
    "GridMarketVectorEnv": "vector",
    "get_scenario": "scenarios",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_EXPORTS[name]}"), name)
