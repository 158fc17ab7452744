"""gridmarket environments, registered with Gymnasium on ``import gridmarket``.

Plain ids (``gym.make("HyperGrid-v0")``) need ``import gridmarket`` first;
``gym.make("gridmarket:HyperGrid-v0")`` works in any fresh interpreter, including
RLlib's remote env runners.
"""

from __future__ import annotations

from dataclasses import dataclass

import gymnasium as gym


@dataclass(frozen=True)
class EnvSpec:
    """One registered environment."""

    id: str
    entry_point: str
    vector_entry_point: str | None
    summary: str
    max_episode_steps: int | None = None


GYMNASIUM_ENVS: tuple[EnvSpec, ...] = (
    EnvSpec(
        id="HyperGrid-v0",
        entry_point="gridmarket.envs.hypergrid.env:HyperGridEnv",
        vector_entry_point="gridmarket.envs.hypergrid.vector:HyperGridVectorEnv",
        summary="GFlowNet grid DAG with an exactly computable target distribution",
    ),
    EnvSpec(
        id="GridMarket-v0",
        entry_point="gridmarket.envs.grid_market.env:GridMarketEnv",
        vector_entry_point="gridmarket.envs.grid_market.vector:GridMarketVectorEnv",
        summary="GFlowNet market stress paths on real data, scored by a learned oracle",
    ),
    EnvSpec(
        id="BankContagion-v0",
        entry_point="gridmarket.envs.contagion.single_agent:BankContagionEnv",
        vector_entry_point=None,
        summary="one learning bank in the contagion_v0 interbank network; the other "
        "banks follow a baseline policy",
    ),
    EnvSpec(
        id="TextForecast-v0",
        entry_point="gridmarket.envs.text_forecast.env:TextForecastEnv",
        vector_entry_point=None,
        summary="forecast the next 10 closes of a StockNet stock from a text prompt "
        "(one step per prompt; for LLMs and GRPO)",
    ),
)


@dataclass(frozen=True)
class PettingZooEnvSpec:
    """A PettingZoo env: a versioned module with ``env()`` and ``parallel_env()``."""

    module: str
    summary: str


PETTINGZOO_ENVS: tuple[PettingZooEnvSpec, ...] = (
    PettingZooEnvSpec(
        module="gridmarket.envs.contagion_v0",
        summary="banks on an interbank network with Eisenberg-Noe clearing, fire "
        "sales, exchanges and CCPs (Parallel + AEC)",
    ),
)


def register_envs() -> None:
    """Register every Gymnasium id of the suite (idempotent)."""
    for spec in GYMNASIUM_ENVS:
        if spec.id in gym.registry:
            continue
        gym.register(
            id=spec.id,
            entry_point=spec.entry_point,
            vector_entry_point=spec.vector_entry_point,
            max_episode_steps=spec.max_episode_steps,
        )
