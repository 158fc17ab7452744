"""The keyword arguments every contagion adapter takes, turned into core params.

``contagion_v0.parallel_env``, ``contagion_v0.env``, ``ContagionVectorEnv`` and
``BankContagion-v0`` accept the same world arguments; this module is their one
owner (no gymnasium or pettingzoo here).
"""

from __future__ import annotations

import warnings
from dataclasses import replace

from gridmarket.envs.contagion.checks import check_int
from gridmarket.envs.contagion.params import ContagionParams
from gridmarket.envs.contagion.scenarios import ScenarioParams, get_scenario

DEFAULT_MAX_CYCLES = 100


def episode_length(max_cycles: int | None, max_steps: int | None, owner: str) -> int:
    """``max_cycles``, or the deprecated ``max_steps`` with a DeprecationWarning."""
    if max_steps is not None:
        if max_cycles is not None:
            raise ValueError(
                f"{owner}: pass `max_cycles` only (`max_steps` is its deprecated "
                f"alias), got max_cycles={max_cycles!r} and max_steps={max_steps!r}"
            )
        warnings.warn(
            f"{owner}(max_steps=...) is deprecated; use max_cycles=... "
            "(the PettingZoo name)",
            DeprecationWarning,
            stacklevel=4,
        )
        return check_int("max_steps", max_steps, 1)
    if max_cycles is None:
        return DEFAULT_MAX_CYCLES
    return check_int("max_cycles", max_cycles, 1)


def world_params(
    *,
    num_banks: int,
    max_cycles: int,
    params: ContagionParams | None,
    liquidity_weight: float | None = None,
    default_penalty: float | None = None,
    systemic_weight: float | None = None,
    systemic_charge: str | None = None,
) -> ContagionParams:
    """``params`` (or the defaults) with the adapter's arguments applied.

    The reward weights and the systemic charge, when given, override
    ``params.reward`` (μ, α_d, λ and ``systemic_charge`` of ``RewardParams``), so a
    sweep can vary λ without building params.
    """
    num_banks = check_int("num_banks", num_banks, 2)
    params = ContagionParams() if params is None else params
    if not isinstance(params, ContagionParams):
        raise TypeError(
            f"`params` must be a ContagionParams, got {type(params).__name__}"
        )
    weights = {
        name: value  # RewardParams checks them
        for name, value in (
            ("liquidity_weight", liquidity_weight),
            ("default_penalty", default_penalty),
            ("systemic_weight", systemic_weight),
            ("systemic_charge", systemic_charge),
        )
        if value is not None
    }
    return replace(
        params,
        network=replace(params.network, num_banks=num_banks),
        reward=replace(params.reward, **weights),
        max_steps=max_cycles,
    )


def world_settings(
    *,
    num_banks: int = 30,
    scenario: str | ScenarioParams = "normal",
    max_cycles: int | None = None,
    max_steps: int | None = None,
    params: ContagionParams | None = None,
    liquidity_weight: float | None = None,
    default_penalty: float | None = None,
    systemic_weight: float | None = None,
    systemic_charge: str | None = None,
    owner: str = "contagion_v0.parallel_env",
) -> tuple[ContagionParams, ScenarioParams]:
    """The ``(params, scenario)`` of a multi-bank adapter's keyword arguments."""
    length = episode_length(max_cycles, max_steps, owner)
    params = world_params(
        num_banks=num_banks,
        max_cycles=length,
        params=params,
        liquidity_weight=liquidity_weight,
        default_penalty=default_penalty,
        systemic_weight=systemic_weight,
        systemic_charge=systemic_charge,
    )
    return params, get_scenario(scenario)
