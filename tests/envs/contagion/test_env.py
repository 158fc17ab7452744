"""The PettingZoo adapters: API checkers, determinism, absorbing defaults, errors."""

import numpy as np
import pytest
from pettingzoo.test import (
    api_test,
    max_cycles_test,
    parallel_api_test,
    parallel_seed_test,
    seed_test,
)

from gridmarket.envs import contagion_v0
from gridmarket.envs.contagion import params as params_module
from gridmarket.envs.contagion.baselines import RuleBasedPolicy
from gridmarket.envs.contagion.vector import ContagionVectorEnv

# Overflow, division by zero or NaN anywhere in the dynamics fails the test.
pytestmark = pytest.mark.filterwarnings("error::RuntimeWarning")


def test_parallel_api_test_passes():
    parallel_api_test(
        contagion_v0.parallel_env(num_banks=10, scenario="systemic", max_cycles=60),
        num_cycles=100,
    )


def test_aec_api_and_pettingzoo_seed_tests_pass():
    api_test(
        contagion_v0.env(num_banks=6, scenario="asset_crash", max_cycles=30),
        num_cycles=40,
    )
    parallel_seed_test(lambda: contagion_v0.parallel_env(num_banks=6))
    seed_test(lambda: contagion_v0.env(num_banks=6), num_cycles=20)


def test_pettingzoo_max_cycles_test_passes():
    max_cycles_test(contagion_v0)


def test_max_steps_is_a_deprecated_alias_of_max_cycles():
    with pytest.warns(DeprecationWarning, match=r"max_steps=\.\.\.\) is deprecated"):
        env = contagion_v0.parallel_env(num_banks=3, max_steps=7)
    assert env.max_cycles == env.params.max_steps == 7
    with pytest.warns(DeprecationWarning):
        aec = contagion_v0.env(num_banks=3, max_steps=7)
    assert aec.unwrapped.max_cycles == 7
    with pytest.raises(ValueError, match="pass `max_cycles` only"):
        contagion_v0.parallel_env(max_cycles=5, max_steps=7)
    assert contagion_v0.parallel_env(num_banks=3).max_cycles == 100


def test_reward_weights_are_arguments():
    env = contagion_v0.parallel_env(num_banks=3, systemic_weight=2.0)
    assert env.params.reward.systemic_weight == 2.0
    assert env.params.reward.default_penalty == 1.0
    with pytest.raises(ValueError, match="RewardParams.systemic_weight.*got -1"):
        contagion_v0.parallel_env(systemic_weight=-1.0)


def run_episode(seed, steps, scenario="normal", dead_action=None):
    """A seeded episode; ``dead_action`` is also sent for banks already defaulted
    (the env ignores it). The trace holds every bank's observation and the
    step's reward, termination and truncation dicts."""
    env = contagion_v0.parallel_env(num_banks=15, scenario=scenario, max_cycles=steps)
    env.reset(seed=seed)
    policy, noise = RuleBasedPolicy(), np.random.default_rng(seed)
    trace = []
    while env.agents:
        actions = policy(env.observations_matrix()) + 0.1 * noise.random((15, 4))
        action_dict = {a: actions[int(a[5:])] for a in env.agents}
        if dead_action is not None:
            dead = set(env.possible_agents) - set(env.agents)
            action_dict.update(dict.fromkeys(dead, dead_action))
        _, rewards, terms, truncs, _ = env.step(action_dict)
        trace.append((env.observations_matrix().copy(), rewards, terms, truncs))
    return trace, env


def test_seeded_determinism_over_120_steps():
    first, _ = run_episode(seed=11, steps=120)
    second, _ = run_episode(seed=11, steps=120)
    assert len(first) == len(second) == 120
    for (obs_a, rew_a, *_), (obs_b, rew_b, *_) in zip(first, second, strict=True):
        np.testing.assert_array_equal(obs_a, obs_b)
        assert rew_a == rew_b
    other, _ = run_episode(seed=12, steps=120)
    assert not np.array_equal(first[0][0], other[0][0])


def test_defaulted_banks_terminate_once_then_leave_agents():
    quiet, env = run_episode(seed=3, steps=25, scenario="systemic")
    loud, _ = run_episode(seed=3, steps=25, scenario="systemic", dead_action=np.ones(4))
    for (obs_a, rew_a, *_), (obs_b, rew_b, *_) in zip(quiet, loud, strict=True):
        np.testing.assert_array_equal(obs_a, obs_b)  # dead banks' actions ignored
        assert rew_a == rew_b
    alive_path = np.array([obs[:, 0] for obs, *_ in quiet])
    assert np.all(np.diff(alive_path, axis=0) <= 0)  # never revived
    alive = {f"bank_{i}" for i in range(15)}
    defaults = 0
    for t, (obs, rewards, terms, truncs) in enumerate(quiet):
        assert set(rewards) == set(terms) == set(truncs) == alive  # the live only
        now_alive = {f"bank_{i}" for i in np.flatnonzero(obs[:, 0])}
        assert {a for a, done in terms.items() if done} == alive - now_alive
        defaults += len(alive - now_alive)
        last = t == len(quiet) - 1
        assert all(truncs[a] == (last and a in now_alive) for a in truncs)
        alive = now_alive
    assert defaults > 0 and len(alive) > 0 and not env.agents
    assert env.state().shape == env.state_space.shape  # fixed size with dead rows
    state = env.state()[: 15 * 26].reshape(15, 26)
    assert np.all(state[:, 0] == alive_path[-1])
    assert np.all(state[alive_path[-1] == 0, 1:14] == 0.0)


