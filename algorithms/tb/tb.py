"""Trajectory balance (Malkin et al. 2022) as a custom RLlib algorithm.

Each ``train()`` call samples ``batch_size * updates_per_iteration * num_learners``
complete trajectories with :class:`TBEnvRunner` (one batched rollout per env
runner), optionally mixes in replayed trajectories, and takes
``updates_per_iteration`` Adam steps on minibatches of ``batch_size`` fresh (plus
``replay_batch_size`` replayed) trajectories per learner. TB is off-policy, so the
exploration policy of the rollout may differ from the learned P_F.
"""

from __future__ import annotations

from collections import deque
from typing import Any

import numpy as np
from ray.rllib.algorithms.algorithm import Algorithm
from ray.rllib.algorithms.algorithm_config import AlgorithmConfig, NotProvided
from ray.rllib.core import DEFAULT_MODULE_ID
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

from gridmarket.algorithms.schedules import (
    ScheduleSpec,
    schedule_value,
)
from gridmarket.algorithms.tb.config_checks import LOG_Z_ESTIMATE, validate_tb_options
from gridmarket.algorithms.tb.env_runner import TBEnvRunner
from gridmarket.algorithms.tb.replay import TrajectoryReplayBuffer
from gridmarket.algorithms.tb.tb_learner import LOG_Z_KEY, TB_LOSS_KEY
from gridmarket.algorithms.tb.trajectories import (
    LOG_REWARD,
    TRAJ_LEN,
    TrajectoryBatch,
    concat_trajectories,
    interleave_blocks,
)

REPLAY_BUFFER_STATE = "replay_buffer"
TRAJECTORIES_SAMPLED_LIFETIME = "num_trajectories_sampled_lifetime"
L1_SMOOTHED = "l1_distance_mean10"


