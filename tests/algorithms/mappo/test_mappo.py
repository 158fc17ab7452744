"""MAPPO on real Ray: results, checkpoints (weights, value normalizer, curriculum),
remote env runners, two DDP learners, and errors for bad config."""

import numpy as np
import pytest
from ray.rllib.core.columns import Columns

from gridmarket.algorithms.mappo import MAPPO, MAPPOConfig
from gridmarket.algorithms.mappo.torch.mappo_rl_module import ALIVE

ENV = {"num_banks": 4, "scenario": "liquidity_crisis", "max_cycles": 10}


def small_config(**training):
    defaults = {
        "train_batch_size_per_learner": 40,
        "minibatch_size": 20,
        "num_epochs": 2,
    }
    return (
        MAPPOConfig()
        .environment("contagion_v0", env_config=dict(ENV))
        .training(**(defaults | training))
        .env_runners(num_envs_per_env_runner=4)
        .rl_module(
            model_config={
                "actor_hiddens": [16],
                "critic_hiddens": [16],
                "critic_embed_dim": 8,
            }
        )
        .debugging(seed=0)
    )


def module_state(algo):
    return algo.learner_group.get_state()["learner"]["rl_module"]["default_policy"]


def test_train_reports_losses_and_episode_metrics(ray_session):
    algo = small_config().build_algo()
    try:
        results = [algo.train() for _ in range(3)]
    finally:
        algo.stop()
    last = results[-1]
    learner = last["learners"]["default_policy"]
    for key in ("policy_loss", "vf_loss", "entropy", "approx_kl"):
        assert np.isfinite(learner[key]), key
    assert last["num_env_steps_sampled_lifetime"] == 120
    # 3 x 40 world-steps of 10-step episodes: 12 episodes have finished.
    assert last["env_runners"]["num_episodes_lifetime"] == 12
    assert 0.0 <= last["env_runners"]["default_rate"] <= 1.0
    assert np.isfinite(last["env_runners"]["episode_return_mean"])


def test_checkpoint_round_trip_restores_weights_normalizer_and_curriculum(
    ray_session, tmp_path
):
    config = small_config(
        curriculum=["normal", "liquidity_crisis", "systemic"],
        curriculum_promote_default_rate=1.0,  # every iteration qualifies
        curriculum_patience=1,
    )
    config.env_config.pop("scenario")
    algo = config.build_algo()
    try:
        for _ in range(2):
            result = algo.train()
        assert result["curriculum_stage"] == 2
        assert algo.curriculum.stage == 2
        scenario = algo.env_runner.env.scenario.name
        algo.save_to_path(tmp_path)
        saved = module_state(algo)
    finally:
        algo.stop()
    assert scenario == "systemic"
    assert saved["value_count"] > 0 and saved["value_var"] != 1.0
    restored = MAPPO.from_checkpoint(tmp_path)
    try:
        for name, value in module_state(restored).items():
            np.testing.assert_array_equal(value, saved[name], err_msg=name)
        assert restored.curriculum.stage == 2
        assert restored.env_runner.env.scenario.name == "systemic"
        runner_mean = float(restored.env_runner.module.value_mean)
        assert runner_mean == pytest.approx(float(saved["value_mean"]))
        result = restored.train()
        assert result["training_iteration"] == 3
        assert np.isfinite(result["learners"]["default_policy"]["vf_loss"])
    finally:
        restored.stop()


def test_remote_env_runners_get_the_new_weights(ray_session):
    algo = small_config().env_runners(num_env_runners=2).build_algo()
    try:
        result = algo.train()
        weights = algo.env_runner_group.foreach_env_runner(
            lambda runner: float(runner.module.value_mean), local_env_runner=False
        )
        learner_mean = float(module_state(algo)["value_mean"])
    finally:
        algo.stop()
    assert result["num_env_steps_sampled_lifetime"] == 40
    assert weights == pytest.approx([learner_mean] * 2)


def test_two_ddp_learners_stay_in_sync(ray_session):
    algo = small_config().learners(num_learners=2).build_algo()
    try:
        result = algo.train()
        states = algo.learner_group.foreach_learner(
            lambda learner: {
                k: v.detach().cpu().numpy()
                for k, v in learner.module["default_policy"].state_dict().items()
            }
        )
    finally:
        algo.stop()
    assert result["num_env_steps_sampled_lifetime"] == 80  # 40 per learner
    first, second = (s.get() for s in states)
    for name in first:
        np.testing.assert_allclose(first[name], second[name], err_msg=name)


@pytest.mark.parametrize(
    ("training", "error", "match"),
    [
        (
            {"clip_param": 0.0},
            ValueError,
            r"`clip_param` must lie in \(0.0, 1.0\], got 0.0",
        ),
        ({"lambda_": 1.5}, ValueError, r"`lambda_` must lie in \[0.0, 1.0\], got 1.5"),
        ({"minibatch_size": 80}, ValueError, r"`minibatch_size` \(80 world-steps\)"),
        ({"entropy_coeff": -0.1}, ValueError, "`entropy_coeff` values must lie in"),
        ({"entropy_coeff": "high"}, TypeError, "`entropy_coeff` must be a number"),
        (
            {"curriculum": ["normal", "panic"]},
            ValueError,
            r"unknown scenarios \['panic'\]",
        ),
        ({"num_epochs": 0}, ValueError, "`num_epochs` must be >= 1, got 0"),
        (
            {"team_reward_weight": 1.5},
            ValueError,
            r"`team_reward_weight` must lie in \[0.0, 1.0\], got 1.5",
        ),
    ],
)
def test_bad_config_is_refused_with_the_numbers(training, error, match):
    config = small_config(**training)
    with pytest.raises(error, match=match):
        config.validate()


def test_curriculum_and_a_fixed_scenario_conflict():
    config = small_config(curriculum=["normal", "systemic"])
    with pytest.raises(ValueError, match="not both"):
        config.validate()


def test_unknown_env_is_refused(ray_session):
    with pytest.raises(TypeError, match="must be 'contagion_v0' or a callable"):
        small_config().environment("CartPole-v1").build_algo()


@pytest.mark.parametrize("weight", [0.0, 1.0])
def test_team_reward_weight_sets_what_each_bank_learns_from(ray_session, weight):
    """With gamma = lambda = 0 a value target is the reward a bank learns from: at
    weight 1 every alive bank of a world-step gets the same (the mean), at weight 0
    its own, which differ between banks."""
    algo = small_config(gamma=0.0, lambda_=0.0, team_reward_weight=weight).build_algo()
    try:
        batch = algo.env_runner.sample(num_steps=40)
    finally:
        algo.stop()
    targets, alive = batch[Columns.VALUE_TARGETS], batch[ALIVE]  # [rows, N]
    spread = [
        np.ptp(row[mask])
        for row, mask in zip(targets, alive, strict=True)
        if mask.sum() > 1
    ]
    if weight == 1.0:
        assert max(spread) < 1e-6
    else:
        assert max(spread) > 1e-3
