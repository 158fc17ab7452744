"""The reward of a contagion_v0 bank: its terms, as one compiled function.

``profit + μ·liquidity − α_d·default − λ·systemic_risk`` (``RewardParams``):
profit is the change of the bank's book equity over its initial equity;
liquidity its liquidity-coverage ratio (``metrics.liquidity_ratio``); default 1
in the step it defaults; systemic risk the system's stress index
(``metrics.stress_index``), or its increase over the step.
"""

from __future__ import annotations

import numpy as np

from gridmarket.envs.contagion import metrics
from gridmarket.envs.contagion.arrays import compiled

# The terms of a bank's reward: profit, +μ·liquidity, −α_d·default, −λ·systemic risk.
REWARD_PARTS = ("profit", "liquidity", "default", "systemic")


@compiled
def reward_terms(accounts_after, acting, new, start, initial, sheet, weights):
    """The reward's terms ``[4, n]`` and their sum ``[n]`` (0 for banks dead
    before the step, ``acting`` False). ``accounts_after`` = (book equity, cash,
    units, prices) after the step; ``start`` = (book equity, stress index) before
    it (the index 0 unless the charge is on its increase); ``initial`` = (initial
    equity ``[n]``, its sum); ``sheet`` = (equity, total liabilities) after it;
    ``weights`` = (μ, α_d, λ, liquidity runoff)."""
    book_equity, cash, units, prices = accounts_after
    equity_start, stress_start = start
    initial_equity, total_equity = initial
    equity, liabilities = sheet
    liquidity_weight, default_penalty, systemic_weight, runoff = weights
    liquidity = metrics.liquidity_ratio(
        cash, units[:, 0] * prices[0], liabilities, runoff
    )
    stress = metrics.system_stress(equity, total_equity) - stress_start
    terms = np.zeros((len(REWARD_PARTS), book_equity.shape[0]))
    for i in range(book_equity.shape[0]):
        if acting[i]:
            terms[0, i] = (book_equity[i] - equity_start[i]) / initial_equity[i]
            terms[1, i] = liquidity_weight * (0.0 if new[i] else liquidity[i])
            terms[2, i] = -default_penalty * new[i]
            terms[3, i] = -systemic_weight * stress
    rewards = np.zeros(book_equity.shape[0])
    for row in terms:  # left to right, as Python's sum of ``reward_parts``
        rewards = rewards + row
    return terms, rewards
