"""contagion_v0: a multi-bank financial-contagion world (pure array core + adapters).

Core modules (numpy/scipy, and numba for the step's stages): ``clearing``,
``market``, ``ccp``, ``margining``, ``infrastructure`` (exchanges, netting,
router), ``interbank``, ``resolution``, ``stages``, ``rewards``, ``scenarios``,
``generator`` (networkx at reset only), ``core`` (the step), ``phases`` (the step
as two compiled calls) and ``phase_calls`` (their inputs, outputs and the rare
events between them), ``observation``, ``metrics``, ``accounts`` (balance
sheets and conservation laws), ``state``, ``params``, ``checks``. The compiled
functions are cached on disk; ``core.compile_kernels`` compiles them ahead.
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