class TBConfig(AlgorithmConfig):
    """Configuration of :class:`TB`.

    Example::

        config = (
            TBConfig()
            .environment("HyperGrid-v0", env_config={"ndim": 2, "height": 8})
            .training(lr=1e-3, lr_logz=0.1, batch_size=16, exploration_epsilon=0.05)
        )
        algo = config.build_algo()
        print(algo.train()["l1_distance"])
    """

    def __init__(self, algo_class: type | None = None) -> None:
        super().__init__(algo_class=algo_class or TB)
        self.lr = 1e-3
        self.lr_logz = 0.1
        self.batch_size = 16
        self.updates_per_iteration = 16
        self.backward_policy = "learned"
        self.init_log_z = 0.0
        self.exploration_epsilon: ScheduleSpec = 0.0
        self.sampling_temperature: ScheduleSpec = 1.0
        self.replay_buffer_capacity = 0
        self.replay_batch_size = 0
        self.exact_metrics_interval = 1
        self.grad_clip = 1.0
        self.grad_clip_by = "global_norm"
        self.num_env_runners = 0
        self.env_runner_cls = TBEnvRunner
        # TB runners keep no connector state; weights are synced explicitly.
        self.merge_env_runner_states = False
        self.broadcast_env_runner_states = False

    @override(AlgorithmConfig)
    def training(
        self,
        *,
        lr_logz: float = NotProvided,
        batch_size: int = NotProvided,
        updates_per_iteration: int = NotProvided,
        backward_policy: str = NotProvided,
        init_log_z: float = NotProvided,
        exploration_epsilon: ScheduleSpec = NotProvided,
        sampling_temperature: ScheduleSpec = NotProvided,
        replay_buffer_capacity: int = NotProvided,
        replay_batch_size: int = NotProvided,
        exact_metrics_interval: int = NotProvided,
        **kwargs: Any,
    ) -> TBConfig:
        """Set TB's training options; the rest (``lr``, ``grad_clip``...) go to
        :meth:`AlgorithmConfig.training`.

        Schedules are a constant or ``[[t, value], ...]`` interpolated linearly
        over ``t`` = trajectories sampled so far (a GFlowNet's samples are whole
        trajectories); ``lr`` and ``lr_logz`` accept them too.

        Args:
            lr_logz: Adam learning rate of log Z (the policies use ``lr``).
            batch_size: fresh trajectories per gradient step and learner.
            updates_per_iteration: gradient steps per ``train()`` call.
            backward_policy: ``"learned"`` or ``"uniform"`` over valid parents.
            init_log_z: initial value of log Z, or ``"estimate"``: on the first
                iteration, log Z is set to the mean of ``log R + log P_B - log P_F``
                over the first batch under the initial policy (a lower bound on
                log Z, and close to it where the sampler is broad). Continuous
                envs need this: their log Z includes the log-volume of the space.
            exploration_epsilon: weight of the uniform policy over valid actions in
                the rollout; a constant or ``[[trajectories, value], ...]``.
            sampling_temperature: rollout policy is softmax(logits / T); a
                constant or a schedule.
            replay_buffer_capacity: FIFO buffer of terminal trajectories; 0 = off.
            replay_batch_size: replayed trajectories added to each gradient step.
            exact_metrics_interval: compute ``l1_distance`` and ``log_z_error``
                exactly every this many iterations (envs with an exact target);
                0 = never.

        The target is the env's own reward: a temperature, where an env has one
        (GridMarket-v0's ``reward_temperature``), is the env's option, so that
        every algorithm on that env samples the same target.
        """
        if "reward_temperature" in kwargs:
            raise TypeError(
                "TBConfig.training() takes no `reward_temperature`: the reward's "
                "temperature is the env's option, e.g. .environment(env_config="
                f"{{'reward_temperature': {kwargs['reward_temperature']!r}}})"
            )
        super().training(**kwargs)
        options = {
            "lr_logz": lr_logz,
            "batch_size": batch_size,
            "updates_per_iteration": updates_per_iteration,
            "backward_policy": backward_policy,
            "init_log_z": init_log_z,
            "exploration_epsilon": exploration_epsilon,
            "sampling_temperature": sampling_temperature,
            "replay_buffer_capacity": replay_buffer_capacity,
            "replay_batch_size": replay_batch_size,
            "exact_metrics_interval": exact_metrics_interval,
        }
        for name, value in options.items():
            if value is not NotProvided:
                setattr(self, name, value)
        return self

    @property
    def trajectories_per_iteration(self) -> int:
        """Fresh trajectories sampled per ``train()`` call, over all env runners."""
        return self.batch_size * self.updates_per_iteration * max(1, self.num_learners)

    @property
    def trajectories_per_env_runner(self) -> int:
        return -(-self.trajectories_per_iteration // max(1, self.num_env_runners))

    @property
    @override(AlgorithmConfig)
    def _model_config_auto_includes(self) -> dict[str, Any]:
        init = 0.0 if self.init_log_z == LOG_Z_ESTIMATE else self.init_log_z
        return {"backward_policy": self.backward_policy, "init_log_z": init}

    @override(AlgorithmConfig)
    def get_default_rl_module_spec(self) -> RLModuleSpec:
        from gridmarket.algorithms.tb.torch.tb_rl_module import TBTorchRLModule

        return RLModuleSpec(module_class=TBTorchRLModule)

    @override(AlgorithmConfig)
    def get_default_learner_class(self) -> type:
        if self.framework_str != "torch":
            raise ValueError(
                f"TB supports framework='torch', got {self.framework_str!r}"
            )
        from gridmarket.algorithms.tb.torch.tb_torch_learner import TBTorchLearner

        return TBTorchLearner

    @override(AlgorithmConfig)
    def validate(self) -> None:
        super().validate()
        validate_tb_options(self)


def _first(results: Any) -> float:
    """The first learner's return value from ``foreach_learner``."""
    return float(next(iter(results)).get())


class TB(Algorithm):
    """Trajectory balance with batched trajectory sampling."""

    @classmethod
    @override(Algorithm)
    def get_default_config(cls) -> TBConfig:
        return TBConfig()

    @override(Algorithm)
    def setup(self, config: Any) -> None:
        super().setup(config)
        self._trajectories_sampled = 0
        self._recent_l1: deque[float] = deque(maxlen=10)
        self._replay = (
            TrajectoryReplayBuffer(
                self.config.replay_buffer_capacity, seed=self.config.seed
            )
            if self.config.replay_buffer_capacity > 0
            else None
        )
        self.env_runner_group.sync_weights(
            from_worker_or_learner_group=self.learner_group, inference_only=True
        )

    @override(Algorithm)
    def training_step(self) -> None:
        cfg = self.config
        clock = self._trajectories_sampled  # every TB schedule counts trajectories
        epsilon = schedule_value(cfg.exploration_epsilon, clock)
        temperature = schedule_value(cfg.sampling_temperature, clock)
        with self.metrics.log_time((TIMERS, ENV_RUNNER_SAMPLING_TIMER)):
            fresh, runner_metrics = self._sample_trajectories(epsilon, temperature)
        self.metrics.aggregate(runner_metrics, key=ENV_RUNNER_RESULTS)
        self._trajectories_sampled += len(fresh[TRAJ_LEN])
        self._warm_start_log_z_once(fresh)
        train_batch = self._mix_in_replay(fresh)

        with self.metrics.log_time((TIMERS, LEARNER_UPDATE_TIMER)):
            learner_results = self.learner_group.update(
                batch=MultiAgentBatch(
                    {DEFAULT_MODULE_ID: SampleBatch(train_batch)},
                    env_steps=int(fresh[TRAJ_LEN].sum()),
                ),
                minibatch_size=cfg.batch_size + cfg.replay_batch_size,
                num_epochs=1,
                shuffle_batch_per_epoch=False,
                # RLlib's learners read their lr schedules' clock from this key; TB
                # feeds it trajectories, the unit of a GFlowNet sample.
                timesteps={NUM_ENV_STEPS_SAMPLED_LIFETIME: self._trajectories_sampled},
            )
        self.metrics.aggregate(learner_results, key=LEARNER_RESULTS)
        with self.metrics.log_time((TIMERS, SYNCH_WORKER_WEIGHTS_TIMER)):
            self.env_runner_group.sync_weights(
                from_worker_or_learner_group=self.learner_group, inference_only=True
            )
        self._log_tb_metrics(fresh, epsilon, temperature)

    def _warm_start_log_z_once(self, fresh: TrajectoryBatch) -> None:
        """With ``init_log_z="estimate"``, set log Z from the very first batch."""
        first_batch = self._trajectories_sampled == len(fresh[TRAJ_LEN])
        if self.config.init_log_z != LOG_Z_ESTIMATE or not first_batch:
            return
        estimates = self.learner_group.foreach_learner(
            lambda learner: learner.warm_start_log_z(fresh)
        )
        self.metrics.log_value(
            "log_z_initial_estimate", _first(estimates), reduce="item"
        )

    def _sample_trajectories(
        self, epsilon: float, temperature: float
    ) -> tuple[TrajectoryBatch, list[dict[str, Any]]]:
        total = self.config.trajectories_per_iteration
        num_runners = self.env_runner_group.num_healthy_remote_workers()
        counts = [total // max(1, num_runners)] * max(1, num_runners)
        for i in range(total - sum(counts)):
            counts[i] += 1
        if num_runners == 0:
            results = [
                (
                    self.env_runner.sample(
                        num_trajectories=total, epsilon=epsilon, temperature=temperature
                    ),
                    self.env_runner.get_metrics(),
                )
            ]
        else:
            results = self.env_runner_group.foreach_env_runner(
                func=[
                    lambda runner, n=n: (
                        runner.sample(
                            num_trajectories=n, epsilon=epsilon, temperature=temperature
                        ),
                        runner.get_metrics(),
                    )
                    for n in counts
                ],
                local_env_runner=False,
            )
        batches = [batch for batch, _ in results]
        if sum(len(b[TRAJ_LEN]) for b in batches) != total:
            raise RuntimeError(
                f"TB env runners returned {sum(len(b[TRAJ_LEN]) for b in batches)} "
                f"trajectories, expected {total}; an env runner may have failed"
            )
        return concat_trajectories(batches), [metrics for _, metrics in results]

    def _mix_in_replay(self, fresh: TrajectoryBatch) -> TrajectoryBatch:
        if self._replay is None:
            return fresh
        num_blocks = self.config.updates_per_iteration * max(
            1, self.config.num_learners
        )
        replayed = None
        if len(self._replay) > 0 and self.config.replay_batch_size > 0:
            replayed = self._replay.sample(num_blocks * self.config.replay_batch_size)
        self._replay.add(fresh)
        if replayed is None and self.config.replay_batch_size > 0:
            # The buffer was empty: replay this iteration's own trajectories.
            replayed = self._replay.sample(num_blocks * self.config.replay_batch_size)
        return interleave_blocks(fresh, replayed, num_blocks)

    def _log_tb_metrics(
        self, fresh: TrajectoryBatch, epsilon: float, temperature: float
    ) -> None:
        log_reward = fresh[LOG_REWARD].astype(np.float64)
        self.metrics.log_value("log_reward_mean", float(log_reward.mean()), window=1)
        self.metrics.log_value("log_reward_max", float(log_reward.max()), window=1)
        self.metrics.log_value(
            TRAJECTORIES_SAMPLED_LIFETIME, self._trajectories_sampled, reduce="item"
        )
        self.metrics.log_value("exploration_epsilon", epsilon, reduce="item")
        self.metrics.log_value("sampling_temperature", temperature, reduce="item")
        for key in (TB_LOSS_KEY, LOG_Z_KEY):
            # peek() treats default=None as "no default"; NaN marks "not logged".
            value = self.metrics.peek(
                (LEARNER_RESULTS, DEFAULT_MODULE_ID, key), default=float("nan")
            )
            if not np.isnan(value):
                self.metrics.log_value(key, float(value), window=1)
        interval = self.config.exact_metrics_interval
        if interval and (self.iteration + 1) % interval == 0:
            exact = self.env_runner.exact_metrics()
            for key, value in (exact or {}).items():
                self.metrics.log_value(key, value, window=1)
            if exact:
                # Mean of the last 10 exact evaluations: success criteria use this,
                # so one lucky iteration does not count as converged.
                self._recent_l1.append(exact["l1_distance"])
                self.metrics.log_value(
                    L1_SMOOTHED, float(np.mean(self._recent_l1)), reduce="item"
                )

    @override(Algorithm)
    def get_state(
        self, components: Any = None, *, not_components: Any = None, **kwargs: Any
    ) -> dict[str, Any]:
        state = super().get_state(components, not_components=not_components, **kwargs)
        if self._check_component(REPLAY_BUFFER_STATE, components, not_components):
            state[REPLAY_BUFFER_STATE] = (
                None if self._replay is None else self._replay.get_state()
            )
            state[TRAJECTORIES_SAMPLED_LIFETIME] = self._trajectories_sampled
            state[L1_SMOOTHED] = list(self._recent_l1)
        return state

    @override(Algorithm)
    def set_state(self, state: dict[str, Any]) -> None:
        super().set_state(state)
        if state.get(REPLAY_BUFFER_STATE) is not None and self._replay is not None:
            self._replay.set_state(state[REPLAY_BUFFER_STATE])
        if TRAJECTORIES_SAMPLED_LIFETIME in state:
            self._trajectories_sampled = int(state[TRAJECTORIES_SAMPLED_LIFETIME])
        if L1_SMOOTHED in state:
            self._recent_l1 = deque(state[L1_SMOOTHED], maxlen=10)
