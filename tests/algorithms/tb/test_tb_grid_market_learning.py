"""TB learns GridMarket-v0: all four synthetic modes, and rising reward on real data."""

import numpy as np
import pytest

from gridmarket.algorithms.tb.presets import grid_market_tb_config as build_config
from gridmarket.envs.grid_market.scenarios import tuned_env_config as env_config
from gridmarket.evaluation.sampling import sample_trajectory_paths

pytestmark = pytest.mark.slow


def test_tb_recovers_every_synthetic_mode(ray_session):
    # Target: 99.8% of R's mass lies within 30 of the four modes (plane of two
    # variables); the box uniform would put 28% there, the untrained sampler ~25%.
    algo = build_config(env_config("synthetic-modes")).debugging(seed=0).build_algo()
    try:
        for _ in range(120):  # 30,720 trajectories
            algo.train()
        oracle = algo.env_runner.env.unwrapped.oracle
        paths = sample_trajectory_paths(algo, 2048, oracle)
    finally:
        algo.stop()
    index, distance = oracle.nearest_mode(paths.states[:, -1])
    near = distance < 30
    shares = [float(np.mean(near & (index == k))) for k in range(4)]
    # Measured with this seed (identical in CI): 93% near a mode, shares
    # 0.44 / 0.31 / 0.07 / 0.11 (the target gives each mode 25%; an earlier tree
    # measured 0.32 / 0.15 / 0.14 / 0.30). The bars sit just past that: a sampler
    # that drops a mode, or piles half its samples on one, fails.
    assert near.mean() >= 0.85, shares
    assert min(shares) >= 0.05, shares  # every mode keeps a real share of samples
    assert max(shares) <= 0.50, shares  # and none takes over


def test_tb_raises_mean_log_reward_on_the_gfc_oracle(ray_session):
    algo = build_config(env_config("gfc-2007")).debugging(seed=0).build_algo()
    try:
        oracle = algo.env_runner.env.unwrapped.oracle
        before = sample_trajectory_paths(algo, 2048, oracle).log_reward.mean()
        for _ in range(40):  # 10,240 trajectories
            algo.train()
        after = sample_trajectory_paths(algo, 2048, oracle).log_reward.mean()
    finally:
        algo.stop()
    assert before < 0.5  # broad initial sampler, predicted returns around +6%
    assert after >= max(1.0, 3 * before), (before, after)
