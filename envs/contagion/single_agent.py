"""BankContagion-v0: one learning bank among banks that follow a baseline policy."""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from gridmarket.envs.common import check_render_mode
from gridmarket.envs.contagion import core, observation
from gridmarket.envs.contagion.baselines import Policy, make_policy
from gridmarket.envs.contagion.checks import check_int
from gridmarket.envs.contagion.params import ContagionParams
from gridmarket.envs.contagion.scenarios import ScenarioParams
from gridmarket.envs.contagion.settings import world_settings


class BankContagionEnv(gym.Env):
    """The contagion_v0 world seen by a single bank, for single-agent libraries.

    ## Description
    The same world as ``contagion_v0`` (see ``ContagionEnv``): one bank, the
    learner, is controlled by the agent and every other bank follows a baseline
    policy (``rule_based`` by default), so Stable-Baselines3 and other single-agent
    libraries plug in.

    ## Action Space
    ``Box(0, 1, (4,), float32)``: (lend, hoard, sell, borrow) of the learner, as in
    ``ContagionEnv``. Finite values outside [0, 1] are clipped; NaN, inf or a wrong
    shape raise ``ValueError``.

    ## Observation Space
    ``Box(low, high, (26,), float32)``: the learner's local observation
    (``observation.OBSERVATION_FEATURES``).

    ## Rewards
    The learner's reward in ``ContagionEnv``: profit + μ·liquidity − α_d·default −
    λ·systemic risk.

    ## Starting State
    A new network and balance sheets drawn from the reset seed.

    ## Episode End
    Terminated in the step the learner defaults (the step that carries its default
    penalty), as a defaulting bank is terminated in ``contagion_v0``; truncated
    after ``max_cycles`` steps. Opponents that default stop acting.

    ## Arguments
    ``gym.make("BankContagion-v0", num_banks=10, scenario="normal", learner=0,
    opponents="rule_based", max_cycles=100, params=None)`` and the reward weights
    ``liquidity_weight``, ``default_penalty``, ``systemic_weight``,
    ``systemic_charge`` of ``contagion_v0``. ``opponents`` is a baseline name (``random``, ``rule_based``,
    ``myopic``, ``greedy``) or a callable ``obs [n, K] -> actions [n, 4]``;
    ``0 <= learner < num_banks``. ``max_steps`` is a deprecated alias of
    ``max_cycles``.

    ## Version History
    - v0: initial version; ``max_cycles`` replaces ``max_steps``.
    """

    metadata = {"render_modes": ["rgb_array", "ansi"], "render_fps": 2}

    def __init__(
        self,
        num_banks: int = 10,
        scenario: str | ScenarioParams = "normal",
        learner: int = 0,
        opponents: str | Policy = "rule_based",
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
            owner="BankContagion-v0",
        )
        self.max_cycles = self.params.max_steps
        self.learner = check_int("learner", learner, 0)
        if self.learner >= self.params.num_banks:
            raise ValueError(
                f"`learner` must be < num_banks={num_banks}, got {learner}"
            )
        self._opponents_spec = opponents
        self.opponents = make_policy(opponents)
        check_render_mode(render_mode, self.metadata["render_modes"])
        self.render_mode = render_mode
        self.observation_space = spaces.Box(
            observation.OBSERVATION_LOW,
            observation.OBSERVATION_HIGH,
            (observation.NUM_FEATURES,),
            np.float32,
        )
        self.action_space = spaces.Box(0.0, 1.0, (4,), np.float32)
        self.net: core.Network | None = None
        self.world: core.State | None = None
        self._obs: np.ndarray | None = None
        self._done = True

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        super().reset(seed=seed)
        if self._opponents_spec == "random":
            self.opponents = make_policy("random", int(self.np_random.integers(2**31)))
        self.net, self.world = core.reset(self.params, self.np_random)
        self._obs = observation.observe(self.net, self.world, self.params)
        self._done = False
        return self._obs[self.learner].copy(), {}

    def step(self, action: Any) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        if self._done or self.world is None or self.net is None:
            raise RuntimeError(
                "BankContagionEnv.step() called on a finished or un-reset episode; "
                "call reset() first"
            )
        mine = core.check_bank_action(action)
        actions = np.asarray(self.opponents(self._obs), dtype=np.float64).copy()
        actions[self.learner] = mine
        self.world, result = core.step(
            self.net,
            self.world,
            np.clip(actions, 0.0, 1.0),
            self.params,
            self.scenario,
            self.np_random,
        )
        self._obs = observation.observe(self.net, self.world, self.params)
        terminated = not bool(self.world.alive[self.learner])
        truncated = self.world.t >= self.params.max_steps and not terminated
        self._done = terminated or truncated
        info = dict(result.metrics)
        return (
            self._obs[self.learner].copy(),
            float(result.rewards[self.learner]),
            terminated,
            truncated,
            info,
        )

    def render(self) -> np.ndarray | str | None:
        if self.render_mode is None or self.world is None or self.net is None:
            return None
        from gridmarket.envs.contagion import render

        if self.render_mode == "ansi":
            return render.render_text(self.net, self.world)
        return render.render_network(self.net, self.world, render.layout(self.net))
