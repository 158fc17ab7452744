"""Probabilistic oracles vs simple baselines on the point oracles' walk-forward folds.

    python benchmarks/probabilistic_oracles.py [--ebm-config oracles/artifacts/gfc-2007.ebm-spx.card.json]

For each target (S&P 500, Nasdaq-100) and scenario (dotcom-2001, gfc-2007,
inflation-2022) every method is fit on each fold's training rows and scored on its
test rows (see gridmarket.oracles.ebm.baselines and .metrics). Prints markdown tables:
mean and 95% t-interval over all folds of the three scenarios (3 + 5 + 5 = 13 folds
per target; folds of different scenarios overlap in time), and per-scenario CRPS.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
import torch

from gridmarket.oracles import data as gm_data
from gridmarket.oracles.ebm import baselines as B
from gridmarket.oracles.ebm.data import TARGETS, scenario_rows, with_targets
from gridmarket.oracles.ebm.metrics import METRICS
from gridmarket.oracles.ebm.model import EBMConfig
from gridmarket.oracles.oracle import default_artifact_dir


def _methods(scenario: str, config: EBMConfig) -> dict:
    card = json.loads((default_artifact_dir() / f"{scenario}.card.json").read_text())
    return {
        "climatology": B.climatology,
        "gaussian_linear": B.gaussian_linear,
        "linear_quantile": B.linear_quantile,
        "gbm_quantile": B.gbm_quantile,
        "point_residual": B.point_residual(card),
        "ebm": B.ebm(config),
    }


def open_text(path: str) -> str:
    with open(path, encoding="utf-8") as handle:
        return handle.read()


def _cell(summary: dict[str, float]) -> str:
    return f"{summary['mean']:.3f} [{summary['low']:.3f}, {summary['high']:.3f}]"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--ebm-config", default=None, help="an EBM card whose config to use"
    )
    parser.add_argument("--target", action="append", choices=list(TARGETS))
    args = parser.parse_args()
    torch.set_num_threads(1)
    config = EBMConfig()
    if args.ebm_config:
        card = json.loads(open_text(args.ebm_config))
        config = EBMConfig(**card["model"]["config"])
    print(f"EBM config: {config.to_dict()}")
    table = with_targets()
    for target in args.target or list(TARGETS):
        started = time.perf_counter()
        pooled: dict[str, list] = {}
        per_scenario: dict[str, dict[str, float]] = {}
        holdout: dict[str, dict[str, float]] = {}
        for scenario in gm_data.SCENARIOS:
            rows = scenario_rows(scenario, target, table)
            for name, method in _methods(scenario, config).items():
                result = B.evaluate_method(method, rows)
                pooled.setdefault(name, []).extend(result["folds"])
                per_scenario.setdefault(name, {})[scenario] = float(
                    np.mean([f["crps"] for f in result["folds"]])
                )
                holdout.setdefault(name, {})[scenario] = result["holdout"]["crps"]
        print(
            f"\n### target {target}: mean [95% interval] over folds ({time.perf_counter() - started:.0f}s)\n"
        )
        print("| method | " + " | ".join(METRICS) + " |")
        print("|---|" + "---:|" * len(METRICS))
        for name, folds in pooled.items():
            summary = B.summarize_folds(folds)
            print(
                f"| {name} | " + " | ".join(_cell(summary[k]) for k in METRICS) + " |"
            )
        print(
            f"\n### target {target}: CV CRPS per scenario (hold-out CRPS in brackets)\n"
        )
        print("| method | " + " | ".join(gm_data.SCENARIOS) + " |")
        print("|---|" + "---:|" * len(gm_data.SCENARIOS))
        for name in pooled:
            print(
                f"| {name} | "
                + " | ".join(
                    f"{per_scenario[name][s]:.2f} ({holdout[name][s]:.2f})"
                    for s in gm_data.SCENARIOS
                )
                + " |"
            )


if __name__ == "__main__":
    main()
