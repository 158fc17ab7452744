"""An EnvRunner that samples whole GFlowNet trajectories with a native vector env.

One ``sample()`` call resets ``W`` sub-envs, steps them together (one module
forward and one vectorized env step per time step, never one Python step per
trajectory) until every trajectory has terminated, and returns the padded
trajectory batch of :mod:`gridmarket.algorithms.tb.trajectories`.

Env contract (any Gymnasium id with a native ``vector_entry_point`` that keeps it
works): the vector env has ``max_trajectory_length``; ``infos["log_reward"]`` holds
log R(x) where a sub-env terminates; it never truncates. An optional
``exact_distribution()`` lets the runner score the sampler
exactly (``exact_metrics``).
"""

from __future__ import annotations

import math
from typing import Any

import gymnasium as gym
import numpy as np
import torch
from ray.rllib.core import DEFAULT_MODULE_ID
from ray.rllib.env import INPUT_ENV_SINGLE_SPACES, INPUT_ENV_SPACES
from ray.rllib.env.env_context import EnvContext
from ray.rllib.env.env_runner import EnvRunner
from ray.rllib.utils.annotations import override
from ray.rllib.utils.framework import get_device
from ray.rllib.utils.metrics import (
    EPISODE_LEN_MEAN,
    EPISODE_RETURN_MEAN,
    NUM_ENV_STEPS_SAMPLED,
    NUM_ENV_STEPS_SAMPLED_LIFETIME,
    NUM_EPISODES,
    NUM_EPISODES_LIFETIME,
)

from gridmarket.algorithms.ray_private import registered_env_creator
from gridmarket.algorithms.runner_state import ModuleSyncedEnvRunner
from gridmarket.algorithms.tb.trajectories import (
    TRAJ_LEN,
    TrajectoryBatch,
    concat_trajectories,
    map_arrays,
    stack_steps,
    take_trajectories,
)
from gridmarket.envs import register_envs


def make_gflownet_vector_env(
    env: Any, num_envs: int, env_config: dict[str, Any], worker_index: int = 0
) -> gym.vector.VectorEnv:
    """Build the native vector env for a Gymnasium id, a ``tune.register_env``
    name, or a callable taking ``env_config | {"num_envs": W}``."""
    creator = registered_env_creator(env) if isinstance(env, str) else None
    if creator is not None:
        vector_env = creator(
            EnvContext({**env_config, "num_envs": num_envs}, worker_index=worker_index)
        )
    elif isinstance(env, str):
        try:
            vector_env = gym.make_vec(
                env,
                num_envs=num_envs,
                vectorization_mode="vector_entry_point",
                **env_config,
            )
        except gym.error.Error as err:
            raise TypeError(
                f"TB samples through a native vector env, but env {env!r} cannot be "
                f"built with vectorization_mode='vector_entry_point': {err}"
            ) from err
    elif callable(env):
        vector_env = env({**env_config, "num_envs": num_envs})
    else:
        raise TypeError(f"`env` must be a Gymnasium id or a callable, got {env!r}")
    unwrapped = getattr(vector_env, "unwrapped", vector_env)
    if not isinstance(getattr(unwrapped, "max_trajectory_length", None), int):
        raise TypeError(
            f"TB needs a GFlowNet vector env with an int `max_trajectory_length`; "
            f"{type(unwrapped).__name__} (from env={env!r}) has none"
        )
    return vector_env


