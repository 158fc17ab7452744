"""Argument checks shared by the suite's native vector envs."""

from __future__ import annotations

from typing import Any

import numpy as np


def check_num_envs(num_envs: Any) -> int:
    """``num_envs`` as an int >= 1, or a ``TypeError``/``ValueError`` naming it."""
    if isinstance(num_envs, bool) or not isinstance(num_envs, int | np.integer):
        raise TypeError(f"`num_envs` must be an int >= 1, got {num_envs!r}")
    if num_envs < 1:
        raise ValueError(f"`num_envs` must be >= 1, got {num_envs}")
    return int(num_envs)
