"""The centralized critic: permutation equivariance, any bank count, masks."""

import numpy as np
import pytest
import torch
from gymnasium import spaces
from ray.rllib.core.columns import Columns

from gridmarket.algorithms.mappo.torch.mappo_rl_module import (
    ALIVE,
    POLICY_GROUP,
    MAPPOTorchRLModule,
)

D = 26


def module(**model_config):
    torch.manual_seed(0)
    return MAPPOTorchRLModule(
        observation_space=spaces.Box(-1.0, 1.0, (D,), np.float32),
        action_space=spaces.Box(0.0, 1.0, (4,), np.float32),
        model_config=model_config,
    )


def batch(num_banks, rows=3, seed=0):
    gen = torch.Generator().manual_seed(seed)
    obs = torch.randn(rows, num_banks, D, generator=gen)
    alive = torch.rand(rows, num_banks, generator=gen) > 0.3
    return {Columns.OBS: obs, ALIVE: alive}


@pytest.mark.parametrize("num_banks", [10, 1000])
def test_values_are_equivariant_under_relabeling(num_banks):
    m = module()
    data = batch(num_banks)
    values = m.forward_train(data)[Columns.VF_PREDS]
    perm = torch.randperm(num_banks, generator=torch.Generator().manual_seed(1))
    shuffled = {Columns.OBS: data[Columns.OBS][:, perm], ALIVE: data[ALIVE][:, perm]}
    values_perm = m.forward_train(shuffled)[Columns.VF_PREDS]
    assert values.shape == (3, num_banks)
    torch.testing.assert_close(values_perm, values[:, perm], rtol=1e-5, atol=1e-5)


def test_dead_banks_do_not_change_the_alive_banks_values():
    m = module()
    data = batch(8)
    data[ALIVE][:, 0] = False
    values = m.forward_train(data)[Columns.VF_PREDS]
    changed = dict(data)
    changed[Columns.OBS] = data[Columns.OBS].clone()
    changed[Columns.OBS][:, 0] += 100.0  # a dead bank's features are ignored
    other = m.forward_train(changed)[Columns.VF_PREDS]
    torch.testing.assert_close(other[:, 1:], values[:, 1:])
    # ...but an alive bank's features do reach every other bank's value.
    changed[Columns.OBS][:, 1] += 1.0
    moved = m.forward_train(changed)[Columns.VF_PREDS]
    assert not torch.allclose(moved[:, 2:], values[:, 2:])


def test_policy_groups_use_their_own_heads():
    m = module(num_policy_groups=2)
    with torch.no_grad():
        m.actor.log_std[1].fill_(-2.0)
    data = batch(4)
    data[POLICY_GROUP] = torch.tensor([[0, 1, 0, 1]] * 3)
    out = m.forward_train(data)[Columns.ACTION_DIST_INPUTS]
    log_std = out[..., 4:]
    assert torch.all(log_std[:, [0, 2]] == -1.0)
    assert torch.all(log_std[:, [1, 3]] == -2.0)


def test_value_normalizer_round_trip_and_state():
    m = module()
    m.update_value_normalizer(np.array([1.0, 3.0]))
    assert float(m.value_mean) == pytest.approx(2.0)
    assert float(m.value_var) == pytest.approx(1.0)
    x = torch.tensor([0.5, 4.0])
    torch.testing.assert_close(m.denormalize_values(m.normalize_values(x)), x)
    state = m.get_state()
    fresh = module()
    fresh.set_state(state)
    assert float(fresh.value_mean) == pytest.approx(2.0)
    assert float(fresh.value_count) == 2.0


def test_act_log_probs_match_the_learner_and_actions_are_clipped():
    from gridmarket.algorithms.mappo.torch.networks import gaussian_log_prob

    m = module()
    data = batch(6, rows=2)
    gen = torch.Generator().manual_seed(3)
    u, logp, values = m.act(data[Columns.OBS], data[ALIVE], generator=gen)
    inputs = m.forward_train(data)[Columns.ACTION_DIST_INPUTS]
    torch.testing.assert_close(logp, gaussian_log_prob(inputs, u), rtol=1e-5, atol=1e-5)
    actions = m.env_actions(u)
    assert actions.min() == 0.0 and actions.max() <= 1.0  # some u fall below 0
    torch.testing.assert_close(actions[(u > 0) & (u < 1)], u[(u > 0) & (u < 1)])
    assert values.shape == (2, 6)
