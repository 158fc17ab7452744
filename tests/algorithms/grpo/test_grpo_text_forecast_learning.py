"""GRPO on the real TextForecast-v0 (AAPL): with the format-validity reward alone,
a tiny GPT-2 learns to write exactly ``horizon`` prices within a few iterations."""

import numpy as np
import pytest

from gridmarket.algorithms.grpo import GRPOConfig

pytestmark = pytest.mark.slow

ENV_CONFIG = {
    "ticker": "AAPL",
    "split": "train",
    "window": 8,
    "horizon": 2,
    "prompt_format": "compact",
    "reward_weights": {"format": 1.0, "error": 0.0, "direction": 0.0},
}
ITERATIONS = 8
MARGIN = 0.15


@pytest.fixture(scope="module")
def text_forecast_lm(tmp_path_factory):
    import gymnasium as gym

    from gridmarket.algorithms.grpo.tiny_lm import build_tiny_gpt2

    env = gym.make("gridmarket:TextForecast-v0", **ENV_CONFIG)
    texts = [env.reset(options={"window_id": i})[0] for i in range(0, 800, 8)]
    return build_tiny_gpt2(tmp_path_factory.mktemp("tf_gpt2"), texts)


def test_format_validity_rises_on_text_forecast(ray_session, text_forecast_lm):
    config = (
        GRPOConfig()
        .environment("gridmarket:TextForecast-v0", env_config=ENV_CONFIG)
        .training(
            hf_model=text_forecast_lm,
            group_size=8,
            prompts_per_iteration=8,
            max_new_tokens=8,
            max_prompt_length=512,
            lr=1e-2,
            num_epochs=4,
            minibatch_size=32,
        )
        .debugging(seed=0)
    )
    algo = config.build_algo()
    try:
        validity = [
            algo.train()["env_runners"]["reward/format"] for _ in range(ITERATIONS)
        ]
    finally:
        algo.stop()
    print("format validity per iteration:", np.round(validity, 3))
    first, last = np.mean(validity[:2]), np.mean(validity[-2:])
    assert last >= first + MARGIN, validity
