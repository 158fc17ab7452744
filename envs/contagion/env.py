"""PettingZoo ParallelEnv adapter of the contagion core (the AEC env wraps it)."""

from __future__ import annotations

import functools
from typing import Any

import numpy as np
from gymnasium import spaces
from gymnasium.utils import seeding
from pettingzoo import ParallelEnv

from gridmarket.envs.common import check_render_mode
from gridmarket.envs.contagion import core, observation
from gridmarket.envs.contagion.params import ContagionParams
from gridmarket.envs.contagion.scenarios import ScenarioParams
from gridmarket.envs.contagion.settings import world_settings


def global_state_space(params: ContagionParams) -> spaces.Box:
    """The ``Box`` of ``state()``: every bank's observation, then exchange
    congestion in ``[0, 10]`` and CCP equity ratios in ``[-1, 1]``."""
    network = params.network
    low = np.concatenate(
        [
            np.tile(observation.OBSERVATION_LOW, network.num_banks),
            np.zeros(network.num_exchanges),
            -np.ones(network.num_ccps),
        ]
    )
    high = np.concatenate(
        [
            np.tile(observation.OBSERVATION_HIGH, network.num_banks),
            np.full(network.num_exchanges, 10.0),
            np.ones(network.num_ccps),
        ]
    )
    return spaces.Box(low.astype(np.float32), high.astype(np.float32), dtype=np.float32)


def _stacked_actions(values: list[Any]) -> np.ndarray | None:
    """``[k, 4]`` float64 of k actions of 4 numbers each, or None for anything else
    (the caller then checks action by action and names the culprit)."""
    try:
        if set(map(len, values)) != {4}:  # map(len) runs in C, no generator
            return None
        # one copy, cast on the way; faster than np.array(values)
        flat = np.concatenate(values, dtype=np.float64, casting="unsafe")
    except (TypeError, ValueError):
        return None
    if flat.ndim != 1 or flat.size != 4 * len(values):
        return None
    return flat.reshape(-1, 4)


