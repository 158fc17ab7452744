"""``gridmarket evaluate-contagion``: do learned banks make the system safer?

    gridmarket evaluate-contagion --scenarios liquidity_crisis systemic --seeds 0 1 2 3 4 \
        --train-env-steps 20000 --eval-banks 30 100 1000 --episodes 16

For each scenario and training seed, MAPPO, MAPPO with a team reward
(``mappo_team``: each bank learns from the mean reward of the banks alive) and
independent PPO (RLlib's PPO, one shared policy, no centralized critic) train on ``--num-banks`` banks for the same
number of env steps; then every method (the learned ones and the rule-based,
myopic, greedy and random baselines) plays ``--episodes`` evaluation episodes at
each ``--eval-banks`` size, on the same worlds and shock seeds (common random
numbers; learned policies act with their mean action). Metrics per episode: mean
per-bank return, default rate, systemic loss (stress index: share of system
equity lost), the largest DebtRank after a step, liquidity index and the deepest
default cascade of one clearing; and what the return is made of (each reward term,
profit, liquidity, default, systemic, summed per bank). Rerunning into the same
``--out-dir`` with the same settings skips the rows ``runs.csv`` already holds, so
a long evaluation resumes after a crash.
Each (method, seed) row averages its episodes; tables give the mean over seeds
and its 95% t-interval. Writes ``runs.csv`` (as rows finish), ``summary.md`` and
``metrics.png`` to ``--out-dir`` and logs them to MLflow.
"""

from __future__ import annotations

import argparse
import csv
import json
import time
from pathlib import Path
from typing import Any

import numpy as np

from gridmarket.experiment import format_table
from gridmarket.scenario_args import add_reward_args, reward_config
from gridmarket.tracking import (
    config_params,
    log_batched,
    mlflow_ui_hint,
    resolve_tracking_uri,
)

# mappo_team: MAPPO where every bank learns from the mean reward of the banks alive
# (team_reward_weight=1), the fully cooperative setting; evaluated on own rewards.
LEARNED = ("mappo", "mappo_team", "ppo")
BASELINES = ("rule_based", "myopic", "greedy", "random")
METRICS = (
    "episode_return_mean",
    "default_rate",
    "stress_index",
    "debtrank_max",
    "liquidity_index",
    "contagion_depth_max",
)
# What the return is made of: each reward term summed per bank, mean over banks.
RETURN_PARTS = (
    "return_profit",
    "return_liquidity",
    "return_default",
    "return_systemic",
)
COLUMNS = (*METRICS, *RETURN_PARTS)
SCENARIOS = ("normal", "liquidity_crisis", "asset_crash", "systemic")


def mean_ci95(values: np.ndarray) -> tuple[float, float]:
    """Mean and the half-width of its 95% Student-t interval (NaN for one value)."""
    from scipy import stats

    values = np.asarray(values, dtype=np.float64)
    if values.size < 2:
        return float(values.mean()), float("nan")
    half = (
        stats.t.ppf(0.975, values.size - 1) * values.std(ddof=1) / np.sqrt(values.size)
    )
    return float(values.mean()), float(half)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="gridmarket evaluate-contagion", description=__doc__.split("\n\n")[0]
    )
    add = parser.add_argument
    add("--scenarios", nargs="+", default=list(SCENARIOS), choices=SCENARIOS)
    add("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    add(
        "--methods",
        nargs="+",
        default=[*LEARNED, *BASELINES],
        choices=[*LEARNED, *BASELINES],
    )
    add("--num-banks", type=int, default=30, help="banks during training")
    add("--eval-banks", type=int, nargs="+", default=[30], help="bank counts evaluated")
    add("--max-cycles", type=int, default=100)
    add(
        "--train-env-steps",
        type=int,
        default=20_000,
        help="per learned method and seed",
    )
    add("--episodes", type=int, default=16, help="evaluation episodes per row")
    add_reward_args(parser)
    add(
        "--out-dir",
        default="evaluation_contagion",
        help="rows already in its runs.csv (same settings) are not run again",
    )
    add("--mlflow-uri", default=None)
    return parser


def env_config(
    args: argparse.Namespace, scenario: str, num_banks: int
) -> dict[str, Any]:
    return {
        "num_banks": num_banks,
        "scenario": scenario,
        "max_cycles": args.max_cycles,
        **reward_config(args),
    }


