"""Command-line options that pick a scenario: GridMarket-v0's, shared by the
GridMarket tuned examples and ``gridmarket evaluate``, and contagion_v0's, shared by
the contagion tuned examples and ``gridmarket evaluate-contagion`` (its reward
options)."""

from __future__ import annotations

import argparse
from typing import Any

from gridmarket.envs.contagion.params import SYSTEMIC_CHARGES
from gridmarket.envs.contagion.scenarios import SCENARIOS
from gridmarket.envs.grid_market.scenarios import (
    ALL_SCENARIOS,
    DEFAULT_SCENARIO,
    tuned_env_config,
)


def add_scenario_args(parser: argparse.ArgumentParser) -> None:
    """``--scenario``, ``--reward-temperature``, ``--ood-mode`` and the reward's
    oracle options (``--oracle``, ``--reward``, ``--tail-threshold``,
    ``--plausibility-weight``)."""
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


def env_config_from_args(args: argparse.Namespace) -> dict[str, Any]:
    """The GridMarket-v0 kwargs that :func:`add_scenario_args`' options name."""
    return tuned_env_config(
        args.scenario,
        reward_temperature=args.reward_temperature,
        ood_mode=args.ood_mode,
        oracle=args.oracle,
        reward=args.reward,
        tail_threshold=args.tail_threshold,
        plausibility_weight=args.plausibility_weight,
    )


REWARD_ARGS = (
    "liquidity_weight",
    "default_penalty",
    "systemic_weight",
    "systemic_charge",
)


def add_contagion_args(parser: argparse.ArgumentParser) -> None:
    """contagion_v0's size, scenario, episode length and reward weights."""
    add = parser.add_argument
    add("--num-banks", type=int, default=30)
    add("--scenario", default="liquidity_crisis", choices=sorted(SCENARIOS))
    add("--max-cycles", type=int, default=100, help="episode length (steps)")
    add_reward_args(parser)


def add_reward_args(parser: argparse.ArgumentParser) -> None:
    """contagion_v0's reward options (``REWARD_ARGS``); unset means the env's."""
    add = parser.add_argument
    add("--liquidity-weight", type=float, default=None, help="reward's mu")
    add("--default-penalty", type=float, default=None, help="reward's alpha_d")
    add("--systemic-weight", type=float, default=None, help="reward's lambda")
    add(
        "--systemic-charge",
        choices=SYSTEMIC_CHARGES,
        default=None,
        help="the reward's systemic term: the stress index's increase in the step "
        "(increase, the env's default) or its level",
    )


def reward_config(args: argparse.Namespace) -> dict[str, Any]:
    """The reward options that were set, as contagion_v0's keyword arguments."""
    return {
        name: getattr(args, name)
        for name in REWARD_ARGS
        if getattr(args, name) is not None
    }


def contagion_env_config(args: argparse.Namespace) -> dict[str, Any]:
    """contagion_v0's keyword arguments from the options (unset weights: the env's)."""
    return {
        "num_banks": args.num_banks,
        "scenario": args.scenario,
        "max_cycles": args.max_cycles,
        **reward_config(args),
    }


def contagion_success_threshold(
    parser: argparse.ArgumentParser,
    args: argparse.Namespace,
    measured: dict[tuple[str, int, int], float],
) -> float:
    """The ``--as-test`` bar on the mean return for ``(scenario, num_banks,
    max_cycles)`` from ``measured`` (thresholds of measured runs, with the env's
    reward); ``inf`` without ``--as-test``; a parser error for a world or reward
    nobody measured."""
    key = (args.scenario, args.num_banks, args.max_cycles)
    if not args.as_test:
        return measured.get(key, float("inf"))
    changed = [name for name in REWARD_ARGS if getattr(args, name) is not None]
    if changed:
        parser.error(
            f"--as-test thresholds are measured with the env's reward; drop "
            f"{', '.join('--' + n.replace('_', '-') for n in changed)}"
        )
    if key not in measured:
        parser.error(
            f"--as-test has thresholds for (scenario, num_banks, max_cycles) in "
            f"{sorted(measured)}, not {key}"
        )
    return measured[key]
