"""What-if lookahead: clone a world, shock it, roll it forward, report the metrics.

Decision support: "if the illiquid price fell 10% and bank 3 lost half its loans,
how many banks would fail within 10 steps if everybody followed the rule-based
policy?" The world passed in is never modified (the state is copied, the random
generator cloned).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from gridmarket.envs.contagion import accounts, core, metrics, observation
from gridmarket.envs.contagion.baselines import Policy, make_policy
from gridmarket.envs.contagion.checks import check_float, check_int
from gridmarket.envs.contagion.params import ContagionParams
from gridmarket.envs.contagion.scenarios import ScenarioParams, get_scenario
from gridmarket.envs.contagion.state import Network, State


@dataclass(frozen=True)
class WhatIfShock:
    """An instantaneous shock applied to the cloned world before rolling forward.

    Attributes:
        price_drop: ``(liquid, illiquid)`` relative price falls in [0, 1).
        writeoff: ``{bank index: share}`` of the illiquid book written off.
        withdrawal: share of every bank's deposits withdrawn (paid from cash only).
    """

    price_drop: tuple[float, float] = (0.0, 0.0)
    writeoff: dict[int, float] = field(default_factory=dict)
    withdrawal: float = 0.0


@dataclass(frozen=True)
class WhatIfResult:
    """The path and end state of a lookahead.

    Attributes:
        path: one ``core.step_metrics`` dict per step.
        defaulted: bool ``[n]`` banks dead at the end (including before the shock).
        new_defaults: banks that defaulted during the lookahead.
        stress_index, systemic_loss, liquidity_index: at the end.
        debtrank: DebtRank ``R`` (Battiston et al. 2012) of the distress the shock
            itself caused, on the interbank claims right after the shock: the loss
            the network would pass on, a complement to the simulated path.
        rewards: ``[steps, n]`` rewards along the path.
    """

    path: list[dict[str, float]]
    defaulted: np.ndarray
    new_defaults: int
    stress_index: float
    systemic_loss: float
    liquidity_index: float
    debtrank: float
    rewards: np.ndarray


def apply_shock(net: Network, state: State, shock: WhatIfShock) -> State:
    """A shocked copy of ``state``: every change a balanced pair with the outside."""
    s = state.copy()
    drop = np.array(
        [
            check_float("price_drop", d, 0.0, 1.0, high_open=True)
            for d in shock.price_drop
        ]
    )
    new_prices = s.prices * (1.0 - drop)
    s.book_equity = s.book_equity + s.units @ (new_prices - s.prices)
    s.prices = new_prices
    share = np.zeros(net.num_banks)
    for bank, value in shock.writeoff.items():
        check_int("writeoff bank", bank, 0)
        if bank >= net.num_banks:
            raise ValueError(f"writeoff bank must be < {net.num_banks}, got {bank}")
        share[bank] = check_float(f"writeoff[{bank}]", value, 0.0, 1.0)
    lost = np.where(s.alive, share, 0.0) * s.units[:, 1]
    s.units = s.units.copy()
    s.units[:, 1] -= lost
    s.pending = np.minimum(s.pending, s.units)
    s.outside_units = s.outside_units + np.array([0.0, lost.sum()])
    s.book_equity = s.book_equity - lost * s.prices[1]
    rate = check_float("withdrawal", shock.withdrawal, 0.0, 1.0)
    paid = np.minimum(rate * s.external_liabilities, s.cash) * s.alive
    s.cash = s.cash - paid
    s.external_liabilities = s.external_liabilities - paid
    s.outside_cash += float(paid.sum())
    return s


def what_if(
    net: Network,
    state: State,
    params: ContagionParams,
    scenario: str | ScenarioParams,
    rng: np.random.Generator,
    shock: WhatIfShock | None = None,
    policy: str | Policy = "rule_based",
    steps: int = 10,
    seed: int | None = None,
) -> WhatIfResult:
    """Clone ``state``, apply ``shock``, roll ``steps`` steps under ``policy``.

    ``policy`` is a baseline name or a callable ``obs [n, K] -> actions [n, 4]``
    applied to every bank. The scenario's shock process keeps running; its random
    draws come from a clone of ``rng`` (or a generator seeded with ``seed``).
    """
    steps = check_int("steps", steps, 1)
    scenario = get_scenario(scenario)
    act = make_policy(policy, seed)
    rng = copy.deepcopy(rng) if seed is None else np.random.default_rng(seed)
    s = apply_shock(net, state, shock or WhatIfShock())
    debtrank_r = state_debtrank(net, s, state.alive)
    dead_before = ~state.alive
    path, rewards = [], []
    for _ in range(steps):
        obs = observation.observe(net, s, params)
        s, result = core.step(net, s, act(obs), params, scenario, rng)
        path.append(result.metrics)
        rewards.append(result.rewards)
    equity = accounts.bank_equity(net, s)
    return WhatIfResult(
        path=path,
        defaulted=~s.alive,
        new_defaults=int((~s.alive & ~dead_before).sum()),
        stress_index=metrics.stress_index(equity, net.initial_equity),
        systemic_loss=metrics.systemic_loss(net.initial_equity, equity),
        liquidity_index=metrics.liquidity_index(
            s.cash, s.units[:, 0] * s.prices[0], accounts.total_liabilities(net, s)
        ),
        debtrank=debtrank_r,
        rewards=np.array(rewards),
    )


def state_debtrank(net: Network, s: State, alive: np.ndarray | None = None) -> float:
    """DebtRank ``R`` (Battiston et al. 2012) of the distress in ``s``: the share of
    initial system equity that the distress of every bank (1 for a dead one, by
    ``alive``, default ``s.alive``) would further destroy through the interbank
    claims of ``s``."""
    h0 = metrics.distress(
        accounts.bank_equity(net, s),
        net.initial_equity,
        s.alive if alive is None else alive,
    )
    _, impact = metrics.debtrank(
        _claims_matrix(net, s), np.maximum(net.initial_equity, 1e-12), h0
    )
    return impact


def _claims_matrix(net: Network, s: State) -> Any:
    import scipy.sparse as sp

    n = net.num_banks
    return sp.csr_matrix((s.interbank, (net.creditors, net.debtors)), shape=(n, n))
