"""Draw a world at reset: a core–periphery Barabási–Albert network and balance sheets.

networkx is used here only (graph generation at reset); steps use the edge arrays.

Recipe (all draws from the ``rng`` passed in, so a seed fixes the world):

1. a BA graph with ``edges_per_node`` links per new bank; the ``core`` is the
   highest-degree banks (``core_fraction`` of n, at most ``max_core_size``, at least
   2), linked to each other as a clique;
2. target total assets ``∝ degree**size_exponent`` with mean ``mean_assets``;
3. each direction of each link is an active loan with probability 1/2 (both
   directions when both ends are core banks); each bank lends ``interbank_share``
   of its target assets over its active loans in proportion to the borrowers' size;
4. banks whose interbank borrowing would squeeze deposits below
   ``min_deposit_share`` (or whose claims and collateral exceed half their assets)
   are made larger;
5. futures positions ~ N(0, derivative_notional_share · assets), margined at the
   CCP of the bank's exchange (exchanges are dealt round-robin over a permutation);
   initial margin at 99% over the margin period, the default fund sized to Cover 2,
   skin in the game ``sitg_share`` of it; the outside member takes the other side;
6. the other external assets split into cash, liquid and illiquid securities by
   the balance-sheet weights; equity is ``equity_ratio`` of assets and deposits
   are the rest of the liabilities.
"""

from __future__ import annotations

import networkx as nx
import numpy as np

from gridmarket.envs.contagion import ccp
from gridmarket.envs.contagion.params import ContagionParams
from gridmarket.envs.contagion.state import Network, State


