"""TBEnvRunner without Ray: batched sampling against the env's own semantics."""

import numpy as np
import pytest

from gridmarket.algorithms.tb.env_runner import TBEnvRunner, make_gflownet_vector_env
from gridmarket.algorithms.tb.tb import TBConfig
from gridmarket.algorithms.tb.trajectories import ACTIONS, LOG_REWARD, OBS, TRAJ_LEN
from gridmarket.envs.hypergrid import HyperGridEnv
from gridmarket.envs.hypergrid.core import HyperGridParams, state_index
from gridmarket.envs.hypergrid.exact import target_distribution


def make_runner(seed=0, **training):
    config = (
        TBConfig()
        .environment("HyperGrid-v0", env_config={"ndim": 3, "height": 4})
        .training(batch_size=8, updates_per_iteration=2, **training)
        .debugging(seed=seed)
    )
    return TBEnvRunner(config=config)


def test_trajectories_replay_exactly_in_the_single_env():
    runner = make_runner()
    batch = runner.sample(num_trajectories=20, epsilon=0.3)
    assert batch[ACTIONS].shape == (20, 10) and batch[OBS]["observation"].shape == (
        20,
        11,
        3,
    )
    for i in range(20):
        env = HyperGridEnv(ndim=3, height=4)
        obs, _ = env.reset()
        for t in range(batch[TRAJ_LEN][i]):
            np.testing.assert_array_equal(
                obs["observation"], batch[OBS]["observation"][i, t]
            )
            obs, reward, terminated, _, info = env.step(int(batch[ACTIONS][i, t]))
        assert terminated
        assert info["log_reward"] == pytest.approx(batch[LOG_REWARD][i], abs=1e-6)


def test_seeded_runners_sample_identically_and_count_steps():
    first = make_runner(seed=5).sample(num_trajectories=16, epsilon=0.2)
    runner = make_runner(seed=5)
    second = runner.sample(num_trajectories=16, epsilon=0.2)
    np.testing.assert_array_equal(first[ACTIONS], second[ACTIONS])
    metrics = runner.get_metrics()
    assert metrics["num_episodes"].peek() == 16
    assert metrics["num_env_steps_sampled"].peek() == int(second[TRAJ_LEN].sum())


def test_exact_metrics_agree_with_sampling():
    # The exact L1 (dynamic programming over the DAG) of the untrained policy
    # must match the L1 of the terminal states that policy actually samples.
    runner = make_runner()
    metrics = runner.exact_metrics()
    params = HyperGridParams(ndim=3, height=4)
    batch = runner.sample(num_trajectories=4000)
    final = batch[OBS]["observation"][np.arange(4000), batch[TRAJ_LEN] - 1]
    counts = np.bincount(state_index(params, final), minlength=params.n_states)
    target, _ = target_distribution(params)
    sampled_l1 = np.abs(counts / 4000 - target).sum()
    # Sampling noise on 64 states with 4,000 draws: E|L1 error| < 0.1.
    assert metrics["l1_distance"] == pytest.approx(sampled_l1, abs=0.1)
    assert metrics["l1_distance"] > 0.3  # an untrained policy is far from the target
    assert metrics["log_z_error"] == pytest.approx(metrics["log_z_true"])  # log Z = 0


def test_env_without_the_gflownet_contract_is_refused():
    with pytest.raises(
        TypeError, match="cannot be built with vectorization_mode='vector_entry_point'"
    ):
        make_gflownet_vector_env("FrozenLake-v1", 2, {})
    with pytest.raises(
        TypeError,
        match="needs a GFlowNet vector env with an int `max_trajectory_length`",
    ):
        import gymnasium as gym

        make_gflownet_vector_env(
            lambda cfg: gym.make_vec("CartPole-v1", num_envs=cfg["num_envs"]), 2, {}
        )
