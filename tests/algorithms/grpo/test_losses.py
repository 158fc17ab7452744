"""GRPO's pure loss math on hand-computed numbers (no Ray)."""

import math

import pytest
import torch

from gridmarket.algorithms.grpo.losses import (
    aggregate_tokens,
    clipped_surrogate,
    group_advantages,
    grpo_loss,
    k3_kl,
)


def test_grpo_advantages_standardize_within_each_group():
    rewards = torch.tensor([1.0, 2.0, 3.0, 5.0, 5.0, 5.0])
    adv = group_advantages(rewards, group_size=3, advantage_type="grpo", eps=1e-4)
    # group 1: mean 2, sample std 1; group 2: all equal -> 0
    expected = torch.tensor([-1.0, 0.0, 1.0, 0.0, 0.0, 0.0]) / torch.tensor(
        [1.0001, 1.0001, 1.0001, 1.0, 1.0, 1.0]
    )
    torch.testing.assert_close(adv, expected)


def test_dr_grpo_advantages_only_centre():
    rewards = torch.tensor([0.0, 4.0, 2.0, 2.0])
    adv = group_advantages(rewards, group_size=2, advantage_type="dr_grpo")
    torch.testing.assert_close(adv, torch.tensor([-2.0, 2.0, 0.0, 0.0]))


def test_advantages_reject_bad_input():
    with pytest.raises(ValueError, match="advantage_type"):
        group_advantages(torch.zeros(4), 2, advantage_type="ppo")
    with pytest.raises(ValueError, match="group_size"):
        group_advantages(torch.zeros(5), 2)


def test_clip_higher_uses_separate_bounds():
    logp = torch.log(torch.tensor([[1.5, 0.5, 1.5]]))
    old = torch.zeros(1, 3)
    positive = clipped_surrogate(logp, old, torch.tensor([1.0]), 0.2, 0.28)
    # ratio 1.5 clipped to 1.28; ratio 0.5 is below the clip but min keeps 0.5
    torch.testing.assert_close(positive, torch.tensor([[-1.28, -0.5, -1.28]]))
    negative = clipped_surrogate(logp, old, torch.tensor([-1.0]), 0.2, 0.28)
    # A < 0: ratio 1.5 stays unclipped (pessimistic), 0.5 is clipped up to 0.8
    torch.testing.assert_close(negative, torch.tensor([[1.5, 0.8, 1.5]]))


def test_k3_kl_matches_hand_value_and_is_zero_for_identical_policies():
    logp = torch.tensor([[0.0, math.log(0.5)]])
    ref = torch.tensor([[math.log(2.0), math.log(0.5)]])
    kl = k3_kl(logp, ref)
    torch.testing.assert_close(
        kl, torch.tensor([[2.0 - math.log(2.0) - 1.0, 0.0]]), atol=1e-7, rtol=0
    )
    random = torch.randn(64, 16)
    assert torch.equal(k3_kl(random, random), torch.zeros(64, 16))
    assert (k3_kl(random, torch.randn(64, 16)) >= 0).all()


def test_token_aggregations():
    per_token = torch.tensor([[1.0, 2.0, 9.0], [3.0, 9.0, 9.0]])
    mask = torch.tensor([[1, 1, 0], [1, 0, 0]])
    assert aggregate_tokens(per_token, mask, "sequence").item() == pytest.approx(2.25)
    assert aggregate_tokens(per_token, mask, "token").item() == pytest.approx(2.0)
    assert aggregate_tokens(per_token, mask, "constant", 3).item() == pytest.approx(1.0)
    with pytest.raises(ValueError, match="max_length"):
        aggregate_tokens(per_token, mask, "constant")
    with pytest.raises(ValueError, match="aggregation"):
        aggregate_tokens(per_token, mask, "mean")


def test_grpo_loss_adds_beta_times_kl_and_reports_clipping():
    logp = torch.log(torch.tensor([[1.5, 1.0]]))
    old = torch.zeros(1, 2)
    ref = torch.tensor([[0.0, math.log(2.0)]])
    mask = torch.ones(1, 2)
    loss, stats = grpo_loss(
        logp,
        old,
        torch.tensor([1.0]),
        mask,
        ref_logp=ref,
        beta=0.1,
        clip_low=0.2,
        clip_high=0.2,
        aggregation="token",
    )
    kl = torch.tensor([1 / 1.5 + math.log(1.5) - 1.0, 2.0 - math.log(2.0) - 1.0])
    expected = ((torch.tensor([-1.2, -1.0]) + 0.1 * kl).mean()).item()
    assert loss.item() == pytest.approx(expected, rel=1e-6)
    assert stats["kl"].item() == pytest.approx(kl.mean().item(), rel=1e-6)
    assert stats["clip_fraction"].item() == pytest.approx(0.5)
    with pytest.raises(ValueError, match="ref_logp"):
        grpo_loss(logp, old, torch.tensor([1.0]), mask, beta=0.1)


def test_grpo_loss_gradient_is_zero_on_clipped_tokens():
    logp = torch.log(torch.tensor([[1.5, 1.1]])).requires_grad_()
    loss, _ = grpo_loss(
        logp,
        torch.zeros(1, 2),
        torch.tensor([1.0]),
        torch.ones(1, 2),
        aggregation="token",
    )
    loss.backward()
    # d/dlogp of -ratio/2 is -ratio/2 on the unclipped token; 0 on the clipped one
    torch.testing.assert_close(logp.grad, torch.tensor([[0.0, -0.55]]))
