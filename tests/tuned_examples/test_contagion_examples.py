"""The contagion tuned examples' --as-test bars: measured worlds only, env's reward."""

import re

import pytest

from gridmarket.scenario_args import contagion_success_threshold
from gridmarket.tuned_examples import contagion_mappo, contagion_ppo

pytestmark = pytest.mark.usefixtures("contagion_kernels")

EXAMPLES = [contagion_mappo, contagion_ppo]


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda m: m.__name__)
def test_as_test_has_a_measured_bar_for_the_examples_own_defaults(example):
    """``gridmarket train NAME --as-test`` with no other flag must have a bar: the
    default world (scenario, banks, episode length) is one that was measured."""
    args = example.parser.parse_args(["--as-test"])
    bar = contagion_success_threshold(example.parser, args, example.EXPECTED_RETURN)
    assert bar == example.EXPECTED_RETURN[("liquidity_crisis", 30, 100)]
    assert (args.scenario, args.num_banks, args.max_cycles) == (
        "liquidity_crisis",
        30,
        100,
    )


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda m: m.__name__)
@pytest.mark.parametrize(
    "extra, message",
    [
        (["--num-banks", "7"], r"has thresholds for .* not \('liquidity_crisis', 7"),
        (
            ["--systemic-weight", "2"],
            "measured with the env's reward; drop --systemic-weight",
        ),
    ],
)
def test_as_test_refuses_unmeasured_worlds_and_rewards(example, extra, message, capsys):
    with pytest.raises(SystemExit) as stop:
        example.main(["--as-test", "--scenario", "liquidity_crisis", *extra])
    assert stop.value.code == 2
    assert re.search(message, capsys.readouterr().err)
