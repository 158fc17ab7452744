"""The tokenized wrapper: Gymnasium's checker, round trips, and RLlib sampling."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import gridmarket  # noqa: F401
from gridmarket.envs.text_forecast.data import load_window_set
from gridmarket.envs.text_forecast.tokenized import TokenizedTextForecast

ENV_KWARGS = {"ticker": "AAPL", "split": "val", "window": 8, "prompt_format": "compact"}


def tiny_tokenizer():
    """A 400-token byte-level BPE trained on a few prompts (no download)."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    corpus = load_window_set(
        "AAPL", "train", window=8, prompt_format="compact"
    ).prompts[:200]
    corpus += ["<answer>101.25, 99.5</answer>"] * 20
    bpe = Tokenizer(models.BPE())
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=400,
        special_tokens=["<eos>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
    )
    bpe.train_from_iterator(corpus, trainer)
    return PreTrainedTokenizerFast(
        tokenizer_object=bpe, eos_token="<eos>", pad_token="<eos>"
    )


@pytest.fixture(scope="module")
def tokenizer():
    return tiny_tokenizer()


def make_env(tokenizer, **kwargs):
    return TokenizedTextForecast(
        gym.make("TextForecast-v0", **ENV_KWARGS), tokenizer, **kwargs
    )


def test_check_env_passes_on_the_wrapper(tokenizer):
    env = make_env(tokenizer, max_prompt_tokens=512, max_completion_tokens=32)
    check_env(env, skip_render_check=True)


def test_prompt_is_left_padded_and_completion_round_trips(tokenizer):
    env = make_env(tokenizer, max_prompt_tokens=512, max_completion_tokens=96)
    obs, info = env.reset(options={"window_id": 3})
    n = info["prompt_tokens"]
    assert 0 < n < 512
    assert obs["attention_mask"].tolist() == [0] * (512 - n) + [1] * n
    assert tokenizer.decode(obs["input_ids"][-n:].tolist()) == info["prompt"]
    assert env.observation_space.contains(obs)

    target = env.unwrapped.windows.targets[3]
    text = "<answer>" + ", ".join(f"{v:.2f}" for v in target) + "</answer>"
    ids = tokenizer.encode(text, add_special_tokens=False)
    action = np.full(96, 7, dtype=np.int64)  # junk after the end-of-sequence token
    action[: len(ids)] = ids
    action[len(ids)] = tokenizer.eos_token_id
    _, reward, terminated, _, step_info = env.step(action)
    assert step_info["completion"] == text
    assert step_info["status"] == "ok" and terminated
    assert reward == pytest.approx(2.0, abs=0.01)  # format 1 + error 0 + direction 1


def test_too_long_prompt_is_refused_with_the_numbers(tokenizer):
    env = make_env(tokenizer, max_prompt_tokens=16)
    with pytest.raises(
        ValueError, match=r"has \d+ tokens, more than max_prompt_tokens=16"
    ):
        env.reset(options={"window_id": 0})


def _tokenized_env_creator(config):
    return TokenizedTextForecast(
        gym.make("gridmarket:TextForecast-v0", **ENV_KWARGS),
        tiny_tokenizer(),
        max_prompt_tokens=512,
        max_completion_tokens=16,
    )


def test_rllib_env_runner_steps_the_tokenized_env():
    """RLlib's own SingleAgentEnvRunner samples token-id episodes through a default
    RLModule (the Dict observation flattened by RLlib's connector)."""
    from ray.rllib.algorithms.ppo import PPOConfig
    from ray.rllib.connectors.env_to_module import FlattenObservations
    from ray.rllib.env.single_agent_env_runner import SingleAgentEnvRunner
    from ray.tune.registry import register_env

    register_env("text_forecast_tokenized_test", _tokenized_env_creator)
    config = (
        PPOConfig()
        .environment("text_forecast_tokenized_test")
        .env_runners(
            num_env_runners=0,
            num_envs_per_env_runner=2,
            env_to_module_connector=lambda env, spaces=None, device=None: (
                FlattenObservations()
            ),
        )
        .rl_module(model_config={"fcnet_hiddens": [16]})
    )
    runner = SingleAgentEnvRunner(config=config)
    try:
        episodes = runner.sample(num_episodes=6, random_actions=False)
    finally:
        runner.stop()
    assert sum(len(e) for e in episodes) == len(episodes) >= 6  # one step each
    for episode in episodes:
        obs = episode.get_observations(0)  # flattened: attention_mask, input_ids
        mask, ids = obs[:512], obs[512:]
        assert obs.shape == (1024,) and set(np.unique(mask)) == {0.0, 1.0}
        assert ids.max() < 400
        info = episode.get_infos(-1)
        assert isinstance(info["completion"], str) and "status" in info
        action = episode.get_actions(0)
        assert action.shape == (16,) and action.max() < 400
        assert episode.is_terminated
        assert -10.0 <= episode.get_return() <= 2.0
