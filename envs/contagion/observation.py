"""Per-bank observations and the global state for a centralized critic.

Each bank sees a fixed-size float32 vector (``OBSERVATION_FEATURES``), every entry
clipped to its stated bounds. Neighbour aggregates use the edge arrays (bincount and
``maximum.reduceat`` over the CSR-sorted edges), never networkx.
"""

from __future__ import annotations

import functools
from typing import NamedTuple

import numpy as np

from gridmarket.envs.contagion import accounts, margining, metrics
from gridmarket.envs.contagion.arrays import compiled, positive_ratio
from gridmarket.envs.contagion.params import BankingParams, ContagionParams
from gridmarket.envs.contagion.state import Network, State

# (name, low, high): own balance-sheet ratios, neighbours, market, infrastructure.
OBSERVATION_FEATURES: tuple[tuple[str, float, float], ...] = (
    ("alive", 0.0, 1.0),
    ("equity_to_assets", -1.0, 1.0),
    ("cash_to_assets", 0.0, 1.0),
    ("liquid_to_assets", 0.0, 1.0),
    ("illiquid_to_assets", 0.0, 1.0),
    ("interbank_claims_to_assets", 0.0, 1.0),
    ("interbank_liabilities_to_assets", 0.0, 2.0),
    ("external_liabilities_to_assets", 0.0, 2.0),
    ("collateral_to_assets", 0.0, 1.0),
    ("receivables_to_assets", 0.0, 1.0),
    ("queued_sales_to_assets", 0.0, 1.0),
    ("equity_to_initial_equity", -1.0, 5.0),
    ("risk_weighted_capital_ratio", -1.0, 1.0),
    ("forced_sale_to_assets", 0.0, 1.0),
    ("neighbour_distress_mean", 0.0, 1.0),
    ("neighbour_distress_max", 0.0, 1.0),
    ("neighbours_defaulted", 0.0, 1.0),
    ("counterparty_distress_weighted", 0.0, 1.0),
    ("price_liquid", 0.0, 5.0),
    ("price_illiquid", 0.0, 5.0),
    ("illiquid_return", -1.0, 1.0),
    ("banks_defaulted", 0.0, 1.0),
    ("exchange_congestion", 0.0, 10.0),
    ("ccp_margin_rate", 0.0, 1.0),
    ("ccp_equity_to_collateral", -1.0, 1.0),
    ("time_left", 0.0, 1.0),
)
NUM_FEATURES = len(OBSERVATION_FEATURES)
OBSERVATION_LOW = np.array([f[1] for f in OBSERVATION_FEATURES], dtype=np.float32)
OBSERVATION_HIGH = np.array([f[2] for f in OBSERVATION_FEATURES], dtype=np.float32)


def risk_weights(params: ContagionParams) -> np.ndarray:
    """(liquid, illiquid, interbank, collateral) risk weights of ``BankingParams``
    (a cached, read-only array)."""
    return _risk_weights(params.banking)


@functools.lru_cache(maxsize=64)
def _risk_weights(banking: BankingParams) -> np.ndarray:
    weights = np.array(
        [
            banking.risk_weight_liquid,
            banking.risk_weight_illiquid,
            banking.risk_weight_interbank,
            banking.risk_weight_collateral,
        ]
    )
    weights.setflags(write=False)
    return weights


class Ledger(NamedTuple):
    """Sums over a state's accounts that the step and the observation both read
    (``[n]`` each, ``value`` ``[n, 2]``): interbank claims and debts, securities at
    market value, receivables, posted collateral, risk-weighted assets."""

    claims: np.ndarray
    owed: np.ndarray
    value: np.ndarray
    receivable: np.ndarray
    collateral: np.ndarray
    rwa: np.ndarray


