"""Pins the one non-public Ray API gridmarket reads (algorithms/ray_private.py)."""

import ray
from ray.tune import register_env

from gridmarket.algorithms.ray_private import (
    PINNED_RAY_VERSION,
    registered_env_creator,
)


def _creator(config):
    return config


def test_registered_env_creator_finds_tune_registered_envs():
    register_env("gridmarket-pin-test-env", _creator)
    found = registered_env_creator("gridmarket-pin-test-env")
    assert found is not None, (
        f"ray.tune.registry's private _global_registry no longer returns envs "
        f"registered with ray.tune.register_env (pinned on Ray {PINNED_RAY_VERSION}, "
        f"installed {ray.__version__}): update algorithms/ray_private.py"
    )
    assert found({"x": 1}) == {"x": 1}
    assert registered_env_creator("gridmarket-never-registered") is None


def test_pinned_version_is_the_installed_one():
    assert ray.__version__ == PINNED_RAY_VERSION, (
        f"Ray {ray.__version__} is installed, gridmarket pins {PINNED_RAY_VERSION}: "
        "re-check algorithms/ray_private.py and the tests that pin it"
    )
