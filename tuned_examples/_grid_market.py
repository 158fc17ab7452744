"""Kept only for old imports; use ``gridmarket.envs.grid_market.scenarios``
(``tuned_env_config``, ``TUNED_REWARD_TEMPERATURE``) and
``gridmarket.scenario_args``. Nothing in the package imports this file."""

from __future__ import annotations

from typing import Any

from gridmarket.envs.grid_market.scenarios import tuned_env_config


def env_config(
    scenario: str = "gfc-2007",
    reward_temperature: float | None = None,
    ood_mode: str = "clip",
) -> dict[str, Any]:
    """The GridMarket-v0 kwargs of an example (``tuned_env_config``)."""
    return tuned_env_config(
        scenario, reward_temperature=reward_temperature, ood_mode=ood_mode
    )
