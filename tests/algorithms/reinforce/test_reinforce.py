"""REINFORCE on real Ray: it trains on TB's sampler and refuses DDP."""

import numpy as np
import pytest

from gridmarket.algorithms.reinforce import ReinforceConfig


def config():
    return (
        ReinforceConfig()
        .environment(
            "GridMarket-v0",
            env_config={"scenario": "synthetic-modes", "reward_temperature": 3.0},
        )
        .training(batch_size=16, updates_per_iteration=4)
        .rl_module(model_config={"fcnet_hiddens": [32, 32], "num_components": 3})
        .debugging(seed=0)
    )


def test_reinforce_trains_and_reports_its_loss(ray_session):
    algo = config().build_algo()
    try:
        results = [algo.train() for _ in range(3)]
    finally:
        algo.stop()
    assert all(np.isfinite(r["reinforce_loss"]) for r in results)
    assert "tb_loss" not in results[-1]
    assert results[-1]["num_trajectories_sampled_lifetime"] == 192


def test_reinforce_refuses_ddp():
    with pytest.raises(ValueError, match="num_learners <= 1"):
        config().learners(num_learners=2).validate()
