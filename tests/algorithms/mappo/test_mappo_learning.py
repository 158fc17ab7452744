"""MAPPO learns: a small multi-bank world with a known optimum, through the real
algorithm (env runner, GAE with death masks, value normalizer, learner).

The world follows ``ContagionVectorEnv``'s array contract. Each of 5 banks earns
``-sell`` per step (its own third action), and a bank that calls back more than
90% of its loans (``hoard > 0.9``) defaults (reward -5, terminated; with a
smaller penalty, defaulting early would beat paying for sales, the incentive this
test must not reward). Random banks earn -0.5 per step and 10% of them default
per step: about -6.4 over 10 steps; the optimum (sell 0, hoard <= 0.9) is 0.

On contagion_v0 itself, a bank's own action moves its own reward little within a
CI budget (BENCHMARKS.md: the per-bank effect of selling is ~0.004 per step
against a reward std of ~0.12), so this test uses a world where a failure to
learn is unambiguous.
"""

import numpy as np
import pytest
from gymnasium import spaces

from gridmarket.algorithms.mappo import MAPPOConfig

NUM_BANKS, HORIZON, DEFAULT_PENALTY = 5, 10, 5.0
MARGIN = 2.5  # MAPPO's mean return must beat the random baseline's by this much


class SellPenaltyWorlds:
    """A ``ContagionVectorEnv``-like toy: reward ``-sell``, default at ``hoard > 0.9``."""

    action_dim = 4

    def __init__(self, num_worlds, *, seed=None, num_banks=NUM_BANKS):
        self.num_worlds, self.num_banks = num_worlds, num_banks
        self.max_cycles, self.observation_dim = HORIZON, 6
        self.single_observation_space = spaces.Box(-5.0, 5.0, (6,), np.float32)
        self.single_action_space = spaces.Box(0.0, 1.0, (4,), np.float32)
        self.rng = np.random.default_rng(seed)

    def _obs(self):
        obs = self.rng.standard_normal((self.num_worlds, self.num_banks, 6))
        obs[..., 0] = self.alive
        obs[..., 1] = 1.0 - self.t[:, None] / HORIZON
        return obs.astype(np.float32)

    def reset(self, *, seed=None):
        shape = (self.num_worlds, self.num_banks)
        self.alive, self.t, self.ret = (
            np.ones(shape, bool),
            np.zeros(shape[0]),
            np.zeros(shape),
        )
        return self._obs(), {"alive": self.alive.copy()}

    def step(self, actions):
        defaulted = self.alive & (actions[..., 1] > 0.9)
        rewards = (
            np.where(self.alive, -actions[..., 2], 0.0) - DEFAULT_PENALTY * defaulted
        )
        self.alive &= ~defaulted
        self.t += 1
        self.ret += rewards
        done = (self.t >= HORIZON) | ~self.alive.any(1)
        final_obs, final_alive = self._obs(), self.alive.copy()
        metrics = {"episode_return_mean": np.where(done, self.ret.mean(1), np.nan)}
        metrics["default_rate"] = np.where(done, 1.0 - self.alive.mean(1), np.nan)
        self.alive[done], self.t[done], self.ret[done] = True, 0, 0.0
        info = {
            "alive": self.alive.copy(),
            "final_obs": final_obs,
            "final_alive": final_alive,
            "episode_done": done,
            "episode_metrics": metrics,
        }
        truncated = done & final_alive.any(1)
        return self._obs(), rewards.astype(np.float32), defaulted, truncated, info


def random_return(episodes=2000, seed=0):
    rng = np.random.default_rng(seed)
    actions = rng.random((episodes, HORIZON, 4))
    alive = np.cumprod(actions[:, :, 1] <= 0.9, axis=1)  # alive after each step
    alive_before = np.concatenate([np.ones((episodes, 1)), alive[:, :-1]], axis=1)
    rewards = alive_before * (-actions[:, :, 2] - DEFAULT_PENALTY * (1 - alive))
    return float(rewards.sum(1).mean())


@pytest.mark.slow
def test_mappo_beats_random_banks_by_a_margin(ray_session):
    random_mean = random_return()
    assert random_mean == pytest.approx(-6.4, abs=0.15)
    config = (
        MAPPOConfig()
        .environment(SellPenaltyWorlds, env_config={})
        .training(
            lr=3e-3,
            train_batch_size_per_learner=200,
            minibatch_size=100,
            entropy_coeff=0.0,
        )
        .env_runners(num_envs_per_env_runner=8)
        .rl_module(model_config={"actor_hiddens": [32], "critic_hiddens": [32]})
        .debugging(seed=0)
    )
    algo = config.build_algo()
    try:
        for _ in range(12):
            result = algo.train()
    finally:
        algo.stop()
    learned = result["env_runners"]["episode_return_mean"]  # last 100 episodes
    assert learned >= random_mean + MARGIN, (learned, random_mean)
    # Random banks default in 1 - 0.9**10 = 65% of episodes.
    assert result["env_runners"]["default_rate"] < 0.65 - 0.25
