"""Training throughput on contagion_v0: gridmarket's MAPPO vs RLlib's PPO, side by side.

Setting of issue 8: 30 banks, ``liquidity_crisis``, 100-step episodes, a batch of
4,000 env steps (120,000 agent steps at 30 banks), minibatches of about 1,000
agent steps, 5 epochs, 0 env runners, the same hidden layers (2 x 64) in both.

- Anchor: RLlib 2.60's PPO with one policy shared by all banks, through RLlib's
  ``ParallelPettingZooEnv`` (``presets.independent_ppo_config``).
- MAPPO: the same env through ``ContagionVectorEnv``'s array path, shared actor,
  pooled centralized critic; minibatches of 34 world-steps (1,020 agent steps).

Both run in this one process, one after the other, on one torch thread (with 0 env
runners and a local learner all the work is in this process). For each iteration
it prints agent steps sampled per second of sampling, and agent steps sampled and
trained per second of the whole ``train()`` call, in wall time and in this
process's CPU time (the figure to read on a shared machine, where the two
contenders, run one after the other, may meet different loads), then the ratios.

Run:
    python benchmarks/contagion_mappo_vs_ppo.py [--ppo-iters 1] [--mappo-iters 2]

Anchor (issue, this machine class): ~37 env-steps/s, ~1,100 agent-steps/s.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")
os.environ.setdefault("RAY_AUTH_MODE", "disabled")

import argparse  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
import ray  # noqa: E402
import torch  # noqa: E402

from gridmarket.algorithms.mappo.presets import (  # noqa: E402
    default_config,
    independent_ppo_config,
)

ENV_CONFIG = {"num_banks": 30, "scenario": "liquidity_crisis", "max_cycles": 100}
BATCH, EPOCHS, PPO_MINIBATCH = 4000, 5, 1000
MAPPO_MINIBATCH = -(-PPO_MINIBATCH // ENV_CONFIG["num_banks"])  # world-steps


def agent_steps(result: dict) -> int:
    sampled = result["env_runners"]["num_agent_steps_sampled"]
    return int(sum(sampled.values()) if isinstance(sampled, dict) else sampled)


def measure(name: str, config, iterations: int) -> dict[str, float]:
    algo = config.debugging(seed=0).build_algo()
    rows = []
    try:
        for i in range(iterations):
            start, cpu_start = time.perf_counter(), time.process_time()
            result = algo.train()
            seconds = time.perf_counter() - start
            cpu = time.process_time() - cpu_start
            timers = result["timers"]
            steps = agent_steps(result)
            env_steps = result["env_runners"]["num_env_steps_sampled"]
            sampling = timers["env_runner_sampling_timer"]
            rows.append((steps, env_steps, seconds, sampling, cpu))
            print(
                f"{name} iter {i + 1}: {env_steps} env steps, {steps} agent steps in "
                f"{seconds:.1f} s (sampling {sampling:.1f} s, learner "
                f"{timers['learner_update_timer']:.1f} s): "
                f"{steps / sampling:,.0f} agent-steps/s sampled, "
                f"{steps / seconds:,.0f} agent-steps/s sampled+trained, "
                f"{env_steps / seconds:,.1f} env-steps/s; CPU {cpu:.1f} s: "
                f"{steps / cpu:,.0f} agent-steps per CPU-s sampled+trained",
                flush=True,
            )
    finally:
        algo.stop()
    steps, env_steps, seconds, sampling, cpu = (
        np.sum(c) for c in zip(*rows, strict=True)
    )
    return {
        "sampled": steps / sampling,
        "trained": steps / seconds,
        "env_steps": env_steps / seconds,
        "trained_cpu": steps / cpu,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ppo-iters", type=int, default=1)
    parser.add_argument("--mappo-iters", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(1)
    ray.init(
        address="local",  # never join another Ray cluster running on this machine
        num_cpus=2,
        object_store_memory=200 * 1024**2,
        include_dashboard=False,
        log_to_driver=False,
    )
    try:
        mappo = measure(
            "MAPPO",
            default_config(
                ENV_CONFIG,
                train_batch_size=BATCH,
                minibatch_size=MAPPO_MINIBATCH,
                num_epochs=EPOCHS,
            ),
            args.mappo_iters,
        )
        ppo = measure(
            "PPO",
            independent_ppo_config(
                ENV_CONFIG,
                train_batch_size=BATCH,
                minibatch_size=PPO_MINIBATCH,
                num_epochs=EPOCHS,
            ),
            args.ppo_iters,
        )
    finally:
        ray.shutdown()
    print(
        "\nmethod  agent-steps/s sampled  agent-steps/s sampled+trained  env-steps/s"
        "  agent-steps per CPU-s sampled+trained"
    )
    for name, row in (("PPO", ppo), ("MAPPO", mappo)):
        print(
            f"{name:6}  {row['sampled']:>21,.0f}  {row['trained']:>29,.0f}  "
            f"{row['env_steps']:>11,.1f}  {row['trained_cpu']:>37,.0f}"
        )
    print(
        f"ratio MAPPO/PPO: sampled {mappo['sampled'] / ppo['sampled']:.1f}x, "
        f"sampled+trained {mappo['trained'] / ppo['trained']:.1f}x wall, "
        f"{mappo['trained_cpu'] / ppo['trained_cpu']:.1f}x CPU (target >= 5x)"
    )


if __name__ == "__main__":
    main()
