"""Exact target distribution and the policy-induced terminal distribution."""

import itertools
import math

import numpy as np
import pytest

from gridmarket.envs.hypergrid import core, exact


def brute_force_log_z(ndim, height, R0=0.1, R1=0.5, R2=2.0):
    """Independent reference: Python loops over every cell, float arithmetic."""
    total = 0.0
    for cell in itertools.product(range(height), repeat=ndim):
        a = [abs(x / (height - 1) - 0.5) for x in cell]
        total += (
            R0 + R1 * all(ai > 0.25 for ai in a) + R2 * all(0.3 < ai < 0.4 for ai in a)
        )
    return math.log(total)


@pytest.mark.parametrize(("ndim", "height"), [(1, 2), (2, 4), (2, 8), (3, 5), (4, 8)])
def test_log_z_matches_brute_force(ndim, height):
    params = core.HyperGridParams(ndim=ndim, height=height)
    probs, log_z = exact.target_distribution(params)
    assert log_z == pytest.approx(brute_force_log_z(ndim, height), rel=1e-12)
    assert probs.sum() == pytest.approx(1.0, abs=1e-12)
    assert (probs > 0).all()


def test_reward_temperature_sharpens_target():
    params = core.HyperGridParams(ndim=2, height=8)
    probs_1, _ = exact.target_distribution(params, 1.0)
    probs_half, log_z_half = exact.target_distribution(params, 0.5)
    log_r = core.log_rewards(params, core.all_states(params))
    np.testing.assert_allclose(probs_half, np.exp(2 * log_r - log_z_half))
    assert probs_half.max() > probs_1.max()


def path_enumeration(params, forward_probs):
    """Independent reference: sum the probability of every path to every cell."""
    terminal = np.zeros(params.n_states)

    def walk(state, prob):
        index = int(core.state_index(params, np.array(state)))
        terminal[index] += prob * forward_probs[index, params.ndim]
        for i in range(params.ndim):
            if state[i] < params.height - 1:
                child = list(state)
                child[i] += 1
                walk(child, prob * forward_probs[index, i])

    walk([0] * params.ndim, 1.0)
    return terminal


@pytest.mark.parametrize(("ndim", "height"), [(1, 4), (2, 3), (3, 3)])
def test_terminal_distribution_matches_path_enumeration(ndim, height):
    params = core.HyperGridParams(ndim=ndim, height=height)
    rng = np.random.default_rng(0)
    masks = core.forward_masks(params, core.all_states(params))
    logits = np.where(masks, rng.normal(size=masks.shape), -np.inf)
    log_probs = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    dp = exact.terminal_distribution(params, log_probs)
    np.testing.assert_allclose(
        dp, path_enumeration(params, np.exp(log_probs)), atol=1e-14
    )
    assert dp.sum() == pytest.approx(1.0)


def test_terminal_distribution_by_hand_1d():
    # D=1, H=3, P(stop)=0.5 everywhere it can move: x=0 w.p. .5, x=1 .25, x=2 .25.
    params = core.HyperGridParams(ndim=1, height=3)
    probs = np.array([[0.5, 0.5], [0.5, 0.5], [0.0, 1.0]])
    with np.errstate(divide="ignore"):
        np.testing.assert_allclose(
            exact.terminal_distribution(params, np.log(probs)), [0.5, 0.25, 0.25]
        )


def test_terminal_distribution_rejects_bad_input():
    params = core.HyperGridParams(ndim=2, height=3)
    with pytest.raises(ValueError, match=r"must have shape \(9, 3\), got \(9, 2\)"):
        exact.terminal_distribution(params, np.zeros((9, 2)))
    with pytest.raises(ValueError, match="contains NaN"):
        exact.terminal_distribution(params, np.full((9, 3), np.nan))


def test_l1_distance():
    assert exact.l1_distance(np.array([0.5, 0.5]), np.array([1.0, 0.0])) == 1.0


def test_exact_distribution_bundle():
    dist = exact.ExactDistribution(core.HyperGridParams(ndim=2, height=4))
    assert dist.observations["observation"].shape == (16, 2)
    assert dist.observations["action_mask"].shape == (16, 3)
    uniform_stop = np.log(np.tile([0.0, 0.0, 1.0], (16, 1)) + 1e-300)
    probs = dist.sampler_probs(uniform_stop)
    assert probs[0] == pytest.approx(1.0)
    assert dist.log_z == pytest.approx(brute_force_log_z(2, 4))
