"""The one place where gridmarket reads a non-public Ray API.

Ray has no public way to look up an env creator registered with
``ray.tune.register_env``; RLlib's own env runners read Tune's private registry.
TB's runner needs the same lookup to build a registered name as a native vector
env. ``tests/algorithms/test_ray_private.py`` pins this behaviour on the installed
Ray and fails with a clear message when an upgrade changes it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

PINNED_RAY_VERSION = "2.60.0"


def registered_env_creator(name: str) -> Callable[..., Any] | None:
    """The creator passed to ``ray.tune.register_env(name, ...)``, else None."""
    from ray.tune.registry import ENV_CREATOR, _global_registry

    if _global_registry.contains(ENV_CREATOR, name):
        return _global_registry.get(ENV_CREATOR, name)
    return None
