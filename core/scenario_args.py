"""Command-line options that pick a GridMarket-v0 scenario, shared by the GridMarket
tuned examples and ``gridmarket evaluate``."""

from __future__ import annotations

import argparse
from typing import Any

from gridmarket.envs.grid_market.scenarios import (
    ALL_SCENARIOS,
    DEFAULT_SCENARIO,
    tuned_env_config,
)


def add_scenario_args(parser: argparse.ArgumentParser) -> None:
    """``--scenario``, ``--reward-temperature`` and ``--ood-mode``."""
    parser.add_argument("--scenario", default=DEFAULT_SCENARIO, choices=ALL_SCENARIOS)
    parser.add_argument(
        "--reward-temperature",
        type=float,
        default=None,
        help="default: the scenario's tuned temperature "
        "(gridmarket.envs.grid_market.scenarios.TUNED_REWARD_TEMPERATURE)",
    )
    parser.add_argument(
        "--ood-mode", default="clip", choices=["clip", "penalty", "clip+penalty"]
    )


def env_config_from_args(args: argparse.Namespace) -> dict[str, Any]:
    """The GridMarket-v0 kwargs that :func:`add_scenario_args`' options name."""
    return tuned_env_config(
        args.scenario,
        reward_temperature=args.reward_temperature,
        ood_mode=args.ood_mode,
    )
