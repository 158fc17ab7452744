"""The contagion_v0 step: pure array stages composed over a ``State``.

``reset(params, rng)`` draws a world; ``step(net, state, actions, params, scenario,
rng)`` returns the next state without touching the one passed in. There is no
gymnasium or pettingzoo import here; ``env.py`` adapts these functions.

Actions ``[n, 4]`` in ``[0, 1]`` (see ``ACTION_NAMES``):

* ``lend``: share of excess cash (cash above the reserve) offered to neighbours;
* ``hoard``: share of the bank's interbank loans it calls back this step;
* ``sell``: share of its securities (by value, liquid first) put up for sale;
* ``borrow``: share of ``max_borrow_share`` of its assets asked from neighbours.

One step, in order (every money movement a balanced pair of account updates):

1. exogenous shock (scenario): prices revert toward fundamentals and take the
   scenario's factor; deposits are withdrawn (or placed); credit write-offs.
   A bank that cannot pay withdrawals in cash fails (it is resolved in stage 6);
2. interbank: called loans are repaid in one netted clearing; new loans are matched
   over network links;
3. trades: voluntary and forced sell orders are routed bank → exchange → CCP → bank
   (``infrastructure.trade``); price impact applies once, to the step's volume;
4. income: interbank interest accrues, securities pay yields, deposits cost interest;
5. CCPs: variation margin on the futures (Σ VM = 0); a bank that cannot pay its VM
   defaults and its loss runs down the waterfall; initial margin (EWMA volatility,
   99%, margin period) and the Cover-2 default fund are topped up or returned;
6. clearing: the greatest Rogers–Veraart clearing vector of interbank debts and
   deposits (depositors as a sink node), with failing banks forced into
   resolution; defaulted banks are liquidated and stay dead;
7. deleveraging orders for next step: capital (risk-weighted ratio below the
   minimum) and liquidity (cash below reserve, or unmet margin top-ups);
8. rewards and metrics.
"""

from __future__ import annotations

import functools
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from gridmarket.envs.contagion import accounts, ccp, metrics, phase_calls, phases
from gridmarket.envs.contagion.clearing import ClearingResult
from gridmarket.envs.contagion.generator import generate
from gridmarket.envs.contagion.infrastructure import Netting, TradeReport
from gridmarket.envs.contagion.margining import (
    cover_defaults,
    update_volatility,
)
from gridmarket.envs.contagion.observation import Ledger, observe
from gridmarket.envs.contagion.params import ContagionParams, NetworkParams
from gridmarket.envs.contagion.rewards import REWARD_PARTS
from gridmarket.envs.contagion.scenarios import (
    ScenarioParams,
    Shock,
    draw_shock,
    get_scenario,
    run_active,
)
from gridmarket.envs.contagion.stages import (  # the action columns, re-exported
    BORROW,  # noqa: F401
    HOARD,  # noqa: F401
    LEND,  # noqa: F401
    SELL,  # noqa: F401
)
from gridmarket.envs.contagion.state import Network, State

ACTION_NAMES = ("lend", "hoard", "sell", "borrow")


