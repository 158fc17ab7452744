"""``MAPPOConfig.validate()``'s checks, with errors that show the numbers."""

from __future__ import annotations

from typing import Any

from gridmarket.algorithms.schedules import validate_schedule


def _check_range(
    name: str, value: Any, low: float, high: float, *, low_open: bool = False
) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"`{name}` must be a number, got {value!r}")
    below = value <= low if low_open else value < low
    if below or value > high or value != value:
        bracket = "(" if low_open else "["
        raise ValueError(f"`{name}` must lie in {bracket}{low}, {high}], got {value}")


def _check_int(name: str, value: Any, low: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"`{name}` must be an int, got {value!r}")
    if value < low:
        raise ValueError(f"`{name}` must be >= {low}, got {value}")


def validate_mappo_options(config: Any) -> None:
    """Raise ``ValueError``/``TypeError`` naming the option, its value and what is
    allowed."""
    if config.framework_str != "torch":
        raise ValueError(
            f"MAPPO supports framework='torch', got {config.framework_str!r}"
        )
    _check_range("clip_param", config.clip_param, 0.0, 1.0, low_open=True)
    if config.vf_clip_param is not None:
        _check_range(
            "vf_clip_param", config.vf_clip_param, 0.0, float("inf"), low_open=True
        )
    _check_range("gamma", config.gamma, 0.0, 1.0)
    _check_range("lambda_", config.lambda_, 0.0, 1.0)
    _check_range("vf_loss_coeff", config.vf_loss_coeff, 0.0, float("inf"))
    _check_range("team_reward_weight", config.team_reward_weight, 0.0, 1.0)
    validate_schedule("entropy_coeff", config.entropy_coeff, low=0.0, high=1.0)
    _check_int("num_epochs", config.num_epochs, 1)
    _check_int("num_envs_per_env_runner", config.num_envs_per_env_runner, 1)
    batch = config.train_batch_size_per_learner
    _check_int("train_batch_size_per_learner", batch, 1)
    _check_int("minibatch_size", config.minibatch_size, 1)
    if config.minibatch_size > batch:
        raise ValueError(
            f"`minibatch_size` ({config.minibatch_size} world-steps) must be <= "
            f"`train_batch_size_per_learner` ({batch})"
        )
    _check_curriculum(config)


def _check_curriculum(config: Any) -> None:
    from gridmarket.envs.contagion.scenarios import SCENARIOS

    stages = config.curriculum
    if stages is None:
        return
    if (
        isinstance(stages, str)
        or not all(isinstance(s, str) for s in stages)
        or not stages
    ):
        raise TypeError(
            f"`curriculum` must be None or a non-empty list of scenario names, got {stages!r}"
        )
    unknown = [s for s in stages if s not in SCENARIOS]
    if unknown:
        raise ValueError(
            f"`curriculum` has unknown scenarios {unknown}; allowed are {sorted(SCENARIOS)}"
        )
    if "scenario" in config.env_config:
        raise ValueError(
            f"set either `curriculum` ({list(stages)}) or env_config['scenario'] "
            f"({config.env_config['scenario']!r}), not both"
        )
    _check_range(
        "curriculum_promote_default_rate",
        config.curriculum_promote_default_rate,
        0.0,
        1.0,
    )
    _check_int("curriculum_patience", config.curriculum_patience, 1)