def ledger(
    net: Network,
    s: State,
    params: ContagionParams,
    claims: np.ndarray | None = None,
    owed: np.ndarray | None = None,
    receivable: np.ndarray | None = None,
) -> Ledger:
    """The ``Ledger`` of ``s``; sums the caller already has may be passed in."""
    n = net.num_banks
    if claims is None:
        claims = np.bincount(net.creditors, weights=s.interbank, minlength=n)
    if owed is None:
        owed = np.bincount(net.debtors, weights=s.interbank, minlength=n)
    if receivable is None:
        receivable = accounts.receivables_due(s.receivable)
    value, collateral, rwa = risk_weighted(
        s.units,
        s.prices,
        s.initial_margin + s.default_fund,
        claims,
        risk_weights(params),
    )
    return Ledger(claims, owed, value, receivable, collateral, rwa)


@compiled
def risk_weighted(
    units: np.ndarray,
    prices: np.ndarray,
    collateral: np.ndarray,
    claims: np.ndarray,
    weights: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(securities' value [n, 2], collateral, RWA)``: the sum of
    ``accounts.risk_weighted_assets`` with ``weights`` = (liquid, illiquid,
    interbank, collateral)."""
    value = units * prices
    rwa = value[:, 0] * weights[0] + value[:, 1] * weights[1]
    return value, collateral, rwa + weights[2] * claims + weights[3] * collateral


def observe(
    net: Network, s: State, params: ContagionParams, sums: Ledger | None = None
) -> np.ndarray:
    """Observations ``[n, NUM_FEATURES]`` float32, every column within its bounds.

    Defaulted banks see their alive flag 0 and zeros for their own ratios.
    ``sums``: ``ledger(net, s, params)`` when the caller has it (``core.step``
    returns it for the state it returns).
    """
    claims, owed, value, receivable, collateral, rwa = (
        ledger(net, s, params) if sums is None else sums
    )
    return observation_rows(
        (s.cash, value, claims, owed, s.external_liabilities, collateral, receivable),
        (s.pending, s.prices, s.alive, rwa, s.forced_liquid + s.forced_capital),
        (net.debtors, net.creditors, net.neighbour_ptr, s.interbank),
        net.inverse_degree,
        net.inverse_initial_equity,
        (s.prices / net.fundamental_price, s.last_return),
        (net.ccp_of, s.ccp_cash, s.congestion[net.exchange_of]),
        margining.margin_rate(s, params),
        1.0 - s.t / params.max_steps,
    )


@compiled
def observation_rows(
    sheet: tuple,
    own: tuple,
    edges: tuple,
    inverse_degree: np.ndarray,
    inverse_initial_equity: np.ndarray,
    market: tuple,
    infrastructure: tuple,
    margin_rate: float,
    time_left: float,
) -> np.ndarray:
    """The observation matrix from the balance sheet's arrays (see ``observe``):
    ``sheet`` = (cash, securities' value ``[n, 2]``, claims, interbank debts,
    external liabilities, collateral, receivables); ``own`` = (queued units
    ``[n, 2]``, prices, alive, RWA, forced sales); ``edges`` = (debtors,
    creditors, CSR row pointer, interbank); ``market`` = (price / fundamental
    ``[2]``, last return); ``infrastructure`` = (ccp_of, CCP cash, congestion of
    each bank's exchange)."""
    cash, value, claims, owed, external, collateral, receivable = sheet
    pending, prices, alive, rwa, forced = own
    n = cash.shape[0]
    out = np.zeros((n, NUM_FEATURES))
    equity = np.empty(n)
    for i in range(n):
        row = out[i]
        row[2], row[3], row[4], row[5] = cash[i], value[i, 0], value[i, 1], claims[i]
        row[6], row[7], row[8], row[9] = (
            owed[i],
            external[i],
            collateral[i],
            receivable[i],
        )
        row[10] = pending[i, 0] * prices[0] + pending[i, 1] * prices[1]
        assets = cash[i] + value[i, 0] + value[i, 1] + claims[i]
        assets = assets + collateral[i] + receivable[i]
        equity[i] = assets - owed[i] - external[i]
        row[1] = equity[i]
        per_asset = 1.0 / assets if assets > 0 else 0.0
        row[1:11] *= per_asset
        row[0] = alive[i]
        row[11] = equity[i] * inverse_initial_equity[i]
        row[12] = equity[i] * (1.0 / rwa[i] if rwa[i] > 0 else 0.0)
        row[13] = forced[i] * per_asset
    h = np.where(alive, metrics.equity_distress(equity, inverse_initial_equity), 1.0)
    _neighbour_columns(out, h, alive, claims, edges, inverse_degree)
    ccp_of, ccp_cash, congestion = infrastructure
    ccp_owed = np.bincount(ccp_of, collateral + receivable, ccp_cash.shape[0])
    ccp_ratio = (ccp_cash - ccp_owed) * positive_ratio(1.0, ccp_owed, 0.0)
    defaulted = 1.0 - np.count_nonzero(alive) / n
    relative_price, last_return = market
    for i in range(n):
        c = ccp_of[i]
        out[i, 18], out[i, 19] = relative_price[0], relative_price[1]
        out[i, 20], out[i, 21] = last_return, defaulted
        out[i, 22], out[i, 23] = congestion[i], margin_rate
        out[i, 24], out[i, 25] = ccp_ratio[c], time_left
    return _clipped(out, alive)


@compiled
def _neighbour_columns(out, h, alive, claims, edges, inverse_degree):
    """Columns 14-17: mean and max distress ``h`` of each bank's neighbours, the
    share of them dead, distress weighted by the bank's claims on each of them."""
    debtors, creditors, row_ptr, interbank = edges
    exposure = np.zeros(out.shape[0])
    for bank in range(out.shape[0]):
        total, largest, dead = 0.0, 0.0, 0.0
        for e in range(row_ptr[bank], row_ptr[bank + 1]):  # the edges bank owes on
            neighbour = creditors[e]
            total += h[neighbour]
            largest = max(largest, h[neighbour])
            dead += 0.0 if alive[neighbour] else 1.0
            exposure[neighbour] += interbank[e] * h[bank]
        out[bank, 14] = total * inverse_degree[bank]
        out[bank, 15] = largest
        out[bank, 16] = dead * inverse_degree[bank]
    out[:, 17] = exposure * positive_ratio(1.0, claims, 0.0)


@compiled
def _clipped(out, alive):
    """``out`` as float32, dead banks' own ratios (columns 1-13) zeroed, every
    column clipped to its bounds (NaN passes through, for the checks to see)."""
    result = np.empty(out.shape, np.float32)
    for bank in range(out.shape[0]):
        for k in range(out.shape[1]):
            v = out[bank, k] if alive[bank] or not 1 <= k <= 13 else 0.0
            if v < _LOW[k]:
                v = _LOW[k]
            elif v > _HIGH[k]:
                v = _HIGH[k]
            result[bank, k] = v
    return result


_LOW = OBSERVATION_LOW.astype(np.float64)
_HIGH = OBSERVATION_HIGH.astype(np.float64)


def global_state(
    net: Network, s: State, params: ContagionParams, obs: np.ndarray | None = None
) -> np.ndarray:
    """Every bank's observation, then congestion ``[X]`` and CCP equity ratios
    ``[C]`` (float32; ``env.global_state_space`` bounds it)."""
    obs = observe(net, s, params) if obs is None else obs
    due = accounts.receivables_due(s.receivable)
    collateral = s.initial_margin + s.default_fund + due
    ccp_ratio = positive_ratio(
        accounts.ccp_equity(net, s),
        np.bincount(net.ccp_of, weights=collateral, minlength=s.ccp_cash.shape[0]),
        0.0,
    )
    extra = np.concatenate([np.clip(s.congestion, 0, 10), np.clip(ccp_ratio, -1, 1)])
    return np.concatenate([obs.ravel(), extra.astype(np.float32)])