class ContagionEnv(ParallelEnv):
    """Banks on an interbank network try to stay solvent and liquid through a crisis.

    ## Description
    ``num_banks`` banks with balance sheets (cash, a liquid and an illiquid
    security marked to market, interbank loans, deposits, CCP collateral) sit on a
    core–periphery Barabási–Albert network. Each step a scenario shock hits, banks
    lend, call loans, sell securities through exchanges and CCPs and borrow; fire
    sales move prices, CCPs call variation and initial margin, and an exact
    Rogers–Veraart clearing decides who defaults. Money is conserved to round-off;
    see ``core.py`` for the stage order and ``accounts.py`` for the ledgers.

    ## Action Space
    Each agent: ``Box(0, 1, (4,), float32)`` = (lend, hoard, sell, borrow):
    - lend: share of excess cash (above the reserve) offered to neighbours;
    - hoard: share of the bank's interbank loans called back this step;
    - sell: share of its securities, by value and liquid first, queued for sale;
    - borrow: share of its allowance (``max_borrow_share`` of assets) requested.
    Finite values outside [0, 1] are clipped; NaN/inf, a wrong shape, an unknown
    agent or a missing action for a live bank raise ``ValueError``. Actions of
    defaulted banks are ignored (they may be omitted).

    ## Observation Space
    Each agent: ``Box(low, high, (26,), float32)`` with the features of
    ``observation.OBSERVATION_FEATURES``: own balance-sheet ratios and an alive flag,
    neighbours' distress (mean, max, share defaulted, exposure-weighted), market
    prices and return, exchange congestion, CCP margin rate and CCP equity, time
    left. ``state()`` is every bank's observation plus exchange congestion and CCP
    equity ratios, in ``state_space``, for a centralized critic.

    ## Rewards
    ``R = profit + μ·liquidity − α_d·default − λ·systemic_risk`` (``RewardParams``:
    μ = 0.05, α_d = 1, λ = 0.5): profit is the change in book equity over initial
    equity, liquidity the liquidity-coverage ratio in [0, 1], default 1 in the step
    the bank defaults, systemic risk the stress index's (share of system equity
    lost) increase during the step (``systemic_charge="increase"``, the default), or
    the stress index itself every step (``"level"``, which pays banks to default
    early in a lasting crisis: a defaulted bank stops paying it). The four terms of
    each bank's reward are the core's ``StepResult.reward_parts``.

    ## Starting State
    A new network and balance sheets drawn from the reset seed (``generator.py``).

    ## Episode End
    A bank that defaults is done: ``terminations[bank]`` is True in the step it
    defaults (with its default penalty in that step's reward) and it leaves
    ``agents`` from the next step on. Defaults are absorbing. The episode ends when
    every bank has defaulted, or after ``max_cycles`` steps, when the banks still
    alive are truncated. ``state()`` keeps its fixed size: a dead bank's rows hold
    its alive flag 0 and zeros for its own ratios.

    ## Arguments
    ``contagion_v0.parallel_env(num_banks=30, scenario="normal", max_cycles=100,
    params=None, render_mode=None, *, liquidity_weight=None, default_penalty=None,
    systemic_weight=None, systemic_charge=None)``. ``scenario`` is one of ``normal``,
    ``liquidity_crisis``, ``asset_crash``, ``systemic`` or a ``ScenarioParams``;
    ``params`` a ``ContagionParams`` whose ``num_banks``, ``max_steps`` and, when
    given, reward weights (μ, α_d, λ) the arguments override. ``num_banks >= 2``
    (at most ``params.MAX_NUM_BANKS``). ``max_steps`` is a deprecated alias of
    ``max_cycles``. ``render_mode``: ``rgb_array`` (the network, defaulted banks
    red) or ``ansi``.

    ## Version History
    - v0: initial version; defaulted banks leave ``agents`` (they stayed in with
      zero reward before), ``max_cycles`` replaces ``max_steps``; the systemic
      term charges the stress index's increase (``systemic_charge="increase"``;
      it charged its level before, still available as ``"level"``).
    """

    metadata = {
        "name": "contagion_v0",
        "render_modes": ["rgb_array", "ansi"],
        "render_fps": 2,
        "is_parallelizable": True,
    }

    def __init__(
        self,
        num_banks: int = 30,
        scenario: str | ScenarioParams = "normal",
        max_cycles: int | None = None,
        params: ContagionParams | None = None,
        render_mode: str | None = None,
        *,
        liquidity_weight: float | None = None,
        default_penalty: float | None = None,
        systemic_weight: float | None = None,
        systemic_charge: str | None = None,
        max_steps: int | None = None,
    ) -> None:
        self.params, self.scenario = world_settings(
            num_banks=num_banks,
            scenario=scenario,
            max_cycles=max_cycles,
            max_steps=max_steps,
            params=params,
            liquidity_weight=liquidity_weight,
            default_penalty=default_penalty,
            systemic_weight=systemic_weight,
            systemic_charge=systemic_charge,
        )
        self.max_cycles = self.params.max_steps
        check_render_mode(render_mode, self.metadata["render_modes"])
        self.render_mode = render_mode
        self.possible_agents = [f"bank_{i}" for i in range(self.params.num_banks)]
        self.agents: list[str] = []
        self._index = {agent: i for i, agent in enumerate(self.possible_agents)}
        self._observation_space = functools.cache(self._make_observation_space)
        self._action_space = functools.cache(self._make_action_space)
        self.state_space = global_state_space(self.params)
        self._rng: np.random.Generator | None = None
        self.net: core.Network | None = None
        self.world: core.State | None = None
        self.last_result: core.StepResult | None = None
        self._obs: np.ndarray | None = None
        self._rows = np.zeros(0, dtype=np.int64)  # bank index of each live agent
        self._all_false: dict[str, bool] = {}  # agent -> False for each live agent
        self._layout: np.ndarray | None = None

    # ---- spaces -------------------------------------------------------------------
    def _check_agent(self, agent: Any) -> str:
        if agent not in self._index:
            raise ValueError(
                f"unknown agent {agent!r}; agents are 'bank_0' .. "
                f"'bank_{len(self.possible_agents) - 1}'"
            )
        return agent

    def _make_observation_space(self, agent: str) -> spaces.Box:
        return spaces.Box(
            observation.OBSERVATION_LOW,
            observation.OBSERVATION_HIGH,
            (observation.NUM_FEATURES,),
            np.float32,
        )

    def _make_action_space(self, agent: str) -> spaces.Box:
        return spaces.Box(0.0, 1.0, (4,), np.float32)

    def observation_space(self, agent: str) -> spaces.Box:
        return self._observation_space(self._check_agent(agent))

    def action_space(self, agent: str) -> spaces.Box:
        return self._action_space(self._check_agent(agent))

    # ---- episode ------------------------------------------------------------------
    @property
    def np_random(self) -> np.random.Generator:
        if self._rng is None:
            self._rng, _ = seeding.np_random()
        return self._rng

    def reset(
        self, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[dict[str, np.ndarray], dict[str, dict[str, Any]]]:
        if seed is not None or self._rng is None:
            self._rng, _ = seeding.np_random(seed)
        self.net, self.world = core.reset(self.params, self._rng)
        self.agents = list(self.possible_agents)
        self._rows = np.arange(len(self.agents))
        self._all_false = dict.fromkeys(self.agents, False)
        self.last_result = None
        self._layout = None
        self._obs = observation.observe(self.net, self.world, self.params)
        return self._per_agent(self._obs), {agent: {} for agent in self.agents}

    def step(self, actions: dict[str, Any]) -> tuple[dict, dict, dict, dict, dict]:
        if not self.agents or self.world is None or self.net is None:
            raise RuntimeError(
                "ContagionEnv.step() called on a finished or un-reset episode; call reset() first"
            )
        matrix = self.action_matrix(actions)
        self.world, result = core.step(
            self.net, self.world, matrix, self.params, self.scenario, self._rng
        )
        self.last_result = result
        self._obs = observation.observe(
            self.net, self.world, self.params, result.ledger
        )
        alive = self.world.alive
        truncated = self.world.t >= self.params.max_steps
        agents, rows = self.agents, self._rows
        obs = dict(zip(agents, self._obs[rows], strict=True))
        rewards = dict(zip(agents, result.rewards[rows].tolist(), strict=True))
        defaults = np.count_nonzero(result.newly_defaulted)
        if defaults:
            terminations = dict(zip(agents, (~alive[rows]).tolist(), strict=True))
        else:  # every agent of this step is still alive (a dict copy is ~10x
            terminations = self._all_false.copy()  # faster than a new dict)
        if truncated:
            truncations = dict(zip(agents, alive[rows].tolist(), strict=True))
        else:
            truncations = self._all_false.copy()
        infos = {agent: {} for agent in agents}
        if truncated:
            self.agents = []
        elif defaults:
            self._rows = np.flatnonzero(alive)
            self.agents = [self.possible_agents[i] for i in self._rows]
            self._all_false = dict.fromkeys(self.agents, False)
        return obs, rewards, terminations, truncations, infos

    def _per_agent(self, obs: np.ndarray) -> dict[str, np.ndarray]:
        return dict(zip(self.possible_agents, obs, strict=True))

    def action_matrix(self, actions: Any) -> np.ndarray:
        """The ``[n, 4]`` float64 action matrix of an action dict, or a clear error."""
        if not isinstance(actions, dict):
            raise TypeError(
                f"actions must be a dict agent -> action, got {type(actions).__name__}"
            )
        if list(actions) == self.agents:  # the usual case: every live agent, in order
            values = _stacked_actions(list(actions.values()))
            if values is not None and np.isfinite(values).all():
                if values.shape[0] == len(self.possible_agents):
                    return values  # every bank alive: rows already in order
                matrix = np.zeros((len(self.possible_agents), 4))
                matrix[self._rows] = values
                return matrix  # core.step clips it to [0, 1]
        return self._checked_action_matrix(actions)

    def _checked_action_matrix(self, actions: dict[str, Any]) -> np.ndarray:
        """Any action dict, agent by agent, with the error that names the culprit."""
        matrix = np.zeros((len(self.possible_agents), 4))
        for agent, action in actions.items():
            matrix[self._index[self._check_agent(agent)]] = core.check_bank_action(
                action, f"action of {agent!r}"
            )
        given = np.zeros(len(self.possible_agents), dtype=bool)
        given[[self._index[agent] for agent in actions]] = True
        missing = self.world.alive & ~given
        if missing.any():
            agent = self.possible_agents[int(np.flatnonzero(missing)[0])]
            raise ValueError(
                f"no action for live agent {agent!r}; every bank that has not "
                "defaulted must act"
            )
        return matrix

    # ---- global state, metrics, rendering -------------------------------------------
    def state(self) -> np.ndarray:
        if self.world is None or self.net is None:
            raise RuntimeError("ContagionEnv.state() called before reset()")
        return observation.global_state(self.net, self.world, self.params, self._obs)

    def observations_matrix(self) -> np.ndarray:
        """All banks' observations ``[n, K]`` (for vectorized baseline policies)."""
        if self._obs is None:
            raise RuntimeError("call reset() first")
        return self._obs

    @property
    def metrics(self) -> dict[str, float]:
        """Metrics of the last step (empty after reset)."""
        return {} if self.last_result is None else dict(self.last_result.metrics)

    def what_if(self, **kwargs: Any) -> Any:
        """Run ``what_if.what_if`` on a clone of this env's world (env unchanged)."""
        from gridmarket.envs.contagion.what_if import what_if

        if self.world is None or self.net is None:
            raise RuntimeError("ContagionEnv.what_if() called before reset()")
        return what_if(
            self.net, self.world, self.params, self.scenario, self._rng, **kwargs
        )

    def render(self) -> np.ndarray | str | None:
        if self.render_mode is None or self.world is None or self.net is None:
            return None
        from gridmarket.envs.contagion import render

        if self.render_mode == "ansi":
            return render.render_text(self.net, self.world)
        if self._layout is None:
            self._layout = render.layout(self.net)
        return render.render_network(self.net, self.world, self._layout)

    def close(self) -> None:
        self._layout = None
