"""An EnvRunner that samples MAPPO rollouts on ``ContagionVectorEnv``'s array path.

One ``sample()`` call steps ``W`` worlds together for ``T`` steps: per step one
module forward over ``[W, N, D]`` (actor and critic together) and one batched env
step, never a per-agent dict. Worlds persist across calls (an episode may span
two iterations; the rollout's last step is bootstrapped with the critic). GAE with
death masks runs here, in numpy, and the runner returns one row per world-step
(``[T * W]`` rows of ``[N, ...]`` arrays, see ``torch/mappo_rl_module.py``).
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
import torch
from ray.rllib.core import DEFAULT_MODULE_ID
from ray.rllib.core.columns import Columns
from ray.rllib.env import INPUT_ENV_SINGLE_SPACES, INPUT_ENV_SPACES
from ray.rllib.env.env_runner import EnvRunner
from ray.rllib.utils.annotations import override
from ray.rllib.utils.framework import get_device
from ray.rllib.utils.metrics import (
    EPISODE_LEN_MEAN,
    EPISODE_RETURN_MEAN,
    NUM_AGENT_STEPS_SAMPLED,
    NUM_ENV_STEPS_SAMPLED,
    NUM_ENV_STEPS_SAMPLED_LIFETIME,
    NUM_EPISODES,
    NUM_EPISODES_LIFETIME,
)

from gridmarket.algorithms.mappo.losses import masked_gae, team_rewards
from gridmarket.algorithms.mappo.torch.mappo_rl_module import ALIVE
from gridmarket.algorithms.runner_state import ModuleSyncedEnvRunner

CONTAGION_ENV = "contagion_v0"
# Episode metrics the runner reports (means over the episodes finished this call).
EPISODE_METRICS = (
    "default_rate",
    "stress_index",
    "liquidity_index",
    "contagion_depth_max",
)
METRICS_WINDOW = 100
EPISODE_DEFAULT_RATES = "episode_default_rates"  # [E] episodes finished in sample()


def make_contagion_vector_env(
    env: Any, num_worlds: int, seed: int | None, env_config: dict[str, Any]
) -> Any:
    """``ContagionVectorEnv(num_worlds, seed=seed, **env_config)`` for
    ``env="contagion_v0"``, or ``env(num_worlds, seed=seed, **env_config)`` for a
    callable returning an object with the same array contract."""
    if env in (None, CONTAGION_ENV):
        from gridmarket.envs.contagion.vector import ContagionVectorEnv

        return ContagionVectorEnv(num_worlds, seed=seed, **env_config)
    if callable(env):
        return env(num_worlds, seed=seed, **env_config)
    raise TypeError(
        f"MAPPO samples through contagion_v0's array path; `env` must be "
        f"{CONTAGION_ENV!r} or a callable (num_worlds, *, seed, **env_config) -> a "
        f"ContagionVectorEnv-like object, got {env!r}"
    )


class MAPPOEnvRunner(ModuleSyncedEnvRunner):
    """Batched MAPPO rollouts over ``config.num_envs_per_env_runner`` worlds."""

    def __init__(self, *, config: Any, **kwargs: Any) -> None:
        super().__init__(config=config, **kwargs)
        self._device = get_device(self.config, self.config.num_gpus_per_env_runner)
        self._generator = torch.Generator(device=self._device)
        if self.seed is not None:
            self._generator.manual_seed(int(self.seed))
        else:
            self._generator.seed()
        self._env_overrides: dict[str, Any] = {}
        self.env: Any = None
        self.make_env()
        self.make_module()

    # ---- construction ---------------------------------------------------------------
    @override(EnvRunner)
    def make_env(self) -> None:
        env_config = {**dict(self.config.env_config), **self._env_overrides}
        self.env = make_contagion_vector_env(
            self.config.env, self.config.num_envs_per_env_runner, self.seed, env_config
        )
        self._obs, info = self.env.reset()
        self._alive = info["alive"]
        groups = int((self.config.model_config or {}).get("num_policy_groups", 1))
        if groups > 1:
            # The module supports per-group heads; the runner would need each
            # bank's group (core/periphery) from the env, which ContagionVectorEnv
            # does not expose yet.
            raise ValueError(
                f"model_config['num_policy_groups']={groups} needs the env to report "
                "each bank's group; ContagionVectorEnv does not, so use 1 (one shared "
                "actor) for now"
            )

    def set_env_config(self, **overrides: Any) -> None:
        """Rebuild the worlds with ``overrides`` on top of ``config.env_config``
        (the curriculum switches scenarios this way); episodes restart."""
        self._env_overrides.update(overrides)
        self.make_env()

    @override(EnvRunner)
    def make_module(self) -> None:
        spec = self.config.get_rl_module_spec(spaces=self.get_spaces())
        self.module = spec.build().to(self._device)

    @override(EnvRunner)
    def get_spaces(self) -> dict[str, tuple[gym.Space, gym.Space]]:
        single = (self.env.single_observation_space, self.env.single_action_space)
        return {
            INPUT_ENV_SPACES: single,
            INPUT_ENV_SINGLE_SPACES: single,
            DEFAULT_MODULE_ID: single,
        }

    # ---- sampling -------------------------------------------------------------------
    def _tensor(self, array: np.ndarray) -> torch.Tensor:
        return torch.from_numpy(array).to(self._device)

    @override(EnvRunner)
    def sample(self, *, num_steps: int, explore: bool = True, **kwargs: Any) -> dict:
        """``num_steps`` world-steps (rounded up to a multiple of the world count)
        as a flat batch of rows, with advantages and value targets."""
        worlds = self.env.num_worlds
        horizon = -(-num_steps // worlds)
        keys = ("obs", "alive", "u", "logp", "values", "rewards", "terminated")
        steps: dict[str, list[np.ndarray]] = {k: [] for k in keys}
        next_values, episode_end, default_rates = [], [], []
        for _ in range(horizon):
            u, logp, values = self.module.act(
                self._tensor(self._obs),
                self._tensor(self._alive),
                explore=explore,
                generator=self._generator,
            )
            u_np = u.cpu().numpy()
            actions = self.module.env_actions(u).cpu().numpy()
            obs, rewards, terminated, truncated, info = self.env.step(actions)
            for key, value in zip(
                keys,
                (
                    self._obs,
                    self._alive,
                    u_np,
                    logp.cpu().numpy(),
                    values.cpu().numpy(),
                    rewards,
                    terminated,
                ),
                strict=True,
            ):
                steps[key].append(value)
            next_values.append(self._next_values(obs, info, terminated))
            episode_end.append(info["episode_done"])
            default_rates.append(self._log_episodes(info))
            self._obs, self._alive = obs, info["alive"]
        arrays = {k: np.stack(v) for k, v in steps.items()}  # [T, W, ...]
        rewards = arrays["rewards"]  # [T, W, N] each bank's own reward
        if self.config.team_reward_weight:
            rewards = team_rewards(
                rewards, arrays["alive"], self.config.team_reward_weight
            )
        advantages, returns = masked_gae(
            rewards,
            arrays["values"],
            np.stack(next_values),
            arrays["terminated"],
            np.stack(episode_end),
            arrays["alive"],
            self.config.gamma,
            self.config.lambda_,
        )
        self._log_sample_counts(horizon * worlds, int(arrays["alive"].sum()))
        rows = horizon * worlds
        flat = lambda a: a.reshape(rows, *a.shape[2:])  # noqa: E731
        return {
            Columns.OBS: flat(arrays["obs"]),
            ALIVE: flat(arrays["alive"]),
            Columns.ACTIONS: flat(arrays["u"]),
            Columns.ACTION_LOGP: flat(arrays["logp"]),
            Columns.VF_PREDS: flat(arrays["values"]),
            Columns.ADVANTAGES: flat(advantages),
            Columns.VALUE_TARGETS: flat(returns),
            Columns.REWARDS: flat(arrays["rewards"]),
            EPISODE_DEFAULT_RATES: np.concatenate(default_rates),
        }

    def _next_values(
        self, obs: np.ndarray, info: dict[str, Any], terminated: np.ndarray
    ) -> np.ndarray:
        """V(s_t+1) per bank: of the returned obs, or of ``final_obs`` in worlds
        whose episode just ended (truncation bootstrap; defaulted banks' values
        are masked out by GAE)."""
        done = info["episode_done"]
        if not done.any():
            return (
                self.module.values(self._tensor(obs), self._tensor(info["alive"]))
                .cpu()
                .numpy()
            )
        final_alive = info.get("final_alive")
        if final_alive is None:
            final_alive = self._alive & ~terminated
        next_obs = np.where(done[:, None, None], info["final_obs"], obs)
        next_alive = np.where(done[:, None], final_alive, info["alive"])
        return (
            self.module.values(self._tensor(next_obs), self._tensor(next_alive))
            .cpu()
            .numpy()
        )

    def _log_episodes(self, info: dict[str, Any]) -> np.ndarray:
        """Log the finished episodes' metrics; return their default rates ``[E]``."""
        done = np.flatnonzero(info["episode_done"])
        if done.size == 0:
            return np.zeros(0)
        metrics = info["episode_metrics"]
        self.metrics.log_value(NUM_EPISODES, int(done.size), reduce="sum")
        self.metrics.log_value(
            NUM_EPISODES_LIFETIME, int(done.size), reduce="lifetime_sum"
        )
        pairs = [
            (EPISODE_RETURN_MEAN, "episode_return_mean"),
            (EPISODE_LEN_MEAN, "episode_length"),
        ]
        pairs += [(name, name) for name in EPISODE_METRICS]
        for key, name in pairs:
            if name in metrics:
                for value in metrics[name][done]:
                    self.metrics.log_value(key, float(value), window=METRICS_WINDOW)
        return np.asarray(metrics["default_rate"][done], dtype=np.float64)

    def _log_sample_counts(self, env_steps: int, agent_steps: int) -> None:
        self.num_env_steps_sampled_lifetime += env_steps
        self.metrics.log_value(NUM_ENV_STEPS_SAMPLED, env_steps, reduce="sum")
        self.metrics.log_value(
            NUM_ENV_STEPS_SAMPLED_LIFETIME, env_steps, reduce="lifetime_sum"
        )
        self.metrics.log_value(NUM_AGENT_STEPS_SAMPLED, agent_steps, reduce="sum")
