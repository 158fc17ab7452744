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


def test_as_test_needs_a_measured_threshold_for_the_reward():
    from gridmarket.tuned_examples.grid_market_tb import (
        EXPECTED_LOG_REWARD,
        success_metric,
    )

    ebm = success_metric(
        env_config("gfc-2007", oracle="ebm", reward="tail_prob", plausibility_weight=1),
        as_test=True,
    )
    assert ebm.threshold == EXPECTED_LOG_REWARD[("gfc-2007", "ebm", "tail_prob", 1.0)]
    assert success_metric(env_config("gfc-2007"), as_test=True).threshold == 0.6
    unmeasured = env_config("dotcom-2001", oracle="ebm", reward="tail_prob")
    with pytest.raises(SystemExit, match="no measured log_reward_mean threshold"):
        success_metric(unmeasured, as_test=True)
    assert not success_metric(unmeasured, as_test=False).reached(1e9)
