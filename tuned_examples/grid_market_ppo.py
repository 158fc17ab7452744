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
from typing import Any

from ray.rllib.algorithms.ppo import PPOConfig

from gridmarket.experiment import Metric, run_experiment, tuned_example_parser
from gridmarket.tuned_examples._grid_market import add_env_args, env_config_from_args

parser = tuned_example_parser(__doc__, default_iters=100)
add_env_args(parser)
parser.set_defaults(no_stop_on_success=True)

HORIZON = 12
EPISODES_PER_ITERATION = 256
EXPECTED_RETURN = {
    "gfc-2007": 0.4,
    "dotcom-2001": 0.8,
    "inflation-2022": 1.5,
    "synthetic-modes": 1.5,
}
PROGRESS = ("env_runners/num_episodes_lifetime",)


def build_config(env_config: dict[str, Any]) -> PPOConfig:
    return (
        PPOConfig()
        # The module id form imports gridmarket in remote env runners too.
        .environment(
            "gridmarket:GridMarket-v0", env_config=env_config, clip_actions=True
        )
        .env_runners(
            num_envs_per_env_runner=16, gym_env_vectorize_mode="vector_entry_point"
        )
        .training(
            gamma=1.0,
            lambda_=0.95,
            lr=3e-4,
            train_batch_size_per_learner=EPISODES_PER_ITERATION * HORIZON,
            minibatch_size=256,
            num_epochs=8,
        )
        .rl_module(model_config={"fcnet_hiddens": [256, 256]})
    )


def main(argv: list[str] | None = None) -> int:
    args = parser.parse_args(argv)
    success = Metric(
        "env_runners/episode_return_mean", EXPECTED_RETURN[args.scenario], mode="max"
    )
    return run_experiment(
        build_config(env_config_from_args(args)),
        args,
        name="grid_market_ppo",
        success=success,
        progress=PROGRESS,
    )


if __name__ == "__main__":
    sys.exit(main())
