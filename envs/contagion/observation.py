"""Per-bank observations and the global state for a centralized critic.

Each bank sees a fixed-size float32 vector (``OBSERVATION_FEATURES``), every entry
clipped to its stated bounds. Neighbour aggregates use the edge arrays (bincount and
``maximum.reduceat`` over the CSR-sorted edges), never networkx.
"""

from __future__ import annotations

import numpy as np
from scipy.special import ndtri

from gridmarket.envs.contagion import accounts, metrics
from gridmarket.envs.contagion.params import ContagionParams
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
    degree = net.degree
    mean = _ratio(np.bincount(net.debtors, weights=values, minlength=n), degree)
    maximum = np.zeros(n)
    has = degree > 0
    if values.size:
        reduced = np.maximum.reduceat(
            values, np.minimum(net.neighbour_ptr[:-1], values.size - 1)
        )
        maximum[has] = reduced[has]
    return mean, maximum


def observe(net: Network, s: State, params: ContagionParams) -> np.ndarray:
    """Observations ``[n, NUM_FEATURES]`` float32, every column within its bounds."""
    n = net.num_banks
    claims = accounts.interbank_claims(net, s)
    owed = accounts.interbank_liabilities(net, s)
    securities = s.units * s.prices
    collateral = s.initial_margin + s.default_fund
    receivable = s.receivable.sum(axis=0)
    assets = s.cash + securities.sum(axis=1) + collateral + receivable + claims
    equity = assets - owed - s.external_liabilities
    banking = params.banking
    weights = np.array(
        [
            banking.risk_weight_liquid,
            banking.risk_weight_illiquid,
            banking.risk_weight_interbank,
            banking.risk_weight_collateral,
        ]
    )
    rwa = accounts.risk_weighted_assets(net, s, weights)
    h = metrics.distress(equity, net.initial_equity, s.alive)
    mean_h, max_h = neighbour_distress(net, h)
    dead_neighbours = _ratio(
        np.bincount(
            net.debtors, weights=(~s.alive[net.creditors]).astype(float), minlength=n
        ),
        net.degree,
    )
    weighted = _ratio(
        np.bincount(net.creditors, weights=s.interbank * h[net.debtors], minlength=n),
        claims,
    )
    ccp_collateral = np.bincount(
        net.ccp_of, weights=collateral + receivable, minlength=s.ccp_cash.shape[0]
    )
    ccp_ratio = _ratio(accounts.ccp_equity(net, s), ccp_collateral)
    volatility = float(np.sqrt(max(s.variance, params.market.volatility**2)))
    z = float(ndtri(params.ccp.confidence))
    margin_rate = z * volatility * np.sqrt(params.ccp.margin_period)
    per_asset = _ratio(np.ones(n), assets)
    scaled_by_assets = (
        np.stack(
            [
                equity,
                s.cash,
                securities[:, 0],
                securities[:, 1],
                claims,
                owed,
                s.external_liabilities,
                collateral,
                receivable,
                s.pending @ s.prices,
            ],
            axis=1,
        )
        * per_asset[:, None]
    )
    own = np.concatenate(
        [
            s.alive[:, None].astype(np.float64),
            scaled_by_assets,
            np.stack(
                [
                    _ratio(equity, net.initial_equity),
                    _ratio(equity, rwa),
                    (s.forced_liquid + s.forced_capital) * per_asset,
                ],
                axis=1,
            ),
        ],
        axis=1,
    )
    neighbours = np.stack([mean_h, max_h, dead_neighbours, weighted], axis=1)
    shared = np.array(
        [
            *(s.prices / net.fundamental_price),
            s.last_return,
            1.0 - s.alive.mean(),
        ]
    )
    infrastructure = np.stack(
        [
            s.congestion[net.exchange_of],
            np.full(n, margin_rate),
            ccp_ratio[net.ccp_of],
            np.full(n, 1.0 - s.t / params.max_steps),
        ],
        axis=1,
    )
    obs = np.concatenate(
        [own, neighbours, np.broadcast_to(shared, (n, 4)), infrastructure], axis=1
    )
    obs[~s.alive, 1:14] = 0.0
    return np.clip(obs, OBSERVATION_LOW, OBSERVATION_HIGH).astype(np.float32)


def global_state_size(net: Network) -> int:
    """Length of :func:`global_state`: all observations, then exchanges and CCPs."""
    return net.num_banks * NUM_FEATURES + net.num_exchanges + net.num_ccps


def global_state(
    net: Network, s: State, params: ContagionParams, obs: np.ndarray | None = None
) -> np.ndarray:
    """Every bank's observation, then congestion ``[X]`` and CCP equity ratios
    ``[C]`` (float32, within ``global_state_bounds``)."""
    obs = observe(net, s, params) if obs is None else obs
    collateral = s.initial_margin + s.default_fund + s.receivable.sum(axis=0)
    ccp_ratio = _ratio(
        accounts.ccp_equity(net, s),
        np.bincount(net.ccp_of, weights=collateral, minlength=s.ccp_cash.shape[0]),
    )
    extra = np.concatenate([np.clip(s.congestion, 0, 10), np.clip(ccp_ratio, -1, 1)])
    return np.concatenate([obs.ravel(), extra.astype(np.float32)])


def global_state_bounds(net: Network) -> tuple[np.ndarray, np.ndarray]:
    low = np.concatenate(
        [
            np.tile(OBSERVATION_LOW, net.num_banks),
            np.zeros(net.num_exchanges),
            -np.ones(net.num_ccps),
        ]
    ).astype(np.float32)
    high = np.concatenate(
        [
            np.tile(OBSERVATION_HIGH, net.num_banks),
            np.full(net.num_exchanges, 10.0),
            np.ones(net.num_ccps),
        ]
    ).astype(np.float32)
    return low, high