@dataclass(frozen=True)
class StepResult:
    """What one step produced besides the next state.

    Attributes:
        rewards: ``[n]`` reward of each bank (0 for banks dead before the step).
        reward_terms: ``[len(REWARD_PARTS), n]`` the signed terms of ``rewards``,
            one row per ``REWARD_PARTS`` entry; they sum to ``rewards``
            (``reward_parts`` gives them by name).
        newly_defaulted: ``[n]`` bool, banks that defaulted in this step.
        pnl: ``[n]`` P&L of each bank in this step (currency).
        variation_margin: ``[n]`` VM of banks; outside_variation_margin ``[C]``.
        waterfall, trades, clearing, netting: reports of stages 5, 3, 6 and 2.
        after: ``(net, state after the step, bank equity)``, what metrics read.
        ledger: ``observation.ledger`` of the state after the step (the sums the
            step already made), for ``observation.observe`` to reuse.
        metrics: floats for logging (see ``step_metrics``), computed on first use
            (a step that nobody logs does not pay for them).
    """

    rewards: np.ndarray
    reward_terms: np.ndarray
    newly_defaulted: np.ndarray
    pnl: np.ndarray
    variation_margin: np.ndarray
    outside_variation_margin: np.ndarray
    waterfall: ccp.Waterfall
    trades: TradeReport
    clearing: ClearingResult
    netting: Netting
    after: tuple[Network, State, np.ndarray] = field(repr=False, compare=False)
    ledger: Ledger | None = field(default=None, repr=False, compare=False)

    @property
    def reward_parts(self) -> dict[str, np.ndarray]:
        """``reward_terms`` by name: ``{"profit": [n], "liquidity": [n], ...}``."""
        return dict(zip(REWARD_PARTS, self.reward_terms, strict=True))

    @functools.cached_property
    def metrics(self) -> dict[str, float]:
        net, state, equity = self.after
        return step_metrics(net, state, self, equity)


def reset(params: ContagionParams, rng: np.random.Generator) -> tuple[Network, State]:
    """A fresh world drawn from ``rng`` (networkx runs here, never in ``step``)."""
    return generate(params, rng)


def compile_kernels(seed: int = 0) -> float:
    """Compile every compiled function of the step, or load them from numba's
    on-disk cache; returns the seconds it took.

    The first use on a machine compiles them (about a minute on 2 slow cores);
    later processes load the cache (under a second). Call it once before
    starting many processes (Ray env runners, test workers) on a fresh checkout,
    so that they load the cache instead of each compiling the same code.
    """
    start = time.perf_counter()
    for scenario in ("systemic", "liquidity_crisis"):  # defaults and CCP calls
        params = ContagionParams(network=NetworkParams(num_banks=12))
        rng = np.random.default_rng(seed)
        net, state = reset(params, rng)
        for _ in range(40):
            actions = rng.random((net.num_banks, 4))
            state, result = step(
                net, state, actions, params, get_scenario(scenario), rng
            )
            observe(net, state, params, result.ledger)
            observe(net, state, params)
            if not state.alive.any():
                net, state = reset(params, rng)
    return time.perf_counter() - start


