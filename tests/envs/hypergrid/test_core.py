"""HyperGrid core: rewards, masks and steps against hand-computed values."""

import numpy as np
import pytest

from gridmarket.envs.hypergrid import core


@pytest.fixture
def grid2x8():
    return core.HyperGridParams(ndim=2, height=8)


def test_reward_bands_by_hand(grid2x8):
    # H=8: a(x) = |x/7 - 0.5| -> x=0,7: 0.5 (outer); x=1,6: 0.357 (outer and band);
    # x=2,5: 0.214 (neither); x=3,4: 0.071 (neither).
    states = np.array([[0, 0], [1, 1], [1, 6], [0, 1], [2, 1], [3, 4], [7, 0]])
    expected = [0.6, 2.6, 2.6, 0.6, 0.1, 0.1, 0.6]
    np.testing.assert_allclose(core.rewards(grid2x8, states), expected)
    np.testing.assert_allclose(core.log_rewards(grid2x8, states), np.log(expected))


def test_reward_band_edges_are_exact():
    # H=11: x=1 gives a = 0.4 exactly, outside the open band (0.3, 0.4); x=2 gives
    # a = 0.3 exactly, also outside. Float rounding must not flip either.
    params = core.HyperGridParams(ndim=1, height=11)
    np.testing.assert_allclose(core.rewards(params, np.array([[1], [2]])), [0.6, 0.6])


def test_masks(grid2x8):
    states = np.array([[0, 7], [3, 0], [7, 7]])
    np.testing.assert_array_equal(
        core.forward_masks(grid2x8, states),
        [[True, False, True], [True, True, True], [False, False, True]],
    )
    np.testing.assert_array_equal(
        core.backward_masks(grid2x8, states),
        [[False, True], [True, False], [True, True]],
    )


def test_step_increments_and_stops(grid2x8):
    states = np.array([[0, 0], [2, 3], [5, 5]])
    next_states, stopped = core.step(grid2x8, states, np.array([1, 0, 2]))
    np.testing.assert_array_equal(next_states, [[0, 1], [3, 3], [5, 5]])
    np.testing.assert_array_equal(stopped, [False, False, True])


def test_all_states_and_index_round_trip():
    params = core.HyperGridParams(ndim=3, height=4)
    states = core.all_states(params)
    assert states.shape == (64, 3)
    np.testing.assert_array_equal(core.state_index(params, states), np.arange(64))
    assert len({tuple(s) for s in states}) == 64


def test_observe_copies_state(grid2x8):
    states = np.array([[1, 2]])
    obs = core.observe(grid2x8, states)
    states[0, 0] = 5
    assert obs["observation"][0, 0] == 1
    assert obs["action_mask"].dtype == np.int8


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"ndim": 0}, ValueError, "`ndim` must be >= 1, got 0"),
        ({"height": 1}, ValueError, "`height` must be >= 2, got 1"),
        ({"R0": 0.0}, ValueError, "`R0` must be > 0"),
        ({"R0": -1.0}, ValueError, "`R0` must be > 0, got -1.0"),
        ({"R1": -0.5}, ValueError, "`R1` must be >= 0, got -0.5"),
        ({"R2": float("nan")}, ValueError, "`R2` must be finite, got nan"),
        ({"ndim": 2.5}, TypeError, "`ndim` must be an int >= 1, got 2.5"),
        ({"height": True}, TypeError, "`height` must be an int >= 2, got True"),
        ({"R0": "0.1"}, TypeError, "`R0` must be a float, got '0.1'"),
        ({"ndim": 30, "height": 10}, ValueError, "at most 50,000,000"),
    ],
)
def test_invalid_params_are_named(kwargs, error, message):
    with pytest.raises(error, match=message.replace("(", r"\(").replace(")", r"\)")):
        core.HyperGridParams(**kwargs)


def test_check_actions_names_the_problem(grid2x8):
    states = np.array([[7, 0], [0, 0]])
    with pytest.raises(
        ValueError,
        match=r"action 0 is masked in state \(7, 0\).*valid actions are \[1, 2\]",
    ):
        core.check_actions(grid2x8, states, np.array([0, 1]))
    with pytest.raises(
        ValueError, match=r"action 3 at index \(1,\) is out of range: allowed are 0..1"
    ):
        core.check_actions(grid2x8, states, np.array([1, 3]))
    with pytest.raises(ValueError, match=r"action -1"):
        core.check_actions(grid2x8, states, np.array([-1, 0]))
    with pytest.raises(TypeError, match="must be integers"):
        core.check_actions(grid2x8, states, np.array([0.0, 1.0]))
    with pytest.raises(ValueError, match=r"must have shape \(2,\), got \(3,\)"):
        core.check_actions(grid2x8, states, np.array([0, 1, 2]))
