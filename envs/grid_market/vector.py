"""Native vectorized GridMarket: the same core, stepped over a batch in one call."""

from __future__ import annotations

from typing import Any

import numpy as np
from gymnasium.vector import AutoresetMode, VectorEnv
from gymnasium.vector.utils import batch_space

from gridmarket.envs.common import check_num_envs
from gridmarket.envs.grid_market import core
from gridmarket.envs.grid_market.env import GridMarketDAG, grid_market_spaces
from gridmarket.envs.grid_market.scenarios import (
    DEFAULT_SCENARIO,
    make_params,
    path_plausibility,
)


class GridMarketVectorEnv(GridMarketDAG, VectorEnv):
    """``num_envs`` GridMarket episodes stepped together by the pure core.

    Same spaces, dynamics and rewards as :class:`GridMarketEnv`. Autoreset is
    Gymnasium's ``NEXT_STEP``: after a sub-env terminates, its next ``step`` ignores
    its action, resets it to the starting state and returns reward 0. On a step where
    sub-envs terminate, ``infos`` holds ``log_reward``/``_log_reward`` and
    ``predicted_return``/``_predicted_return`` (and ``ood_distance``/``_ood_distance``
    in the penalty modes): ``[num_envs]`` arrays, valid where the ``_`` mask is True.
    All terminating rows are scored by one batched oracle call.

    Create with ``gym.make_vec("GridMarket-v0", num_envs=B,
    vectorization_mode="vector_entry_point", scenario=..., horizon=...)``.
    """

    metadata = {"render_modes": [], "autoreset_mode": AutoresetMode.NEXT_STEP}

    def __init__(
        self,
        num_envs: int = 1,
        scenario: str = DEFAULT_SCENARIO,
        horizon: int = 12,
        reward_temperature: float = 1.0,
        ood_mode: str = "clip",
        ood_penalty: float = 1.0,
        render_mode: str | None = None,
        oracle: str = "point",
        reward: str = "mean",
        tail_threshold: float = -0.20,
        es_level: float = 0.05,
        plausibility_weight: float = 0.0,
    ) -> None:
        num_envs = check_num_envs(num_envs)
        if render_mode is not None:
            raise ValueError(
                f"GridMarketVectorEnv does not render (use "
                f"gridmarket.envs.grid_market.render.fan_chart); render_mode must be "
                f"None, got {render_mode!r}"
            )
        self.params, self.oracle = make_params(
            scenario,
            horizon=horizon,
            reward_temperature=reward_temperature,
            ood_mode=ood_mode,
            ood_penalty=ood_penalty,
            oracle=oracle,
            reward=reward,
            tail_threshold=tail_threshold,
            es_level=es_level,
            plausibility_weight=plausibility_weight,
        )
        self.plausibility = (
            path_plausibility(scenario) if self.params.plausibility_weight > 0 else None
        )
        self.scenario = scenario
        self.num_envs = int(num_envs)
        self.render_mode = None
        self.single_observation_space, self.single_action_space = grid_market_spaces(
            self.params
        )
        self.observation_space = batch_space(self.single_observation_space, num_envs)
        self.action_space = batch_space(self.single_action_space, num_envs)
        self._initial = core.initial_states(self.params, 1)[0]
        self._states = core.initial_states(self.params, self.num_envs)
        self._autoreset = np.zeros(self.num_envs, dtype=bool)
        self._has_reset = False
        # [B, H + 1, 6]: each sub-env's path so far (for the plausibility term).
        self._paths = np.zeros(
            (self.num_envs, self.params.horizon + 1, core.N_FEATURES), np.float32
        )

    def reset(
        self,
        *,
        seed: int | list[int] | None = None,
        options: dict[str, Any] | None = None,
    ) -> tuple[np.ndarray, dict[str, Any]]:
        if isinstance(seed, list):
            seed = seed[0] if seed else None
        super().reset(seed=seed)
        if options:
            raise ValueError(
                f"GridMarketVectorEnv.reset takes no options, got {sorted(options)}"
            )
        self._states = core.initial_states(self.params, self.num_envs)
        self._paths[:, 0] = self._states[:, 1:]
        self._autoreset[:] = False
        self._has_reset = True
        return self._states.copy(), {}

    def step(
        self, actions: Any
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]:
        if not self._has_reset:
            raise RuntimeError("GridMarketVectorEnv.step() called before reset()")
        batch = (self.num_envs,)
        active = ~self._autoreset
        if active.all():
            moves = core.check_actions(actions, batch)
        else:
            raw = actions if isinstance(actions, np.ndarray) else np.asarray(actions)
            if raw.shape != (*batch, core.N_FEATURES):
                raise ValueError(
                    f"GridMarket actions must have shape {(*batch, core.N_FEATURES)}, "
                    f"got {raw.shape}"
                )
            moves = np.zeros((*batch, core.N_FEATURES), dtype=np.float32)
            moves[active] = core.check_actions(raw[active], (int(active.sum()),))
        next_states, terminated = core.step(self.params, self._states, moves)
        if not active.all():
            # Sub-envs that terminated on the previous step restart (NEXT_STEP).
            next_states[~active] = self._initial
            terminated &= active
        steps = next_states[:, 0].astype(np.int64)
        self._paths[np.arange(self.num_envs), steps] = next_states[:, 1:]
        rewards = np.zeros(self.num_envs, dtype=np.float64)
        infos: dict[str, Any] = {}
        if terminated.any():
            out = core.terminal_log_rewards(
                self.params,
                self.oracle,
                next_states[terminated, 1:],
                paths=self._paths[terminated],
                plausibility=self.plausibility,
            )
            rewards[terminated] = out["log_reward"]
            for key, values in out.items():
                full = np.zeros(self.num_envs, dtype=np.float64)
                full[terminated] = values
                infos[key] = full
                infos[f"_{key}"] = terminated.copy()
        self._states = next_states
        self._autoreset = terminated
        truncated = np.zeros(self.num_envs, dtype=bool)
        return next_states.copy(), rewards, terminated.copy(), truncated, infos
