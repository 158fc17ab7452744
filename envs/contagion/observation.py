"""Per-bank observations and the global state for a centralized critic.

Each bank sees a fixed-size float32 vector (``OBSERVATION_FEATURES``), every entry
clipped to its stated bounds. Neighbour aggregates use the edge arrays (bincount and
``maximum.reduceat`` over the CSR-sorted edges), never networkx.
"""

from __future__ import annotations

import functools
import math
from typing import NamedTuple

import numpy as np

from gridmarket.envs.contagion import accounts, ccp, metrics
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


def _ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    return np.divide(
        numerator,
        denominator,
        out=np.zeros_like(numerator, dtype=np.float64),
        where=denominator > 0,
    )


def neighbour_distress(net: Network, h: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and max distress ``[n]`` over each bank's network neighbours."""
    n = net.num_banks
    values = h[net.creditors]
    mean = np.bincount(net.debtors, weights=values, minlength=n) * net.inverse_degree
    if not values.size:
        return mean, np.zeros(n)
    # reduceat over each bank's CSR row; isolated banks (no row) get 0
    reduced = np.maximum.reduceat(values, net.neighbour_starts)
    if net.has_isolated:
        reduced = np.where(net.degree > 0, reduced, 0.0)
    return mean, reduced


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


def _inverse(values: np.ndarray) -> np.ndarray:
    """``1 / values`` where ``values > 0``, else 0 (a ratio's safe multiplier).

    ``True / x`` is ``1 / x`` and ``False / 1`` is 0: the numbers of a masked
    ``np.divide(1.0, values, where=values > 0)`` in three plain ufunc calls.
    """
    positive = values > 0
    return positive / np.where(positive, values, 1.0)


def margin_rate(s: State, params: ContagionParams) -> float:
    """Initial margin per unit of notional: ``z_q · σ · √MPOR`` (σ floored)."""
    volatility = math.sqrt(max(s.variance, params.market.volatility**2))
    z, root = ccp.margin_constants(params.ccp.confidence, params.ccp.margin_period)
    return z * volatility * root


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
        receivable = np.add.reduce(s.receivable, axis=0)
    value = s.units * s.prices
    collateral = s.initial_margin + s.default_fund
    weights = risk_weights(params)  # the sum of accounts.risk_weighted_assets
    rwa = value @ weights[:2] + weights[2] * claims + weights[3] * collateral
    return Ledger(claims, owed, value, receivable, collateral, rwa)


def observe(
    net: Network, s: State, params: ContagionParams, sums: Ledger | None = None
) -> np.ndarray:
    """Observations ``[n, NUM_FEATURES]`` float32, every column within its bounds.

    Defaulted banks see their alive flag 0 and zeros for their own ratios. The
    columns are written into one ``[K, n]`` array (one numpy call each) and
    transposed at the end: at 100 banks numpy's per-call cost, not arithmetic,
    is what an observation costs. ``sums``: ``ledger(net, s, params)`` when the
    caller has it (``core.step`` returns it for the state it returns).
    """
    n = net.num_banks
    out = np.empty((NUM_FEATURES, n))
    claims, owed, value, receivable, collateral, rwa = (
        ledger(net, s, params) if sums is None else sums
    )
    # Own balance sheet, by assets (rows 1-10), then rows 0 and 11-13.
    out[2] = s.cash
    out[3:5] = value.T
    out[5] = claims
    out[6] = owed
    out[7] = s.external_liabilities
    out[8] = collateral
    out[9] = receivable
    out[10] = s.pending @ s.prices
    assets = np.add.reduce(out[2:6], axis=0) + collateral + receivable
    equity = assets - owed - s.external_liabilities
    out[1] = equity
    per_asset = _inverse(assets)
    out[1:11] *= per_asset
    out[0] = s.alive
    out[11] = equity * net.inverse_initial_equity
    out[12] = equity * _inverse(rwa)
    out[13] = (s.forced_liquid + s.forced_capital) * per_asset
    alive = np.count_nonzero(s.alive)
    _neighbour_rows(net, s, equity, claims, out, alive < n)
    _shared_rows(net, s, params, collateral + receivable, out, alive)
    if alive < n:
        out[1:14, ~s.alive] = 0.0
    np.maximum(out, _LOW_COLUMN, out=out)
    np.minimum(out, _HIGH_COLUMN, out=out)
    return out.T.astype(np.float32)


_LOW_COLUMN = OBSERVATION_LOW.astype(np.float64)[:, None]
_HIGH_COLUMN = OBSERVATION_HIGH.astype(np.float64)[:, None]


def _neighbour_rows(
    net: Network,
    s: State,
    equity: np.ndarray,
    claims: np.ndarray,
    out: np.ndarray,
    any_dead: bool,
) -> None:
    """Rows 14-17: mean and max neighbour distress, share of neighbours dead,
    distress weighted by the bank's claims on each counterparty."""
    n = net.num_banks
    h = metrics.distress(
        equity, net.initial_equity, s.alive, net.inverse_initial_equity
    )
    out[14], out[15] = neighbour_distress(net, h)
    if any_dead:
        dead = ~s.alive[net.creditors]
        out[16] = (
            np.bincount(net.debtors, weights=dead, minlength=n) * net.inverse_degree
        )
    else:
        out[16] = 0.0
    exposure = np.bincount(
        net.creditors, weights=s.interbank * h[net.debtors], minlength=n
    )
    out[17] = exposure * _inverse(claims)


def _shared_rows(
    net: Network,
    s: State,
    params: ContagionParams,
    owed: np.ndarray,
    out: np.ndarray,
    alive: int,
) -> None:
    """Rows 18-21 (market, the same for every bank) and 22-25 (infrastructure);
    ``alive`` is the number of banks alive."""
    out[18:20] = (s.prices / net.fundamental_price)[:, None]
    out[20] = s.last_return
    out[21] = 1.0 - alive / net.num_banks
    num_ccps = s.ccp_cash.shape[0]
    ccp_owed = np.bincount(net.ccp_of, weights=owed, minlength=num_ccps)
    ccp_ratio = (s.ccp_cash - ccp_owed) * _inverse(ccp_owed)
    out[22] = s.congestion[net.exchange_of]
    out[23] = margin_rate(s, params)
    out[24] = ccp_ratio[net.ccp_of]
    out[25] = 1.0 - s.t / params.max_steps


def global_state(
    net: Network, s: State, params: ContagionParams, obs: np.ndarray | None = None
) -> np.ndarray:
    """Every bank's observation, then congestion ``[X]`` and CCP equity ratios
    ``[C]`` (float32; ``env.global_state_space`` bounds it)."""
    obs = observe(net, s, params) if obs is None else obs
    collateral = s.initial_margin + s.default_fund + s.receivable.sum(axis=0)
    ccp_ratio = _ratio(
        accounts.ccp_equity(net, s),
        np.bincount(net.ccp_of, weights=collateral, minlength=s.ccp_cash.shape[0]),
    )
    extra = np.concatenate([np.clip(s.congestion, 0, 10), np.clip(ccp_ratio, -1, 1)])
    return np.concatenate([obs.ravel(), extra.astype(np.float32)])
