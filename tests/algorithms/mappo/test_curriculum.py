"""The curriculum's promotion rule, without Ray."""

import math

from gridmarket.algorithms.mappo.curriculum import (
    CurriculumState,
    next_curriculum_state,
)


def step(state, rate):
    return next_curriculum_state(state, rate, threshold=0.05, patience=2, num_stages=3)


def test_promotes_after_patience_qualifying_iterations():
    state = step(CurriculumState(), 0.04)
    assert state == CurriculumState(stage=0, streak=1)
    state = step(state, 0.05)  # at the threshold counts
    assert state == CurriculumState(stage=1, streak=0)


def test_a_bad_iteration_resets_the_streak_and_nan_does_not():
    state = step(CurriculumState(stage=1, streak=1), math.nan)
    assert state == CurriculumState(stage=1, streak=1)
    state = step(state, 0.2)
    assert state == CurriculumState(stage=1, streak=0)


def test_the_last_stage_is_final():
    state = CurriculumState(stage=2, streak=0)
    assert step(step(state, 0.0), 0.0) == state
