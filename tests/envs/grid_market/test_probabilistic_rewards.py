"""GridMarket with the EBM oracle: tail-probability / ES / mean rewards, plausibility."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env
from sklearn.covariance import LedoitWolf

import gridmarket  # noqa: F401  (registers the ids)
from gridmarket.envs.grid_market import GridMarketEnv
from gridmarket.envs.grid_market.core import PathPlausibility
from gridmarket.envs.grid_market.scenarios import get_oracle
from gridmarket.envs.grid_market.vector import GridMarketVectorEnv

pytestmark = pytest.mark.filterwarnings("ignore:.*symmetric and normalized.*")
ACTIONS = np.random.default_rng(7).uniform(-25, 25, (12, 6)).astype(np.float32)


def episode(env: gym.Env, actions=ACTIONS):
    env.reset(seed=0)
    path = [env.unwrapped._path[-1][1:].copy()]
    for action in actions:
        obs, reward, terminated, _, info = env.step(action)
        path.append(obs[1:].copy())
    assert terminated
    return reward, info, np.stack(path)


@pytest.mark.parametrize("reward", ["tail_prob", "expected_shortfall", "mean"])
def test_check_env_and_finite_deterministic_rewards(reward):
    kwargs = dict(
        scenario="gfc-2007", oracle="ebm", reward=reward, plausibility_weight=0.05
    )
    env = gym.make("GridMarket-v0", **kwargs)
    check_env(env.unwrapped, skip_render_check=True)
    first, info, _ = episode(env)
    again, _, _ = episode(gym.make("GridMarket-v0", **kwargs))
    assert np.isfinite(first) and first == again
    assert np.isfinite(info["log_plausibility"]) and info["log_plausibility"] < 0


def test_reward_is_the_oracle_risk_measure():
    oracle = get_oracle("gfc-2007", "ebm")
    tail = GridMarketEnv(
        oracle="ebm", reward="tail_prob", tail_threshold=-0.15, reward_temperature=0.5
    )
    reward, info, path = episode(tail)
    prob = oracle.tail_probability(path[-1:].astype(np.float64), -15.0)[0]
    assert info["tail_probability"] == pytest.approx(prob, rel=1e-12)
    assert reward == pytest.approx(np.log(prob) / 0.5, rel=1e-12)
    es_env = GridMarketEnv(oracle="ebm", reward="expected_shortfall", es_level=0.1)
    reward, info, path = episode(es_env)
    es = oracle.expected_shortfall(path[-1:].astype(np.float64), 0.1)[0]
    assert info["expected_shortfall"] == pytest.approx(es, rel=1e-12)
    assert reward == pytest.approx(np.logaddexp(0.0, -es), rel=1e-12)


def test_plausibility_matches_a_hand_computation():
    # Two increments with identity precision: -1/2 (1 + 4) = -2.5.
    unit = PathPlausibility(
        mean=(0.0,) * 6, precision=tuple(tuple(np.eye(6)[i]) for i in range(6))
    )
    path = np.zeros((1, 3, 6))
    path[0, 1, 0] = 1.0
    path[0, 2, 0], path[0, 2, 1] = 1.0, 2.0
    assert unit.log_density(path)[0] == pytest.approx(-2.5)
    # The env's term: Ledoit-Wolf on the training months' increments, by hand.
    lam = 0.3
    plain, _, path = episode(GridMarketEnv(oracle="ebm", reward="tail_prob"))
    reward, info, _ = episode(
        GridMarketEnv(oracle="ebm", reward="tail_prob", plausibility_weight=lam)
    )
    train = get_oracle("gfc-2007", "point").train_states
    fitted = LedoitWolf().fit(np.diff(train, axis=0))
    inv = np.linalg.inv(fitted.covariance_)
    hand = 0.0
    for t in range(1, path.shape[0]):
        d = path[t].astype(np.float64) - path[t - 1] - fitted.location_
        hand += -0.5 * d @ inv @ d
    assert info["log_plausibility"] == pytest.approx(hand, rel=1e-6)
    assert reward == pytest.approx(plain + lam * hand, rel=1e-6)


def test_vector_env_matches_single_env():
    kwargs = dict(oracle="ebm", reward="tail_prob", plausibility_weight=0.1)
    single = [episode(GridMarketEnv(**kwargs), ACTIONS * s)[0] for s in (1.0, -0.5)]
    vec = GridMarketVectorEnv(num_envs=2, **kwargs)
    vec.reset(seed=0)
    for t in range(12):
        _, rewards, terminated, _, _ = vec.step(
            np.stack([ACTIONS[t], -0.5 * ACTIONS[t]])
        )
    assert terminated.all()
    np.testing.assert_allclose(rewards, single, rtol=1e-9)
    # Autoreset: the next episode's path starts afresh and scores the same.
    vec.step(np.zeros((2, 6), np.float32))
    for t in range(12):
        _, again, _, _, _ = vec.step(np.stack([ACTIONS[t], -0.5 * ACTIONS[t]]))
    np.testing.assert_allclose(again, single, rtol=1e-9)


def test_defaults_unchanged_and_bad_input_refused():
    env = GridMarketEnv()
    reward, info, path = episode(env)
    pred = get_oracle("gfc-2007", "point").predict(path[-1:].astype(np.float64))[0]
    assert reward == pytest.approx(np.logaddexp(0.0, -pred))
    assert "log_plausibility" not in info
    with pytest.raises(
        ValueError, match="reward='tail_prob' needs a predictive distribution"
    ):
        GridMarketEnv(reward="tail_prob")
    with pytest.raises(ValueError, match="`oracle` must be one of"):
        GridMarketEnv(oracle="gan")
    with pytest.raises(
        ValueError, match=r"`tail_threshold` must be in \(-1.0, 1.0\), got 20"
    ):
        GridMarketEnv(oracle="ebm", reward="tail_prob", tail_threshold=20)
    with pytest.raises(ValueError, match="`plausibility_weight` must be >= 0, got -1"):
        GridMarketEnv(plausibility_weight=-1.0)
