"""The ``gridmarket`` command: list what the suite offers and train tuned examples.

gridmarket list
gridmarket train hypergrid_tb [--stop-iters N] [--num-env-runners K] [--address ADDR]
gridmarket train hypergrid_tb --help
gridmarket evaluate-forecast --agent persistence --ticker AAPL --split test
gridmarket evaluate-contagion [--scenarios ...] [--seeds ...] [--eval-banks 30 100 1000]
gridmarket pipeline grpo --ticker AAPL --model PATH_OR_ID [--out DIR]
"""

from __future__ import annotations

import argparse
import ast
import importlib
import pkgutil
import sys
from pathlib import Path

from gridmarket.experiment import format_table


def tuned_examples() -> dict[str, str]:
    """Name -> first docstring line of every module in gridmarket.tuned_examples."""
    package = importlib.import_module("gridmarket.tuned_examples")
    found = {}
    for module in pkgutil.iter_modules(package.__path__):
        if module.name.startswith("_"):
            continue
        source = Path(package.__path__[0], f"{module.name}.py")
        doc = ast.get_docstring(ast.parse(source.read_text())) or ""
        found[module.name] = doc.strip().splitlines()[0] if doc.strip() else ""
    return dict(sorted(found.items()))


def _cmd_list(_: argparse.Namespace) -> int:
    from gridmarket.algorithms import ALGORITHMS
    from gridmarket.envs import GYMNASIUM_ENVS, PETTINGZOO_ENVS

    print("Environments\n")
    rows = [[e.id, "gymnasium", e.summary] for e in GYMNASIUM_ENVS]
    rows += [
        [e.module.rsplit(".", 1)[1], "pettingzoo", e.summary] for e in PETTINGZOO_ENVS
    ]
    print(format_table(["id", "kind", "summary"], rows))
    print("\nAlgorithms\n")
    print(
        format_table(
            ["name", "config", "summary"],
            [[a.name, a.config_path, a.summary] for a in ALGORITHMS],
        )
    )
    print("\nTuned examples (gridmarket train NAME)\n")
    print(
        format_table(["name", "summary"], [[k, v] for k, v in tuned_examples().items()])
    )
    return 0


def _cmd_train(args: argparse.Namespace) -> int:
    examples = tuned_examples()
    if args.name not in examples:
        raise SystemExit(
            f"gridmarket train: unknown tuned example {args.name!r}; "
            f"choose one of {', '.join(examples)}"
        )
    module = importlib.import_module(f"gridmarket.tuned_examples.{args.name}")
    return int(module.main(args.example_args))


#: Subcommands that hand every option after their name to a module's ``main``:
#: name -> (module, help).
PASS_THROUGH: dict[str, tuple[str, str]] = {
    "evaluate": (
        "gridmarket.evaluation.run",
        "compare the GridMarket stress-path methods at one oracle budget",
    ),
    "evaluate-forecast": (
        "gridmarket.evaluation.forecast_run",
        "score forecasters on TextForecast-v0 windows (MAE, MAPE, direction, "
        "validity with bootstrap intervals), logged to MLflow",
    ),
    "evaluate-contagion": (
        "gridmarket.evaluation.contagion",
        "MAPPO vs independent PPO vs rule-based banks on contagion_v0",
    ),
}


def _cmd_pass_through(args: argparse.Namespace) -> int:
    module = importlib.import_module(PASS_THROUGH[args.command][0])
    return int(module.main(args.rest))  # the options after the subcommand


def _cmd_oracles(args: argparse.Namespace) -> int:
    if args.action == "tune":
        from gridmarket.oracle_tune import main as tune_main

        return int(tune_main(args.rest))
    from gridmarket.oracles.train import main as train_main

    return int(train_main(args.rest))


def _cmd_pipeline(args: argparse.Namespace) -> int:
    if args.name != "grpo":
        raise SystemExit(
            f"gridmarket pipeline: unknown pipeline {args.name!r}; use 'grpo'"
        )
    from gridmarket.grpo_pipeline.cli import main as pipeline_main

    return int(pipeline_main(args.rest))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="gridmarket", description=__doc__.split("\n\n")[0]
    )
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser(
        "list", help="environments, algorithms and tuned examples"
    ).set_defaults(func=_cmd_list)
    train = commands.add_parser(
        "train",
        help="run a tuned example under Ray Tune with MLflow logging",
        description="Run a tuned example; options after NAME go to the example "
        "(see `gridmarket train NAME --help`).",
        add_help=False,
    )
    train.add_argument("name", help="tuned example, see `gridmarket list`")
    train.add_argument("example_args", nargs=argparse.REMAINDER)
    train.set_defaults(func=_cmd_train)
    for name, (_, summary) in PASS_THROUGH.items():
        commands.add_parser(name, help=summary, add_help=False).set_defaults(
            func=_cmd_pass_through
        )
    oracles = commands.add_parser(
        "oracles",
        help="train the GridMarket point oracles, or tune the EBM oracles "
        "(`oracles tune --model ebm`)",
        add_help=False,  # `oracles train --help` reaches the action's own parser
    )
    oracles.add_argument("action", choices=["train", "tune"])
    oracles.set_defaults(func=_cmd_oracles)
    pipeline = commands.add_parser(
        "pipeline",
        help="the staged GRPO recipe on TextForecast-v0 (resumable)",
        add_help=False,
    )
    pipeline.add_argument("name", choices=["grpo"])
    pipeline.set_defaults(func=_cmd_pipeline)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args, rest = parser.parse_known_args(sys.argv[1:] if argv is None else argv)
    if rest and args.func not in (_cmd_pass_through, _cmd_oracles, _cmd_pipeline):
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    args.rest = rest
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
