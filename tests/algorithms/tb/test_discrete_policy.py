"""The discrete DAG policy: packed trajectory log-probs against a naive loop."""

import numpy as np
import pytest
import torch

from gridmarket.algorithms.tb.env_runner import TBEnvRunner
from gridmarket.algorithms.tb.tb import TBConfig
from gridmarket.algorithms.tb.torch.discrete_policy import DiscreteDAGPolicy
from gridmarket.algorithms.tb.trajectories import ACTIONS, OBS, TRAJ_LEN, map_arrays
from gridmarket.envs.hypergrid.core import HyperGridParams
from gridmarket.envs.hypergrid.env import hypergrid_spaces


def sample_batch(ndim=2, height=4, n=12, seed=0):
    config = (
        TBConfig()
        .environment("HyperGrid-v0", env_config={"ndim": ndim, "height": height})
        .training(batch_size=n, updates_per_iteration=1)
        .debugging(seed=seed)
    )
    runner = TBEnvRunner(config=config)
    batch = runner.sample(num_trajectories=n, epsilon=0.5)
    return map_arrays(torch.from_numpy, batch)


def naive_log_probs(policy, batch):
    """One state at a time, straight from the definitions."""
    obs, actions, lengths = batch[OBS], batch[ACTIONS], batch[TRAJ_LEN]
    log_pf, log_pb = [], []
    for i in range(len(lengths)):
        total_f = total_b = 0.0
        for t in range(int(lengths[i])):
            state = {k: v[i, t : t + 1] for k, v in obs.items()}
            total_f += policy.forward_log_probs(state)[0, actions[i, t]].item()
            if t < lengths[i] - 1:  # a move, undone from the child s_{t+1}
                child = {k: v[i, t + 1 : t + 2] for k, v in obs.items()}
                valid = child["backward_mask"][0].bool()
                if policy.backward_head is None:
                    total_b += -np.log(valid.sum().item())
                else:
                    logits = policy.backward_head(policy.trunk(child["observation"]))[0]
                    logits = logits.masked_fill(~valid, -np.inf)
                    total_b += torch.log_softmax(logits, -1)[actions[i, t]].item()
        log_pf.append(total_f)
        log_pb.append(total_b)
    return torch.tensor(log_pf, dtype=torch.float32), torch.tensor(
        log_pb, dtype=torch.float32
    )


@pytest.mark.parametrize("backward_policy", ["learned", "uniform"])
def test_packed_log_probs_match_naive_loop(backward_policy):
    torch.manual_seed(0)
    obs_space, act_space = hypergrid_spaces(HyperGridParams(ndim=2, height=4))
    policy = DiscreteDAGPolicy(
        obs_space,
        act_space,
        {"fcnet_hiddens": [16, 16], "backward_policy": backward_policy},
    )
    batch = sample_batch()
    log_pf, log_pb = policy.trajectory_log_probs(
        batch[OBS], batch[ACTIONS], batch[TRAJ_LEN]
    )
    ref_pf, ref_pb = naive_log_probs(policy, batch)
    torch.testing.assert_close(log_pf, ref_pf, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(log_pb, ref_pb, atol=1e-5, rtol=1e-5)


def test_uniform_backward_by_hand():
    # Path (0,0) -> (1,0) -> (1,1) -> stop in a 2x3 grid: the parent counts of
    # (1,0) and (1,1) are 1 and 2, so log P_B = log 1 + log 1/2.
    obs_space, act_space = hypergrid_spaces(HyperGridParams(ndim=2, height=3))
    policy = DiscreteDAGPolicy(
        obs_space, act_space, {"fcnet_hiddens": [8], "backward_policy": "uniform"}
    )
    states = torch.tensor([[[0, 0], [1, 0], [1, 1], [1, 1]]])
    obs = {
        "observation": states,
        "action_mask": torch.ones(1, 4, 3, dtype=torch.int8),
        "backward_mask": (states > 0).to(torch.int8),
    }
    _, log_pb = policy.trajectory_log_probs(
        obs, torch.tensor([[0, 1, 2]]), torch.tensor([3])
    )
    torch.testing.assert_close(log_pb, torch.tensor([np.log(0.5)], dtype=torch.float32))


def test_sampling_respects_masks_epsilon_and_temperature():
    torch.manual_seed(0)
    obs_space, act_space = hypergrid_spaces(HyperGridParams(ndim=2, height=3))
    policy = DiscreteDAGPolicy(obs_space, act_space, {"fcnet_hiddens": [8]})
    with torch.no_grad():
        policy.forward_head.bias.copy_(torch.tensor([10.0, 0.0, 0.0]))
    n = 20_000
    obs = {
        "observation": torch.tensor([[2, 0]]).repeat(n, 1),
        "action_mask": torch.tensor([[0, 1, 1]], dtype=torch.int8).repeat(n, 1),
    }
    gen = torch.Generator().manual_seed(0)
    greedy = policy.sample_actions(obs, epsilon=0.0, temperature=1.0, generator=gen)
    assert (greedy != 0).all()  # the masked favourite is never drawn
    uniform = policy.sample_actions(obs, epsilon=1.0, temperature=1.0, generator=gen)
    assert abs((uniform == 1).float().mean().item() - 0.5) < 0.02
    with torch.no_grad():
        policy.forward_head.bias.copy_(torch.tensor([0.0, 3.0, 0.0]))
    probs = torch.softmax(policy.forward_log_probs(obs)[0, 1:], -1)
    hot = policy.sample_actions(obs, epsilon=0.0, temperature=100.0, generator=gen)
    cold = policy.sample_actions(obs, epsilon=0.0, temperature=1.0, generator=gen)
    assert abs((cold == 1).float().mean().item() - probs[0].item()) < 0.02
    assert (hot == 1).float().mean().item() < (cold == 1).float().mean().item() - 0.2


def test_rejects_spaces_outside_the_contract():
    obs_space, act_space = hypergrid_spaces(HyperGridParams(ndim=2, height=3))
    with pytest.raises(TypeError, match="Dict observation space with keys"):
        DiscreteDAGPolicy(obs_space["observation"], act_space, {})
    with pytest.raises(
        ValueError, match=r"model_config.backward_policy must be one of .*got 'tree'"
    ):
        DiscreteDAGPolicy(obs_space, act_space, {"backward_policy": "tree"})
