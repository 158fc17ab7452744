"""Gymnasium adapter for the HyperGrid core."""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from gridmarket.envs.common import check_render_mode
from gridmarket.envs.hypergrid import core
from gridmarket.envs.hypergrid.exact import ExactDistribution


def hypergrid_spaces(
    params: core.HyperGridParams,
) -> tuple[spaces.Dict, spaces.Discrete]:
    """Observation and action space of one HyperGrid env."""
    observation_space = spaces.Dict(
        {
            "observation": spaces.MultiDiscrete([params.height] * params.ndim),
            "action_mask": spaces.MultiBinary(params.n_actions),
            "backward_mask": spaces.MultiBinary(params.ndim),
        }
    )
    return observation_space, spaces.Discrete(params.n_actions)


def parse_action(action: Any, n_actions: int) -> int:
    """An int action, or a ``ValueError``/``TypeError`` that says what is allowed."""
    if isinstance(action, bool | np.bool_) or not isinstance(
        action, int | np.integer | np.ndarray
    ):
        raise TypeError(
            f"HyperGrid action must be an int in [0, {n_actions - 1}], got {action!r} "
            f"of type {type(action).__name__}"
        )
    if isinstance(action, np.ndarray) and (
        action.shape != () or not np.issubdtype(action.dtype, np.integer)
    ):
        raise TypeError(
            f"HyperGrid action must be a scalar int in [0, {n_actions - 1}], got "
            f"array of shape {action.shape} and dtype {action.dtype}"
        )
    return int(action)


class HyperGridEnv(gym.Env):
    """The HyperGrid GFlowNet DAG of Bengio et al. (2021), with torchgfn's reward.

    ## Description
    An agent walks from the origin of the grid ``{0..H-1}^D`` by incrementing one
    coordinate at a time and decides when to stop. The state where it stops is the
    sampled object ``x``; a GFlowNet learns to stop in ``x`` with probability
    ``R(x)/Z``. Every state is reachable and every state can stop, so the exact
    target distribution is known (``exact_distribution()``).

    ## Action Space
    ``Discrete(D+1)``: action ``i < D`` increments coordinate ``i``; action ``D``
    stops (torchgfn's order). Masked actions (incrementing a coordinate already at
    ``H-1``) raise ``ValueError``.

    ## Observation Space
    ``Dict`` with
    - ``observation``: ``MultiDiscrete([H]*D)``, the coordinates;
    - ``action_mask``: ``MultiBinary(D+1)``, 1 where a forward action is valid;
    - ``backward_mask``: ``MultiBinary(D)``, 1 where coordinate ``i`` can be
      decremented, i.e. where the backward move that undoes forward action ``i``
      leads to a valid parent.

    ## Rewards
    0 for every increment. On stop, ``R(x) = R0 + R1*prod_i 1[0.25 < a_i]
    + R2*prod_i 1[0.3 < a_i < 0.4]`` with ``a_i = |x_i/(H-1) - 0.5|``, and
    ``info["log_reward"] = log R(x)``.

    ## Starting State
    The origin ``(0, ..., 0)``; reset is deterministic.

    ## Episode End
    ``terminated`` is True after the stop action: a true terminal state. There is no
    truncation; an episode has at most ``D*(H-1)+1`` steps.

    ## Arguments
    ``gym.make("HyperGrid-v0", ndim=4, height=8, R0=0.1, R1=0.5, R2=2.0)``.
    ``ndim >= 1``, ``height >= 2``, ``R0 > 0``, ``R1, R2 >= 0``.

    ## Version History
    - v0: initial version.
    """

    metadata = {"render_modes": ["ansi"], "render_fps": 4}

    def __init__(
        self,
        ndim: int = 4,
        height: int = 8,
        R0: float = 0.1,
        R1: float = 0.5,
        R2: float = 2.0,
        render_mode: str | None = None,
    ) -> None:
        self.params = core.HyperGridParams(
            ndim=ndim, height=height, R0=R0, R1=R1, R2=R2
        )
        check_render_mode(render_mode, self.metadata["render_modes"])
        self.render_mode = render_mode
        self.observation_space, self.action_space = hypergrid_spaces(self.params)
        self._state: np.ndarray | None = None
        self._done = False

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        super().reset(seed=seed)
        self._state = core.initial_states(self.params, 1)[0]
        self._done = False
        return core.observe(self.params, self._state), {}

    def step(
        self, action: Any
    ) -> tuple[dict[str, np.ndarray], float, bool, bool, dict[str, Any]]:
        if self._state is None or self._done:
            raise RuntimeError(
                "HyperGridEnv.step() called on a finished or un-reset episode; "
                "call reset() first"
            )
        action = parse_action(action, self.params.n_actions)
        actions = np.array([action])
        core.check_actions(self.params, self._state[None], actions)
        next_states, stopped = core.step(self.params, self._state[None], actions)
        self._state = next_states[0]
        info: dict[str, Any] = {}
        reward = 0.0
        if stopped[0]:
            self._done = True
            log_reward = float(core.log_rewards(self.params, self._state))
            info["log_reward"] = log_reward
            reward = float(np.exp(log_reward))
        obs = core.observe(self.params, self._state)
        return obs, reward, bool(stopped[0]), False, info

    def render(self) -> str | None:
        if self.render_mode != "ansi" or self._state is None:
            return None
        coords = ", ".join(str(int(c)) for c in self._state)
        status = "stopped" if self._done else "moving"
        reward = float(core.rewards(self.params, self._state))
        return f"HyperGrid(D={self.params.ndim}, H={self.params.height}) at ({coords}) {status}, R(x)={reward:.3f}"

    @property
    def max_trajectory_length(self) -> int:
        """Most actions in one episode: D*(H-1) increments and the stop."""
        return self.params.max_trajectory_length

    def exact_distribution(self, reward_temperature: float = 1.0) -> ExactDistribution:
        """Every state's observation, the target R(x)/Z, log Z, and a scorer."""
        return ExactDistribution(self.params, reward_temperature)
