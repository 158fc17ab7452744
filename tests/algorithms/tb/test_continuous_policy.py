"""Mixture-of-Betas policies against torch.distributions references (no Ray)."""

import numpy as np
import pytest
import torch
from gymnasium import spaces
from torch.distributions import (
    AffineTransform,
    Beta,
    Categorical,
    Independent,
    MixtureSameFamily,
    TransformedDistribution,
)

from gridmarket.algorithms.tb.torch.continuous_policy import (
    UNIT_EPS,
    ContinuousDAGPolicy,
    beta_mixture_log_prob,
)

OBS = spaces.Box(np.array([0, -10, -10], np.float32), np.array([3, 10, 10], np.float32))
ACT = spaces.Box(-5.0, 5.0, (2,), np.float32)


def make_policy(**config):
    torch.manual_seed(0)
    return ContinuousDAGPolicy(
        OBS, ACT, {"fcnet_hiddens": [32, 32], "num_components": 4, **config}
    )


def reference_distribution(head, features, low, high):
    """torch.distributions: per-dim MixtureSameFamily(Categorical, Beta), mapped
    affinely onto [low, high] (log-Jacobian included), independent over dims."""
    logits, alpha, beta = head(features)
    mixture = MixtureSameFamily(Categorical(logits=logits), Beta(alpha, beta))
    return Independent(
        TransformedDistribution(mixture, [AffineTransform(low, high - low)]), 1
    )


def test_beta_mixture_log_prob_matches_torch_distributions():
    torch.manual_seed(1)
    logits, alpha, beta = (
        torch.randn(5, 3, 7),
        torch.rand(5, 3, 7) * 5 + 0.1,
        torch.rand(5, 3, 7) * 5 + 0.1,
    )
    unit = torch.rand(5, 3) * 0.98 + 0.01
    reference = MixtureSameFamily(
        Categorical(logits=logits), Beta(alpha, beta)
    ).log_prob(unit)
    torch.testing.assert_close(
        beta_mixture_log_prob(logits, alpha, beta, unit), reference
    )


def test_forward_log_prob_includes_the_jacobian():
    policy = make_policy()
    obs = torch.tensor([[0.0, 0.0, 0.0], [1.0, 8.0, -9.5], [2.0, -10.0, 10.0]])
    actions = policy.sample_actions(obs, epsilon=0.0, temperature=1.0, generator=None)
    low, high = policy.forward_interval(obs[:, 1:])
    reference = reference_distribution(
        policy.forward_head, policy.features(obs), low, high
    )
    torch.testing.assert_close(
        policy.forward_log_probs(obs, actions),
        reference.log_prob(actions),
        rtol=1e-4,
        atol=1e-4,
    )


def test_bounded_actions_keep_states_in_the_box():
    policy = make_policy()
    obs = torch.tensor([[1.0, 9.0, -9.0]]).repeat(4000, 1)
    actions = policy.sample_actions(
        obs, epsilon=0.3, temperature=1.0, generator=torch.Generator().manual_seed(0)
    )
    nxt = obs[:, 1:] + actions
    assert (actions >= -5).all() and (actions <= 5).all()
    assert (nxt <= 10).all() and (nxt >= -10).all()
    assert actions[:, 0].max() <= 1.0 + 1e-5 and actions[:, 1].min() >= -1.0 - 1e-5
    unbounded = make_policy(bounded_actions=False)
    low, high = unbounded.forward_interval(obs[:1, 1:])
    torch.testing.assert_close(low, torch.full((1, 2), -5.0))


def test_sampling_draws_from_the_true_mixture():
    # The mean of a mixture is the weighted mean of component means; an averaged
    # single Beta would have the same mean, so check the variance as well.
    policy = make_policy(num_components=3)
    with torch.no_grad():
        raw = torch.zeros(2, 3, 3)
        raw[..., 0] = torch.tensor([0.0, 1.0, -1.0])  # weights
        raw[..., 1] = torch.tensor([-3.0, 2.0, 0.0])  # alpha logits
        raw[..., 2] = torch.tensor([2.0, -3.0, 0.0])  # beta logits
        policy.forward_head.linear.weight.zero_()
        policy.forward_head.linear.bias.copy_(raw.reshape(-1))
    obs = torch.zeros(200_000, 3)
    actions = policy.sample_actions(
        obs, epsilon=0.0, temperature=1.0, generator=torch.Generator().manual_seed(1)
    )
    unit = (actions + 5) / 10
    logits, alpha, beta = policy.forward_head(policy.features(obs[:1]))
    mixture = MixtureSameFamily(Categorical(logits=logits[0]), Beta(alpha[0], beta[0]))
    torch.testing.assert_close(unit.mean(0), mixture.mean, atol=3e-3, rtol=0)
    torch.testing.assert_close(unit.var(0), mixture.variance, atol=3e-3, rtol=0)


