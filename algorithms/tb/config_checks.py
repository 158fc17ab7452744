"""Validation of TB's own options, with errors that name the value and the rule."""

from __future__ import annotations

from typing import Any

import numpy as np

from gridmarket.algorithms.schedules import validate_schedule

LOG_Z_ESTIMATE = "estimate"
BACKWARD_POLICIES = ("learned", "uniform")


def check_backward_policy(value: Any, *, owner: str) -> str:
    """``value`` if it names a backward policy, else ``ValueError`` naming ``owner``."""
    if value not in BACKWARD_POLICIES:
        raise ValueError(
            f"{owner}.backward_policy must be one of {BACKWARD_POLICIES}, got {value!r}"
        )
    return value


def validate_tb_options(config: Any) -> None:
    """Raise ``ValueError``/``TypeError`` for the first invalid TB option."""
    _check_int("batch_size", config.batch_size, minimum=1)
    _check_int("updates_per_iteration", config.updates_per_iteration, minimum=1)
    _check_int("replay_buffer_capacity", config.replay_buffer_capacity, minimum=0)
    _check_int("replay_batch_size", config.replay_batch_size, minimum=0)
    _check_int("exact_metrics_interval", config.exact_metrics_interval, minimum=0)
    for name in ("lr", "lr_logz"):
        validate_schedule(
            f"TBConfig.{name}",
            getattr(config, name),
            low=0.0,
            high=np.inf,
            low_open=True,
        )
    check_backward_policy(config.backward_policy, owner="TBConfig")
    if config.init_log_z != LOG_Z_ESTIMATE and (
        not isinstance(config.init_log_z, int | float)
        or not np.isfinite(config.init_log_z)
    ):
        raise ValueError(
            "TBConfig.init_log_z must be a finite float or "
            f"{LOG_Z_ESTIMATE!r}, got {config.init_log_z!r}"
        )
    validate_schedule(
        "TBConfig.exploration_epsilon", config.exploration_epsilon, low=0.0, high=1.0
    )
    validate_schedule(
        "TBConfig.sampling_temperature",
        config.sampling_temperature,
        low=0.0,
        high=np.inf,
        low_open=True,
    )
    if config.replay_batch_size > 0 and config.replay_buffer_capacity == 0:
        raise ValueError(
            f"TBConfig.replay_batch_size={config.replay_batch_size} needs a replay "
            "buffer: set replay_buffer_capacity >= 1"
        )


def _check_int(name: str, value: Any, *, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise TypeError(f"TBConfig.{name} must be an int >= {minimum}, got {value!r}")
    if value < minimum:
        raise ValueError(f"TBConfig.{name} must be >= {minimum}, got {value}")
