"""Gymnasium adapter for the GridMarket core."""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from gridmarket.envs.common import check_render_mode
from gridmarket.envs.grid_market import core
from gridmarket.envs.grid_market.scenarios import (
    DEFAULT_SCENARIO,
    make_params,
    path_plausibility,
)


def grid_market_spaces(params: core.GridMarketParams) -> tuple[spaces.Box, spaces.Box]:
    """Observation space ``Box((7,))`` and action space ``Box(-30, 30, (6,))``."""
    low, high = core.observation_bounds(params)
    observation_space = spaces.Box(low=low, high=high, shape=(7,), dtype=np.float32)
    action_space = spaces.Box(
        low=-core.ACTION_BOUND, high=core.ACTION_BOUND, shape=(6,), dtype=np.float32
    )
    return observation_space, action_space


class GridMarketDAG:
    """What a trajectory sampler reads off a GridMarket env (single or vector):
    the episode length and the box the state stays in."""

    params: core.GridMarketParams

    @property
    def max_trajectory_length(self) -> int:
        """Number of actions in every episode: ``horizon``."""
        return self.params.max_trajectory_length

    @property
    def state_low(self) -> np.ndarray:
        """``[6]`` float32 lower bounds that x is clipped to (read-only)."""
        return self.params.low

    @property
    def state_high(self) -> np.ndarray:
        """``[6]`` float32 upper bounds that x is clipped to (read-only)."""
        return self.params.high


class GridMarketEnv(GridMarketDAG, gym.Env):
    """GridMarket-v0: 12-month macro/market stress paths scored by a learned oracle.

    ## Description
    The env of the GRID paper ("GFlowNet-based discovery of financial stress
    trajectories"). Starting from a real historical month, an agent moves six market
    variables for ``horizon`` monthly steps. A scenario oracle, trained on real data
    (``gridmarket.oracles``), maps the terminal state to the predicted forward
    12-month S&P 500 return. A GFlowNet samples paths with probability proportional to
    ``R = exp(log R)``, so severe predicted drawdowns are sampled most, while many
    different plausible paths stay in the sample. The step counter in the state makes
    the state graph a DAG.

    The six variables, in the oracle's scaling (min-max to [-100, 100] over the
    oracle's training months; ``oracle.to_real_units`` maps back): ``Volume_spx``,
    ``Close_ndx``, ``Volume_ndx``, ``Close_vix``, ``IRLTCT01USM156N`` (10-year yield),
    ``BAMLH0A3HYCEY`` (CCC high-yield effective yield).

    ## Action Space
    ``Box(-30, 30, (6,), float32)``: the increment added to the six variables. A wrong
    shape, NaN/inf, or any value outside [-30, 30] raises ``ValueError``; actions are
    never clipped silently.

    ## Observation Space
    ``Box(low, high, (7,), float32)``: ``[t, x1..x6]``, ``t`` in ``[0, horizon]``. The
    x bounds are the oracle's training box ([-100, 100] per variable) in the
    ``"clip"`` and ``"clip+penalty"`` modes and +-1000 in the ``"penalty"`` mode.

    ## Rewards
    0 on every non-terminal step. At the terminal step the reward is the log-reward

        log R = softplus(-pred) / reward_temperature  [- ood_penalty * ood(x_H)]

    where ``pred = oracle.predict(x_H)`` is the predicted forward 12-month S&P 500
    return in percent, so a predicted loss of 20% gives about 20 and a predicted gain
    gives about 0. ``reward_temperature`` divides it: below 1 sharpens the target
    distribution ``R^(1/T)``, above 1 flattens it. RL baselines that maximise the
    reward therefore maximise predicted severity. ``info`` at the terminal step has
    ``log_reward`` and ``predicted_return`` (and ``ood_distance`` in the penalty
    modes).

    High reward must not come from extrapolation, where the oracle's predictions mean
    nothing. ``ood_mode`` chooses how:

    - ``"clip"`` (default): ``x' = clip(x + a)`` into the oracle's training box, so
      every variable stays inside the range it was trained on. (The box corners can
      still be far from any training month jointly; see ``oracle.ood_distance``.)
    - ``"penalty"``: variables move freely (within +-1000) and ``log R`` is reduced by
      ``ood_penalty * oracle.ood_distance(x_H)``, the distance to the training data in
      typical nearest-neighbour spacings.
    - ``"clip+penalty"``: both.

    ## Starting State
    ``t = 0`` and the real data of the scenario's starting month in the oracle's
    scaling (the last month the oracle was trained on; the episode then runs over the
    12 held-out months). Deterministic. See ``gridmarket.envs.grid_market.scenarios``.

    ## Episode End
    ``terminated`` is True exactly when ``t`` reaches ``horizon``: a true terminal
    state. There is no truncation.

    ## Arguments
    ``gym.make("GridMarket-v0", scenario="gfc-2007", horizon=12,
    reward_temperature=1.0, ood_mode="clip", ood_penalty=1.0, render_mode=None)``.
    ``scenario`` is one of ``"dotcom-2001"``, ``"gfc-2007"``, ``"inflation-2022"``;
    ``horizon >= 1``; ``reward_temperature > 0``; ``ood_penalty >= 0``;
    ``render_mode`` None or ``"rgb_array"`` (a fan chart of the current path in real
    units).

    ## Version History
    - v0: initial version.
    """

    metadata = {"render_modes": ["rgb_array"], "render_fps": 4}

    def __init__(
        self,
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
        check_render_mode(render_mode, self.metadata["render_modes"])
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
        self.render_mode = render_mode
        self.observation_space, self.action_space = grid_market_spaces(self.params)
        self._state: np.ndarray | None = None
        self._path: list[np.ndarray] = []
        self._done = False

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        super().reset(seed=seed)
        if options:
            raise ValueError(
                f"GridMarketEnv.reset takes no options (the start is the scenario's "
                f"real month), got {sorted(options)}"
            )
        self._state = core.initial_states(self.params, 1)[0]
        self._path = [self._state.copy()]
        self._done = False
        return self._state.copy(), {}

    def step(self, action: Any) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        if self._state is None or self._done:
            raise RuntimeError(
                "GridMarketEnv.step() called on a finished or un-reset episode; "
                "call reset() first"
            )
        actions = core.check_actions(action, ())[None]
        next_states, terminated = core.step(self.params, self._state[None], actions)
        self._state = next_states[0]
        self._path.append(self._state.copy())
        reward, info = 0.0, {}
        if terminated[0]:
            self._done = True
            out = core.terminal_log_rewards(
                self.params,
                self.oracle,
                next_states[:, 1:],
                paths=np.stack(self._path)[None, :, 1:],
                plausibility=self.plausibility,
            )
            info = {key: float(value[0]) for key, value in out.items()}
            reward = info["log_reward"]
        return self._state.copy(), reward, bool(terminated[0]), False, info

    def render(self) -> np.ndarray | None:
        """``rgb_array``: a ``uint8 [H, W, 3]`` fan chart of the path so far."""
        if self.render_mode != "rgb_array" or not self._path:
            return None
        from gridmarket.envs.grid_market.render import fan_chart, figure_to_rgb

        path = self.oracle.to_real_units(np.stack(self._path)[None, :, 1:])
        title = (
            f"GridMarket {self.scenario} from {self.oracle.initial_month}, "
            f"t={int(self._path[-1][0])}/{self.params.horizon}"
        )
        return figure_to_rgb(fan_chart(path, self.oracle.feature_names, title=title))
