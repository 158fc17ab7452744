"""An EnvRunner that samples groups of LLM completions on a one-step text env.

One ``sample(num_groups=P)`` call draws ``P`` window ids, resets the env with
``options={"window_id": w}`` to get each prompt, generates ``G`` completions per
prompt in one batched, KV-cached pass of the module's LM, then scores each
completion with its own episode (``reset`` with the same window id, then
``step(text)``). It returns token ids, masks, the sampler's per-token log-probs
and the rewards as numpy arrays (see :mod:`gridmarket.algorithms.grpo.batch`).

Env contract (``TextForecast-v0``'s): ``reset(options={"window_id": i})`` is
deterministic and returns the prompt string; ``env.unwrapped.num_windows`` counts
the windows; ``step(completion)`` ends the episode; every real-number entry of
``info`` is logged as a reward component.
"""

from __future__ import annotations

from numbers import Real
from typing import Any

import gymnasium as gym
import numpy as np
import torch
from ray.rllib.core import DEFAULT_MODULE_ID
from ray.rllib.env.env_context import EnvContext
from ray.rllib.env.env_runner import EnvRunner
from ray.rllib.utils.annotations import override
from ray.rllib.utils.framework import get_device
from ray.rllib.utils.metrics import (
    EPISODE_RETURN_MEAN,
    NUM_ENV_STEPS_SAMPLED,
    NUM_ENV_STEPS_SAMPLED_LIFETIME,
    NUM_EPISODES,
    NUM_EPISODES_LIFETIME,
)

from gridmarket.algorithms.grpo.batch import (
    COMPLETION_IDS,
    COMPLETION_MASK,
    OLD_LOGP,
    PROMPT_IDS,
    PROMPT_MASK,
    REWARDS,
    WINDOW_IDS,
)
from gridmarket.algorithms.grpo.torch.grpo_rl_module import LOGP
from gridmarket.algorithms.ray_private import registered_env_creator
from gridmarket.algorithms.runner_state import ModuleSyncedEnvRunner
from gridmarket.envs import register_envs

COMPONENT_PREFIX = "reward/"
# Real-number info entries that are not reward components (TextForecast-v0's).
NOT_COMPONENTS = ("window_id", "last_close")


def make_text_env(
    env: Any, env_config: dict[str, Any], worker_index: int = 0
) -> gym.Env:
    """A Gymnasium id, a ``tune.register_env`` name, or an env class/callable."""
    creator = registered_env_creator(env) if isinstance(env, str) else None
    if creator is not None:
        return creator(EnvContext(env_config, worker_index=worker_index))
    if isinstance(env, str):
        return gym.make(env, **env_config)
    if callable(env):
        return env(**env_config) if isinstance(env, type) else env(env_config)
    raise TypeError(f"`env` must be a Gymnasium id or a callable, got {env!r}")