def network_links(
    params: ContagionParams, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """``(links [M, 2] with i < j, core [n] bool)`` of a core–periphery BA graph."""
    spec = params.network
    n = spec.num_banks
    graph = nx.barabasi_albert_graph(
        n, min(spec.edges_per_node, n - 1), seed=int(rng.integers(2**31 - 1))
    )
    degree = np.array([d for _, d in sorted(graph.degree())], dtype=np.float64)
    core_size = int(
        np.clip(round(spec.core_fraction * n), 2, min(spec.max_core_size, n))
    )
    core_ids = np.argsort(-degree, kind="stable")[:core_size]
    core = np.zeros(n, dtype=bool)
    core[core_ids] = True
    edges = np.array(graph.edges(), dtype=np.int64).reshape(-1, 2)
    i, j = np.triu_indices(core_size, k=1)
    clique = np.stack([core_ids[i], core_ids[j]], axis=1)
    links = np.sort(np.concatenate([edges, clique]), axis=1)
    return np.unique(links, axis=0), core


def generate(
    params: ContagionParams, rng: np.random.Generator
) -> tuple[Network, State]:
    """A fresh world: the static network and the state at step 0."""
    n = params.network.num_banks
    links, core = network_links(params, rng)
    debtors = np.concatenate([links[:, 0], links[:, 1]])
    creditors = np.concatenate([links[:, 1], links[:, 0]])
    order = np.lexsort((creditors, debtors))
    debtors, creditors = debtors[order], creditors[order]
    neighbour_ptr = np.concatenate([[0], np.cumsum(np.bincount(debtors, minlength=n))])
    degree = np.diff(neighbour_ptr).astype(np.float64)
    sheet = params.balance_sheet
    size = degree**params.network.size_exponent
    target = params.network.mean_assets * size / size.mean()
    both_core = core[debtors] & core[creditors]
    active = both_core | (rng.random(debtors.shape[0]) < 0.5)
    weight = np.where(active, target[debtors], 0.0)
    lent = np.bincount(creditors, weights=weight, minlength=n)
    claims_target = sheet.interbank_share * target
    loans = np.divide(
        claims_target[creditors] * weight,
        lent[creditors],
        out=np.zeros_like(weight),
        where=lent[creditors] > 0,
    )
    borrowed = np.bincount(debtors, weights=loans, minlength=n)
    claims = np.bincount(creditors, weights=loans, minlength=n)
    squeeze = 1.0 - sheet.equity_ratio - sheet.min_deposit_share
    assets = np.maximum(target, borrowed / squeeze)
    price0 = params.market.initial_price
    position = (
        rng.standard_normal(n) * sheet.derivative_notional_share * assets / price0
    )
    margin = ccp.initial_margin(
        position,
        price0,
        params.market.volatility,
        params.ccp.confidence,
        params.ccp.margin_period,
    )
    exchange_of, exchange_ccp = _assign_exchanges(params, rng)
    ccp_of = exchange_ccp[exchange_of]
    num_ccps = params.network.num_ccps
    members = np.ones(n, dtype=bool)
    fund_total = ccp.cover2_default_fund(
        position, price0, margin, params.ccp.stress_move, ccp_of, num_ccps, members
    )
    fund = ccp.contributions(fund_total, margin, ccp_of, members)
    assets = np.maximum(assets, 2.0 * (claims + margin + fund))
    state = _initial_state(
        params, assets, claims, borrowed, loans, position, margin, fund, ccp_of
    )
    state.ccp_sitg = params.ccp.sitg_share * fund_total
    state.ccp_cash = state.ccp_cash + state.ccp_sitg
    topology = (links, core, debtors, creditors, neighbour_ptr)
    return _network(params, topology, state, exchange_of, exchange_ccp), state


def _assign_exchanges(
    params: ContagionParams, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    n, spec = params.network.num_banks, params.network
    exchange_of = rng.permutation(n) % spec.num_exchanges
    exchange_ccp = np.arange(spec.num_exchanges) % spec.num_ccps
    return exchange_of.astype(np.int64), exchange_ccp.astype(np.int64)


def _initial_state(
    params: ContagionParams,
    assets: np.ndarray,
    claims: np.ndarray,
    borrowed: np.ndarray,
    loans: np.ndarray,
    position: np.ndarray,
    margin: np.ndarray,
    fund: np.ndarray,
    ccp_of: np.ndarray,
) -> State:
    sheet, price0 = params.balance_sheet, params.market.initial_price
    n = assets.shape[0]
    rest = assets - claims - margin - fund
    weights = np.array([sheet.cash_weight, sheet.liquid_weight, sheet.illiquid_weight])
    weights = weights / weights.sum()
    equity = sheet.equity_ratio * assets
    delay = params.exchange.settlement_delay
    num_ccps, num_exchanges = params.network.num_ccps, params.network.num_exchanges
    outside_position = -np.bincount(ccp_of, weights=position, minlength=num_ccps)
    return State(
        t=0,
        cash=rest * weights[0],
        units=np.stack([rest * weights[1], rest * weights[2]], axis=1) / price0,
        pending=np.zeros((n, 2)),
        external_liabilities=assets - equity - borrowed,
        interbank=loans,
        initial_margin=margin,
        default_fund=fund,
        position=position,
        receivable=np.zeros((delay, n)),
        alive=np.ones(n, dtype=bool),
        default_step=np.full(n, -1, dtype=np.int64),
        book_equity=equity.copy(),
        forced_liquid=np.zeros(n),
        forced_capital=np.zeros(n),
        prices=np.full(2, price0),
        marked_price=price0,
        variance=params.market.volatility**2,
        last_return=0.0,
        exchange_cash=np.zeros(num_exchanges),
        congestion=np.zeros(num_exchanges),
        ccp_cash=np.bincount(ccp_of, weights=margin + fund, minlength=num_ccps),
        ccp_sitg=np.zeros(num_ccps),
        outside_position=outside_position,
        escrow_units=np.zeros((delay, 2)),
        outside_cash=0.0,
        outside_units=np.zeros(2),
    )


def _network(
    params: ContagionParams,
    topology: tuple[np.ndarray, ...],
    state: State,
    exchange_of: np.ndarray,
    exchange_ccp: np.ndarray,
) -> Network:
    links, core, debtors, creditors, neighbour_ptr = topology
    market = params.market
    held = state.units.sum(axis=0)
    securities_value = float(held.sum() * market.initial_price)
    num_exchanges = params.network.num_exchanges
    capacity = params.exchange.throughput_share * securities_value / num_exchanges
    assets = (
        state.cash
        + state.units @ state.prices
        + state.initial_margin
        + state.default_fund
        + np.bincount(creditors, weights=state.interbank, minlength=core.shape[0])
    )
    return Network(
        num_banks=core.shape[0],
        debtors=debtors,
        creditors=creditors,
        neighbour_ptr=neighbour_ptr,
        links=links,
        core=core,
        exchange_of=exchange_of,
        ccp_of=exchange_ccp[exchange_of],
        exchange_ccp=exchange_ccp,
        exchange_capacity=np.full(num_exchanges, capacity),
        depth=np.array([market.depth_liquid, market.depth_illiquid]) * held,
        impact=market.impact_coefficients(),
        fundamental_price=state.prices.copy(),
        initial_equity=state.book_equity.copy(),
        initial_assets=assets,
    )
