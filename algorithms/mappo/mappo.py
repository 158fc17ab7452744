"""MAPPO (Yu et al. 2022) on contagion_v0 as a custom RLlib algorithm.

Each ``train()`` call samples ``train_batch_size_per_learner * num_learners``
world-steps (each one world at one step, all its banks) through
:class:`MAPPOEnvRunner`'s batched array path, folds the value targets into the
critic's value normalizer, and runs ``num_epochs`` epochs of PPO updates on
minibatches of ``minibatch_size`` world-steps. The actor is shared by all banks
(decentralized: it sees one bank's observation); the critic is centralized and
permutation-invariant (see ``torch/networks.py``).
"""

from __future__ import annotations

import math
from dataclasses import asdict
from typing import Any

import numpy as np
from ray.rllib.algorithms.algorithm import Algorithm
from ray.rllib.algorithms.algorithm_config import AlgorithmConfig, NotProvided
from ray.rllib.core import DEFAULT_MODULE_ID
from ray.rllib.core.columns import Columns
from ray.rllib.core.rl_module.rl_module import RLModuleSpec
from ray.rllib.policy.sample_batch import MultiAgentBatch, SampleBatch
from ray.rllib.utils.annotations import override
from ray.rllib.utils.metrics import (
    ENV_RUNNER_RESULTS,
    ENV_RUNNER_SAMPLING_TIMER,
    LEARNER_RESULTS,
    LEARNER_UPDATE_TIMER,
    NUM_ENV_STEPS_SAMPLED_LIFETIME,
    SYNCH_WORKER_WEIGHTS_TIMER,
    TIMERS,
)

from gridmarket.algorithms.mappo.config_checks import validate_mappo_options
from gridmarket.algorithms.mappo.curriculum import (
    CURRICULUM_SCENARIO,
    CURRICULUM_STAGE,
    ITERATION_DEFAULT_RATE,
    CurriculumState,
    ScenarioCurriculum,
)
from gridmarket.algorithms.mappo.env_runner import EPISODE_DEFAULT_RATES, MAPPOEnvRunner
from gridmarket.algorithms.mappo.torch.mappo_rl_module import ALIVE
from gridmarket.algorithms.schedules import ScheduleSpec, schedule_value
from gridmarket.envs.contagion.core import compile_kernels

AGENT_STEPS_SAMPLED_LIFETIME = "num_agent_steps_sampled_lifetime_mappo"
CURRICULUM_STATE = "curriculum"


