"""Options shared by the GridMarket-v0 tuned examples (not an example itself)."""

from __future__ import annotations

import argparse
from typing import Any

from gridmarket.envs.grid_market.scenarios import ALL_SCENARIOS

#: Per-scenario reward temperatures of the tuned examples. The oracles' predicted
#: returns span very different ranges (gfc-2007: about +2..+10%, inflation-2022:
#: -28..+73%), so one temperature cannot fit all: these make the best terminal
#: states that random paths reach score log R of about 5-10. (The env's own default
#: is 1.)
REWARD_TEMPERATURE = {
    "dotcom-2001": 0.25,
    "gfc-2007": 0.01,
    "inflation-2022": 2.5,
    "synthetic-modes": 3.0,
}


def add_env_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--scenario", default="gfc-2007", choices=ALL_SCENARIOS)
    parser.add_argument(
        "--reward-temperature",
        type=float,
        default=None,
        help="default: the scenario's entry in REWARD_TEMPERATURE",
    )
    parser.add_argument(
        "--ood-mode", default="clip", choices=["clip", "penalty", "clip+penalty"]
    )
    parser.add_argument(
        "--oracle",
        default="point",
        choices=["point", "ebm"],
        help="point regressor (default) or the energy-based predictive distribution",
    )
    parser.add_argument(
        "--reward",
        default="mean",
        choices=["mean", "tail_prob", "expected_shortfall"],
        help="terminal severity; tail_prob and expected_shortfall need --oracle ebm",
    )
    parser.add_argument(
        "--tail-threshold",
        type=float,
        default=-0.20,
        help="tail_prob threshold as a return fraction (default -0.20)",
    )
    parser.add_argument(
        "--plausibility-weight",
        type=float,
        default=0.0,
        help="lambda of the path-plausibility term (default 0: off)",
    )


def env_config(
    scenario: str = "gfc-2007",
    reward_temperature: float | None = None,
    ood_mode: str = "clip",
    *,
    oracle: str = "point",
    reward: str = "mean",
    tail_threshold: float = -0.20,
    plausibility_weight: float = 0.0,
) -> dict[str, Any]:
    """The GridMarket-v0 kwargs of an example.

    The per-scenario temperatures fit the point oracles' predicted returns; with the
    EBM oracle the default temperature is 1 (log-probabilities and softplus of
    returns already live on a scale of a few units).
    """
    if reward_temperature is not None:
        temperature = reward_temperature
    elif oracle == "ebm":
        temperature = 1.0
    else:
        temperature = REWARD_TEMPERATURE[scenario]
    config = {
        "scenario": scenario,
        "reward_temperature": temperature,
        "ood_mode": ood_mode,
    }
    if oracle != "point" or reward != "mean" or plausibility_weight:
        config.update(
            oracle=oracle,
            reward=reward,
            tail_threshold=tail_threshold,
            plausibility_weight=plausibility_weight,
        )
    return config


def env_config_from_args(args: argparse.Namespace) -> dict[str, Any]:
    return env_config(
        args.scenario,
        args.reward_temperature,
        args.ood_mode,
        oracle=getattr(args, "oracle", "point"),
        reward=getattr(args, "reward", "mean"),
        tail_threshold=getattr(args, "tail_threshold", -0.20),
        plausibility_weight=getattr(args, "plausibility_weight", 0.0),
    )
