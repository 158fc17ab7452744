"""Random search on GridMarket-v0: uniform random increment paths, best kept.

A Tune Trainable (not an RLlib algorithm): each iteration scores 256 uniform
random paths, one oracle call each, and keeps the 50 best. Its increments use the
same in-box bounds as TB's policy, so it explores the same set of paths.

How to run
----------
    gridmarket train grid_market_random_search --scenario gfc-2007

Results to expect
-----------------
``log_reward_mean`` stays at the random-path level by construction (gfc-2007:
about 0.27 at T = 0.01; synthetic-modes: about 1.4 at T = 3), while
``top_k_log_reward_mean``, the best 50 of all paths so far, creeps up (after 100
iterations: about 3.9 and 9.95).
"""

from __future__ import annotations

import sys

from gridmarket.algorithms.baselines import RandomSearch
from gridmarket.experiment import Metric, run_experiment, tuned_example_parser
from gridmarket.scenario_args import add_scenario_args, env_config_from_args

parser = tuned_example_parser(__doc__, default_iters=100)
add_scenario_args(parser)
parser.set_defaults(no_stop_on_success=True)

EXPECTED_TOP_K = {
    "gfc-2007": 3.5,
    "dotcom-2001": 5.0,
    "inflation-2022": 5.0,
    "synthetic-modes": 9.5,
}
PROGRESS = ("num_trajectories_sampled_lifetime", "log_reward_mean", "log_reward_max")


def main(argv: list[str] | None = None) -> int:
    args = parser.parse_args(argv)
    space = {
        "env": "GridMarket-v0",
        "env_config": env_config_from_args(args),
        "batch_size": 256,
        "top_k": 50,
    }
    success = Metric("top_k_log_reward_mean", EXPECTED_TOP_K[args.scenario], mode="max")
    return run_experiment(
        space,
        args,
        name="grid_market_random_search",
        success=success,
        progress=PROGRESS,
        trainable=RandomSearch,
    )


if __name__ == "__main__":
    sys.exit(main())