def train_policy(method: str, config: dict[str, Any], env_steps: int, seed: int) -> Any:
    """Train MAPPO or independent PPO for ``env_steps`` env steps; return a bank
    policy (mean actions) that works at any number of banks."""
    from gridmarket.algorithms.mappo.presets import (
        SHARED_POLICY,
        default_config,
        independent_ppo_config,
    )
    from gridmarket.algorithms.mappo.rollouts import module_bank_policy

    if method in ("mappo", "mappo_team"):
        algo_config = default_config(config).training(
            lr=5e-3,
            num_epochs=10,
            minibatch_size=200,
            team_reward_weight=1.0 if method == "mappo_team" else 0.0,
        )
    else:
        algo_config = independent_ppo_config(
            config, train_batch_size=1000, minibatch_size=250
        )
    algo = algo_config.debugging(seed=seed).build_algo()
    try:
        sampled = 0
        while sampled < env_steps:
            sampled = algo.train()["num_env_steps_sampled_lifetime"]
        if method != "ppo":
            return module_bank_policy(algo.env_runner.module)
        return _ppo_bank_policy(algo.get_module(SHARED_POLICY))
    finally:
        algo.stop()


def _ppo_bank_policy(module: Any) -> Any:
    import torch
    from ray.rllib.core.columns import Columns

    def act(obs: np.ndarray, alive: np.ndarray) -> np.ndarray:
        flat = torch.from_numpy(obs.reshape(-1, obs.shape[-1]))
        with torch.no_grad():
            inputs = module.forward_inference({Columns.OBS: flat})[
                Columns.ACTION_DIST_INPUTS
            ]
        mean = inputs[:, : inputs.shape[-1] // 2].numpy()
        return np.clip(mean, 0.0, 1.0).reshape(*obs.shape[:2], -1)

    return act


def evaluate(args: argparse.Namespace) -> list[dict[str, Any]]:
    from gridmarket.algorithms.mappo.rollouts import baseline_bank_policy, run_episodes
    from gridmarket.envs.contagion.baselines import make_policy

    out = Path(args.out_dir)
    rows = [
        row
        for row in previous_rows(out, run_settings(args))
        if row["scenario"] in args.scenarios
        and row["seed"] in args.seeds
        and row["method"] in args.methods
        and row["banks"] in args.eval_banks
    ]
    done = {(r["scenario"], r["seed"], r["method"], r["banks"]) for r in rows}
    if any(m in LEARNED for m in args.methods):
        _init_local_ray()
    for scenario in args.scenarios:
        for seed in args.seeds:
            for method in args.methods:
                if all((scenario, seed, method, b) in done for b in args.eval_banks):
                    continue
                start = time.perf_counter()
                if method in LEARNED:
                    train = env_config(args, scenario, args.num_banks)
                    policy = train_policy(method, train, args.train_env_steps, seed)
                else:
                    policy = baseline_bank_policy(make_policy(method, seed=seed))
                for banks in args.eval_banks:
                    episodes = run_episodes(
                        policy,
                        env_config(args, scenario, banks),
                        num_episodes=args.episodes,
                        seed=1_000_000 + 10_000 * seed,
                    )
                    row = {
                        "scenario": scenario,
                        "banks": banks,
                        "method": method,
                        "seed": seed,
                    }
                    row |= {k: float(np.mean(episodes[k])) for k in COLUMNS}
                    row["seconds"] = time.perf_counter() - start
                    rows.append(row)
                    _append_csv(out / "runs.csv", row)
                    print(json.dumps(row), flush=True)
    return rows


def run_settings(args: argparse.Namespace) -> dict[str, Any]:
    """What a row depends on: the arguments but the row selectors and outputs."""
    skip = ("scenarios", "seeds", "methods", "eval_banks", "out_dir", "mlflow_uri")
    return {k: v for k, v in vars(args).items() if k not in skip}


def previous_rows(out: Path, settings: dict[str, Any]) -> list[dict[str, Any]]:
    """The rows of an earlier run into ``out`` with the same settings (none for a
    new folder); a folder of a run with other settings is an error, not a mix."""
    out.mkdir(parents=True, exist_ok=True)
    settings_file, runs = out / "settings.json", out / "runs.csv"
    if not settings_file.exists():
        if runs.exists():
            raise ValueError(
                f"{runs} has no settings.json beside it; pass another --out-dir"
            )
        settings_file.write_text(json.dumps(settings, indent=1, sort_keys=True))
        return []
    earlier = json.loads(settings_file.read_text())
    if earlier != settings:
        changed = sorted(
            k
            for k in settings.keys() | earlier.keys()
            if earlier.get(k) != settings.get(k)
        )
        raise ValueError(
            f"--out-dir {out} holds a run with other settings ({', '.join(changed)}: "
            f"{[earlier.get(k) for k in changed]} there, "
            f"{[settings.get(k) for k in changed]} now); pass another --out-dir"
        )
    if not runs.exists():
        return []
    with runs.open(newline="") as handle:
        return [_typed(row) for row in csv.DictReader(handle)]


def _typed(row: dict[str, str]) -> dict[str, Any]:
    typed: dict[str, Any] = dict(row)
    typed["banks"], typed["seed"] = int(row["banks"]), int(row["seed"])
    for key in (*COLUMNS, "seconds"):
        typed[key] = float(row[key])
    return typed


def _init_local_ray() -> None:
    """A Ray instance of this process (never another user's running cluster)."""
    import ray

    if not ray.is_initialized():
        ray.init(address="local", include_dashboard=False, log_to_driver=False)


def _append_csv(path: Path, row: dict[str, Any]) -> None:
    new = not path.exists()
    with path.open("a", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(row))
        if new:
            writer.writeheader()
        writer.writerow(row)


def summary_rows(
    rows: list[dict[str, Any]], keys: tuple[str, ...] = METRICS
) -> list[list[Any]]:
    """One line per (scenario, banks, method): ``mean ± 95% half-width`` over seeds
    of each of ``keys``."""
    groups: dict[tuple, list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault((row["scenario"], row["banks"], row["method"]), []).append(
            row
        )
    table = []
    for (scenario, banks, method), members in groups.items():
        cells = []
        for key in keys:
            mean, half = mean_ci95(np.array([m[key] for m in members]))
            cells.append(
                f"{mean:.3f} ± {half:.3f}" if np.isfinite(half) else f"{mean:.3f}"
            )
        table.append([scenario, banks, method, len(members), *cells])
    return table


def write_outputs(rows: list[dict[str, Any]], args: argparse.Namespace) -> Path:
    out = Path(args.out_dir)
    first = ["scenario", "banks", "method", "seeds"]
    table = format_table([*first, *METRICS], summary_rows(rows))
    parts = format_table([*first, *RETURN_PARTS], summary_rows(rows, RETURN_PARTS))
    settings = {k: v for k, v in vars(args).items() if k != "mlflow_uri"}
    (out / "summary.md").write_text(
        f"# Learned vs rule-based banks on contagion_v0\n\nSettings: "
        f"{json.dumps(settings)}\n\nmean ± 95% t-interval half-width over seeds\n\n"
        f"```\n{table}\n```\n\nWhat the return is made of (each reward term summed "
        f"per bank, mean over banks):\n\n```\n{parts}\n```\n"
    )
    _plot(rows, out / "metrics.png")
    print("\n" + table + "\n\n" + parts)
    return out


def _plot(rows: list[dict[str, Any]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    keys = ("episode_return_mean", "default_rate", "stress_index")
    cases = list(dict.fromkeys((r["scenario"], r["banks"]) for r in rows))
    methods = list(dict.fromkeys(r["method"] for r in rows))
    fig, axes = plt.subplots(
        len(cases), len(keys), figsize=(10, 2.8 * len(cases)), squeeze=False
    )
    for i, (scenario, banks) in enumerate(cases):
        for j, key in enumerate(keys):
            stats = [
                mean_ci95(
                    np.array(
                        [
                            r[key]
                            for r in rows
                            if (r["scenario"], r["banks"], r["method"])
                            == (scenario, banks, m)
                        ]
                    )
                )
                for m in methods
            ]
            axes[i, j].bar(
                methods,
                [s[0] for s in stats],
                yerr=[np.nan_to_num(s[1]) for s in stats],
            )
            axes[i, j].set_title(f"{scenario}, {banks} banks: {key}", fontsize=8)
            axes[i, j].tick_params(axis="x", rotation=60, labelsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def log_to_mlflow(
    rows: list[dict[str, Any]], args: argparse.Namespace, out: Path
) -> str:
    import mlflow
    from mlflow.entities import Metric

    uri = resolve_tracking_uri(args.mlflow_uri)
    client = mlflow.MlflowClient(tracking_uri=uri)
    name = "gridmarket-evaluate-contagion"
    experiment = client.get_experiment_by_name(name)
    experiment_id = (
        experiment.experiment_id if experiment else client.create_experiment(name)
    )
    run_id = client.create_run(
        experiment_id, run_name="-".join(args.scenarios)
    ).info.run_id
    stamp = int(time.time() * 1000)
    metrics = [
        Metric(
            f"{r['scenario']}/{r['banks']}/{r['method']}/{k}", r[k], stamp, r["seed"]
        )
        for r in rows
        for k in COLUMNS
    ]
    params = {k: v for k, v in vars(args).items() if k not in ("mlflow_uri", "out_dir")}
    log_batched(client, run_id, metrics=metrics, params=config_params(params))
    client.log_artifacts(run_id, str(out))
    client.set_terminated(run_id)
    print(
        f"\nFiles in {out}; MLflow run {run_id} in {uri}\nOpen it with:  {mlflow_ui_hint(uri)}"
    )
    return run_id


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    rows = evaluate(args)
    out = write_outputs(rows, args)
    log_to_mlflow(rows, args, out)
    return 0
