"""Tuned REINFORCE configs, shared by the tuned examples and ``gridmarket evaluate``."""

from __future__ import annotations

from typing import Any

from gridmarket.algorithms.reinforce.reinforce import ReinforceConfig


def grid_market_reinforce_config(env_config: dict[str, Any]) -> ReinforceConfig:
    """REINFORCE for GridMarket-v0 with TB's sampler, networks and batch: on-policy,
    with no replay and no exploration noise (both would bias it)."""
    return (
        ReinforceConfig()
        .environment("GridMarket-v0", env_config=env_config)
        .training(
            batch_size=16, updates_per_iteration=16, lr=1e-3, exploration_epsilon=0.0
        )
        .rl_module(
            model_config={
                "fcnet_hiddens": [256, 256],
                "num_components": 15,
                "bounded_actions": True,
            }
        )
    )
