"""gridmarket.oracles: learned reward models of the suite's environments.

The GridMarket oracles map a state of six macro/market features (in the oracle's
scaling, [-100, 100] over its training rows) to the predicted forward 12-month S&P 500
return in percent. They are stored as skops files with an explicit type allow-list
and a JSON model card, and ship in the package::

    from gridmarket.oracles import SCENARIOS, load_oracle
    oracle = load_oracle("gfc-2007")
    oracle.predict(oracle.initial_state[None])

Oracles never import envs.
"""

from gridmarket.oracles.data import FEATURES, SCENARIOS
from gridmarket.oracles.oracle import Oracle, load_oracle
from gridmarket.oracles.store import TRUSTED_TYPES, OracleLoadError

__all__ = [
    "FEATURES",
    "SCENARIOS",
    "TRUSTED_TYPES",
    "Oracle",
    "OracleLoadError",
    "load_oracle",
]
