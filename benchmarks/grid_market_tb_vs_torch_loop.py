"""TB training speed on GridMarket-v0: gridmarket's RLlib TB vs a plain PyTorch loop.

Setting of the issue: batch 16, 12-step paths, 15 mixture components, one CPU
thread. All contenders use the same networks (``ContinuousDAGPolicy``: a 2x256 trunk,
forward and backward mixture-of-Betas heads, log Z) and the same loss, and take one
Adam step per 16 fresh trajectories (no replay). The plain loops are what one would
write by hand: roll 16 paths through the native vector env, score them, step; the
straightforward one scores each step with ``torch.distributions``, the other with
gridmarket's packed mixture code (so it isolates the RLlib harness's overhead).

gridmarket's TB rolls out all the trajectories of an iteration (16 steps x 16) in
one batched pass through the env runner, then takes the 16 steps. The same run
also times it with its tuned-example replay (16 fresh + 16 replayed per step).

Run:
    python benchmarks/grid_market_tb_vs_torch_loop.py [--seconds 20]

Anchor (issue): the original GRID loop, same settings, ~80 trajectories/s as
shipped and ~195/s without autograd anomaly detection (not runnable here).
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")
os.environ.setdefault("RAY_AUTH_MODE", "disabled")

import argparse  # noqa: E402
import time  # noqa: E402

import gymnasium as gym  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402

import gridmarket  # noqa: E402, F401
from gridmarket.algorithms.tb.losses import trajectory_balance_loss  # noqa: E402
from gridmarket.algorithms.tb.torch.continuous_policy import ContinuousDAGPolicy  # noqa: E402

ENV_CONFIG = {"scenario": "gfc-2007", "reward_temperature": 0.01}
MODEL = {"fcnet_hiddens": [256, 256], "num_components": 15, "bounded_actions": True}
BATCH, HORIZON = 16, 12


def distributions_log_probs(
    policy: ContinuousDAGPolicy, obs: torch.Tensor, actions: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """The straightforward scoring: one torch.distributions object per step,
    MixtureSameFamily(Categorical, Beta) mapped affinely onto the interval."""
    from torch.distributions import (
        AffineTransform,
        Beta,
        Categorical,
        Independent,
        MixtureSameFamily,
        TransformedDistribution,
    )

    def density(head, features, low, high, a):
        logits, alpha, beta = head(features)
        mixture = MixtureSameFamily(Categorical(logits=logits), Beta(alpha, beta))
        dist = Independent(
            TransformedDistribution(mixture, [AffineTransform(low, high - low)]), 1
        )
        return dist.log_prob(a.clamp(low + 1e-4, high - 1e-4))

    log_pf = log_pb = 0.0
    for t in range(HORIZON):
        low, high = policy.forward_interval(obs[:, t, 1:])
        log_pf = log_pf + density(
            policy.forward_head, policy.features(obs[:, t]), low, high, actions[:, t]
        )
        if t > 0:
            low, high = policy.backward_interval(
                obs[:, t + 1, 1:], obs[:, 0, 1:], torch.full((len(obs),), t)
            )
            log_pb = log_pb + density(
                policy.backward_head,
                policy.features(obs[:, t + 1]),
                low,
                high,
                actions[:, t],
            )
    return log_pf, log_pb


def plain_torch_loop(seconds: float, straightforward: bool) -> float:
    """Trajectories/s of a hand-written sample-score-step loop; ``straightforward``
    scores with torch.distributions instead of gridmarket's packed policy code."""
    env = gym.make_vec(
        "GridMarket-v0",
        num_envs=BATCH,
        vectorization_mode="vector_entry_point",
        **ENV_CONFIG,
    )
    policy = ContinuousDAGPolicy(
        env.single_observation_space, env.single_action_space, MODEL
    )
    log_z = torch.nn.Parameter(torch.tensor(25.0))
    optimizer = torch.optim.Adam(
        [{"params": policy.parameters(), "lr": 1e-3}, {"params": [log_z], "lr": 0.01}]
    )
    done_trajectories, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        obs, _ = env.reset()
        states, actions = [obs], []
        with torch.no_grad():
            for _ in range(HORIZON):
                a = policy.sample_actions(
                    torch.from_numpy(obs), epsilon=0.05, temperature=1.0, generator=None
                )
                obs, _, terminated, _, infos = env.step(a.numpy())
                states.append(obs)
                actions.append(a.numpy())
        obs_t = torch.from_numpy(np.stack(states, 1))
        log_pf, log_pb = policy.trajectory_log_probs(
            obs_t, torch.from_numpy(np.stack(actions, 1)), torch.full((BATCH,), HORIZON)
        )
        loss = trajectory_balance_loss(
            log_z,
            log_pf,
            log_pb,
            torch.as_tensor(infos["log_reward"], dtype=torch.float32),
        )
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_([*policy.parameters(), log_z], 1.0)
        optimizer.step()
        done_trajectories += BATCH
    return done_trajectories / (time.perf_counter() - start)


def gridmarket_tb(seconds: float, replay: bool) -> tuple[float, float]:
    """(fresh trajectories/s, gradient steps/s) of gridmarket's TB algorithm."""
    import ray

    from gridmarket.algorithms.tb.presets import grid_market_tb_config

    if not ray.is_initialized():
        ray.init(
            address="local",  # never join another Ray cluster running on this machine
            num_cpus=1,
            include_dashboard=False,
            log_to_driver=False,
            object_store_memory=100 * 1024**2,
        )
    config = grid_market_tb_config(ENV_CONFIG).training(
        replay_buffer_capacity=5000 if replay else 0,
        replay_batch_size=16 if replay else 0,
    )
    algo = config.debugging(seed=0).build_algo()
    try:
        algo.train()  # warm-up (includes the log Z warm start)
        iterations, start = 0, time.perf_counter()
        while time.perf_counter() - start < seconds:
            algo.train()
            iterations += 1
        elapsed = time.perf_counter() - start
    finally:
        algo.stop()
    return (
        iterations * config.trajectories_per_iteration / elapsed,
        iterations * 16 / elapsed,
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--seconds", type=float, default=20.0, help="timed seconds per contender"
    )
    args = parser.parse_args()
    torch.set_num_threads(1)
    straightforward = plain_torch_loop(args.seconds, straightforward=True)
    plain = plain_torch_loop(args.seconds, straightforward=False)
    ours, steps = gridmarket_tb(args.seconds, replay=False)
    ours_replay, steps_replay = gridmarket_tb(args.seconds, replay=True)
    print(
        f"torch {torch.__version__}, 1 thread, batch {BATCH}, horizon {HORIZON}, 15 components, gfc-2007"
    )
    rows = [
        (
            "plain loop, torch.distributions scoring",
            straightforward,
            straightforward / BATCH,
        ),
        ("plain loop, gridmarket policy code", plain, plain / BATCH),
        ("gridmarket TB (no replay)", ours, steps),
        ("gridmarket TB (+16 replayed per step)", ours_replay, steps_replay),
    ]
    print(
        f"{'contender':42s} {'traj/s':>8s} {'steps/s':>8s} {'vs straightforward':>19s}"
    )
    for name, rate, step_rate in rows:
        print(
            f"{name:42s} {rate:8.0f} {step_rate:8.1f} {rate / straightforward:18.2f}x"
        )


if __name__ == "__main__":
    main()
