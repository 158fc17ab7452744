"""RLlib's PPO trains on contagion_v0 through RLlib's own PettingZoo wrapper, with
banks that default leaving the episode (PettingZoo's early-termination convention)."""

import pytest

pytest.importorskip("ray.rllib")

from ray.rllib.algorithms.ppo import PPOConfig  # noqa: E402
from ray.rllib.env.wrappers.pettingzoo_env import ParallelPettingZooEnv  # noqa: E402
from ray.tune.registry import register_env  # noqa: E402

from gridmarket.envs import contagion_v0  # noqa: E402

ENV_CONFIG = {"num_banks": 5, "scenario": "asset_crash", "max_cycles": 25}


def make_env(config):
    return ParallelPettingZooEnv(contagion_v0.parallel_env(**config))


def test_ppo_trains_two_iterations_through_parallel_pettingzoo_env(ray_session):
    register_env("contagion_v0_rllib_test", make_env)
    config = (
        PPOConfig()
        .environment("contagion_v0_rllib_test", env_config=ENV_CONFIG)
        .env_runners(num_env_runners=0)
        .multi_agent(
            policies={"shared"},
            policy_mapping_fn=lambda agent_id, episode, **kwargs: "shared",
        )
        .training(train_batch_size=250, minibatch_size=125, num_epochs=1)
        .rl_module(model_config={"fcnet_hiddens": [16]})
        .debugging(seed=0)
    )
    algo = config.build_algo()
    try:
        for _ in range(2):
            result = algo.train()
    finally:
        algo.stop()
    runners = result["env_runners"]
    env_steps = runners["num_env_steps_sampled_lifetime"]
    agent_steps = sum(runners["num_agent_steps_sampled_lifetime"].values())
    assert env_steps >= 500 and runners["num_episodes_lifetime"] >= 10
    # Banks that default stop acting: fewer agent steps than banks x env steps.
    assert agent_steps < ENV_CONFIG["num_banks"] * env_steps
    assert "shared" in result["learners"]
