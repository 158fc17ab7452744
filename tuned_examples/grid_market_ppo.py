"""RLlib's built-in PPO on GridMarket-v0, maximizing the terminal log-reward.

The reward baseline of the suite: PPO (new API stack, Gaussian policy, a 2x256
MLP, actions clipped to the action box) maximizes predicted severity. Episodes
are 12 steps with the log-reward on the last one, so gamma = 1.

How to run
----------
    gridmarket train grid_market_ppo --scenario gfc-2007
    gridmarket train grid_market_ppo --scenario synthetic-modes --num-env-runners 2

Results to expect
-----------------
100 iterations of 256 episodes (25,600 episodes, the TB example's oracle budget,
about 3 minutes): ``env_runners/episode_return_mean`` (= mean log R) rises from
about 0.3 to about 15.4 on gfc-2007 (the oracle's corner optimum) and from about
1.3 to about 3 on synthetic-modes.
"""

from __future__ import annotations

import sys

from gridmarket.algorithms.baselines.ppo import grid_market_ppo_config
from gridmarket.experiment import Metric, run_experiment, tuned_example_parser
from gridmarket.scenario_args import add_scenario_args, env_config_from_args

parser = tuned_example_parser(__doc__, default_iters=100)
add_scenario_args(parser)
parser.set_defaults(no_stop_on_success=True)

EXPECTED_RETURN = {
    "gfc-2007": 0.4,
    "dotcom-2001": 0.8,
    "inflation-2022": 1.5,
    "synthetic-modes": 1.5,
}
PROGRESS = ("env_runners/num_episodes_lifetime",)


def main(argv: list[str] | None = None) -> int:
    args = parser.parse_args(argv)
    success = Metric(
        "env_runners/episode_return_mean", EXPECTED_RETURN[args.scenario], mode="max"
    )
    return run_experiment(
        grid_market_ppo_config(env_config_from_args(args)),
        args,
        name="grid_market_ppo",
        success=success,
        progress=PROGRESS,
    )


if __name__ == "__main__":
    sys.exit(main())