class MAPPOConfig(AlgorithmConfig):
    """Configuration of :class:`MAPPO`. Defaults follow Yu et al. (2022): value
    normalization, the agent-specific global state for the critic, few epochs and
    minibatches, clip 0.2, GAE(0.99, 0.95), death masking.

    Example::

        config = (
            MAPPOConfig()
            .environment("contagion_v0", env_config={"num_banks": 30,
                         "scenario": "liquidity_crisis", "systemic_weight": 0.5})
            .training(lr=5e-4, entropy_coeff=[[0, 0.01], [200_000, 0.001]])
        )
        algo = config.build_algo()
        print(algo.train()["env_runners"]["episode_return_mean"])

    Batch sizes count world-steps (one world at one step: ``num_banks`` agent
    steps). ``env_config`` takes contagion_v0's arguments, the reward weights
    ``liquidity_weight``, ``default_penalty`` and ``systemic_weight`` included.
    """

    def __init__(self, algo_class: type | None = None) -> None:
        super().__init__(algo_class=algo_class or MAPPO)
        self.env = "contagion_v0"
        self.lr = 5e-4
        self.gamma = 0.99
        self.lambda_ = 0.95
        self.clip_param = 0.2
        self.vf_clip_param: float | None = 0.2  # in the normalized value scale
        self.vf_loss_coeff = 1.0
        self.entropy_coeff: ScheduleSpec = 0.01
        self.team_reward_weight = 0.0
        self.train_batch_size_per_learner = 800
        self.minibatch_size = 400
        self.num_epochs = 5
        self.shuffle_batch_per_epoch = True
        self.grad_clip = 10.0
        self.grad_clip_by = "global_norm"
        self.num_env_runners = 0
        self.num_envs_per_env_runner = 16
        self.env_runner_cls = MAPPOEnvRunner
        self.curriculum: list[str] | None = None
        self.curriculum_promote_default_rate = 0.05
        self.curriculum_patience = 3
        self.callbacks_class = ScenarioCurriculum
        # MAPPO runners keep no connector state; weights are synced explicitly.
        self.merge_env_runner_states = False
        self.broadcast_env_runner_states = False

    @override(AlgorithmConfig)
    def training(
        self,
        *,
        lambda_: float = NotProvided,
        clip_param: float = NotProvided,
        vf_clip_param: float | None = NotProvided,
        vf_loss_coeff: float = NotProvided,
        entropy_coeff: ScheduleSpec = NotProvided,
        team_reward_weight: float = NotProvided,
        curriculum: list[str] | None = NotProvided,
        curriculum_promote_default_rate: float = NotProvided,
        curriculum_patience: int = NotProvided,
        **kwargs: Any,
    ) -> MAPPOConfig:
        """Set MAPPO's options; the rest (``lr``, ``gamma``, ``num_epochs``,
        ``minibatch_size``, ``train_batch_size_per_learner``, ``grad_clip``...) go
        to :meth:`AlgorithmConfig.training`.

        Args:
            lambda_: GAE's lambda.
            clip_param: PPO's ratio clip.
            vf_clip_param: clip of the value change (normalized scale); None = off.
            vf_loss_coeff: weight of the value loss.
            entropy_coeff: a constant or ``[[env_steps, value], ...]`` (world-steps
                sampled so far), interpolated linearly.
            team_reward_weight: each bank learns from ``(1 - w) * its reward +
                w * the mean reward of the banks alive`` (``losses.team_rewards``);
                0 (default) = its own reward, 1 = the system's. Reported episode
                returns stay the env's own rewards.
            curriculum: scenarios in order, e.g. ``["normal", "liquidity_crisis",
                "systemic"]`` (``curriculum.DEFAULT_CURRICULUM``); None = off.
            curriculum_promote_default_rate: promote when an iteration's episode
                default rate is at most this...
            curriculum_patience: ...for this many consecutive iterations.
        """
        super().training(**kwargs)
        options = {
            "lambda_": lambda_,
            "clip_param": clip_param,
            "vf_clip_param": vf_clip_param,
            "vf_loss_coeff": vf_loss_coeff,
            "entropy_coeff": entropy_coeff,
            "team_reward_weight": team_reward_weight,
            "curriculum": curriculum,
            "curriculum_promote_default_rate": curriculum_promote_default_rate,
            "curriculum_patience": curriculum_patience,
        }
        for name, value in options.items():
            if value is not NotProvided:
                setattr(
                    self, name, list(value) if name == "curriculum" and value else value
                )
        return self

    def entropy_coeff_at(self, env_steps: float) -> float:
        return schedule_value(self.entropy_coeff, env_steps)

    @property
    def env_steps_per_env_runner(self) -> int:
        total = self.train_batch_size_per_learner * max(1, self.num_learners)
        return -(-total // max(1, self.num_env_runners))

    @override(AlgorithmConfig)
    def get_default_rl_module_spec(self) -> RLModuleSpec:
        from gridmarket.algorithms.mappo.torch.mappo_rl_module import MAPPOTorchRLModule

        return RLModuleSpec(module_class=MAPPOTorchRLModule)

    @override(AlgorithmConfig)
    def get_default_learner_class(self) -> type:
        if self.framework_str != "torch":
            raise ValueError(
                f"MAPPO supports framework='torch', got {self.framework_str!r}"
            )
        from gridmarket.algorithms.mappo.torch.mappo_torch_learner import (
            MAPPOTorchLearner,
        )

        return MAPPOTorchLearner

    @override(AlgorithmConfig)
    def validate(self) -> None:
        super().validate()
        validate_mappo_options(self)


class MAPPO(Algorithm):
    """Multi-agent PPO with a centralized, permutation-invariant critic."""

    @classmethod
    @override(Algorithm)
    def get_default_config(cls) -> MAPPOConfig:
        return MAPPOConfig()

    @override(Algorithm)
    def setup(self, config: Any) -> None:
        # contagion_v0's compiled step, compiled (or loaded from numba's disk
        # cache) here before the env runners start: a fresh install compiles it
        # once on this machine, not once per runner
        compile_kernels()
        super().setup(config)
        self.curriculum = CurriculumState()
        self._agent_steps_sampled = 0
        if self.config.curriculum:
            self.set_curriculum(self.curriculum)
        self.env_runner_group.sync_weights(
            from_worker_or_learner_group=self.learner_group
        )

    # ---- curriculum -------------------------------------------------------------------
    def set_curriculum(self, state: CurriculumState) -> None:
        """Move to ``state``; every env runner rebuilds its worlds in the stage's
        scenario."""
        self.curriculum = state
        scenario = self.config.curriculum[state.stage]
        self.env_runner_group.foreach_env_runner(
            lambda runner: runner.set_env_config(scenario=scenario)
        )

    # ---- training -----------------------------------------------------------------------
    @override(Algorithm)
    def training_step(self) -> None:
        cfg = self.config
        with self.metrics.log_time((TIMERS, ENV_RUNNER_SAMPLING_TIMER)):
            batch, default_rate, runner_metrics = self._sample()
        self.metrics.aggregate(runner_metrics, key=ENV_RUNNER_RESULTS)
        rows = len(batch[ALIVE])
        lifetime = self.metrics.peek(
            (ENV_RUNNER_RESULTS, NUM_ENV_STEPS_SAMPLED_LIFETIME), default=rows
        )
        entropy_coeff = cfg.entropy_coeff_at(lifetime)
        targets = batch[Columns.VALUE_TARGETS][batch[ALIVE]]
        self.learner_group.foreach_learner(
            lambda learner: (
                learner.set_entropy_coeff(entropy_coeff),
                learner.update_value_normalizer(targets),
            )
        )
        with self.metrics.log_time((TIMERS, LEARNER_UPDATE_TIMER)):
            learner_results = self.learner_group.update(
                batch=MultiAgentBatch(
                    {DEFAULT_MODULE_ID: SampleBatch(batch)}, env_steps=rows
                ),
                minibatch_size=cfg.minibatch_size,
                num_epochs=cfg.num_epochs,
                shuffle_batch_per_epoch=cfg.shuffle_batch_per_epoch,
                timesteps={NUM_ENV_STEPS_SAMPLED_LIFETIME: lifetime},
            )
        self.metrics.aggregate(learner_results, key=LEARNER_RESULTS)
        with self.metrics.log_time((TIMERS, SYNCH_WORKER_WEIGHTS_TIMER)):
            self.env_runner_group.sync_weights(
                from_worker_or_learner_group=self.learner_group
            )
        self._log_iteration(batch, default_rate)

    def _sample(self) -> tuple[dict[str, np.ndarray], float, list[dict[str, Any]]]:
        """The iteration's rows from every env runner, the mean default rate of the
        episodes that finished meanwhile (NaN if none), and the runners' metrics."""
        steps = self.config.env_steps_per_env_runner
        if self.env_runner_group.num_healthy_remote_workers() == 0:
            results = [
                (self.env_runner.sample(num_steps=steps), self.env_runner.get_metrics())
            ]
        else:
            results = self.env_runner_group.foreach_env_runner(
                lambda runner: (runner.sample(num_steps=steps), runner.get_metrics()),
                local_env_runner=False,
            )
        batches = [b for b, _ in results]
        rates = np.concatenate([b.pop(EPISODE_DEFAULT_RATES) for b in batches])
        batch = {k: np.concatenate([b[k] for b in batches]) for k in batches[0]}
        default_rate = float(rates.mean()) if rates.size else math.nan
        return batch, default_rate, [m for _, m in results]

    def _log_iteration(self, batch: dict[str, np.ndarray], default_rate: float) -> None:
        self._agent_steps_sampled += int(batch[ALIVE].sum())
        self.metrics.log_value(
            AGENT_STEPS_SAMPLED_LIFETIME, self._agent_steps_sampled, reduce="item"
        )
        self.metrics.log_value(ITERATION_DEFAULT_RATE, default_rate, reduce="item")
        if self.config.curriculum:
            self.metrics.log_value(
                CURRICULUM_STAGE, self.curriculum.stage, reduce="item"
            )
            self.metrics.log_value(
                CURRICULUM_SCENARIO,
                self.config.curriculum[self.curriculum.stage],
                reduce="item",
            )

    # ---- checkpoints ----------------------------------------------------------------------
    @override(Algorithm)
    def get_state(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        state = super().get_state(*args, **kwargs)
        state[CURRICULUM_STATE] = asdict(self.curriculum)
        state[AGENT_STEPS_SAMPLED_LIFETIME] = self._agent_steps_sampled
        return state

    @override(Algorithm)
    def set_state(self, state: dict[str, Any]) -> None:
        super().set_state(state)
        if CURRICULUM_STATE in state:
            restored = CurriculumState(**state[CURRICULUM_STATE])
            if self.config.curriculum:
                self.set_curriculum(restored)
            else:
                self.curriculum = restored
        self._agent_steps_sampled = int(state.get(AGENT_STEPS_SAMPLED_LIFETIME, 0))
