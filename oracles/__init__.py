"""gridmarket.oracles: learned reward models of the suite's environments.

The GridMarket oracles map a state of six macro/market features (in the oracle's
scaling, [-100, 100] over its training rows) to the predicted forward 12-month S&P 500
return in percent. They are stored as skops files with an explicit type allow-list
and a JSON model card, and ship in the package::

    from gridmarket.oracles import SCENARIOS, load_oracle
    oracle = load_oracle("gfc-2007")
    oracle.predict(oracle.initial_state[None])

Oracles never import envs. The names below import on first use (pandas,
scikit-learn, skops), so the numpy-only ``gridmarket.oracles.synthetic`` stays light.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "FEATURES": "data",
    "SCENARIOS": "data",
    "TRUSTED_TYPES": "store",
    "Oracle": "oracle",
    "OracleLoadError": "store",
    "load_oracle": "oracle",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_EXPORTS[name]}"), name)
