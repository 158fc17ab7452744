"""MAPPO's losses, GAE and value-normalizer moments on hand-computed numbers."""

import math

import numpy as np
import pytest
import torch

from gridmarket.algorithms.mappo.losses import (
    clipped_value_loss,
    masked_gae,
    merge_moments,
    normalize_advantages,
    ppo_clip_loss,
    team_rewards,
)


def test_gae_with_a_death_and_a_bootstrap():
    # One world, two banks, three steps, gamma = lam = 0.5. Bank 0 lives
    # throughout (bootstrapped with V = 2 after the last step); bank 1 defaults in
    # step 1 (its next value, 5, must be ignored) and is dead in step 2.
    rewards = np.array([[[1.0, 1.0]], [[1.0, -1.0]], [[1.0, 0.0]]])
    values = np.array([[[1.0, 2.0]], [[1.0, 1.0]], [[1.0, 7.0]]])
    next_values = np.array([[[1.0, 1.0]], [[1.0, 5.0]], [[2.0, 9.0]]])
    terminated = np.array([[[False, False]], [[False, True]], [[False, False]]])
    alive = np.array([[[True, True]], [[True, True]], [[True, False]]])
    episode_end = np.zeros((3, 1), dtype=bool)
    adv, ret = masked_gae(
        rewards, values, next_values, terminated, episode_end, alive, 0.5, 0.5
    )
    # bank 0: deltas 0.5, 0.5, 1.0 -> A2 = 1, A1 = 0.5 + 0.25, A0 = 0.5 + 0.25 * 0.75
    np.testing.assert_allclose(adv[:, 0, 0], [0.6875, 0.75, 1.0])
    # bank 1: delta0 = 1 + 0.5 - 2, delta1 = -1 + 0 - 1; dead afterwards
    np.testing.assert_allclose(adv[:, 0, 1], [-1.0, -2.0, 0.0])
    np.testing.assert_allclose(ret[:, 0, 0], [1.6875, 1.75, 2.0])
    np.testing.assert_allclose(ret[:, 0, 1], [1.0, -1.0, 0.0])
    assert adv.dtype == np.float32 and ret.dtype == np.float32


def test_gae_stops_at_an_episode_end_and_bootstraps_the_final_obs():
    # Truncated after step 0 with V(final obs) = 3; step 1 is a new episode.
    rewards = np.zeros((2, 1, 1))
    values = np.ones((2, 1, 1))
    next_values = np.array([[[3.0]], [[1.0]]])
    terminated = np.zeros((2, 1, 1), dtype=bool)
    alive = np.ones((2, 1, 1), dtype=bool)
    episode_end = np.array([[True], [False]])
    adv, _ = masked_gae(
        rewards, values, next_values, terminated, episode_end, alive, 0.5, 1.0
    )
    # delta0 = 0.5 * 3 - 1 = 0.5, not continued into the next episode's -0.5.
    np.testing.assert_allclose(adv[:, 0, 0], [0.5, -0.5])


def test_merged_moments_match_the_whole_sample():
    mean, var, count = merge_moments(0.0, 1.0, 0.0, np.array([1.0, 2.0, 3.0]))
    assert (mean, var, count) == pytest.approx((2.0, 2.0 / 3.0, 3.0))
    mean, var, count = merge_moments(mean, var, count, np.array([4.0, 5.0]))
    assert (mean, var, count) == pytest.approx((3.0, 2.0, 5.0))


def test_merged_moments_refuse_nan():
    with pytest.raises(FloatingPointError, match="NaN or inf"):
        merge_moments(0.0, 1.0, 0.0, np.array([1.0, np.nan]))


def test_ppo_clip_loss_by_hand():
    old = torch.zeros(1, 3)
    logp = torch.tensor([[math.log(1.5), math.log(0.5), 5.0]])
    adv = torch.tensor([[1.0, -1.0, 100.0]])
    mask = torch.tensor([[True, True, False]])  # the third bank is dead
    loss = ppo_clip_loss(logp, old, adv, mask, clip=0.2)
    # min(1.5, 1.2) * 1 = 1.2; min(-0.5, -0.8) = -0.8; mean 0.2, negated
    assert loss.item() == pytest.approx(-0.2)


def test_clipped_value_loss_by_hand():
    values = torch.tensor([[2.0, 0.0, 9.0]])
    old = torch.tensor([[1.0, 0.0, 0.0]])
    targets = torch.tensor([[3.0, 1.0, 0.0]])
    mask = torch.tensor([[True, True, False]])
    loss = clipped_value_loss(values, old, targets, mask, clip=0.5)
    # max((2-3)^2, (1.5-3)^2) = 2.25 and max(1, 1) = 1: 0.5 * mean = 0.8125
    assert loss.item() == pytest.approx(0.8125)
    plain = clipped_value_loss(values, old, targets, mask, clip=None)
    assert plain.item() == pytest.approx(0.5 * (1.0 + 1.0) / 2)


def test_advantages_normalized_over_alive_banks_only():
    adv = torch.tensor([[1.0, 3.0, 1000.0]])
    mask = torch.tensor([[True, True, False]])
    out = normalize_advantages(adv, mask)
    np.testing.assert_allclose(out[0, :2].numpy(), [-1.0, 1.0], atol=1e-6)


def test_team_rewards_mix_own_and_mean_of_alive_banks_by_hand():
    rewards = np.array([[1.0, 3.0, -2.0, 0.0]])  # [W=1, N=4]; bank 3 is dead
    alive = np.array([[True, True, True, False]])
    # mean over the 3 alive banks: (1 + 3 - 2) / 3 = 2/3
    np.testing.assert_allclose(
        team_rewards(rewards, alive, 1.0), [[2 / 3, 2 / 3, 2 / 3, 0.0]]
    )
    # w = 0.25: 0.75 * r + 0.25 * 2/3 = 0.75 * r + 1/6
    np.testing.assert_allclose(
        team_rewards(rewards, alive, 0.25),
        [[0.75 + 1 / 6, 2.25 + 1 / 6, -1.5 + 1 / 6, 0]],
    )
    np.testing.assert_array_equal(team_rewards(rewards, alive, 0.0), rewards)
    nobody = np.zeros((1, 4), dtype=bool)  # every bank dead: zeros, no 0/0
    np.testing.assert_array_equal(team_rewards(rewards, nobody, 1.0), np.zeros((1, 4)))
