"""What-if lookahead: clone, shock, roll forward; the real env is untouched."""

import numpy as np
import pytest

from gridmarket.envs import contagion_v0
from gridmarket.envs.contagion.state import state_equal
from gridmarket.envs.contagion.what_if import WhatIfShock

# Overflow, division by zero or NaN anywhere in the dynamics fails the test.
pytestmark = pytest.mark.filterwarnings("error::RuntimeWarning")


def stepped_env(seed=0):
    env = contagion_v0.parallel_env(num_banks=20, scenario="normal")
    env.reset(seed=seed)
    for _ in range(3):
        env.step({a: np.full(4, 0.1) for a in env.agents})
    return env


def test_what_if_leaves_the_env_untouched():
    env, twin = stepped_env(), stepped_env()
    before = env.world.copy()
    result = env.what_if(shock=WhatIfShock(price_drop=(0.02, 0.15)), steps=8)
    assert state_equal(env.world, before)
    assert len(result.path) == 8 and result.rewards.shape == (8, 20)
    # the env's random stream was not consumed: it continues exactly like its twin
    actions = {a: np.full(4, 0.1) for a in env.agents}
    out_env, out_twin = env.step(actions), twin.step(actions)
    for agent in env.agents:
        np.testing.assert_array_equal(out_env[0][agent], out_twin[0][agent])


def test_bigger_shocks_do_more_damage():
    env = stepped_env(seed=2)
    calm = env.what_if(steps=6, seed=0)
    crash = env.what_if(
        shock=WhatIfShock(price_drop=(0.05, 0.2), writeoff={0: 0.5}, withdrawal=0.05),
        steps=6,
        seed=0,
    )
    assert crash.stress_index > calm.stress_index
    assert crash.new_defaults >= calm.new_defaults and crash.new_defaults > 0
    assert crash.systemic_loss > calm.systemic_loss
    # DebtRank counts distress *passed on*: a hub's failure spreads more than calm.
    hub = int(np.argmax(env.net.degree))
    failure = env.what_if(shock=WhatIfShock(writeoff={hub: 0.5}), steps=1, seed=0)
    assert failure.debtrank > calm.debtrank >= 0
    for value in (crash.stress_index, crash.liquidity_index, crash.debtrank):
        assert np.isfinite(value)


def test_what_if_with_a_custom_policy_and_bad_inputs():
    env = stepped_env()
    result = env.what_if(policy=lambda obs: np.zeros((obs.shape[0], 4)), steps=2)
    assert len(result.path) == 2
    with pytest.raises(ValueError, match=r"`price_drop` must be in \[0.0, 1.0\)"):
        env.what_if(shock=WhatIfShock(price_drop=(0.0, 1.5)))
    with pytest.raises(ValueError, match="writeoff bank must be < 20, got 25"):
        env.what_if(shock=WhatIfShock(writeoff={25: 0.1}))
    with pytest.raises(ValueError, match="`steps` must be >= 1, got 0"):
        env.what_if(steps=0)
    with pytest.raises(ValueError, match="unknown policy"):
        env.what_if(policy="oracle")
