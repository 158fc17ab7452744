"""Continuous TB on GridMarket-v0 under real Ray: updates, warm start, checkpoints."""

import numpy as np
import pytest
import torch

from gridmarket.algorithms.tb import TB, TBConfig
from gridmarket.algorithms.tb.trajectories import ACTIONS, OBS, TRAJ_LEN, map_arrays


def config(**training):
    defaults = {
        "batch_size": 8,
        "updates_per_iteration": 3,
        "init_log_z": "estimate",
        "replay_buffer_capacity": 64,
        "replay_batch_size": 4,
        "exploration_epsilon": 0.1,
    }
    return (
        TBConfig()
        .environment(
            "GridMarket-v0",
            env_config={"scenario": "synthetic-modes", "reward_temperature": 3.0},
        )
        .training(**(defaults | training))
        .rl_module(model_config={"fcnet_hiddens": [32, 32], "num_components": 3})
        .debugging(seed=0)
    )


def optimizer_steps(algo):
    state = algo.learner_group.get_state()["learner"]["optimizer"]
    steps = set()
    for name in ("default_policy_policy", "default_policy_log_z"):
        steps |= {int(s["step"]) for s in state[name]["state"]["state"].values()}
    return steps


def test_every_minibatch_steps_the_optimizer_and_log_z_is_warm_started(ray_session):
    algo = config().build_algo()
    try:
        first = algo.train()
        assert optimizer_steps(algo) == {
            3
        }  # one Adam step per minibatch, never skipped
        algo.train()
        assert optimizer_steps(algo) == {6}
    finally:
        algo.stop()
    # log Z starts at the first batch's mean of log R + log P_B - log P_F, which for a
    # broad sampler over the [-100, 100]^6 box is of the order of its log-volume.
    assert first["log_z_initial_estimate"] > 10
    # then 3 Adam steps of at most lr_logz (0.1) each
    assert abs(first["log_z"] - first["log_z_initial_estimate"]) <= 3 * 0.1 + 1e-4
    assert np.isfinite(first["tb_loss"])


def test_learner_scores_exactly_the_actions_the_runner_took(ray_session):
    algo = config().build_algo()
    try:
        batch = algo.env_runner.sample(num_trajectories=6, epsilon=0.3)
        module = algo.env_runner.module
        tensors = map_arrays(torch.from_numpy, batch)
        with torch.no_grad():
            log_pf = module._forward_train(tensors)["log_pf"]
            stepwise = sum(
                module.forward_log_probs(tensors[OBS][:, t], tensors[ACTIONS][:, t])
                for t in range(12)
            )
    finally:
        algo.stop()
    torch.testing.assert_close(log_pf, stepwise, rtol=1e-5, atol=1e-4)
    # the recorded actions are the increments between the recorded states
    np.testing.assert_allclose(
        batch[OBS][:, 1:, 1:] - batch[OBS][:, :-1, 1:], batch[ACTIONS], atol=1e-4
    )
    assert (batch[TRAJ_LEN] == 12).all()


def test_checkpoint_restores_replay_and_trains_on(ray_session, tmp_path):
    algo = config().build_algo()
    try:
        for _ in range(2):
            algo.train()
        algo.save_to_path(tmp_path)
        replay_len, log_z = len(algo._replay), float(algo.env_runner.module.log_z)
    finally:
        algo.stop()
    restored = TB.from_checkpoint(tmp_path)
    try:
        assert len(restored._replay) == replay_len == 48
        assert float(restored.env_runner.module.log_z) == pytest.approx(log_z)
        result = restored.train()
        # no second warm start after a restore: log Z moves by Adam steps only
        assert abs(result["log_z"] - log_z) <= 3 * 0.1 + 1e-4
        assert result["num_trajectories_sampled_lifetime"] == 72
    finally:
        restored.stop()


def _trained_weights(seed: int, num_env_runners: int, *, disturb: bool = False):
    """Module weights after two iterations; ``disturb`` draws from torch's global
    RNG in the driver (where the local runner samples) between iterations."""
    algo = (
        config()
        .env_runners(num_env_runners=num_env_runners)
        .debugging(seed=seed)
        .build_algo()
    )
    try:
        for _ in range(2):
            algo.train()
            if disturb:
                torch.rand(1000)
        state = algo.learner_group.get_state()["learner"]["rl_module"]
        return {k: np.array(v) for k, v in state["default_policy"].items()}
    finally:
        algo.stop()


@pytest.mark.parametrize("num_env_runners", [0, 2])
def test_same_seed_same_run_and_other_seeds_differ(ray_session, num_env_runners):
    first = _trained_weights(3, num_env_runners)
    again = _trained_weights(3, num_env_runners, disturb=True)
    other = _trained_weights(4, num_env_runners)
    assert first.keys() == again.keys()
    for name in first:
        np.testing.assert_array_equal(first[name], again[name], err_msg=name)
    assert any(not np.array_equal(first[k], other[k]) for k in first)
