"""Worlds at reset, scenarios, baselines and the purity of the core modules."""

import ast
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from gridmarket.envs.contagion import accounts, core
from gridmarket.envs.contagion.baselines import BASELINES, make_policy
from gridmarket.envs.contagion.observation import NUM_FEATURES, observe
from gridmarket.envs.contagion.params import (
    BalanceSheetParams,
    ContagionParams,
    NetworkParams,
)
from gridmarket.envs.contagion.scenarios import draw_shock, get_scenario

from .conftest import small_world

PACKAGE = Path(__file__).resolve().parents[3] / "envs" / "contagion"
ADAPTERS = {"env.py", "single_agent.py", "vector.py"}


def imported_modules(path):
    tree = ast.parse(path.read_text())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_core_modules_import_no_gymnasium_pettingzoo_and_networkx_only_at_reset():
    for path in PACKAGE.glob("*.py"):
        names = imported_modules(path)
        if path.name not in ADAPTERS:
            assert not names & {"gymnasium", "pettingzoo"}, path.name
        if path.name not in {"generator.py", "render.py"}:
            assert "networkx" not in names, path.name


def test_core_periphery_network_and_balance_sheets():
    params, rng, net, state = small_world(60, seed=1)
    core_ids = np.flatnonzero(net.core)
    assert 2 <= core_ids.size <= 32
    links = {tuple(link) for link in net.links.tolist()}
    assert all((i, j) in links for i in core_ids for j in core_ids if i < j)
    assert net.degree[net.core].mean() > net.degree[~net.core].mean()
    sheet = params.balance_sheet
    assets = accounts.total_assets(net, state)
    np.testing.assert_allclose(
        accounts.bank_equity(net, state), sheet.equity_ratio * assets
    )
    assert np.all(state.external_liabilities >= sheet.min_deposit_share * assets - 1e-9)
    assert abs(state.position.sum() + state.outside_position.sum()) < 1e-9
    assert np.all(state.default_fund >= 0) and state.default_fund.sum() > 0
    assert set(np.unique(net.exchange_of)) == {0, 1}


def test_reset_is_reproducible_and_large_worlds_are_sparse():
    _, _, net_a, state_a = small_world(40, seed=5)
    _, _, net_b, state_b = small_world(40, seed=5)
    np.testing.assert_array_equal(state_a.interbank, state_b.interbank)
    np.testing.assert_array_equal(net_a.links, net_b.links)
    params, rng, net, state = small_world(3000, seed=0)
    assert net.debtors.size < 10 * 3000  # edge lists, not a dense matrix
    state, result = core.step(
        net, state, np.full((3000, 4), 0.1), params, get_scenario("systemic"), rng
    )
    assert np.all(np.isfinite(observe(net, state, params)))


def test_scenario_shock_processes_as_documented():
    quiet = dict(price_noise_liquid=0.0, price_noise_illiquid=0.0, deposit_noise=0.0)
    crash = replace(get_scenario("asset_crash"), **quiet)
    rng = np.random.default_rng(0)
    shock = draw_shock(crash, 5, np.zeros(4), np.ones(4), rng)
    np.testing.assert_allclose(shock.price_factor, [0.99, 0.92])
    run = replace(get_scenario("liquidity_crisis"), **quiet)
    shock = draw_shock(run, 4, np.array([0.0, 0.5]), np.ones(2), rng)
    np.testing.assert_allclose(shock.withdrawal, [0.03, 0.08])
    assert np.all(draw_shock(run, 21, np.ones(2), np.ones(2), rng).withdrawal == 0)
    systemic = replace(get_scenario("systemic"), **quiet)
    shock = draw_shock(systemic, 3, np.zeros(3), np.array([1.0, 5.0, 2.0]), rng)
    np.testing.assert_allclose(shock.writeoff, [0, 0.6, 0])


@pytest.mark.parametrize("name", sorted(BASELINES))
def test_baselines_give_valid_actions(name):
    params, rng, net, state = small_world(10, seed=0)
    actions = make_policy(name, seed=1)(observe(net, state, params))
    assert actions.shape == (10, 4) and np.all((actions >= 0) & (actions <= 1))
    assert observe(net, state, params).shape == (10, NUM_FEATURES)


def test_rule_based_policy_sells_when_cash_runs_low():
    params, rng, net, state = small_world(10, seed=0)
    obs = observe(net, state, params)
    obs[:3, 2] = 0.0  # no cash
    actions = make_policy("rule_based")(obs)
    assert np.all(actions[:3, 2] > 0) and np.all(actions[:3, 3] > 0)


@pytest.mark.parametrize(
    ("make", "error", "message"),
    [
        (
            lambda: NetworkParams(num_banks=1),
            ValueError,
            "num_banks` must be >= 2, got 1",
        ),
        (
            lambda: NetworkParams(num_ccps=3, num_exchanges=2),
            ValueError,
            "num_ccps must be <= num_exchanges",
        ),
        (
            lambda: BalanceSheetParams(equity_ratio=0.9),
            ValueError,
            "equity_ratio \\+ min_deposit_share must be < 1",
        ),
        (
            lambda: ContagionParams(network="big"),
            TypeError,
            "network must be a NetworkParams",
        ),
        (
            lambda: ContagionParams(max_steps=0),
            ValueError,
            "max_steps` must be >= 1, got 0",
        ),
    ],
)
def test_parameter_validation(make, error, message):
    with pytest.raises(error, match=message):
        make()
