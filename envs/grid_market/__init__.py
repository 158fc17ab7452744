"""GridMarket-v0: GFlowNet market stress paths on real data, scored by safe oracles.

The adapters and scenarios (oracles: pandas, scikit-learn) import on first use, so
``gridmarket.envs.grid_market.core`` stays numpy-only.
"""

from gridmarket.envs.common import lazy_exports

__getattr__, __all__ = lazy_exports(
    __name__,
    "SCENARIOS:scenarios GridMarketEnv:env GridMarketParams:core GridMarketVectorEnv:vector get_scenario:scenarios",
)
