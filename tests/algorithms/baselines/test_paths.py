import numpy as np
import pytest

from gridmarket.algorithms.baselines.paths import PathScorer
from gridmarket.envs.grid_market import GridMarketEnv

ENV_CONFIG = {"scenario": "gfc-2007", "reward_temperature": 0.01}


def test_scoring_matches_stepping_the_single_env():
    scorer = PathScorer("GridMarket-v0", ENV_CONFIG, 4)
    unit = np.random.default_rng(0).uniform(size=(4, 12, 6))
    batch = scorer.score(unit)
    assert batch.states.shape == (4, 13, 6) and scorer.oracle_calls == 4
    for i in range(4):
        env = GridMarketEnv(**ENV_CONFIG)
        obs, _ = env.reset()
        for t in range(12):
            action = scorer.increments(
                obs[None, 1:].astype(np.float64), unit[i, t][None]
            )[0]
            obs, reward, terminated, _, info = env.step(action.astype(np.float32))
            np.testing.assert_allclose(obs[1:], batch.states[i, t + 1], atol=1e-4)
        assert terminated
        assert info["log_reward"] == pytest.approx(batch.log_reward[i], rel=1e-6)
        assert info["predicted_return"] == pytest.approx(batch.predicted[i], rel=1e-6)


def test_increments_stay_inside_the_box():
    scorer = PathScorer("GridMarket-v0", ENV_CONFIG, 2)
    x = np.stack([scorer.state_low, scorer.state_high]).astype(np.float64)
    for unit in (np.zeros((2, 6)), np.ones((2, 6))):
        nxt = x + scorer.increments(x, unit)
        assert (nxt >= scorer.state_low - 1e-9).all() and (
            nxt <= scorer.state_high + 1e-9
        ).all()


def test_wrong_unit_shape_is_named():
    scorer = PathScorer("GridMarket-v0", ENV_CONFIG, 2)
    with pytest.raises(
        ValueError, match=r"`unit` must have shape \(2, 12, 6\), got \(3, 12, 6\)"
    ):
        scorer.score(np.zeros((3, 12, 6)))
