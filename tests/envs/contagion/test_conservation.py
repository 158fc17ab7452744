"""Money, units and wealth are conserved every step of random episodes."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gridmarket.envs.contagion import core
from gridmarket.envs.contagion.baselines import make_policy
from gridmarket.envs.contagion.observation import observe
from gridmarket.envs.contagion.params import ExchangeParams
from gridmarket.envs.contagion.scenarios import SCENARIOS, get_scenario

from .conftest import check_invariants, small_world

# Overflow, division by zero or NaN anywhere in the dynamics fails the test.
pytestmark = pytest.mark.filterwarnings("error::RuntimeWarning")


@settings(max_examples=30, deadline=None)
@given(
    seed=st.integers(0, 2**31 - 1),
    scenario=st.sampled_from(sorted(SCENARIOS)),
    num_banks=st.integers(2, 25),
    action_seed=st.integers(0, 2**31 - 1),
    scales=st.tuples(*[st.floats(0.0, 1.0)] * 4),
    settlement_delay=st.integers(0, 2),
)
def test_every_step_conserves(
    seed, scenario, num_banks, action_seed, scales, settlement_delay
):
    exchange = ExchangeParams(settlement_delay=settlement_delay)
    params, rng, net, state = small_world(num_banks, seed, exchange=exchange)
    start = state
    actions_rng = np.random.default_rng(action_seed)
    for _ in range(25):
        actions = actions_rng.random((num_banks, 4)) * np.array(scales)
        after, result = core.step(
            net, state, actions, params, get_scenario(scenario), rng
        )
        check_invariants(net, start, state, after, result)
        state = after


def test_baseline_episodes_conserve_and_trigger_every_mechanism():
    """Crisis episodes under baselines: defaults, the CCP waterfall and fire sales
    all happen, and the invariants hold throughout."""
    seen = {"defaults": 0, "waterfall": 0.0, "fees": 0.0, "forced": 0.0}
    for scenario, policy in (
        ("systemic", "rule_based"),
        ("asset_crash", "greedy"),
        ("liquidity_crisis", "myopic"),
        ("asset_crash", "random"),
    ):
        params, rng, net, state = small_world(30, seed=1)
        start, act = state, make_policy(policy, seed=0)
        for _ in range(40):
            after, result = core.step(
                net,
                state,
                act(observe(net, state, params)),
                params,
                get_scenario(scenario),
                rng,
            )
            check_invariants(net, start, state, after, result)
            seen["defaults"] += int(result.newly_defaulted.sum())
            seen["waterfall"] += float(result.waterfall.loss.sum())
            seen["fees"] += float(result.trades.fees.sum())
            seen["forced"] += float(
                after.forced_capital.sum() + after.forced_liquid.sum()
            )
            state = after
    assert all(value > 0 for value in seen.values()), seen


def test_newly_defaulted_banks_end_with_zero_book_equity():
    params, rng, net, state = small_world(30, seed=2)
    scale = float(net.initial_assets.sum())
    dead_seen = 0
    for _ in range(30):
        state, result = core.step(
            net, state, np.zeros((30, 4)), params, get_scenario("systemic"), rng
        )
        dead = result.newly_defaulted
        dead_seen += int(dead.sum())
        np.testing.assert_allclose(state.book_equity[dead], 0.0, atol=1e-9 * scale)
    assert dead_seen > 0
