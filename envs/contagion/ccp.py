"""Central counterparties: margins, the Cover-2 default fund and the waterfall.

Each CCP clears futures on the illiquid security between its member banks and an
outside member (the rest of the market, which never defaults), so the positions of
every CCP sum to zero and so does variation margin. Pure functions over arrays;
``ccp_of[i]`` is bank ``i``'s CCP.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
from scipy.special import ndtri

from gridmarket.envs.contagion.arrays import compiled, share


def initial_margin(
    position: np.ndarray,
    price: float,
    volatility: float,
    confidence: float,
    margin_period: int,
) -> np.ndarray:
    """IM = z_q · σ · √MPOR · |position| · price (currency).

    ``σ`` is the per-step volatility of log-returns, ``z_q`` the standard normal
    quantile at ``confidence`` (2.326 at 99%), MPOR the margin period in steps.
    """
    z, root = margin_constants(confidence, margin_period)
    return margin_requirement(position, price, z * volatility * root)


@compiled
def margin_requirement(position: np.ndarray, price: float, rate: float) -> np.ndarray:
    """IM = ``rate`` · |position| · price, with ``rate = z_q · σ · √MPOR``."""
    return rate * np.abs(position) * price


@functools.lru_cache(maxsize=64)
def margin_constants(confidence: float, margin_period: int) -> tuple[float, float]:
    """``(z_q, √MPOR)`` of initial margin (cached: scipy's ndtri costs µs a call)."""
    return float(ndtri(confidence)), float(np.sqrt(margin_period))


@compiled
def cover2_default_fund(
    position: np.ndarray,
    price: float,
    margin: np.ndarray,
    stress_move: float,
    ccp_of: np.ndarray,
    num_ccps: int,
    members: np.ndarray,
) -> np.ndarray:
    """Default fund per CCP ``[C]`` sized to Cover 2.

    A member's uncollateralized stress loss is ``max(|position| · price ·
    stress_move − IM, 0)``; each CCP's fund equals the sum of the two largest such
    losses among its ``members`` (bool mask).
    """
    stress = np.maximum(np.abs(position) * price * stress_move - margin, 0.0)
    largest, second = np.zeros(num_ccps), np.zeros(num_ccps)
    for bank in range(stress.shape[0]):
        loss, c = stress[bank], ccp_of[bank]
        if not members[bank] or loss <= second[c]:
            continue
        if loss > largest[c]:
            second[c], largest[c] = largest[c], loss
        else:
            second[c] = loss
    return second + largest


@compiled
def contributions(
    fund: np.ndarray, margin: np.ndarray, ccp_of: np.ndarray, members: np.ndarray
) -> np.ndarray:
    """Each member's share of its CCP's fund, pro rata to initial margin ``[n]``."""
    weights = np.where(members, margin, 0.0)
    totals = np.bincount(ccp_of, weights, fund.shape[0])
    # margins are >= 0, so a CCP's total is 0 only where all its weights are 0
    return fund[ccp_of] * share(weights, totals[ccp_of])


@compiled
def variation_margin(
    position: np.ndarray, outside_position: np.ndarray, price_change: float
) -> tuple[np.ndarray, np.ndarray]:
    """VM ``position · ΔF`` of banks ``[n]`` and outside members ``[C]`` (+ = receive).

    Positions of each CCP sum to zero, so Σ VM = 0 per CCP.
    """
    return position * price_change, outside_position * price_change


@dataclass(frozen=True)
class Waterfall:
    """How defaulters' losses were covered, layer by layer.

    Per CCP ``[C]`` (currency): ``loss``, ``defaulter_margin``, ``defaulter_fund``,
    ``skin_in_the_game``, ``survivor_fund``, ``assessments``, ``uncovered`` (borne
    by the CCP's own equity); they satisfy loss = the sum of the six layers.
    Per bank ``[n]``: ``initial_margin`` and ``default_fund`` after the waterfall,
    ``assessed`` (cash each survivor paid), ``written_off`` (the part of each
    defaulter's loss not covered by its own margin and fund), ``sitg_left`` ``[C]``.
    """

    loss: np.ndarray
    defaulter_margin: np.ndarray
    defaulter_fund: np.ndarray
    skin_in_the_game: np.ndarray
    survivor_fund: np.ndarray
    assessments: np.ndarray
    uncovered: np.ndarray
    initial_margin: np.ndarray
    default_fund: np.ndarray
    assessed: np.ndarray
    written_off: np.ndarray
    sitg_left: np.ndarray

    def layers(self) -> np.ndarray:
        """``[6, C]`` the layers in waterfall order."""
        return np.stack(
            [
                self.defaulter_margin,
                self.defaulter_fund,
                self.skin_in_the_game,
                self.survivor_fund,
                self.assessments,
                self.uncovered,
            ]
        )


def default_waterfall(
    loss: np.ndarray,
    defaulters: np.ndarray,
    survivors: np.ndarray,
    margin: np.ndarray,
    fund: np.ndarray,
    cash: np.ndarray,
    ccp_of: np.ndarray,
    sitg: np.ndarray,
    assessment_cap: float,
) -> Waterfall:
    """Cover each defaulter's ``loss`` ``[n]`` in the regulatory order.

    1. the defaulter's initial margin; 2. the defaulter's default-fund contribution;
    3. the CCP's skin in the game; 4. survivors' default-fund contributions, pro rata;
    5. assessments on survivors, each capped at ``assessment_cap`` × its
    contribution and at its cash, pro rata to those caps; 6. what is left is
    uncovered. Survivors' initial margin is never touched.
    """
    num_ccps = sitg.shape[0]
    if not np.count_nonzero(defaulters):
        zero = np.zeros(num_ccps)
        return Waterfall(
            zero, zero, zero, zero, zero, zero, zero, margin, fund,
            np.zeros(margin.shape), np.zeros(margin.shape), sitg,
        )  # fmt: skip
    loss = np.where(defaulters, loss, 0.0)
    from_margin = np.minimum(loss, margin)
    from_fund = np.minimum(loss - from_margin, np.where(defaulters, fund, 0.0))
    written_off = loss - from_margin - from_fund
    remaining = np.bincount(ccp_of, weights=written_off, minlength=num_ccps)
    skin = np.minimum(remaining, sitg)
    remaining = remaining - skin
    survivor_fund = np.where(survivors, fund, 0.0)
    fund_total = np.bincount(ccp_of, weights=survivor_fund, minlength=num_ccps)
    from_survivors = np.minimum(remaining, fund_total)
    remaining = remaining - from_survivors
    survivor_share = _pro_rata(survivor_fund, fund_total, ccp_of)
    capacity = np.where(
        survivors, np.minimum(assessment_cap * fund, np.maximum(cash, 0.0)), 0.0
    )
    capacity_total = np.bincount(ccp_of, weights=capacity, minlength=num_ccps)
    assessments = np.minimum(remaining, capacity_total)
    uncovered = remaining - assessments
    assessed = assessments[ccp_of] * _pro_rata(capacity, capacity_total, ccp_of)
    return Waterfall(
        loss=np.bincount(ccp_of, weights=loss, minlength=num_ccps),
        defaulter_margin=np.bincount(ccp_of, weights=from_margin, minlength=num_ccps),
        defaulter_fund=np.bincount(ccp_of, weights=from_fund, minlength=num_ccps),
        skin_in_the_game=skin,
        survivor_fund=from_survivors,
        assessments=assessments,
        uncovered=uncovered,
        initial_margin=margin - from_margin,
        default_fund=fund - from_fund - from_survivors[ccp_of] * survivor_share,
        assessed=assessed,
        written_off=written_off,
        sitg_left=sitg - skin,
    )


def _pro_rata(
    weights: np.ndarray, totals: np.ndarray, ccp_of: np.ndarray
) -> np.ndarray:
    total = totals[ccp_of]
    return np.divide(weights, total, out=np.zeros(weights.shape), where=total > 0)
