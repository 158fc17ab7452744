"""What gridmarket's custom env runners share: the RLModule synced from the
learners, their checkpoint state, and RLlib's metrics hand-off."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

import ray
from ray.rllib.core import COMPONENT_RL_MODULE, DEFAULT_MODULE_ID
from ray.rllib.env.env_runner import EnvRunner
from ray.rllib.utils.annotations import override
from ray.rllib.utils.checkpoints import Checkpointable
from ray.rllib.utils.metrics import NUM_ENV_STEPS_SAMPLED_LIFETIME, WEIGHTS_SEQ_NO


def runner_seed(config: Any, worker_index: int) -> int | None:
    """A runner's seed: ``config.seed`` plus the worker index (RLlib's rule), plus
    1,000,000 on evaluation runners; None when ``config.seed`` is None."""
    if config.seed is None:
        return None
    return int(config.seed) + worker_index + 1_000_000 * int(config.in_evaluation)


class ModuleSyncedEnvRunner(EnvRunner, Checkpointable):
    """An env runner whose state is its module's weights (with the sequence number
    of the learner update they came from) and its lifetime env-step count.

    ``self.seed`` is this runner's seed (:func:`runner_seed`). Subclasses build
    ``self.module`` and ``self.env`` and implement ``sample``.
    """

    def __init__(self, *, config: Any, **kwargs: Any) -> None:
        super().__init__(config=config, **kwargs)
        self.worker_index = self.worker_index or 0
        self.seed = runner_seed(self.config, self.worker_index)
        self._weights_seq_no = 0

    @override(EnvRunner)
    def assert_healthy(self) -> None:
        assert getattr(self, "env", None) is not None, "env runner has no env"
        assert getattr(self, "module", None) is not None, "env runner has no module"

    @override(EnvRunner)
    def stop(self) -> None:
        if getattr(self, "env", None) is not None and hasattr(self.env, "close"):
            self.env.close()

    @override(EnvRunner)
    def get_metrics(self) -> dict[str, Any]:
        return self.metrics.reduce()

    @override(Checkpointable)
    def get_state(
        self,
        components: str | Collection[str] | None = None,
        *,
        not_components: str | Collection[str] | None = None,
        **kwargs: Any,
    ) -> dict[str, Any]:
        state: dict[str, Any] = {
            NUM_ENV_STEPS_SAMPLED_LIFETIME: self.num_env_steps_sampled_lifetime
        }
        if self._check_component(COMPONENT_RL_MODULE, components, not_components):
            state[COMPONENT_RL_MODULE] = self.module.get_state(
                components=self._get_subcomponents(COMPONENT_RL_MODULE, components),
                not_components=self._get_subcomponents(
                    COMPONENT_RL_MODULE, not_components
                ),
                **kwargs,
            )
            state[WEIGHTS_SEQ_NO] = self._weights_seq_no
        return state

    @override(Checkpointable)
    def set_state(self, state: dict[str, Any]) -> None:
        """Take the module's weights unless they are older than the ones held."""
        if COMPONENT_RL_MODULE in state:
            seq_no = state.get(WEIGHTS_SEQ_NO, 0)
            if seq_no == 0 or self._weights_seq_no < seq_no:
                module_state = state[COMPONENT_RL_MODULE]
                if isinstance(module_state, ray.ObjectRef):
                    module_state = ray.get(module_state)
                if isinstance(module_state, dict) and DEFAULT_MODULE_ID in module_state:
                    module_state = module_state[DEFAULT_MODULE_ID]
                self.module.set_state(module_state)
            if seq_no > 0:
                self._weights_seq_no = seq_no
        if NUM_ENV_STEPS_SAMPLED_LIFETIME in state:
            self.num_env_steps_sampled_lifetime = state[NUM_ENV_STEPS_SAMPLED_LIFETIME]

    @override(Checkpointable)
    def get_ctor_args_and_kwargs(self) -> tuple[tuple, dict[str, Any]]:
        return (), {"config": self.config}

    @override(Checkpointable)
    def get_checkpointable_components(self) -> list[tuple[str, Any]]:
        return [(COMPONENT_RL_MODULE, self.module)]
