"""GRPO on real Ray with the stand-in text env: training, checkpoints, config checks."""

import numpy as np
import pytest

from gridmarket.algorithms.grpo import GRPO, GRPOConfig
from tests.algorithms.grpo.stand_in_env import StandInForecastEnv


def small_config(model, **training):
    defaults = {
        "hf_model": model,
        "group_size": 4,
        "prompts_per_iteration": 4,
        "max_new_tokens": 8,
        "max_prompt_length": 64,
        "lr": 1e-3,
    }
    return (
        GRPOConfig()
        .environment(StandInForecastEnv, env_config={"num_windows": 16})
        .training(**(defaults | training))
        .debugging(seed=0)
    )


def module_state(algo):
    return algo.learner_group.get_state()["learner"]["rl_module"]["default_policy"]


def test_train_reports_rewards_and_updates_weights(ray_session, tiny_lm):
    algo = small_config(tiny_lm, beta=0.04, lora={"r": 4}).build_algo()
    try:
        before = module_state(algo)
        result = algo.train()
        after = module_state(algo)
    finally:
        algo.stop()
    assert result["num_completions_sampled_lifetime"] == 16
    assert np.isfinite(result["reward_mean"])
    learner = result["learners"]["default_policy"]
    assert np.isfinite(learner["grpo_loss"]) and learner["kl"] >= 0
    assert set(before) == set(after) and all("lora_" in k for k in after)
    assert any(not np.array_equal(before[k], after[k]) for k in after)
    assert "reward/format_valid" in result["env_runners"]


def test_checkpoint_round_trip_restores_weights_optimizer_and_reference(
    ray_session, tiny_lm, tmp_path
):
    algo = small_config(tiny_lm, beta=0.04).build_algo()
    try:
        algo.train()
        algo.save_to_path(tmp_path)
        saved = module_state(algo)
        saved_learner = algo.learner_group.get_state()["learner"]
    finally:
        algo.stop()
    restored = GRPO.from_checkpoint(tmp_path)
    try:
        state = restored.learner_group.get_state()["learner"]
        for name, value in state["rl_module"]["default_policy"].items():
            np.testing.assert_array_equal(value, saved[name], err_msg=name)
        assert state["reference_model"] == saved_learner["reference_model"]
        assert state["reference_model"]["model"] == tiny_lm
        optim = next(iter(state["optimizer"].values()))["state"]["state"]
        saved_optim = next(iter(saved_learner["optimizer"].values()))["state"]["state"]
        assert optim and optim.keys() == saved_optim.keys()
        for key in optim:
            np.testing.assert_array_equal(
                optim[key]["exp_avg"], saved_optim[key]["exp_avg"]
            )
        runner_state = restored.env_runner.module.get_state()
        for name, value in runner_state.items():
            np.testing.assert_array_equal(value, saved[name], err_msg=name)
        assert restored._completions_sampled == 16
        assert np.isfinite(restored.train()["reward_mean"])
    finally:
        restored.stop()


def test_config_errors_name_the_value():
    with pytest.raises(ValueError, match=r"`group_size` must be >= 2, got 1"):
        small_config("some/model", group_size=1).validate()
    with pytest.raises(ValueError, match=r"`top_p` must be in \(0, 1\], got 1.5"):
        small_config("some/model", top_p=1.5).validate()
    with pytest.raises(ValueError, match="`hf_model` must name"):
        small_config(None).validate()
    with pytest.raises(
        ValueError, match="`share_prompt_forward` must be True or False, got 'no'"
    ):
        small_config("some/model", share_prompt_forward="no").validate()


def test_beta_zero_loads_no_reference(ray_session, tiny_lm):
    algo = small_config(tiny_lm, beta=0.0).build_algo()
    try:
        refs = algo.learner_group.foreach_learner(
            lambda learner: (learner.reference_identity is None, learner._reference)
        )
    finally:
        algo.stop()
    assert [r.get() for r in refs] == [(True, None)]
