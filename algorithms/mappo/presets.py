"""Ready-made configs on contagion_v0: MAPPO's defaults and the independent-PPO
baseline (RLlib's own PPO, one shared policy, no centralized critic, through
RLlib's PettingZoo wrapper). The tuned examples, the evaluation and the benchmark
all build their configs here, so they compare the same things."""

from __future__ import annotations

from typing import Any

from gridmarket.algorithms.mappo.mappo import MAPPOConfig

PETTINGZOO_ENV_NAME = "contagion_v0_pettingzoo"
SHARED_POLICY = "shared_bank_policy"
DEFAULT_ENV_CONFIG: dict[str, Any] = {"num_banks": 30, "scenario": "liquidity_crisis"}
HIDDENS = [64, 64]


def default_config(
    env_config: dict[str, Any] | None = None,
    *,
    train_batch_size: int = 800,
    minibatch_size: int = 400,
    num_epochs: int = 5,
    num_worlds: int = 16,
    hiddens: list[int] | None = None,
) -> MAPPOConfig:
    """MAPPO with Yu et al.'s defaults on contagion_v0 (``env_config`` is
    ``contagion_v0.parallel_env``'s keyword arguments, reward weights included)."""
    hiddens = list(hiddens or HIDDENS)
    return (
        MAPPOConfig()
        .environment("contagion_v0", env_config=dict(env_config or DEFAULT_ENV_CONFIG))
        .training(
            lr=5e-4,
            train_batch_size_per_learner=train_batch_size,
            minibatch_size=minibatch_size,
            num_epochs=num_epochs,
            entropy_coeff=0.01,
        )
        .env_runners(num_envs_per_env_runner=num_worlds)
        .rl_module(
            model_config={
                "actor_hiddens": hiddens,
                "critic_hiddens": hiddens,
                "critic_embed_dim": hiddens[-1],
            }
        )
    )


def register_pettingzoo_env() -> str:
    """Register contagion_v0 behind RLlib's ``ParallelPettingZooEnv`` with Tune
    (visible to every Ray node) and return its name.

    RLlib's wrapper ends an episode when *all* agents of a step are terminated, or
    all truncated. When the last step both truncates the surviving banks and
    terminates a bank that defaulted in it, neither holds and RLlib would step a
    finished env; here the episode ends when the env has no agents left.
    """
    from ray.rllib.env.wrappers.pettingzoo_env import ParallelPettingZooEnv
    from ray.tune.registry import register_env

    class ContagionPettingZooEnv(ParallelPettingZooEnv):
        def step(self, action_dict: dict) -> tuple:
            obs, rewards, terminateds, truncateds, infos = super().step(action_dict)
            finished = not self.par_env.agents
            terminateds["__all__"] = terminateds["__all__"] or (
                finished and not truncateds["__all__"] and not any(truncateds.values())
            )
            truncateds["__all__"] = truncateds["__all__"] or (
                finished and not terminateds["__all__"]
            )
            return obs, rewards, terminateds, truncateds, infos

    def make(config: dict[str, Any]) -> ParallelPettingZooEnv:
        from gridmarket.envs import contagion_v0

        return ContagionPettingZooEnv(contagion_v0.parallel_env(**dict(config)))

    register_env(PETTINGZOO_ENV_NAME, make)
    return PETTINGZOO_ENV_NAME


def independent_ppo_config(
    env_config: dict[str, Any] | None = None,
    *,
    train_batch_size: int = 4000,
    minibatch_size: int = 1000,
    num_epochs: int = 5,
    hiddens: list[int] | None = None,
) -> Any:
    """RLlib's PPO with one policy shared by every bank, each bank's own
    observation only (no centralized critic): independent PPO with parameter
    sharing. Batch sizes as RLlib counts them (env steps; minibatches in agent
    steps)."""
    from ray.rllib.algorithms.ppo import PPOConfig
    from ray.rllib.core.rl_module.multi_rl_module import MultiRLModuleSpec
    from ray.rllib.core.rl_module.rl_module import RLModuleSpec

    name = register_pettingzoo_env()
    return (
        PPOConfig()
        .environment(name, env_config=dict(env_config or DEFAULT_ENV_CONFIG))
        .multi_agent(
            policies={SHARED_POLICY},
            policy_mapping_fn=lambda agent_id, episode, **kwargs: SHARED_POLICY,
        )
        .rl_module(
            rl_module_spec=MultiRLModuleSpec(
                rl_module_specs={
                    SHARED_POLICY: RLModuleSpec(
                        model_config={"fcnet_hiddens": list(hiddens or HIDDENS)}
                    )
                }
            )
        )
        .training(
            train_batch_size_per_learner=train_batch_size,
            minibatch_size=minibatch_size,
            num_epochs=num_epochs,
            lr=5e-4,
            gamma=0.99,
            lambda_=0.95,
            clip_param=0.2,
            entropy_coeff=0.01,
        )
        .env_runners(num_env_runners=0)
    )
