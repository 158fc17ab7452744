"""Scenarios: the exogenous shock process that hits the banks each step.

Each step the scenario draws a ``Shock``:

* a multiplicative factor on each security price (noise, and a crash at
  ``crash_step``), applied on top of the market's mean reversion;
* deposit flows: a share of each bank's deposits withdrawn (negative = inflow):
  Gaussian noise with mean 0, plus, from ``run_start`` to ``run_end``, a run of
  ``run_rate + run_sensitivity · distress`` (distress = share of initial equity
  lost, in [0, 1]);
* credit write-offs: at ``writeoff_step`` the ``writeoff_banks`` largest banks lose
  ``writeoff_share`` of their illiquid book (borrowers default).

The four scenarios:

``normal``: 0.5% illiquid / 0.1% liquid price noise, ±0.5% deposit noise; no event.
``liquidity_crisis``: a deposit run from step 3 to 20 at 3% per step, plus 10% per
    unit of distress, on top of the normal noise.
``asset_crash``: at step 5 the illiquid price falls 8% and the liquid one 1%; the
    price noise is 2% per step afterwards.
``systemic``: at step 3 the largest bank loses 60% of its illiquid book, the
    illiquid price falls 6% and a 2% (+10% per unit of distress) run lasts steps
    3 to 15: an idiosyncratic failure, a fire sale and a run together.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gridmarket.envs.contagion.checks import check_float, check_int


@dataclass(frozen=True)
class ScenarioParams:
    """One shock process (shares are of the price, deposits or book, per step)."""

    name: str
    price_noise_liquid: float = 0.001
    price_noise_illiquid: float = 0.005
    deposit_noise: float = 0.005
    crash_step: int = -1
    crash_liquid: float = 0.0
    crash_illiquid: float = 0.0
    post_crash_noise: float = 0.005
    run_start: int = -1
    run_end: int = -1
    run_rate: float = 0.0
    run_sensitivity: float = 0.0
    writeoff_step: int = -1
    writeoff_banks: int = 0
    writeoff_share: float = 0.0

    def __post_init__(self) -> None:
        for name in (
            "price_noise_liquid",
            "price_noise_illiquid",
            "deposit_noise",
            "post_crash_noise",
        ):
            check_float(f"ScenarioParams.{name}", getattr(self, name), 0.0, 0.5)
        for name in ("crash_liquid", "crash_illiquid", "run_rate", "writeoff_share"):
            check_float(
                f"ScenarioParams.{name}", getattr(self, name), 0.0, 1.0, high_open=True
            )
        check_float("ScenarioParams.run_sensitivity", self.run_sensitivity, 0.0, 1.0)
        for name in ("crash_step", "run_start", "run_end", "writeoff_step"):
            check_int(f"ScenarioParams.{name}", getattr(self, name), -1)
        check_int("ScenarioParams.writeoff_banks", self.writeoff_banks, 0)


SCENARIOS: dict[str, ScenarioParams] = {
    "normal": ScenarioParams("normal"),
    "liquidity_crisis": ScenarioParams(
        "liquidity_crisis", run_start=3, run_end=20, run_rate=0.03, run_sensitivity=0.1
    ),
    "asset_crash": ScenarioParams(
        "asset_crash",
        crash_step=5,
        crash_liquid=0.01,
        crash_illiquid=0.08,
        post_crash_noise=0.02,
    ),
    "systemic": ScenarioParams(
        "systemic",
        crash_step=3,
        crash_illiquid=0.06,
        run_start=3,
        run_end=15,
        run_rate=0.02,
        run_sensitivity=0.1,
        writeoff_step=3,
        writeoff_banks=1,
        writeoff_share=0.6,
    ),
}


def get_scenario(scenario: str | ScenarioParams) -> ScenarioParams:
    """A scenario by name (or as given), or a ``ValueError`` listing the names."""
    if isinstance(scenario, ScenarioParams):
        return scenario
    if not isinstance(scenario, str) or scenario not in SCENARIOS:
        raise ValueError(
            f"unknown scenario {scenario!r}; allowed are {sorted(SCENARIOS)} or a "
            "ScenarioParams"
        )
    return SCENARIOS[scenario]


@dataclass(frozen=True)
class Shock:
    """One step's exogenous shock.

    Attributes:
        price_factor: ``[2]`` multiplies the security prices.
        withdrawal: ``[n]`` share of deposits withdrawn (negative: deposited).
        writeoff: ``[n]`` share of the illiquid book written off, in [0, 1).
    """

    price_factor: np.ndarray
    withdrawal: np.ndarray
    writeoff: np.ndarray


def run_active(scenario: ScenarioParams, t: int) -> bool:
    """Whether step ``t`` (1-based) is in the scenario's bank run."""
    return scenario.run_start <= t <= scenario.run_end and scenario.run_start >= 0


def draw_shock(
    scenario: ScenarioParams,
    t: int,
    distress: np.ndarray,
    assets: np.ndarray,
    rng: np.random.Generator,
) -> Shock:
    """The scenario's shock at step ``t`` (1-based) given each bank's distress."""
    n = distress.shape[0]
    after_crash = 0 <= scenario.crash_step < t
    noise = (
        scenario.price_noise_liquid,
        scenario.post_crash_noise if after_crash else scenario.price_noise_illiquid,
    )
    # σ·z − σ²/2 per security, in Python floats (two numbers, no numpy calls)
    draws = rng.standard_normal(2).tolist()
    log_factor = np.array(
        [s * z - 0.5 * (s * s) for s, z in zip(noise, draws, strict=True)]
    )
    if t == scenario.crash_step:
        log_factor += np.log1p(
            -np.array([scenario.crash_liquid, scenario.crash_illiquid])
        )
    withdrawal = scenario.deposit_noise * rng.standard_normal(n)
    if run_active(scenario, t):
        withdrawal += scenario.run_rate + scenario.run_sensitivity * distress
    writeoff = np.zeros(n)
    if t == scenario.writeoff_step and scenario.writeoff_banks > 0:
        largest = np.argsort(-assets, kind="stable")[: scenario.writeoff_banks]
        writeoff[largest] = scenario.writeoff_share
    # minimum(maximum()) is np.clip without its Python wrapper (same numbers)
    withdrawal = np.minimum(np.maximum(withdrawal, -0.5), 0.9)
    return Shock(np.exp(log_factor), withdrawal, writeoff)
