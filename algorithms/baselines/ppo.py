"""RLlib's built-in PPO, tuned as the suite's reward-maximizing baseline on
GridMarket-v0 (shared by the tuned example and ``gridmarket evaluate``)."""

from __future__ import annotations

from typing import Any

from ray.rllib.algorithms.ppo import PPOConfig

HORIZON = 12
EPISODES_PER_ITERATION = 256


def grid_market_ppo_config(env_config: dict[str, Any]) -> PPOConfig:
    """PPO (new API stack, Gaussian policy, a 2x256 MLP, actions clipped to the
    action box) with gamma = 1: the log-reward comes on the last of 12 steps."""
    return (
        PPOConfig()
        # The module id form imports gridmarket in remote env runners too.
        .environment(
            "gridmarket:GridMarket-v0", env_config=env_config, clip_actions=True
        )
        .env_runners(
            num_envs_per_env_runner=16, gym_env_vectorize_mode="vector_entry_point"
        )
        .training(
            gamma=1.0,
            lambda_=0.95,
            lr=3e-4,
            train_batch_size_per_learner=EPISODES_PER_ITERATION * HORIZON,
            minibatch_size=256,
            num_epochs=8,
        )
        .rl_module(model_config={"fcnet_hiddens": [256, 256]})
    )
