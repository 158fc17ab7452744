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


def risk_weights(params: ContagionParams) -> np.ndarray:
    """(liquid, illiquid, interbank, collateral) risk weights of ``BankingParams``."""
    banking = params.banking
    return np.array(
        [
            banking.risk_weight_liquid,
            banking.risk_weight_illiquid,
            banking.risk_weight_interbank,
            banking.risk_weight_collateral,
        ]
    )


def _own_features(
    net: Network, s: State, params: ContagionParams
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Columns 0–13 ``[n, 14]``, plus equity and interbank claims for reuse."""
    claims = accounts.interbank_claims(net, s)
    owed = accounts.interbank_liabilities(net, s)
    securities = s.units * s.prices
    collateral = s.initial_margin + s.default_fund
    receivable = s.receivable.sum(axis=0)
    assets = s.cash + securities.sum(axis=1) + collateral + receivable + claims
    equity = assets - owed - s.external_liabilities
    rwa = accounts.risk_weighted_assets(net, s, risk_weights(params))
    per_asset = _ratio(np.ones(net.num_banks), assets)
    by_assets = [equity, s.cash, securities[:, 0], securities[:, 1], claims, owed]
    by_assets += [s.external_liabilities, collateral, receivable, s.pending @ s.prices]
    scaled = np.stack(by_assets, axis=1) * per_asset[:, None]
    others = np.stack(
        [
            _ratio(equity, net.initial_equity),
            _ratio(equity, rwa),
            (s.forced_liquid + s.forced_capital) * per_asset,
        ],
        axis=1,
    )
    alive = s.alive[:, None].astype(np.float64)
    return np.concatenate([alive, scaled, others], axis=1), equity, claims


def _neighbour_features(
    net: Network, s: State, equity: np.ndarray, claims: np.ndarray
) -> np.ndarray:
    """Columns 14–17: mean and max neighbour distress, share of neighbours dead,
    distress weighted by the bank's claims on each counterparty."""
    n = net.num_banks
    h = metrics.distress(equity, net.initial_equity, s.alive)
    mean_h, max_h = neighbour_distress(net, h)
    dead = (~s.alive[net.creditors]).astype(np.float64)
    dead_share = _ratio(np.bincount(net.debtors, weights=dead, minlength=n), net.degree)
    exposure = np.bincount(
        net.creditors, weights=s.interbank * h[net.debtors], minlength=n
    )
    return np.stack([mean_h, max_h, dead_share, _ratio(exposure, claims)], axis=1)


def _market_and_infrastructure(
    net: Network, s: State, params: ContagionParams
) -> tuple[np.ndarray, np.ndarray]:
    """Columns 18–21 (shared market features) and 22–25 ``[n, 4]``."""
    n = net.num_banks
    shared = np.array(
        [*(s.prices / net.fundamental_price), s.last_return, 1.0 - s.alive.mean()]
    )
    owed = s.initial_margin + s.default_fund + s.receivable.sum(axis=0)
    ccp_owed = np.bincount(net.ccp_of, weights=owed, minlength=s.ccp_cash.shape[0])
    ccp_ratio = _ratio(accounts.ccp_equity(net, s), ccp_owed)
    volatility = float(np.sqrt(max(s.variance, params.market.volatility**2)))
    margin_rate = float(ndtri(params.ccp.confidence)) * volatility
    margin_rate *= np.sqrt(params.ccp.margin_period)
    infrastructure = np.stack(
        [
            s.congestion[net.exchange_of],
            np.full(n, margin_rate),
            ccp_ratio[net.ccp_of],
            np.full(n, 1.0 - s.t / params.max_steps),
        ],
        axis=1,
    )
    return np.broadcast_to(shared, (n, 4)), infrastructure


def observe(net: Network, s: State, params: ContagionParams) -> np.ndarray:
    """Observations ``[n, NUM_FEATURES]`` float32, every column within its bounds.

    Defaulted banks see their alive flag 0 and zeros for their own ratios.
    """
    own, equity, claims = _own_features(net, s, params)
    neighbours = _neighbour_features(net, s, equity, claims)
    market, infrastructure = _market_and_infrastructure(net, s, params)
    obs = np.concatenate([own, neighbours, market, infrastructure], axis=1)
    obs[~s.alive, 1:14] = 0.0
    return np.clip(obs, OBSERVATION_LOW, OBSERVATION_HIGH).astype(np.float32)


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