def check_bank_action(action: Any, name: str = "action") -> np.ndarray:
    """One bank's action as a finite float64 ``[4]`` array, or an error naming
    ``name`` (range clipping happens in :func:`check_actions`)."""
    try:
        array = np.asarray(action, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise TypeError(
            f"{name} must be 4 floats (lend, hoard, sell, borrow), got {action!r}"
        ) from error
    if array.shape != (4,):
        raise ValueError(
            f"{name} must have shape (4,) (lend, hoard, sell, borrow), "
            f"got shape {array.shape}"
        )
    bad = np.flatnonzero(~np.isfinite(array))
    if bad.size:
        column = int(bad[0])
        raise ValueError(
            f"{name} has {ACTION_NAMES[column]}={array[column]}; "
            "actions must be finite numbers in [0, 1]"
        )
    return array


def check_actions(actions: np.ndarray, n: int) -> np.ndarray:
    """Actions as a float64 ``[n, 4]`` array clipped to ``[0, 1]``, or an error."""
    actions = np.asarray(actions, dtype=np.float64)
    if actions.shape != (n, 4):
        raise ValueError(f"actions must have shape ({n}, 4), got {actions.shape}")
    if not np.logical_and.reduce(np.isfinite(actions), axis=None):
        bank, column = (int(v) for v in np.argwhere(~np.isfinite(actions))[0])
        raise ValueError(
            f"action {ACTION_NAMES[column]!r} of bank {bank} is {actions[bank, column]}; "
            "actions must be finite numbers in [0, 1]"
        )
    return np.minimum(np.maximum(actions, 0.0), 1.0)


def step(
    net: Network,
    state: State,
    actions: np.ndarray,
    params: ContagionParams,
    scenario: ScenarioParams,
    rng: np.random.Generator,
) -> tuple[State, StepResult]:
    """Advance one step. ``state`` is not modified; ``rng`` advances.

    The stages run as two compiled ``phases``; ``phase_calls`` maps the state to
    and from them and handles the rare events around them (a bank short of its
    called loans, failing or insolvent); a bank short of variation margin goes
    through the CCP waterfall here, between the two.
    """
    s = state.fork()  # every stage replaces arrays, none writes into them
    s.t += 1
    actions = check_actions(actions, net.num_banks)  # masked by ``active`` below
    # Book equity is the balance sheet's equity (the conservation tests pin it).
    stress_start = (
        metrics.stress_index(s.book_equity, net.initial_equity, net.total_equity)
        if params.reward.systemic_charge == "increase"
        else 0.0
    )
    constants = phases.step_constants(params)
    shock = _draw_shock(net, s, scenario, rng)
    failing, traded = phase_calls.open_step(net, s, params, constants, actions, shock)
    netting, trades, margin, pnl = phase_calls.apply_trade(s, traded)
    vm, vm_outside, shortfall, vm_failed = margin
    failing |= vm_failed
    update_volatility(s, params, float(s.prices[1]))
    survivors = s.alive & ~failing
    margin_pnl, waterfall = cover_defaults(net, s, params, margin, survivors)
    rewarded = (state.alive, (state.book_equity, stress_start))
    settled = phase_calls.settle_step(
        net, s, params, constants, survivors, (pnl, margin_pnl), rewarded
    )
    clearing, resolution_pnl, new, sheet, closed = phase_calls.resolve(
        net, s, params, constants, failing, settled
    )
    sums, terms, rewards = closed
    result = StepResult(
        rewards=rewards,
        reward_terms=terms,
        newly_defaulted=new,
        pnl=pnl + margin_pnl + resolution_pnl,
        variation_margin=vm,
        outside_variation_margin=vm_outside,
        waterfall=waterfall,
        trades=trades,
        clearing=clearing,
        netting=netting,
        after=(net, s, sheet[-1]),
        ledger=sums,
    )
    return s, result


def _draw_shock(
    net: Network, s: State, scenario: ScenarioParams, rng: np.random.Generator
) -> Shock:
    """Stage 1's draw; distress is computed only during a run (nothing else reads it)."""
    distress = np.zeros(net.num_banks)
    if run_active(scenario, s.t):
        distress = metrics.distress(
            s.book_equity, net.initial_equity, s.alive, net.inverse_initial_equity
        )
    return draw_shock(scenario, s.t, distress, net.initial_assets, rng)


def step_metrics(
    net: Network, s: State, result: StepResult, equity: np.ndarray | None = None
) -> dict[str, float]:
    """Floats describing the world after a step (for infos and logging)."""
    equity = accounts.bank_equity(net, s) if equity is None else equity
    vm_sum = float(
        result.variation_margin.sum() + result.outside_variation_margin.sum()
    )
    return {
        "t": float(s.t),
        "alive": float(s.alive.sum()),
        "defaults": float(result.newly_defaulted.sum()),
        "defaulted_total": float((~s.alive).sum()),
        "stress_index": metrics.stress_index(
            equity, net.initial_equity, net.total_equity
        ),
        "systemic_loss": metrics.systemic_loss(net.initial_equity, equity),
        "liquidity_index": metrics.liquidity_index(
            s.cash, s.units[:, 0] * s.prices[0], accounts.total_liabilities(net, s)
        ),
        "netting_efficiency": result.netting.efficiency,
        "contagion_depth": float(
            metrics.contagion_depth(result.clearing.default_round)
        ),
        "price_liquid": float(s.prices[0]),
        "price_illiquid": float(s.prices[1]),
        "congestion_max": float(s.congestion.max()),
        "fees": float(result.trades.fees.sum()),
        "variation_margin_sum": vm_sum,
        "waterfall_loss": float(result.waterfall.loss.sum()),
        "ccp_uncovered": float(result.waterfall.uncovered.sum()),
    }
