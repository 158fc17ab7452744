"""Baseline bank policies: vectorized maps from observations ``[n, K]`` to actions
``[n, 4]`` (lend, hoard, sell, borrow), all in ``[0, 1]``.

* ``RandomPolicy``: every action uniform in [0, 1], from its own seeded generator.
* ``RuleBasedPolicy``: a cautious treasurer. It lends half its excess cash only
  while its capital ratio is above 10% and its neighbours are calm (mean distress
  < 0.2); calls back half its loans when a neighbour is badly distressed (max
  distress > 0.5); sells 20% of its securities when cash is below 2% of assets or
  the risk-weighted capital ratio below 9%; borrows half its allowance when cash is
  below 3% of assets.
* ``MyopicPolicy``: greedy for the *next* reward with prices held fixed. Selling
  loses the discount and fees and calling loans loses interest, so it never does
  either; it keeps the liquidity-coverage ratio of the reward at 1 and lends the
  cash above that; it borrows in full when coverage is below 1.
* ``GreedyPolicy``: maximizes interest income, blind to risk: lends all excess
  cash, never hoards, sells or borrows.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from gridmarket.envs.contagion.observation import OBSERVATION_FEATURES

FEATURE = {name: index for index, (name, _, _) in enumerate(OBSERVATION_FEATURES)}
Policy = Callable[[np.ndarray], np.ndarray]


class RandomPolicy:
    """Uniform random actions."""

    def __init__(self, seed: int | None = None) -> None:
        self.rng = np.random.default_rng(seed)

    def __call__(self, obs: np.ndarray) -> np.ndarray:
        return self.rng.random((obs.shape[0], 4))


class RuleBasedPolicy:
    """Threshold rules of a cautious treasurer (see the module docstring)."""

    def __call__(self, obs: np.ndarray) -> np.ndarray:
        cash = obs[:, FEATURE["cash_to_assets"]]
        capital = obs[:, FEATURE["risk_weighted_capital_ratio"]]
        calm = obs[:, FEATURE["neighbour_distress_mean"]] < 0.2
        alarm = obs[:, FEATURE["neighbour_distress_max"]] > 0.5
        actions = np.zeros((obs.shape[0], 4))
        actions[:, 0] = np.where((capital > 0.10) & calm, 0.5, 0.0)
        actions[:, 1] = np.where(alarm, 0.5, 0.0)
        actions[:, 2] = np.where((cash < 0.02) | (capital < 0.09), 0.2, 0.0)
        actions[:, 3] = np.where(cash < 0.03, 0.5, 0.0)
        return actions


class MyopicPolicy:
    """One-step reward maximizer with prices held fixed (see the module docstring).

    Args:
        runoff: the reward's liquidity runoff share (``BankingParams.liquidity_runoff``).
    """

    def __init__(self, runoff: float = 0.1) -> None:
        self.runoff = runoff

    def __call__(self, obs: np.ndarray) -> np.ndarray:
        cash = obs[:, FEATURE["cash_to_assets"]].astype(np.float64)
        liquid = obs[:, FEATURE["liquid_to_assets"]]
        liabilities = (
            obs[:, FEATURE["interbank_liabilities_to_assets"]]
            + obs[:, FEATURE["external_liabilities_to_assets"]]
        )
        need = self.runoff * liabilities
        spare = np.maximum(cash + liquid - need, 0.0)
        actions = np.zeros((obs.shape[0], 4))
        actions[:, 0] = np.divide(
            np.minimum(spare, cash), cash, out=np.zeros_like(cash), where=cash > 0
        )
        actions[:, 3] = np.where(cash + liquid < need, 1.0, 0.0)
        return actions


class GreedyPolicy:
    """Lend every unit of excess cash, nothing else."""

    def __call__(self, obs: np.ndarray) -> np.ndarray:
        actions = np.zeros((obs.shape[0], 4))
        actions[:, 0] = 1.0
        return actions


BASELINES: dict[str, Callable[..., Policy]] = {
    "random": RandomPolicy,
    "rule_based": RuleBasedPolicy,
    "myopic": MyopicPolicy,
    "greedy": GreedyPolicy,
}


def make_policy(policy: str | Policy, seed: int | None = None) -> Policy:
    """A baseline by name (``random`` takes ``seed``), or a callable as given."""
    if callable(policy):
        return policy
    if not isinstance(policy, str) or policy not in BASELINES:
        raise ValueError(
            f"unknown policy {policy!r}; allowed are {sorted(BASELINES)} or a callable "
            "mapping observations [n, K] to actions [n, 4]"
        )
    return RandomPolicy(seed) if policy == "random" else BASELINES[policy]()
