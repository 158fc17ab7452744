"""TBConfig validation: every bad value is named with what is allowed."""

import pytest

from gridmarket.algorithms.tb import TB, TBConfig


def config(**training):
    return TBConfig().environment("HyperGrid-v0").training(**training)


@pytest.mark.parametrize(
    ("training", "error", "message"),
    [
        ({"batch_size": 0}, ValueError, "TBConfig.batch_size must be >= 1, got 0"),
        (
            {"batch_size": 2.0},
            TypeError,
            "TBConfig.batch_size must be an int >= 1, got 2.0",
        ),
        (
            {"updates_per_iteration": -1},
            ValueError,
            "updates_per_iteration must be >= 1, got -1",
        ),
        (
            {"lr_logz": 0.0},
            ValueError,
            r"lr_logz` values must lie in \(0.0, inf\], got 0.0",
        ),
        ({"lr": -1e-3}, ValueError, "got -0.001"),
        ({"lr_logz": [[0, 0.1], [0, 0.01]]}, ValueError, "strictly increase"),
        (
            {"backward_policy": "tree"},
            ValueError,
            r"TBConfig.backward_policy must be one of \('learned', 'uniform'\), "
            "got 'tree'",
        ),
        (
            {"exploration_epsilon": 1.5},
            ValueError,
            r"exploration_epsilon` values must lie in \[0.0, 1.0\], got 1.5",
        ),
        (
            {"sampling_temperature": [[0, 1.0], [10, 0.0]]},
            ValueError,
            r"values must lie in \(0.0, inf\], got 0.0",
        ),
        (
            {"replay_batch_size": 4},
            ValueError,
            "replay_batch_size=4 needs a replay buffer",
        ),
        (
            {"replay_buffer_capacity": -5},
            ValueError,
            "replay_buffer_capacity must be >= 0, got -5",
        ),
        (
            {"init_log_z": float("nan")},
            ValueError,
            "init_log_z must be a finite float or .estimate., got nan",
        ),
        (
            {"exact_metrics_interval": True},
            TypeError,
            "exact_metrics_interval must be an int >= 0, got True",
        ),
    ],
)
def test_invalid_config_is_named(training, error, message):
    with pytest.raises(error, match=message):
        config(**training).validate()


def test_reward_temperature_belongs_to_the_env():
    with pytest.raises(TypeError, match="temperature is the env's option"):
        config(reward_temperature=0.5)


def test_valid_config_and_derived_sizes():
    cfg = config(batch_size=8, updates_per_iteration=4).env_runners(num_env_runners=3)
    cfg.validate()
    assert cfg.trajectories_per_iteration == 32
    assert cfg.trajectories_per_env_runner == 11
    assert cfg.learners(num_learners=2).trajectories_per_iteration == 64
    assert cfg.model_config["backward_policy"] == "learned"
    assert TB.get_default_config().batch_size == 16
