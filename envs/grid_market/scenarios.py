"""Scenario name -> oracle, starting state and env parameters of GridMarket-v0.

Each scenario has a data cutoff month; its oracle was trained on the months whose
12-month target window closes by the cutoff, minus the last 12 such months, which are
held out. The starting state is the last training month in the oracle's scaling:

================  =======  ===============  ================  ==============
scenario          cutoff   training months  held-out months   starting month
================  =======  ===============  ================  ==============
dotcom-2001       2002-01  1996-12..2000-01 2000-02..2001-01  2000-01
gfc-2007          2009-01  1996-12..2007-01 2007-02..2008-01  2007-01
inflation-2022    2023-01  1996-12..2020-12 2021-01..2021-12  2020-12
================  =======  ===============  ================  ==============

(The 2023-01 cutoff lies past the data, which ends 2022-12.) A 12-step episode thus
walks through the held-out year, and its terminal month is the last held-out month,
whose real forward return is the crisis year itself. :func:`realized_path` gives the
path that actually happened, for comparisons.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np

from gridmarket.envs.grid_market.core import (
    N_FEATURES,
    PENALTY_BOUND,
    GridMarketParams,
    PathPlausibility,
)
from gridmarket.oracles import SCENARIOS, Oracle, load_oracle
from gridmarket.oracles.data import (
    SCENARIO_SPECS,
    build_feature_table,
    check_scenario,
    month_str,
)
from gridmarket.oracles.ebm import EBMOracle, load_ebm_oracle
from gridmarket.oracles.synthetic import SYNTHETIC_SCENARIO, SyntheticModesOracle

DEFAULT_SCENARIO = "gfc-2007"
#: ``point``: the shipped point regressor (predicted return). ``ebm``: the shipped
#: energy-based model of the S&P 500 return (a predictive distribution).
ORACLES: tuple[str, ...] = ("point", "ebm")
#: The real-data scenarios, then the synthetic sampler check.
ALL_SCENARIOS = (*SCENARIOS, SYNTHETIC_SCENARIO)

#: Reward temperature per scenario, as the tuned examples and ``gridmarket
#: evaluate`` use it. The oracles' predicted returns span very different ranges
#: (gfc-2007: about +2..+10%, inflation-2022: -28..+73%), so one temperature cannot
#: fit all: these make the best terminal states that random paths reach score
#: log R of about 5-10. (The env's own default is 1.)
TUNED_REWARD_TEMPERATURE = {
    "dotcom-2001": 0.25,
    "gfc-2007": 0.01,
    "inflation-2022": 2.5,
    "synthetic-modes": 3.0,
}

__all__ = [
    "ALL_SCENARIOS",
    "DEFAULT_SCENARIO",
    "SCENARIOS",
    "TUNED_REWARD_TEMPERATURE",
    "Scenario",
    "get_scenario",
    "make_params",
    "path_plausibility",
    "realized_path",
    "tuned_env_config",
]


def tuned_env_config(
    scenario: str = DEFAULT_SCENARIO,
    *,
    reward_temperature: float | None = None,
    ood_mode: str = "clip",
    oracle: str = "point",
    reward: str = "mean",
    tail_threshold: float = -0.20,
    plausibility_weight: float = 0.0,
) -> dict[str, Any]:
    """The GridMarket-v0 kwargs of the tuned examples for ``scenario``.

    ``reward_temperature`` defaults to the scenario's entry in
    TUNED_REWARD_TEMPERATURE, which fits the point oracles' predicted returns; with
    the EBM oracle it defaults to 1 (log-probabilities and softplus of returns
    already live on a scale of a few units).
    """
    if scenario not in TUNED_REWARD_TEMPERATURE:
        raise ValueError(
            f"unknown scenario {scenario!r}; valid scenarios are {list(ALL_SCENARIOS)}"
        )
    if reward_temperature is None:
        reward_temperature = (
            1.0 if oracle == "ebm" else TUNED_REWARD_TEMPERATURE[scenario]
        )
    config: dict[str, Any] = {
        "scenario": scenario,
        "reward_temperature": reward_temperature,
        "ood_mode": ood_mode,
    }
    if oracle != "point" or reward != "mean" or plausibility_weight:
        config.update(
            oracle=oracle,
            reward=reward,
            tail_threshold=tail_threshold,
            plausibility_weight=plausibility_weight,
        )
    return config


@dataclass(frozen=True)
class Scenario:
    """A named scenario: its oracle and starting state (scaled, ``[6]``)."""

    name: str
    cutoff: str
    description: str
    oracle: Oracle | SyntheticModesOracle
    initial_month: str

    @property
    def initial_state(self) -> np.ndarray:
        return self.oracle.initial_state


def get_scenario(name: str) -> Scenario:
    """The scenario ``name`` with its shipped oracle (loaded once per process).

    ``"synthetic-modes"`` is an analytic oracle with known modes
    (:mod:`gridmarket.oracles.synthetic`) for validating samplers. Unknown names
    raise ``ValueError`` listing the valid ones.
    """
    if name == SYNTHETIC_SCENARIO:
        return _synthetic_scenario()
    if isinstance(name, str) and name not in SCENARIOS:
        raise ValueError(
            f"unknown scenario {name!r}; valid scenarios are {list(ALL_SCENARIOS)}"
        )
    return _load_scenario(check_scenario(name))


@cache
def _synthetic_scenario() -> Scenario:
    oracle = SyntheticModesOracle()
    return Scenario(
        name=SYNTHETIC_SCENARIO,
        cutoff="-",
        description="analytic oracle with four known modes (sampler validation)",
        oracle=oracle,
        initial_month=oracle.initial_month,
    )


@cache
def _load_scenario(name: str) -> Scenario:
    spec = SCENARIO_SPECS[name]
    oracle = load_oracle(name)
    return Scenario(
        name=name,
        cutoff=spec.cutoff,
        description=spec.description,
        oracle=oracle,
        initial_month=oracle.initial_month,
    )


def get_oracle(scenario: str, oracle: str = "point") -> Oracle | SyntheticModesOracle:
    """The scenario's point oracle (``"point"``) or EBM oracle (``"ebm"``)."""
    if oracle not in ORACLES:
        raise ValueError(
            f"GridMarket `oracle` must be one of {list(ORACLES)}, got {oracle!r}"
        )
    if oracle == "point":
        return get_scenario(scenario).oracle
    if scenario == SYNTHETIC_SCENARIO:
        raise ValueError(
            f"scenario {SYNTHETIC_SCENARIO!r} has an analytic oracle only; use "
            f"oracle='point' with it"
        )
    return _load_ebm(check_scenario(scenario))


