"""A scenario curriculum for MAPPO: ``normal`` -> ``liquidity_crisis`` -> ``systemic``.

Promotion rule (the stated metric): the mean default rate of the episodes that
finished during an iteration (share of banks that defaulted by the episode's end)
is at most ``curriculum_promote_default_rate`` for ``curriculum_patience``
consecutive iterations. Iterations in which no episode finished do not count and
do not break a streak. The last stage is kept for good.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from ray.rllib.callbacks.callbacks import RLlibCallback

DEFAULT_CURRICULUM = ("normal", "liquidity_crisis", "systemic")
ITERATION_DEFAULT_RATE = "iteration_default_rate"
CURRICULUM_STAGE = "curriculum_stage"
CURRICULUM_SCENARIO = "curriculum_scenario"


@dataclass(frozen=True)
class CurriculumState:
    stage: int = 0  # index into the config's curriculum
    streak: int = 0  # consecutive qualifying iterations in this stage


def next_curriculum_state(
    state: CurriculumState,
    default_rate: float,
    *,
    threshold: float,
    patience: int,
    num_stages: int,
) -> CurriculumState:
    """The state after one iteration whose episodes had ``default_rate`` (NaN: no
    episode finished)."""
    if state.stage >= num_stages - 1 or math.isnan(default_rate):
        return state
    streak = state.streak + 1 if default_rate <= threshold else 0
    if streak >= patience:
        return CurriculumState(stage=state.stage + 1, streak=0)
    return CurriculumState(stage=state.stage, streak=streak)


class ScenarioCurriculum(RLlibCallback):
    """Promotes a :class:`MAPPO` run along ``config.curriculum`` (see module doc)."""

    def on_train_result(self, *, algorithm: Any, result: dict, **kwargs: Any) -> None:
        stages = algorithm.config.curriculum
        if not stages:
            return
        before = algorithm.curriculum
        after = next_curriculum_state(
            before,
            float(result.get(ITERATION_DEFAULT_RATE, math.nan)),
            threshold=algorithm.config.curriculum_promote_default_rate,
            patience=algorithm.config.curriculum_patience,
            num_stages=len(stages),
        )
        if after.stage != before.stage:
            algorithm.set_curriculum(after)
        else:
            algorithm.curriculum = after
        result[CURRICULUM_STAGE] = after.stage
