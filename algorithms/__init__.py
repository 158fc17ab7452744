"""gridmarket's custom RLlib algorithms (new API stack).

Importing this package is cheap; each algorithm imports Ray when first used:
``from gridmarket.algorithms.tb import TB, TBConfig``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class AlgorithmInfo:
    name: str
    config_path: str  # "module:ConfigClass"
    summary: str


ALGORITHMS: tuple[AlgorithmInfo, ...] = (
    AlgorithmInfo(
        "TB",
        "gridmarket.algorithms.tb:TBConfig",
        "trajectory balance for GFlowNets, discrete and continuous (RLlib)",
    ),
    AlgorithmInfo(
        "MAPPO",
        "gridmarket.algorithms.mappo:MAPPOConfig",
        "multi-agent PPO, shared actor + permutation-invariant critic (RLlib)",
    ),
    AlgorithmInfo(
        "REINFORCE",
        "gridmarket.algorithms.reinforce:ReinforceConfig",
        "REINFORCE on TB's batched trajectory sampler (RLlib)",
    ),
    AlgorithmInfo(
        "GRPO",
        "gridmarket.algorithms.grpo:GRPOConfig",
        "group-relative policy optimization for Hugging Face LMs on text envs (RLlib)",
    ),
    AlgorithmInfo(
        "RandomSearch",
        "gridmarket.algorithms.baselines:RandomSearch",
        "uniform random increment paths, best kept (Tune Trainable)",
    ),
    AlgorithmInfo(
        "PathMCMC",
        "gridmarket.algorithms.baselines:PathMCMC",
        "Metropolis-Hastings over whole paths targeting R (Tune Trainable)",
    ),
)
