"""GRPO learns a learnable reward on a tiny GPT-2 within a few iterations."""

import numpy as np
import pytest

from gridmarket.algorithms.grpo import GRPOConfig
from tests.algorithms.grpo.stand_in_env import StandInForecastEnv

pytestmark = pytest.mark.slow

ITERATIONS = 12
MARGIN = 0.2


def test_numeric_share_rises_on_the_stand_in_env(ray_session, tiny_lm):
    config = (
        GRPOConfig()
        .environment(StandInForecastEnv, env_config={"num_windows": 16})
        .training(
            hf_model=tiny_lm,
            group_size=8,
            prompts_per_iteration=8,
            max_new_tokens=12,
            max_prompt_length=64,
            lr=3e-3,
            num_epochs=2,
            minibatch_size=32,
        )
        .debugging(seed=0)
    )
    algo = config.build_algo()
    try:
        rewards = [algo.train()["reward_mean"] for _ in range(ITERATIONS)]
    finally:
        algo.stop()
    print("reward_mean per iteration:", np.round(rewards, 3))
    first, last = np.mean(rewards[:2]), np.mean(rewards[-2:])
    assert last >= first + MARGIN, rewards