class GRPOEnvRunner(ModuleSyncedEnvRunner):
    """Samples groups of completions sharing a prompt, for GRPO."""

    def __init__(self, *, config: Any, **kwargs: Any) -> None:
        super().__init__(config=config, **kwargs)
        register_envs()  # plain ids resolve in remote runner processes too
        self._device = get_device(self.config, self.config.num_gpus_per_env_runner)
        self._generator = torch.Generator(device=self._device)
        seed = None if self.seed is None else int(self.seed)
        if seed is None:
            self._generator.seed()
        else:
            self._generator.manual_seed(seed)
        self._window_rng = np.random.default_rng(seed)
        self.env: gym.Env | None = None
        self.make_env()
        self.make_module()

    @override(EnvRunner)
    def make_env(self) -> None:
        if self.env is not None:
            self.env.close()
        self.env = make_text_env(
            self.config.env, dict(self.config.env_config), self.worker_index
        )
        num_windows = getattr(self.env.unwrapped, "num_windows", None)
        if not isinstance(num_windows, int | np.integer) or num_windows < 1:
            raise TypeError(
                f"GRPO needs an env with `num_windows >= 1`; "
                f"{type(self.env.unwrapped).__name__} has {num_windows!r}"
            )
        self.num_windows = int(num_windows)
        if self.seed is not None:
            self.env.reset(seed=int(self.seed))

    @override(EnvRunner)
    def make_module(self) -> None:
        spec = self.config.get_rl_module_spec(
            spaces=self.get_spaces(), inference_only=True
        )
        self.module = spec.build().to(self._device)

    @override(EnvRunner)
    def get_spaces(self) -> dict[str, tuple[gym.Space, gym.Space]]:
        spaces = (self.env.observation_space, self.env.action_space)
        return {DEFAULT_MODULE_ID: spaces}

    def prompt(self, window_id: int) -> str:
        prompt, _ = self.env.reset(options={"window_id": int(window_id)})
        return prompt

    def score(self, window_id: int, completion: str) -> tuple[float, dict[str, Any]]:
        """One episode: the reward of ``completion`` on window ``window_id``."""
        self.env.reset(options={"window_id": int(window_id)})
        _, reward, terminated, truncated, info = self.env.step(completion)
        if not (terminated or truncated):
            raise RuntimeError("GRPO needs one-step episodes; the env did not end")
        return float(reward), info

    @override(EnvRunner)
    def sample(
        self,
        *,
        num_groups: int,
        window_ids: list[int] | None = None,
        **kwargs: Any,
    ) -> dict[str, np.ndarray]:
        """``num_groups`` groups of ``config.group_size`` scored completions."""
        cfg = self.config
        if window_ids is None:
            window_ids = self._window_rng.integers(self.num_windows, size=num_groups)
        windows = np.asarray(window_ids, dtype=np.int64)
        out = self.module.generate(
            [self.prompt(w) for w in windows],
            group_size=cfg.group_size,
            max_new_tokens=cfg.max_new_tokens,
            max_prompt_length=cfg.max_prompt_length,
            top_p=cfg.top_p,
            generator=self._generator,
        )
        texts = self.module.decode(out[COMPLETION_IDS], out[COMPLETION_MASK])
        group_windows = np.repeat(windows, cfg.group_size)
        rewards, infos = zip(
            *(self.score(w, t) for w, t in zip(group_windows, texts, strict=True)),
            strict=True,
        )
        rewards = np.asarray(rewards, dtype=np.float32)
        if not np.isfinite(rewards).all():
            raise ValueError(f"the env returned non-finite rewards: {rewards}")
        batch = {
            key: out[src].cpu().numpy()
            for key, src in (
                (PROMPT_IDS, PROMPT_IDS),
                (PROMPT_MASK, PROMPT_MASK),
                (COMPLETION_IDS, COMPLETION_IDS),
                (COMPLETION_MASK, COMPLETION_MASK),
                (OLD_LOGP, LOGP),
            )
        }
        batch[REWARDS] = rewards
        batch[WINDOW_IDS] = group_windows
        self._log_sample_metrics(batch, infos)
        return batch

    def _log_sample_metrics(
        self, batch: dict[str, np.ndarray], infos: tuple[dict[str, Any], ...]
    ) -> None:
        count = len(batch[REWARDS])
        tokens = int(batch[COMPLETION_MASK].sum())
        self.num_env_steps_sampled_lifetime += count
        self.metrics.log_value(NUM_ENV_STEPS_SAMPLED, count, reduce="sum")
        self.metrics.log_value(
            NUM_ENV_STEPS_SAMPLED_LIFETIME, count, reduce="lifetime_sum"
        )
        self.metrics.log_value(NUM_EPISODES, count, reduce="sum")
        self.metrics.log_value(NUM_EPISODES_LIFETIME, count, reduce="lifetime_sum")
        self.metrics.log_value("num_completion_tokens", tokens, reduce="sum")
        self.metrics.log_value(
            EPISODE_RETURN_MEAN, float(batch[REWARDS].mean()), window=1
        )
        for key in (k for k in infos[0] if k not in NOT_COMPONENTS):
            values = [info.get(key) for info in infos]
            if all(isinstance(v, Real) for v in values):
                self.metrics.log_value(
                    COMPONENT_PREFIX + key, float(np.mean(values)), window=1
                )
