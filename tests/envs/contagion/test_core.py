"""``core``'s own checks (the step itself is tested through its stages)."""

from __future__ import annotations

import numpy as np
import pytest

from gridmarket.envs.contagion import core


def test_check_actions_clips_to_the_unit_interval_as_numpy_does():
    actions = np.random.default_rng(0).uniform(-2.0, 3.0, size=(7, 4))
    actions[0, :3] = [-0.0, 0.0, 1.0]
    clipped = core.check_actions(actions, 7)
    expected = np.minimum(np.maximum(actions, 0.0), 1.0)
    np.testing.assert_array_equal(clipped, expected)
    np.testing.assert_array_equal(np.signbit(clipped), np.signbit(expected))
    assert clipped.min() == 0.0 and clipped.max() == 1.0  # both bounds bit
    assert actions[0, 0] == 0.0 and np.signbit(actions[0, 0])  # input untouched


@pytest.mark.parametrize(
    ("bad", "bank", "column"),
    [(np.nan, 2, 1), (np.inf, 0, 3), (-np.inf, 6, 0)],
)
def test_check_actions_names_the_first_non_finite_action(bad, bank, column):
    actions = np.full((7, 4), 0.5)
    actions[bank, column] = bad
    actions[6, 3] = np.nan  # a later one: the message names the first
    name = core.ACTION_NAMES[column]
    with pytest.raises(ValueError, match=rf"action '{name}' of bank {bank} is {bad}"):
        core.check_actions(actions, 7)


def test_check_actions_rejects_a_wrong_shape_with_both_shapes():
    with pytest.raises(ValueError, match=r"shape \(7, 4\), got \(7, 3\)"):
        core.check_actions(np.zeros((7, 3)), 7)
