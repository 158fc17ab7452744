"""The independent-PPO env wrapper ends RLlib's episodes exactly when contagion_v0
has no agents left."""

import numpy as np
from ray.tune.registry import ENV_CREATOR, _global_registry

from gridmarket.algorithms.mappo.presets import register_pettingzoo_env


def test_episodes_end_exactly_when_the_env_is_finished():
    make = _global_registry.get(ENV_CREATOR, register_pettingzoo_env())
    env = make({"num_banks": 4, "max_cycles": 10, "scenario": "liquidity_crisis"})
    rng = np.random.default_rng(0)
    lengths = []
    for episode in range(20):
        obs, _ = env.reset(seed=episode)
        for t in range(1, 11):
            actions = {a: rng.random(4).astype(np.float32) for a in obs}
            obs, _, terminateds, truncateds, _ = env.step(actions)
            over = terminateds["__all__"] or truncateds["__all__"]
            assert over == (not env.par_env.agents), (episode, t)
            if over:
                lengths.append(t)
                break
    assert len(lengths) == 20
