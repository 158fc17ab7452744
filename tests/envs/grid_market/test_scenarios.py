"""Scenario table: oracle, starting month, realized path."""

from __future__ import annotations

import numpy as np
import pytest

from gridmarket.envs.grid_market.scenarios import SCENARIOS, get_scenario, realized_path


@pytest.mark.parametrize(
    ("name", "cutoff", "start"),
    [
        ("dotcom-2001", "2002-01", "2000-01"),
        ("gfc-2007", "2009-01", "2007-01"),
        ("inflation-2022", "2023-01", "2020-12"),
    ],
)
def test_scenarios(name, cutoff, start):
    scenario = get_scenario(name)
    assert scenario is get_scenario(name)  # cached: one oracle per process
    assert (scenario.cutoff, scenario.initial_month) == (cutoff, start)
    months, states = realized_path(name)
    assert months[0] == start and len(months) == 13 and states.shape == (13, 6)
    np.testing.assert_allclose(states[0], scenario.initial_state, atol=1e-9)


def test_unknown_scenario():
    assert SCENARIOS == ("dotcom-2001", "gfc-2007", "inflation-2022")
    with pytest.raises(ValueError, match="valid scenarios are"):
        get_scenario("dotcom-2000")
    with pytest.raises(TypeError, match="must be a str"):
        get_scenario(["gfc-2007"])
