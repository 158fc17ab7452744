"""The GridMarket TB tuned example's per-scenario settings (its presets)."""

import pytest

from gridmarket.algorithms.tb.presets import REPLAY_PER_FRESH
from gridmarket.envs.grid_market.scenarios import ALL_SCENARIOS
from gridmarket.envs.grid_market.scenarios import tuned_env_config as env_config
from gridmarket.tuned_examples.grid_market_tb import build_config


@pytest.mark.parametrize("scenario", ALL_SCENARIOS)
def test_replay_ratio_follows_the_scenario(scenario):
    config = build_config(env_config(scenario))
    fresh = config.batch_size
    expected = 3 if scenario == "synthetic-modes" else 1
    assert REPLAY_PER_FRESH.get(scenario, 1) == expected
    assert config.replay_batch_size == expected * fresh
    assert config.replay_buffer_capacity >= 100 * fresh
    config.validate()


def test_replay_ratio_can_be_overridden():
    config = build_config(env_config("gfc-2007"), replay_per_fresh=0)
    assert config.replay_batch_size == 0
    config = build_config(env_config("synthetic-modes"), replay_per_fresh=2)
    assert config.replay_batch_size == 2 * config.batch_size
    with pytest.raises(ValueError, match="replay_batch_size"):
        build_config(env_config("gfc-2007"), replay_per_fresh=-1).validate()
