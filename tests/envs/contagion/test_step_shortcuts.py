"""The step's shortcuts give the numbers of the plain computation, bit for bit."""

from __future__ import annotations

import numpy as np
import pytest

from gridmarket.envs.contagion import accounts, core, observation, resolution
from gridmarket.envs.contagion.scenarios import get_scenario
from gridmarket.envs.contagion.state import state_equal

from .conftest import small_world


@pytest.mark.parametrize("scenario", ["normal", "systemic"])
def test_step_shortcuts_match_the_plain_sums(scenario):
    params, rng, net, state = small_world(num_banks=30, seed=3)
    actions_rng = np.random.default_rng(7)
    for _ in range(25):
        before = state.copy()
        actions = actions_rng.random((net.num_banks, 4))
        after, result = core.step(
            net, state, actions, params, get_scenario(scenario), rng
        )
        assert state_equal(state, before)  # the state passed in is untouched
        state = after
        np.testing.assert_array_equal(
            observation.observe(net, state, params, result.ledger),
            observation.observe(net, state, params),
        )
        np.testing.assert_array_equal(result.after[2], accounts.bank_equity(net, state))
        if not state.alive.any():
            break


def test_rewards_are_the_python_sum_of_their_parts_bit_for_bit():
    params, rng, net, state = small_world(num_banks=30, seed=5)
    actions_rng = np.random.default_rng(11)
    for _ in range(30):
        actions = actions_rng.random((net.num_banks, 4))
        state, result = core.step(
            net, state, actions, params, get_scenario("systemic"), rng
        )
        total = sum(result.reward_parts.values())
        assert np.array_equal(result.rewards.view(np.int64), total.view(np.int64))
        if not state.alive.any():
            break


def test_solvent_clearing_is_the_full_clearing_of_a_world_without_defaults():
    params, _, net, state = small_world(num_banks=30, seed=2)
    external = accounts.external_assets(state)
    claims = accounts.interbank_claims(net, state)
    liabilities = accounts.total_liabilities(net, state)
    shortcut = resolution.solvent_clearing(liabilities, external + claims)
    assert shortcut is not None  # a fresh world is solvent
    failing = np.zeros(net.num_banks, dtype=bool)
    full, pnl, new = resolution.resolve_defaults(
        net, state.copy(), params.banking, failing, external
    )
    assert not new.any() and not pnl.any()
    for name in ("payments", "defaulted", "nominal", "default_round", "rounds"):
        np.testing.assert_array_equal(getattr(shortcut, name), getattr(full, name))
    # a bank short of its liabilities gets no shortcut
    poorer = external + claims
    poorer[3] = 0.5 * liabilities[3]
    assert resolution.solvent_clearing(liabilities, poorer) is None