class TBEnvRunner(ModuleSyncedEnvRunner):
    """Samples complete trajectories for trajectory balance, batched."""

    def __init__(self, *, config: Any, **kwargs: Any) -> None:
        super().__init__(config=config, **kwargs)
        register_envs()  # plain ids resolve in remote runner processes too
        self.torch_device = get_device(self.config, self.config.num_gpus_per_env_runner)
        self._generator = torch.Generator(device=self.torch_device)
        if self.seed is not None:
            self._generator.manual_seed(self.seed)
        else:
            self._generator.seed()
        self._needs_seeded_reset = True
        self._exact = None
        self.env: gym.vector.VectorEnv | None = None
        self.make_env()
        self.make_module()

    @override(EnvRunner)
    def make_env(self) -> None:
        if self.env is not None:
            self.env.close()
        self.env = make_gflownet_vector_env(
            self.config.env,
            self.config.trajectories_per_env_runner,
            dict(self.config.env_config),
            self.worker_index,
        )
        self._max_length = int(self.env.unwrapped.max_trajectory_length)
        self._needs_seeded_reset = True

    @override(EnvRunner)
    def make_module(self) -> None:
        spec = self.config.get_rl_module_spec(
            spaces=self.get_spaces(), inference_only=True
        )
        self.module = spec.build().to(self.torch_device)

    @override(EnvRunner)
    def get_spaces(self) -> dict[str, tuple[gym.Space, gym.Space]]:
        single = (self.env.single_observation_space, self.env.single_action_space)
        return {
            INPUT_ENV_SPACES: (self.env.observation_space, self.env.action_space),
            INPUT_ENV_SINGLE_SPACES: single,
            DEFAULT_MODULE_ID: single,
        }

    @override(EnvRunner)
    def sample(
        self,
        *,
        num_trajectories: int,
        epsilon: float = 0.0,
        temperature: float = 1.0,
        **kwargs: Any,
    ) -> TrajectoryBatch:
        """``num_trajectories`` complete trajectories under the exploration policy."""
        chunks, returns = zip(
            *(
                self._sample_chunk(epsilon, temperature)
                for _ in range(math.ceil(num_trajectories / self.env.num_envs))
            ),
            strict=True,
        )
        batch = concat_trajectories(chunks) if len(chunks) > 1 else chunks[0]
        batch = take_trajectories(batch, np.arange(num_trajectories))
        self._log_sample_metrics(batch, np.concatenate(returns)[:num_trajectories])
        return batch

    def _sample_chunk(
        self, epsilon: float, temperature: float
    ) -> tuple[TrajectoryBatch, np.ndarray]:
        """One rollout of every sub-env, and each trajectory's return: the sum of
        the rewards the env gave, the number any RLlib runner reports."""
        seed = self.seed if self._needs_seeded_reset else None
        obs, _ = self.env.reset(seed=seed)
        self._needs_seeded_reset = False
        width = self.env.num_envs
        step_obs, step_actions = [obs], []
        traj_len = np.zeros(width, dtype=np.int64)
        log_reward = np.zeros(width, dtype=np.float64)
        returns = np.zeros(width, dtype=np.float64)
        done = np.zeros(width, dtype=bool)
        for t in range(self._max_length):
            actions = self._filler_actions(obs)
            active = np.flatnonzero(~done)
            obs_tensor = map_arrays(
                lambda a, rows=active: torch.from_numpy(a[rows]).to(self.torch_device),
                obs,
            )
            actions[active] = (
                self.module.sample_actions(
                    obs_tensor,
                    epsilon=epsilon,
                    temperature=temperature,
                    generator=self._generator,
                )
                .cpu()
                .numpy()
            )
            obs, rewards, terminated, truncated, infos = self.env.step(actions)
            returns[active] += rewards[active]
            if truncated.any():
                raise RuntimeError(
                    "a GFlowNet env truncated a trajectory; TB needs complete ones"
                )
            step_actions.append(actions)
            step_obs.append(obs)
            newly_done = terminated & ~done
            if newly_done.any():
                log_reward[newly_done] = infos["log_reward"][newly_done]
                traj_len[newly_done] = t + 1
                done |= newly_done
                if done.all():
                    break
        if not done.all():
            raise RuntimeError(
                f"{int((~done).sum())} trajectories did not terminate within the env's "
                f"max_trajectory_length={self._max_length}"
            )
        if not np.isfinite(log_reward).all():
            raise ValueError("the env returned a non-finite log_reward")
        batch = stack_steps(
            step_obs, step_actions, traj_len, log_reward, self._max_length
        )
        return batch, returns

    def _filler_actions(self, obs: Any) -> np.ndarray:
        """Valid actions for sub-envs whose trajectory is already complete.

        Those sub-envs autoreset and start an episode nobody records; they still
        need a valid action each step, and no network forward is spent on them.
        """
        space = self.env.single_action_space
        width = self.env.num_envs
        if isinstance(obs, dict) and "action_mask" in obs:
            return np.argmax(obs["action_mask"], axis=-1).astype(space.dtype)
        if isinstance(space, gym.spaces.Box):
            zero = np.clip(np.zeros(space.shape, space.dtype), space.low, space.high)
            return np.broadcast_to(zero, (width, *space.shape)).copy()
        raise TypeError(f"TB cannot fill actions for action space {space}")

    def _log_sample_metrics(self, batch: TrajectoryBatch, returns: np.ndarray) -> None:
        steps = int(batch[TRAJ_LEN].sum())
        count = len(batch[TRAJ_LEN])
        self.num_env_steps_sampled_lifetime += steps
        self.metrics.log_value(NUM_ENV_STEPS_SAMPLED, steps, reduce="sum")
        self.metrics.log_value(
            NUM_ENV_STEPS_SAMPLED_LIFETIME, steps, reduce="lifetime_sum"
        )
        self.metrics.log_value(NUM_EPISODES, count, reduce="sum")
        self.metrics.log_value(NUM_EPISODES_LIFETIME, count, reduce="lifetime_sum")
        self.metrics.log_value(EPISODE_RETURN_MEAN, float(returns.mean()), window=1)
        self.metrics.log_value(
            EPISODE_LEN_MEAN, float(batch[TRAJ_LEN].mean()), window=1
        )

    def exact_metrics(self) -> dict[str, float] | None:
        """Exact L1 between the learned sampler and R(x)/Z, and |log Z - log Z*|.

        Computed over the whole DAG (no sampling); None if the env has no exact
        distribution.
        """
        unwrapped = self.env.unwrapped
        if not hasattr(unwrapped, "exact_distribution"):
            return None
        if self._exact is None:
            self._exact = unwrapped.exact_distribution()
        obs = map_arrays(
            lambda a: torch.from_numpy(a).to(self.torch_device),
            self._exact.observations,
        )
        log_pf = self.module.forward_log_probs(obs).double().cpu().numpy()
        sampler_probs = self._exact.sampler_probs(log_pf)
        log_z = float(self.module.log_z.detach().cpu())
        return {
            "l1_distance": float(
                np.abs(sampler_probs - self._exact.target_probs).sum()
            ),
            "log_z_error": abs(log_z - self._exact.log_z),
            "log_z_true": self._exact.log_z,
        }
