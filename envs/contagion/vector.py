"""``ContagionVectorEnv``: several contagion_v0 worlds stepped together, as arrays.

The array path for trainers (MAPPO's sampler): actions ``[worlds, banks, 4]`` in,
observations ``[worlds, banks, observation_dim]`` out, no per-agent dicts. Every
world runs the same pure core as ``contagion_v0.parallel_env`` (``core.step`` and
``observation.observe``), so world ``w`` with ``seed=s`` is exactly the ParallelEnv
reset with ``seed=s + w`` (and reset without a seed when its episode ends).

    vec = ContagionVectorEnv(8, seed=0, num_banks=30, scenario="liquidity_crisis")
    obs, info = vec.reset()                       # [8, 30, 26], info["alive"]
    obs, rewards, terminated, truncated, info = vec.step(actions)  # actions [8, 30, 4]

Episode ends: ``terminated[w, i]`` is True in the step bank ``i`` defaults (it is
dead from then on and its action rows are ignored); ``truncated[w]`` when world
``w`` reaches ``max_cycles`` with banks alive. A world whose episode ended (every
bank dead, or truncated) is reset at the end of that same step: the returned obs
rows are its new episode's first observation, ``info["final_obs"]`` the
observation that ended it. ``info`` keys, all arrays with a leading world axis:

* ``alive`` bool ``[W, N]``: the mask of the RETURNED obs;
* ``final_obs`` float32 ``[W, N, D]``: the observation this step produced, before
  any reset (equal to ``obs`` for worlds that go on); ``final_alive`` its mask;
* ``episode_done`` bool ``[W]``: every bank dead, or truncated;
* ``episode_metrics``: name -> float64 ``[W]``, NaN where ``episode_done`` is False
  (``EPISODE_METRICS``: return, length, default count and rate, systemic loss,
  stress index, liquidity index, largest contagion depth, ...).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from gymnasium import spaces

from gridmarket.envs.contagion import core, observation
from gridmarket.envs.contagion.checks import check_int
from gridmarket.envs.contagion.settings import world_settings
from gridmarket.envs.contagion.what_if import state_debtrank

# Per-world metrics reported in info["episode_metrics"] when an episode ends.
EPISODE_METRICS = (
    "episode_return_mean",  # mean over banks of each bank's summed reward
    "episode_length",  # steps
    "defaults",  # banks defaulted during the episode
    "default_rate",  # defaults / banks
    "systemic_loss",  # equity lost across banks at the end (currency)
    "stress_index",  # share of system equity lost at the end, in [0, 1]
    "liquidity_index",  # system (cash + liquid securities) / liabilities at the end
    "contagion_depth_max",  # most default waves in one step's clearing
    "ccp_uncovered",  # CCP losses no waterfall layer covered, summed (currency)
    "debtrank_max",  # largest DebtRank R after a step (NaN unless track_debtrank)
    # the reward's terms (core.REWARD_PARTS), each summed per bank, mean over banks:
    *(f"return_{part}" for part in core.REWARD_PARTS),
)


class ContagionVectorEnv:
    """``num_worlds`` independent contagion_v0 worlds with array inputs and outputs.

    Args:
        num_worlds: worlds stepped together (>= 1).
        seed: world ``w`` draws every random number from a generator seeded with
            ``seed + w`` (a fresh random seed when None).
        track_debtrank: compute DebtRank (``what_if.state_debtrank``: the share of
            system equity the banks' distress would further destroy through the
            interbank claims left) after every step and report the episode's
            largest as ``debtrank_max``; off by default (it costs a sparse
            propagation per world and step), NaN then.
        **kwargs: exactly ``contagion_v0.parallel_env``'s (``num_banks``,
            ``scenario``, ``max_cycles``, ``params``, ``liquidity_weight``,
            ``default_penalty``, ``systemic_weight``, ``systemic_charge``;
            ``render_mode`` must be None).
    """

    action_dim = 4

    def __init__(
        self,
        num_worlds: int,
        *,
        seed: int | None = None,
        track_debtrank: bool = False,
        **kwargs: Any,
    ):
        self.num_worlds = check_int("num_worlds", num_worlds, 1)
        self.track_debtrank = bool(track_debtrank)
        render_mode = kwargs.pop("render_mode", None)
        if render_mode is not None:
            raise ValueError(
                f"ContagionVectorEnv does not render; render_mode must be None, got "
                f"{render_mode!r} (render a contagion_v0.parallel_env instead)"
            )
        self.params, self.scenario = world_settings(
            owner="ContagionVectorEnv", **kwargs
        )
        self.num_banks = self.params.num_banks
        self.max_cycles = self.params.max_steps
        self.observation_dim = observation.NUM_FEATURES
        self.single_observation_space = spaces.Box(
            observation.OBSERVATION_LOW,
            observation.OBSERVATION_HIGH,
            (self.observation_dim,),
            np.float32,
        )
        self.single_action_space = spaces.Box(0.0, 1.0, (self.action_dim,), np.float32)
        self._seed_generators(seed)
        shape = (self.num_worlds, self.num_banks)
        self._nets: list[core.Network] = []
        self._worlds: list[core.State] = []
        self._obs = np.zeros((*shape, self.observation_dim), dtype=np.float32)
        self._alive = np.zeros(shape, dtype=bool)
        self._returns = np.zeros(shape)
        self._parts = np.zeros((len(core.REWARD_PARTS), *shape))  # [P, W, N]
        self._depth = np.zeros(self.num_worlds, dtype=np.int64)
        self._debtrank = np.full(self.num_worlds, np.nan)
        self._uncovered = np.zeros(self.num_worlds)

    def _seed_generators(self, seed: int | None) -> None:
        if seed is None:
            seed = int(np.random.SeedSequence().generate_state(1, np.uint32)[0])
        self.seed = check_int("seed", seed, 0)
        self._rngs = [np.random.default_rng(seed + w) for w in range(self.num_worlds)]

    # ---- episodes -------------------------------------------------------------------
    def reset(self, *, seed: int | None = None) -> tuple[np.ndarray, dict[str, Any]]:
        """New worlds (all of them); ``seed`` reseeds world ``w`` with ``seed + w``."""
        if seed is not None:
            self._seed_generators(seed)
        self._nets, self._worlds = [], []
        for w in range(self.num_worlds):
            net, world = core.reset(self.params, self._rngs[w])
            self._nets.append(net)
            self._worlds.append(world)
            self._start_episode(w)
        return self._obs.copy(), {"alive": self._alive.copy()}

    def _start_episode(self, w: int) -> None:
        net, world = self._nets[w], self._worlds[w]
        self._obs[w] = observation.observe(net, world, self.params)
        self._alive[w] = world.alive
        self._returns[w] = 0.0
        self._parts[:, w] = 0.0
        self._depth[w] = 0
        self._debtrank[w] = 0.0 if self.track_debtrank else np.nan
        self._uncovered[w] = 0.0

    def step(
        self, actions: Any
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]:
        """Step every world with ``actions [W, N, 4]``; see the module docstring."""
        if not self._worlds:
            raise RuntimeError("ContagionVectorEnv.step() called before reset()")
        actions = self._check_actions(actions)
        rewards = np.zeros((self.num_worlds, self.num_banks), dtype=np.float32)
        terminated = np.zeros((self.num_worlds, self.num_banks), dtype=bool)
        truncated = np.zeros(self.num_worlds, dtype=bool)
        done = np.zeros(self.num_worlds, dtype=bool)
        final_obs = np.empty_like(self._obs)
        final_alive = np.empty_like(self._alive)
        episode = {name: np.full(self.num_worlds, np.nan) for name in EPISODE_METRICS}
        for w in range(self.num_worlds):
            net = self._nets[w]
            world, result = core.step(
                net,
                self._worlds[w],
                actions[w],
                self.params,
                self.scenario,
                self._rngs[w],
            )
            self._worlds[w] = world
            final_obs[w] = observation.observe(net, world, self.params, result.ledger)
            final_alive[w] = world.alive
            rewards[w] = result.rewards
            terminated[w] = result.newly_defaulted
            self._returns[w] += result.rewards
            self._parts[:, w] += result.reward_terms
            self._depth[w] = max(self._depth[w], result.clearing.default_round.max())
            self._uncovered[w] += result.waterfall.uncovered.sum()
            if self.track_debtrank:
                impact = state_debtrank(net, world)
                self._debtrank[w] = max(self._debtrank[w], impact)
            alive_any = bool(world.alive.any())
            truncated[w] = alive_any and world.t >= self.max_cycles
            done[w] = truncated[w] or not alive_any
            if done[w]:
                self._record_episode(w, result.metrics, episode)
                self._nets[w], self._worlds[w] = core.reset(self.params, self._rngs[w])
                self._start_episode(w)
            else:
                self._obs[w] = final_obs[w]
                self._alive[w] = world.alive
        info = {
            "alive": self._alive.copy(),
            "final_obs": final_obs,
            "final_alive": final_alive,
            "episode_done": done,
            "episode_metrics": episode,
        }
        return self._obs.copy(), rewards, terminated, truncated, info

    def _record_episode(
        self, w: int, last: dict[str, float], episode: dict[str, np.ndarray]
    ) -> None:
        defaults = float((~self._worlds[w].alive).sum())
        values = {
            "episode_return_mean": float(self._returns[w].mean()),
            "episode_length": float(self._worlds[w].t),
            "defaults": defaults,
            "default_rate": defaults / self.num_banks,
            "systemic_loss": last["systemic_loss"],
            "stress_index": last["stress_index"],
            "liquidity_index": last["liquidity_index"],
            "contagion_depth_max": float(self._depth[w]),
            "ccp_uncovered": float(self._uncovered[w]),
            "debtrank_max": float(self._debtrank[w]),
        }
        for i, part in enumerate(core.REWARD_PARTS):
            values[f"return_{part}"] = float(self._parts[i, w].mean())
        for name, value in values.items():
            episode[name][w] = value

    def _check_actions(self, actions: Any) -> np.ndarray:
        """``[W, N, 4]`` float64 with dead banks' rows zeroed, or a clear error."""
        expected = (self.num_worlds, self.num_banks, self.action_dim)
        try:
            array = np.asarray(actions, dtype=np.float64)
        except (TypeError, ValueError) as error:
            raise TypeError(
                f"actions must be a float array of shape {expected}, got "
                f"{type(actions).__name__}"
            ) from error
        if array.shape != expected:
            raise ValueError(
                f"actions must have shape {expected} (worlds, banks, "
                f"lend/hoard/sell/borrow), got {array.shape}"
            )
        array = np.where(self._alive[..., None], array, 0.0)
        bad = ~np.isfinite(array)
        if bad.any():
            w, bank, column = (int(v) for v in np.argwhere(bad)[0])
            raise ValueError(
                f"action {core.ACTION_NAMES[column]!r} of bank {bank} in world {w} is "
                f"{array[w, bank, column]}; actions of live banks must be finite "
                "numbers in [0, 1]"
            )
        return array  # core.step clips it to [0, 1]

    # ---- views ------------------------------------------------------------------------
    @property
    def alive(self) -> np.ndarray:
        """``[W, N]`` bool: banks alive in the current observation."""
        return self._alive.copy()

    def close(self) -> None:
        self._nets, self._worlds = [], []
