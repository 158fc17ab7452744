"""The reward's terms, recomputed from the states around a step, and the two
systemic charges."""

from dataclasses import replace

import numpy as np
import pytest

from gridmarket.envs import contagion_v0
from gridmarket.envs.contagion import accounts, core, metrics
from gridmarket.envs.contagion.params import BankingParams, RewardParams
from gridmarket.envs.contagion.scenarios import get_scenario
from gridmarket.envs.contagion.vector import ContagionVectorEnv
from gridmarket.envs.contagion.what_if import state_debtrank

from .conftest import small_world

SELL_ALL = np.array([0.0, 1.0, 1.0, 0.0])


def stress(net, state):
    return metrics.stress_index(accounts.bank_equity(net, state), net.initial_equity)


def crash_steps(charge: str, steps: int):
    """A 12-bank asset crash where every bank sells all: (net, states, results)."""
    params, rng, net, state = small_world(12, seed=3)
    params = replace(
        params,
        reward=RewardParams(
            liquidity_weight=0.1,
            default_penalty=2.0,
            systemic_weight=0.7,
            systemic_charge=charge,
        ),
    )
    scenario = get_scenario("asset_crash")
    states, results = [state], []
    for _ in range(steps):
        actions = np.tile(SELL_ALL, (12, 1))
        state, result = core.step(net, states[-1], actions, params, scenario, rng)
        states.append(state)
        results.append(result)
    return net, states, results


@pytest.mark.parametrize("charge", ["level", "increase"])
def test_terms_recomputed_from_the_states_around_each_step(charge):
    net, states, results = crash_steps(charge, 25)
    assert any(r.newly_defaulted.any() for r in results)  # the penalty is exercised
    for before, after, result in zip(states, states[1:], results, strict=False):
        acting = before.alive
        parts = result.reward_parts
        assert list(parts) == list(core.REWARD_PARTS)
        profit = (after.book_equity - before.book_equity) / net.initial_equity
        np.testing.assert_allclose(parts["profit"], np.where(acting, profit, 0.0))
        np.testing.assert_array_equal(
            parts["default"], np.where(result.newly_defaulted, -2.0, 0.0)
        )
        systemic = stress(net, after)
        if charge == "increase":
            systemic -= stress(net, before)
        np.testing.assert_allclose(
            parts["systemic"], np.where(acting, -0.7 * systemic, 0.0), atol=1e-15
        )
        ratio = metrics.liquidity_ratio(
            after.cash,
            after.units[:, 0] * after.prices[0],
            accounts.total_liabilities(net, after),
            BankingParams().liquidity_runoff,
        )
        paid = acting & ~result.newly_defaulted  # no liquidity bonus for a default
        np.testing.assert_allclose(parts["liquidity"], np.where(paid, 0.1 * ratio, 0.0))
        assert np.count_nonzero(parts["liquidity"]) >= 1  # the bonus is exercised


def test_increase_charge_telescopes_to_the_stress_a_survivor_saw_arise():
    net, states, results = crash_steps("increase", 25)
    survivors = states[-1].alive
    assert survivors.any() and not survivors.all()
    charged = sum(r.reward_parts["systemic"] for r in results)
    expected = -0.7 * (stress(net, states[-1]) - stress(net, states[0]))
    np.testing.assert_allclose(charged[survivors], expected, rtol=1e-12)
    # A bank that defaulted at step k paid for the stress up to step k only.
    level = sum(r.reward_parts["systemic"] for r in crash_steps("level", 25)[2])
    assert np.all(level[survivors] < charged[survivors])


def test_systemic_charge_is_an_argument_and_is_checked():
    env = contagion_v0.parallel_env(num_banks=3, systemic_charge="increase")
    assert env.params.reward.systemic_charge == "increase"
    assert contagion_v0.parallel_env(num_banks=3).params.reward.systemic_charge == (
        "increase"
    )
    with pytest.raises(
        ValueError,
        match=r"systemic_charge must be one of \('level', 'increase'\), got 'delta'",
    ):
        contagion_v0.parallel_env(num_banks=3, systemic_charge="delta")


def test_state_debtrank_is_zero_at_reset_and_grows_with_distress():
    net, states, results = crash_steps("level", 25)
    # No bank has lost equity yet (up to the rounding of equity from the accounts).
    assert state_debtrank(net, states[0]) == pytest.approx(0.0, abs=1e-12)
    later = [state_debtrank(net, s) for s in states[1:]]
    assert max(later) > 0.005
    h0 = metrics.distress(
        accounts.bank_equity(net, states[10]), net.initial_equity, states[10].alive
    )
    claims = np.zeros((12, 12))
    np.add.at(claims, (net.creditors, net.debtors), states[10].interbank)
    _, expected = metrics.debtrank(claims, np.maximum(net.initial_equity, 1e-12), h0)
    assert later[9] == pytest.approx(expected, rel=1e-12)


def test_vector_env_reports_the_return_by_term_and_debtrank():
    kwargs = dict(num_banks=8, scenario="asset_crash", max_cycles=12)
    vec = ContagionVectorEnv(2, seed=1, track_debtrank=True, **kwargs)
    vec.reset()
    returns = np.zeros((2, 8))
    for _ in range(12):
        _, rewards, _, _, info = vec.step(np.tile(SELL_ALL, (2, 8, 1)))
        returns += rewards
    assert info["episode_done"].all()
    episode = info["episode_metrics"]
    parts = sum(episode[f"return_{p}"] for p in core.REWARD_PARTS)
    np.testing.assert_allclose(parts, episode["episode_return_mean"], rtol=1e-9)
    np.testing.assert_allclose(parts, returns.mean(axis=1), rtol=1e-5)
    assert np.all(episode["return_default"] < 0)  # banks defaulted in the crash
    assert np.all(episode["debtrank_max"] > 0)
    untracked = ContagionVectorEnv(1, seed=1, **kwargs)
    untracked.reset()
    for _ in range(12):
        info = untracked.step(np.tile(SELL_ALL, (1, 8, 1)))[-1]
    assert np.isnan(info["episode_metrics"]["debtrank_max"]).all()
    assert info["episode_metrics"]["return_profit"][0] == episode["return_profit"][0]
