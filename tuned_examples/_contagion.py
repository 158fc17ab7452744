"""Shared command-line options of the contagion_v0 tuned examples."""

from __future__ import annotations

import argparse
from typing import Any

from gridmarket.envs.contagion.scenarios import SCENARIOS


def add_contagion_args(parser: argparse.ArgumentParser) -> None:
    add = parser.add_argument
    add("--num-banks", type=int, default=30)
    add("--scenario", default="liquidity_crisis", choices=sorted(SCENARIOS))
    add("--max-cycles", type=int, default=100, help="episode length (steps)")
    add("--liquidity-weight", type=float, default=None, help="reward's mu")
    add("--default-penalty", type=float, default=None, help="reward's alpha_d")
    add("--systemic-weight", type=float, default=None, help="reward's lambda")


def contagion_env_config(args: argparse.Namespace) -> dict[str, Any]:
    """contagion_v0's keyword arguments from the options (unset weights: the env's)."""
    config: dict[str, Any] = {
        "num_banks": args.num_banks,
        "scenario": args.scenario,
        "max_cycles": args.max_cycles,
    }
    for name in ("liquidity_weight", "default_penalty", "systemic_weight"):
        if getattr(args, name) is not None:
            config[name] = getattr(args, name)
    return config
