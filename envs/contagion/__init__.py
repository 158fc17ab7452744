"""contagion_v0: a multi-bank financial-contagion world (pure array core + adapters).

Core modules (numpy/scipy only): ``clearing``, ``market``, ``ccp``, ``margining``,
``infrastructure`` (exchanges, netting, router), ``interbank``, ``resolution``,
``scenarios``, ``generator`` (networkx at reset only), ``core`` (the step),
``observation``, ``metrics``, ``accounts`` (balance sheets and conservation laws),
``state``, ``params``, ``checks``.
Adapters: ``env`` (PettingZoo), ``single_agent`` (Gymnasium ``BankContagion-v0``);
also ``baselines``, ``what_if`` and ``render``.
"""

from gridmarket.envs.contagion.clearing import clearing_vector
from gridmarket.envs.contagion.metrics import debtrank
from gridmarket.envs.contagion.params import ContagionParams
from gridmarket.envs.contagion.scenarios import SCENARIOS, ScenarioParams

__all__ = [
    "SCENARIOS",
    "ContagionParams",
    "ScenarioParams",
    "clearing_vector",
    "debtrank",
]
