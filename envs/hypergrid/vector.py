"""Native vectorized HyperGrid: the same core, stepped over a batch in one call."""

from __future__ import annotations

from typing import Any

import numpy as np
from gymnasium.vector import AutoresetMode, VectorEnv
from gymnasium.vector.utils import batch_space

from gridmarket.envs.common import check_num_envs
from gridmarket.envs.hypergrid import core
from gridmarket.envs.hypergrid.env import hypergrid_spaces
from gridmarket.envs.hypergrid.exact import ExactDistribution


class HyperGridVectorEnv(VectorEnv):
    """``num_envs`` HyperGrid episodes stepped together by the pure core.

    Same spaces, rewards and ``info["log_reward"]`` as :class:`HyperGridEnv`.
    Autoreset is Gymnasium's default ``NEXT_STEP``: after a sub-env terminates, its
    next ``step`` ignores the action, resets it to the origin and returns reward 0.
    ``infos["log_reward"]`` is set where ``infos["_log_reward"]`` is True.

    Create with ``gym.make_vec("HyperGrid-v0", num_envs=B,
    vectorization_mode="vector_entry_point", ndim=..., height=...)``.
    """

    metadata = {"render_modes": [], "autoreset_mode": AutoresetMode.NEXT_STEP}

    def __init__(
        self,
        num_envs: int = 1,
        ndim: int = 4,
        height: int = 8,
        R0: float = 0.1,
        R1: float = 0.5,
        R2: float = 2.0,
        render_mode: str | None = None,
    ) -> None:
        num_envs = check_num_envs(num_envs)
        if render_mode is not None:
            raise ValueError(
                f"HyperGridVectorEnv does not render; render_mode must be None, "
                f"got {render_mode!r}"
            )
        self.params = core.HyperGridParams(
            ndim=ndim, height=height, R0=R0, R1=R1, R2=R2
        )
        self.num_envs = int(num_envs)
        self.render_mode = None
        self.single_observation_space, self.single_action_space = hypergrid_spaces(
            self.params
        )
        self.observation_space = batch_space(self.single_observation_space, num_envs)
        self.action_space = batch_space(self.single_action_space, num_envs)
        self._states = core.initial_states(self.params, self.num_envs)
        self._autoreset = np.zeros(self.num_envs, dtype=bool)
        self._has_reset = False

    def reset(
        self,
        *,
        seed: int | list[int] | None = None,
        options: dict[str, Any] | None = None,
    ) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        if isinstance(seed, list):
            seed = seed[0] if seed else None
        super().reset(seed=seed)
        self._states = core.initial_states(self.params, self.num_envs)
        self._autoreset[:] = False
        self._has_reset = True
        return core.observe(self.params, self._states), {}

    def step(
        self, actions: Any
    ) -> tuple[
        dict[str, np.ndarray], np.ndarray, np.ndarray, np.ndarray, dict[str, Any]
    ]:
        if not self._has_reset:
            raise RuntimeError("HyperGridVectorEnv.step() called before reset()")
        actions = np.asarray(actions)
        if actions.shape != (self.num_envs,):
            raise ValueError(
                f"`actions` must have shape ({self.num_envs},), got {actions.shape}"
            )
        active = ~self._autoreset
        core.check_actions(self.params, self._states[active], actions[active])
        safe_actions = np.where(active, actions, 0)
        moved, stopped = core.step(self.params, self._states, safe_actions)
        stopped &= active
        # Sub-envs that terminated last step restart at the origin.
        next_states = np.where(active[:, None], moved, 0)
        log_reward = np.where(stopped, core.log_rewards(self.params, next_states), 0.0)
        rewards = np.where(stopped, np.exp(log_reward), 0.0)
        self._states = next_states
        self._autoreset = stopped
        infos: dict[str, Any] = {}
        if stopped.any():
            infos = {"log_reward": log_reward, "_log_reward": stopped.copy()}
        truncated = np.zeros(self.num_envs, dtype=bool)
        obs = core.observe(self.params, next_states)
        return obs, rewards, stopped.copy(), truncated, infos

    @property
    def max_trajectory_length(self) -> int:
        """Most actions in one episode: D*(H-1) increments and the stop."""
        return self.params.max_trajectory_length

    def exact_distribution(self, reward_temperature: float = 1.0) -> ExactDistribution:
        """Every state's observation, the target R(x)/Z, log Z, and a scorer."""
        return ExactDistribution(self.params, reward_temperature)