@cache
def _load_ebm(scenario: str) -> EBMOracle:
    return load_ebm_oracle(scenario, "spx")


@cache
def path_plausibility(scenario: str) -> PathPlausibility:
    """Gaussian model of monthly increments of the scenario's training months.

    Increments are month-on-month differences of the training states (scaled units,
    consecutive months); the covariance is Ledoit-Wolf shrinkage (sklearn), which
    stays well conditioned with ~40-290 months in 6 dimensions.
    """
    from sklearn.covariance import LedoitWolf

    if scenario == SYNTHETIC_SCENARIO:
        raise ValueError(
            f"{SYNTHETIC_SCENARIO!r} has no training months: no plausibility"
        )
    states = get_scenario(check_scenario(scenario)).oracle.train_states
    increments = np.diff(np.asarray(states, dtype=np.float64), axis=0)
    fitted = LedoitWolf().fit(increments)
    return PathPlausibility(
        mean=tuple(float(v) for v in fitted.location_),
        precision=tuple(tuple(float(v) for v in row) for row in fitted.precision_),
    )


def make_params(
    scenario: str,
    *,
    horizon: int = 12,
    reward_temperature: float = 1.0,
    ood_mode: str = "clip",
    ood_penalty: float = 1.0,
    oracle: str = "point",
    reward: str = "mean",
    tail_threshold: float = -0.20,
    es_level: float = 0.05,
    plausibility_weight: float = 0.0,
) -> tuple[GridMarketParams, Oracle | SyntheticModesOracle]:
    """Validated env parameters and the oracle of ``scenario``.

    In the clip modes the box is the oracle's training box (``oracle.feature_range``);
    in the penalty mode it is the wide finite box ``+-PENALTY_BOUND``. The EBM and
    point oracles of a scenario share training rows, hence scaling and box.
    """
    model = get_oracle(scenario, oracle)
    if ood_mode in ("clip", "clip+penalty"):
        low, high = model.feature_range[:, 0], model.feature_range[:, 1]
    else:
        low = np.full(N_FEATURES, -PENALTY_BOUND)
        high = np.full(N_FEATURES, PENALTY_BOUND)
    params = GridMarketParams(
        box_low=tuple(float(v) for v in low),
        box_high=tuple(float(v) for v in high),
        initial_x=tuple(float(v) for v in model.initial_state),
        horizon=horizon,
        reward_temperature=reward_temperature,
        ood_mode=ood_mode,
        ood_penalty=ood_penalty,
        reward=reward,
        tail_threshold=tail_threshold,
        es_level=es_level,
        plausibility_weight=plausibility_weight,
    )
    if reward != "mean" and oracle == "point":
        raise ValueError(
            f"GridMarket reward={reward!r} needs a predictive distribution; pass "
            f"oracle='ebm' (the point oracle supports reward='mean' only)"
        )
    return params, model


def realized_path(scenario: str, horizon: int = 12) -> tuple[list[str], np.ndarray]:
    """The months and real scaled features ``[k, 6]`` from the starting month on.

    ``k = min(horizon + 1, months left in the data)``; row 0 is the starting state.
    Values after the training months may lie outside the training box.
    """
    if scenario == SYNTHETIC_SCENARIO:
        raise ValueError(f"{SYNTHETIC_SCENARIO!r} has no realized path: it is not data")
    oracle = get_scenario(check_scenario(scenario)).oracle
    table = build_feature_table()
    start = table.index.get_loc(np.datetime64(f"{oracle.initial_month}-01"))
    rows = table.iloc[start : start + horizon + 1]
    states = oracle.from_real_units(rows[list(oracle.feature_names)].to_numpy())
    return [month_str(m) for m in rows.index], states
