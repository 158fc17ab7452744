"""The ``gridmarket`` command: list what the suite offers and train tuned examples.

gridmarket list
gridmarket train hypergrid_tb [--stop-iters N] [--num-env-runners K] [--address ADDR]
gridmarket train hypergrid_tb --help
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


def _cmd_evaluate(args: argparse.Namespace) -> int:
    from gridmarket.evaluation.run import main as evaluate_main

    return int(evaluate_main(args.rest))  # options after `evaluate`


def _cmd_oracles(args: argparse.Namespace) -> int:
    if args.action == "tune":
        from gridmarket.oracle_tune import main as tune_main

        return int(tune_main(args.rest))
    if args.action != "train":
        raise SystemExit(
            f"gridmarket oracles: unknown action {args.action!r}; use 'train' or 'tune'"
        )
    from gridmarket.oracles.train import main as train_main

    return int(train_main(args.rest))


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
    evaluate = commands.add_parser(
        "evaluate",
        help="compare the GridMarket stress-path methods at one oracle budget",
        add_help=False,
    )
    evaluate.set_defaults(func=_cmd_evaluate)
    oracles = commands.add_parser(
        "oracles",
        help="train the GridMarket point oracles, or tune the EBM oracles "
        "(`oracles tune --model ebm`)",
        add_help=False,  # `oracles train --help` reaches the action's own parser
    )
    oracles.add_argument("action", choices=["train", "tune"])
    oracles.set_defaults(func=_cmd_oracles)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args, rest = parser.parse_known_args(sys.argv[1:] if argv is None else argv)
    if rest and args.func not in (_cmd_evaluate, _cmd_oracles):
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    args.rest = rest
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