def test_defaulting_bank_gets_its_penalty_in_its_last_step():
    env = contagion_v0.parallel_env(num_banks=4, scenario="asset_crash", max_cycles=200)
    env.reset(seed=0)
    agents_seen = [list(env.agents)]
    while env.agents:
        _, rewards, terms, _, _ = env.step(
            {a: np.array([0, 1, 1, 0.0]) for a in env.agents}
        )
        for agent, done in terms.items():
            if done:  # α_d = 1 is charged in the defaulting step
                assert rewards[agent] < -0.5
        agents_seen.append(list(env.agents))
    assert env.world.t < 200 and all(terms.values())
    sizes = [len(a) for a in agents_seen]
    assert sizes[0] == 4 and sizes[-1] == 0 and sorted(sizes, reverse=True) == sizes


def test_spaces_state_and_render():
    env = contagion_v0.parallel_env(
        num_banks=8, scenario="systemic", render_mode="rgb_array"
    )
    obs, infos = env.reset(seed=1)
    assert env.observation_space("bank_0") is env.observation_space("bank_0")
    assert env.action_space("bank_3") is env.action_space("bank_3")
    assert all(env.observation_space(a).contains(o) for a, o in obs.items())
    assert env.state_space.contains(env.state())
    for _ in range(8):
        env.step({a: np.full(4, 0.3) for a in env.agents})
    assert env.state_space.contains(env.state())
    image = env.render()
    assert image.shape == (480, 480, 3) and image.dtype == np.uint8
    red = (image[..., 0] > 180) & (image[..., 1] < 60) & (image[..., 2] < 60)
    assert red.any() == bool((~env.world.alive).any())
    text = contagion_v0.parallel_env(num_banks=3, render_mode="ansi")
    text.reset(seed=0)
    assert text.render().startswith("t=0 alive=3/3")
    assert set(env.metrics) >= {"stress_index", "netting_efficiency", "contagion_depth"}


@pytest.mark.parametrize(
    ("actions", "error", "message"),
    [
        (
            {"bank_0": np.zeros(3)},
            ValueError,
            r"'bank_0' must have shape \(4,\).*got shape \(3,\)",
        ),
        ({"bank_0": [0, np.nan, 0, 0]}, ValueError, "'bank_0' has hoard=nan"),
        (  # every live agent, in order, sizes that add up to 3 x 4
            {"bank_0": np.zeros(3), "bank_1": np.zeros(5), "bank_2": np.zeros(4)},
            ValueError,
            r"'bank_0' must have shape \(4,\).*got shape \(3,\)",
        ),
        (
            {"bank_0": np.zeros(4), "bank_1": np.zeros(4), "bank_2": [0, 0, np.inf, 0]},
            ValueError,
            "'bank_2' has sell=inf",
        ),
        ({"bank_9": np.zeros(4)}, ValueError, "unknown agent 'bank_9'"),
        ({"bank_0": np.zeros(4)}, ValueError, "no action for live agent 'bank_1'"),
        ({"bank_0": "lend"}, TypeError, "'bank_0' must be 4 floats"),
        ([np.zeros(4)], TypeError, "actions must be a dict"),
    ],
)
def test_bad_actions_raise_clear_errors(actions, error, message):
    env = contagion_v0.parallel_env(num_banks=3)
    env.reset(seed=0)
    with pytest.raises(error, match=message):
        env.step(actions)


def test_bad_arguments_raise_clear_errors():
    with pytest.raises(ValueError, match="unknown scenario 'panic'; allowed are"):
        contagion_v0.parallel_env(scenario="panic")
    with pytest.raises(ValueError, match="`num_banks` must be >= 2, got 1"):
        contagion_v0.parallel_env(num_banks=1)
    with pytest.raises(TypeError, match="`num_banks` must be an int"):
        contagion_v0.parallel_env(num_banks=2.5)
    with pytest.raises(ValueError, match="render_mode must be one of"):
        contagion_v0.parallel_env(render_mode="human")
    env = contagion_v0.parallel_env(num_banks=2)
    with pytest.raises(ValueError, match="unknown agent 'bank_2'"):
        env.observation_space("bank_2")
    with pytest.raises(RuntimeError, match="call reset"):
        env.step({})


def test_out_of_range_actions_are_clipped():
    a = contagion_v0.parallel_env(num_banks=5)
    b = contagion_v0.parallel_env(num_banks=5)
    a.reset(seed=4)
    b.reset(seed=4)
    obs_a, *_ = a.step({x: np.array([2.0, -1.0, 0.5, 7.0]) for x in a.agents})
    obs_b, *_ = b.step({x: np.array([1.0, 0.0, 0.5, 1.0]) for x in b.agents})
    for agent in obs_a:
        np.testing.assert_array_equal(obs_a[agent], obs_b[agent])


def test_worlds_too_large_are_refused_up_front_with_the_estimate():
    message = (
        r"num_banks=10,000,000 is too large: a world of that size needs about "
        r"18\.6 GiB .*the allowed maximum is num_banks <= MAX_NUM_BANKS = 100,000"
    )
    with pytest.raises(params_module.WorldTooLargeError, match=message):
        contagion_v0.parallel_env(num_banks=10_000_000)
    with pytest.raises(params_module.WorldTooLargeError, match="100,001 is too large"):
        ContagionVectorEnv(2, num_banks=100_001)
    assert contagion_v0.parallel_env(num_banks=100_000).params.num_banks == 100_000


def test_worlds_beyond_the_machines_memory_are_refused(monkeypatch):
    monkeypatch.setattr(params_module, "physical_memory_bytes", lambda: 2**27)
    assert contagion_v0.parallel_env(num_banks=1_000).params.num_banks == 1_000
    with pytest.raises(
        params_module.WorldTooLargeError,
        match=r"num_banks=90,000 .*needs about 172 MiB.*machine's memory \(128 MiB\)",
    ):
        contagion_v0.parallel_env(num_banks=90_000)
