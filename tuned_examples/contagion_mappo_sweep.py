"""A Ray Tune sweep of MAPPO on contagion_v0 over the learning rate and the
entropy coefficient, every trial logged to MLflow.

A 3 x 2 grid (lr in {1e-3, 3e-3, 1e-2}, entropy_coeff in {0, 0.01}) on the
``contagion_mappo`` example's config; ``--num-samples`` repeats the grid with new
seeds. Compare the trials in MLflow (``env_runners/episode_return_mean``,
``env_runners/default_rate``).

How to run
----------
    gridmarket train contagion_mappo_sweep --num-banks 5 --scenario normal --stop-iters 20
    mlflow ui --backend-store-uri sqlite:///mlflow.db --host 127.0.0.1

Results to expect
-----------------
Six trials in the MLflow experiment ``gridmarket-contagion_mappo_sweep``, each with
its lr and entropy coefficient as params and the per-iteration metrics.
"""

from __future__ import annotations

import sys

from ray import tune

from gridmarket.algorithms.mappo.presets import default_config
from gridmarket.experiment import Metric, run_experiment, tuned_example_parser
from gridmarket.scenario_args import (
    add_contagion_args,
    contagion_env_config,
)

parser = tuned_example_parser(__doc__, default_iters=20)
add_contagion_args(parser)
parser.set_defaults(no_stop_on_success=True)

LEARNING_RATES = [1e-3, 3e-3, 1e-2]
ENTROPY_COEFFS = [0.0, 0.01]


def main(argv: list[str] | None = None) -> int:
    args = parser.parse_args(argv)
    config = default_config(contagion_env_config(args)).training(
        lr=tune.grid_search(LEARNING_RATES),
        entropy_coeff=tune.grid_search(ENTROPY_COEFFS),
        num_epochs=10,
        minibatch_size=200,
    )
    # A sweep has no pass/fail threshold; the metric only labels the summary.
    success = Metric("env_runners/episode_return_mean", float("inf"), mode="max")
    return run_experiment(
        config,
        args,
        name="contagion_mappo_sweep",
        success=success,
        progress=("env_runners/default_rate",),
    )


if __name__ == "__main__":
    sys.exit(main())
