"""REINFORCE with a leave-one-out baseline, on TB's batched trajectory sampler.

It shares TB's env runner, RLModule and trajectory batches, so it runs on the same
envs with the same networks and budget, and differs only in the objective: it
maximizes the expected log-reward of the terminal object (a mode-seeking
baseline), where TB samples objects in proportion to their reward.
"""

from __future__ import annotations

import math
from typing import Any

from ray.rllib.core import DEFAULT_MODULE_ID
from ray.rllib.utils.annotations import override
from ray.rllib.utils.metrics import LEARNER_RESULTS

from gridmarket.algorithms.reinforce.losses import REINFORCE_LOSS_KEY
from gridmarket.algorithms.tb.tb import TB, TBConfig


class ReinforceConfig(TBConfig):
    """TB's sampling options (batch_size, updates_per_iteration, exploration
    schedules, replay) with the REINFORCE loss; ``lr_logz`` is unused."""

    def __init__(self, algo_class: type | None = None) -> None:
        super().__init__(algo_class=algo_class or Reinforce)
        self.backward_policy = "uniform"  # REINFORCE has no use for a learned P_B
        self.exact_metrics_interval = 0

    @override(TBConfig)
    def get_default_learner_class(self) -> type:
        if self.framework_str != "torch":
            raise ValueError(
                f"REINFORCE supports framework='torch', got {self.framework_str!r}"
            )
        from gridmarket.algorithms.reinforce.torch.reinforce_torch_learner import (
            ReinforceTorchLearner,
        )

        return ReinforceTorchLearner

    @override(TBConfig)
    def validate(self) -> None:
        super().validate()
        if self.num_learners > 1:
            raise ValueError(
                f"REINFORCE runs with num_learners <= 1 (log Z is unused and DDP "
                f"needs every parameter in the loss), got {self.num_learners}"
            )


class Reinforce(TB):
    """Policy gradient on whole trajectories; see :class:`ReinforceConfig`."""

    @classmethod
    @override(TB)
    def get_default_config(cls) -> ReinforceConfig:
        return ReinforceConfig()

    def _log_tb_metrics(self, fresh: Any, epsilon: float, temperature: float) -> None:
        super()._log_tb_metrics(fresh, epsilon, temperature)
        loss = self.metrics.peek(
            (LEARNER_RESULTS, DEFAULT_MODULE_ID, REINFORCE_LOSS_KEY),
            default=float("nan"),
        )
        if not math.isnan(loss):
            self.metrics.log_value(REINFORCE_LOSS_KEY, float(loss), window=1)
