"""Independent PPO on contagion_v0: RLlib's PPO, one policy shared by all banks.

The MARL baseline MAPPO is compared with: RLlib 2.60's built-in PPO through its
``ParallelPettingZooEnv`` wrapper, one policy for every bank, each bank's own
observation for the actor and the critic (no centralized critic). Defaulted banks
leave the episode as PettingZoo prescribes. Same network sizes (2 x 64) as MAPPO.

How to run
----------
    gridmarket train contagion_ppo
    gridmarket train contagion_ppo --num-banks 5 --scenario normal --max-cycles 25

Results to expect
-----------------
    gridmarket train contagion_ppo --stop-iters 4 --as-test

Measured (2026-12-03, this file's defaults: 30 banks, ``liquidity_crisis``, 100-step
episodes, the env's reward): ``env_runners/episode_return_mean``, which RLlib sums
over the 30 banks, was 96.3, 100.8, 101.8 and 99.4 in iterations 1-4 (1,000 env
steps each, 163 s in all on the shared 2-core machine); ``--as-test`` asks for 98.
The bar is close to an untrained policy's return: it catches a learner that
breaks, not a weak one. PPO samples through per-agent dicts and episode
bookkeeping, so each iteration is slow (see the benchmark).
"""

from __future__ import annotations

import sys

from gridmarket.algorithms.mappo.presets import independent_ppo_config
from gridmarket.experiment import Metric, run_experiment, tuned_example_parser
from gridmarket.scenario_args import (
    add_contagion_args,
    contagion_env_config,
    contagion_success_threshold,
)

parser = tuned_example_parser(__doc__, default_iters=20)
add_contagion_args(parser)
parser.set_defaults(no_stop_on_success=True)

# --as-test bars on env_runners/episode_return_mean per (scenario, num_banks,
# max_cycles), only from measured runs of this file (see "Results to expect").
EXPECTED_RETURN: dict[tuple[str, int, int], float] = {
    ("liquidity_crisis", 30, 100): 98.0
}
PROGRESS = ("num_env_steps_sampled_lifetime",)


def main(argv: list[str] | None = None) -> int:
    args = parser.parse_args(argv)
    success = Metric(
        "env_runners/episode_return_mean",
        contagion_success_threshold(parser, args, EXPECTED_RETURN),
        mode="max",
    )
    config = independent_ppo_config(
        contagion_env_config(args), train_batch_size=1000, minibatch_size=250
    )
    return run_experiment(
        config, args, name="contagion_ppo", success=success, progress=PROGRESS
    )


if __name__ == "__main__":
    sys.exit(main())
