"""The pure GridMarket core: parameters, action checks, dynamics, log-rewards."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from gridmarket.envs.grid_market import core

BOX = {"box_low": (-100.0,) * 6, "box_high": (100.0,) * 6, "initial_x": (0.0,) * 6}


def params(**overrides) -> core.GridMarketParams:
    return core.GridMarketParams(**{**BOX, **overrides})


@pytest.mark.parametrize(
    ("overrides", "error", "match"),
    [
        ({"horizon": 0}, ValueError, "horizon.*>= 1, got 0"),
        ({"horizon": 2.0}, TypeError, "horizon.*int"),
        ({"horizon": True}, TypeError, "horizon.*int"),
        ({"reward_temperature": 0.0}, ValueError, "reward_temperature.*> 0"),
        (
            {"reward_temperature": float("nan")},
            ValueError,
            "reward_temperature.*finite",
        ),
        ({"reward_temperature": "1"}, TypeError, "reward_temperature"),
        ({"ood_penalty": -0.5}, ValueError, "ood_penalty.*>= 0, got -0.5"),
        (
            {"ood_mode": "reflect"},
            ValueError,
            r"ood_mode.*\['clip', 'penalty', 'clip\+penalty'\]",
        ),
        ({"initial_x": (101.0,) + (0.0,) * 5}, ValueError, "outside the box"),
        ({"box_low": (0.0,) * 6, "box_high": (0.0,) * 6}, ValueError, "must be <"),
        ({"initial_x": (0.0,) * 5}, ValueError, "6 finite numbers"),
    ],
)
def test_params_are_validated(overrides, error, match):
    with pytest.raises(error, match=match):
        params(**overrides)


@pytest.mark.parametrize(
    ("action", "error", "match"),
    [
        (np.full(6, np.nan), ValueError, r"nan at index \(0,\) is not finite"),
        ([0, 0, 0, np.inf, 0, 0], ValueError, r"index \(3,\) is not finite"),
        ([0, 0, 0, 0, 0, 30.001], ValueError, r"outside the action range \[-30, 30\]"),
        ([-31, 0, 0, 0, 0, 0], ValueError, r"outside the action range \[-30, 30\]"),
        (np.zeros(5), ValueError, r"shape \(6,\), got \(5,\)"),
        (np.zeros((1, 6)), ValueError, r"shape \(6,\)"),
        (["a"] * 6, TypeError, "real numbers"),
    ],
)
def test_bad_actions_are_refused(action, error, match):
    with pytest.raises(error, match=match):
        core.check_actions(action, ())


def test_edge_actions_are_accepted_unchanged():
    action = np.array([-30, 30, 0, 1.5, -2.25, 29.999], dtype=np.float64)
    np.testing.assert_array_equal(
        core.check_actions(action, ()), action.astype(np.float32)
    )


@settings(max_examples=60, deadline=None)
@given(
    start=arrays(np.float32, (5, 6), elements=st.floats(-100, 100, width=32)),
    actions=arrays(np.float32, (5, 6), elements=st.floats(-30, 30, width=32)),
)
def test_step_adds_clips_and_counts(start, actions):
    p = params(horizon=3)
    states = np.concatenate([np.ones((5, 1), np.float32), start], axis=1)
    nxt, terminated = core.step(p, states, actions)
    np.testing.assert_array_equal(nxt[:, 0], 2.0)
    assert not terminated.any()
    np.testing.assert_array_equal(nxt[:, 1:], np.clip(start + actions, -100, 100))
    assert np.all((nxt[:, 1:] >= p.low) & (nxt[:, 1:] <= p.high))
    _, terminated = core.step(p, nxt, actions)
    assert terminated.all()


def test_initial_states_and_bounds():
    p = params(horizon=5, initial_x=(1.0, 2.0, 3.0, 4.0, 5.0, 6.0))
    states = core.initial_states(p, 3)
    assert states.dtype == np.float32 and states.shape == (3, 7)
    np.testing.assert_array_equal(states[:, 0], 0.0)
    np.testing.assert_array_equal(states[1, 1:], [1, 2, 3, 4, 5, 6])
    low, high = core.observation_bounds(p)
    np.testing.assert_array_equal(low, [0] + [-100] * 6)
    np.testing.assert_array_equal(high, [5] + [100] * 6)
    assert p.max_trajectory_length == 5


def test_log_rewards_formula():
    pred = np.array([-20.0, 0.0, 20.0])
    softplus = np.log1p(np.exp(-pred))
    np.testing.assert_allclose(core.log_rewards(params(), pred), softplus)
    np.testing.assert_allclose(
        core.log_rewards(params(reward_temperature=0.5), pred), 2 * softplus
    )
    penal = params(ood_mode="penalty", ood_penalty=2.0, reward_temperature=4.0)
    ood = np.array([0.0, 1.0, 3.0])
    np.testing.assert_allclose(
        core.log_rewards(penal, pred, ood), softplus / 4 - 2 * ood
    )
    with pytest.raises(ValueError, match="needs `ood_distance`"):
        core.log_rewards(penal, pred)
    # Stable for extreme predictions.
    assert np.isfinite(core.log_rewards(params(), np.array([-1e4, 1e4]))).all()


class CountingOracle:
    def __init__(self):
        self.calls = 0

    def predict(self, states):
        self.calls += 1
        return -states.sum(axis=1)

    def ood_distance(self, states):
        return np.abs(states).max(axis=1) / 100


def test_terminal_log_rewards_one_call():
    oracle = CountingOracle()
    x = np.arange(12, dtype=np.float32).reshape(2, 6)
    out = core.terminal_log_rewards(params(ood_mode="clip+penalty"), oracle, x)
    assert oracle.calls == 1
    np.testing.assert_allclose(out["predicted_return"], -x.sum(axis=1))
    expected = np.log1p(np.exp(x.sum(axis=1))) - np.abs(x).max(axis=1) / 100
    np.testing.assert_allclose(out["log_reward"], expected)
    assert set(out) == {"predicted_return", "log_reward", "ood_distance"}
    assert "ood_distance" not in core.terminal_log_rewards(params(), oracle, x)