def test_epsilon_one_samples_uniformly():
    policy = make_policy()
    obs = torch.zeros(50_000, 3)
    gen = torch.Generator().manual_seed(2)
    unit = (
        policy.sample_actions(obs, epsilon=1.0, temperature=1.0, generator=gen) + 5
    ) / 10
    assert (
        abs(unit.mean().item() - 0.5) < 0.01 and abs(unit.var().item() - 1 / 12) < 0.002
    )
    assert unit.min() >= UNIT_EPS


def naive_trajectory_log_probs(policy, obs, actions):
    """One transition at a time with torch.distributions references."""
    log_pf, log_pb = [], []
    for i in range(obs.shape[0]):
        total_f = total_b = 0.0
        for t in range(actions.shape[1]):
            state, child, a = (
                obs[i, t : t + 1],
                obs[i, t + 1 : t + 2],
                actions[i, t : t + 1],
            )
            low, high = policy.forward_interval(state[:, 1:])
            total_f += (
                reference_distribution(
                    policy.forward_head, policy.features(state), low, high
                )
                .log_prob(a)
                .item()
            )
            if t == 0:
                continue  # the only parent of s_1 is s_0
            # parents: reachable from s_0 in t steps of [-5, 5] and inside [-10, 10]
            parent_low = torch.clamp(obs[i, 0, 1:] - 5 * t, min=-10)
            parent_high = torch.clamp(obs[i, 0, 1:] + 5 * t, max=10)
            low_b = torch.clamp(child[0, 1:] - parent_high, min=-5)
            high_b = torch.clamp(child[0, 1:] - parent_low, max=5)
            if policy.backward_head is None:
                total_b += -torch.log(high_b - low_b).sum().item()
            else:
                ref = reference_distribution(
                    policy.backward_head, policy.features(child), low_b, high_b
                )
                total_b += ref.log_prob(a).item()
        log_pf.append(total_f)
        log_pb.append(total_b)
    return torch.tensor(log_pf), torch.tensor(log_pb)


@pytest.mark.parametrize("backward_policy", ["learned", "uniform"])
def test_trajectory_log_probs_are_those_of_the_taken_actions(backward_policy):
    policy = make_policy(backward_policy=backward_policy)
    gen = torch.Generator().manual_seed(3)
    states = [torch.tensor([[0.0, 2.0, -3.0]]).repeat(6, 1)]
    actions = []
    for _ in range(3):
        a = policy.sample_actions(
            states[-1], epsilon=0.2, temperature=1.0, generator=gen
        )
        actions.append(a)
        nxt = states[-1].clone()
        nxt[:, 0] += 1
        nxt[:, 1:] += a
        states.append(nxt)
    obs, acts = torch.stack(states, 1), torch.stack(actions, 1)
    log_pf, log_pb = policy.trajectory_log_probs(obs, acts, torch.full((6,), 3))
    ref_pf, ref_pb = naive_trajectory_log_probs(policy, obs, acts)
    torch.testing.assert_close(log_pf, ref_pf, rtol=1e-4, atol=1e-3)
    torch.testing.assert_close(log_pb, ref_pb, rtol=1e-4, atol=1e-3)


def test_space_contract_errors():
    with pytest.raises(
        TypeError, match=r"Box observation \[t, x_1..x_2\] of shape \(3,\)"
    ):
        ContinuousDAGPolicy(spaces.Box(-1, 1, (2,)), ACT, {})
    with pytest.raises(TypeError, match="finite observation bounds"):
        ContinuousDAGPolicy(spaces.Box(-np.inf, np.inf, (3,)), ACT, {})
    with pytest.raises(ValueError, match="`num_components` must be >= 1, got 0"):
        ContinuousDAGPolicy(OBS, ACT, {"num_components": 0})
