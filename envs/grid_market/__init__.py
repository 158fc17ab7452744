"""GridMarket-v0: GFlowNet market stress paths on real data, scored by safe oracles."""

from gridmarket.envs.grid_market.core import GridMarketParams
from gridmarket.envs.grid_market.env import GridMarketEnv
from gridmarket.envs.grid_market.scenarios import SCENARIOS, get_scenario
from gridmarket.envs.grid_market.vector import GridMarketVectorEnv

__all__ = [
    "SCENARIOS",
    "GridMarketEnv",
    "GridMarketParams",
    "GridMarketVectorEnv",
    "get_scenario",
]
