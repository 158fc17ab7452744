"""Group-relative policy optimization (Shao et al. 2024) as a custom RLlib algorithm.

Each ``train()`` call samples ``prompts_per_iteration`` groups of ``group_size``
completions with :class:`GRPOEnvRunner` (groups split over the env runners),
optionally drops groups whose rewards are all equal and refills them (dynamic
sampling, DAPO), computes group-relative advantages on the driver, and runs
``num_epochs`` passes of the clipped GRPO loss over the batch on the learners
(DDP when ``num_learners >= 2``). Only trainable weights (the LoRA adapters when
LoRA is on) go back to the env runners.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
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

from gridmarket.algorithms.grpo.batch import (
    ADVANTAGES,
    COMPLETION_MASK,
    REWARDS,
    WINDOW_IDS,
    concat_batches,
    take_groups,
)
from gridmarket.algorithms.grpo.config_checks import validate_grpo_options
from gridmarket.algorithms.grpo.env_runner import GRPOEnvRunner
from gridmarket.algorithms.grpo.losses import group_advantages

COMPLETIONS_SAMPLED_LIFETIME = "num_completions_sampled_lifetime"


class GRPOConfig(AlgorithmConfig):
    """Configuration of :class:`GRPO`.

    Example::

        config = (
            GRPOConfig()
            .environment("gridmarket:TextForecast-v0", env_config={"ticker": "AAPL"})
            .training(hf_model="HuggingFaceTB/SmolLM2-135M-Instruct", lr=1e-5,
                      group_size=8, prompts_per_iteration=8, lora={"r": 8})
        )
        algo = config.build_algo()
        print(algo.train()["reward_mean"])
    """

    def __init__(self, algo_class: type | None = None) -> None:
        super().__init__(algo_class=algo_class or GRPO)
        self.hf_model: str | None = None
        self.gguf_file: str | None = None
        self.dtype = "float32"
        self.lora: dict[str, Any] | None = None
        self.reference_model: dict[str, Any] | None = None
        self.group_size = 8
        self.prompts_per_iteration = 8
        self.max_new_tokens = 32
        self.max_prompt_length = 512
        self.temperature = 1.0
        self.top_p = 1.0
        self.share_prompt_forward = True
        self.beta = 0.0
        self.clip_low = 0.2
        self.clip_high = 0.2
        self.advantage_type = "grpo"
        self.loss_aggregation: str | None = None
        self.advantage_eps = 1e-4
        self.num_epochs = 1
        self.minibatch_size: int | None = None
        self.dynamic_sampling = False
        self.max_dynamic_sampling_rounds = 4
        self.weight_decay = 0.0
        self.adam_betas = (0.9, 0.999)
        self.lr = 1e-6
        self.grad_clip = 1.0
        self.grad_clip_by = "global_norm"
        self.num_env_runners = 0
        self.env_runner_cls = GRPOEnvRunner
        self.merge_env_runner_states = False
        self.broadcast_env_runner_states = False

    @override(AlgorithmConfig)
    def training(
        self,
        *,
        hf_model: str = NotProvided,
        gguf_file: str | None = NotProvided,
        dtype: str = NotProvided,
        lora: dict[str, Any] | None = NotProvided,
        reference_model: dict[str, Any] | None = NotProvided,
        group_size: int = NotProvided,
        prompts_per_iteration: int = NotProvided,
        max_new_tokens: int = NotProvided,
        max_prompt_length: int = NotProvided,
        temperature: float = NotProvided,
        top_p: float = NotProvided,
        share_prompt_forward: bool = NotProvided,
        beta: float = NotProvided,
        clip_low: float = NotProvided,
        clip_high: float = NotProvided,
        advantage_type: str = NotProvided,
        loss_aggregation: str | None = NotProvided,
        advantage_eps: float = NotProvided,
        dynamic_sampling: bool = NotProvided,
        max_dynamic_sampling_rounds: int = NotProvided,
        weight_decay: float = NotProvided,
        adam_betas: tuple[float, float] = NotProvided,
        **kwargs: Any,
    ) -> GRPOConfig:
        """Set GRPO's options; the rest (``lr``, ``grad_clip``, ``num_epochs``,
        ``minibatch_size``) go to :meth:`AlgorithmConfig.training`.

        Args:
            hf_model: Hugging Face model id or local path (``HF_HUB_OFFLINE`` respected).
            gguf_file: a GGUF file inside ``hf_model`` to load instead.
            dtype: ``"float32"``, ``"bfloat16"`` or ``"float16"``.
            lora: ``None`` (full fine-tuning) or LoRA options ``{"r", "alpha",
                "dropout", "target_modules"}``.
            reference_model: ``{"model", "gguf_file", "revision"}`` of the KL
                reference; default the base model. Loaded only if ``beta > 0``.
            group_size: completions per prompt (G).
            prompts_per_iteration: groups per ``train()`` call.
            max_new_tokens: completion length cap (tokens).
            max_prompt_length: prompts are truncated from the left to this.
            temperature, top_p: sampling; log-probs use ``logits / temperature``.
            share_prompt_forward: the learner runs each distinct prompt once and
                the group's completions against its cached keys and values (same
                log-probs and gradients, about ``group_size`` times less prompt
                memory and compute); ``False`` runs every prompt + completion.
            beta: k3 KL coefficient; 0 loads no reference model.
            clip_low, clip_high: ratio clipped to ``[1 - low, 1 + high]``.
            advantage_type: ``"grpo"`` or ``"dr_grpo"``.
            loss_aggregation: ``"sequence"``, ``"token"`` or ``"constant"``;
                ``None`` picks ``"constant"`` for dr_grpo and ``"sequence"`` else.
            dynamic_sampling: drop groups whose rewards are all equal and refill,
                for up to ``max_dynamic_sampling_rounds`` extra sampling rounds.
        """
        super().training(**kwargs)
        for name, value in dict(locals()).items():
            if name not in ("self", "kwargs", "__class__") and value is not NotProvided:
                setattr(self, name, value)
        return self

    @property
    def resolved_loss_aggregation(self) -> str:
        if self.loss_aggregation is not None:
            return self.loss_aggregation
        return "constant" if self.advantage_type == "dr_grpo" else "sequence"

    @property
    @override(AlgorithmConfig)
    def _model_config_auto_includes(self) -> dict[str, Any]:
        return {
            "model": self.hf_model,
            "gguf_file": self.gguf_file,
            "dtype": self.dtype,
            "lora": self.lora,
            "temperature": self.temperature,
            "share_prompt_forward": self.share_prompt_forward,
        }

    @override(AlgorithmConfig)
    def get_default_rl_module_spec(self) -> RLModuleSpec:
        from gridmarket.algorithms.grpo.torch.grpo_rl_module import GRPOTorchRLModule

        return RLModuleSpec(module_class=GRPOTorchRLModule)

    @override(AlgorithmConfig)
    def get_default_learner_class(self) -> type:
        if self.framework_str != "torch":
            raise ValueError(
                f"GRPO supports framework='torch', got {self.framework_str!r}"
            )
        from gridmarket.algorithms.grpo.torch.grpo_torch_learner import (
            GRPOTorchLearner,
        )

        return GRPOTorchLearner

    @override(AlgorithmConfig)
    def validate(self) -> None:
        super().validate()
        validate_grpo_options(self)


class GRPO(Algorithm):
    """GRPO on a one-step text env (``TextForecast-v0``)."""

    @classmethod
    @override(Algorithm)
    def get_default_config(cls) -> GRPOConfig:
        return GRPOConfig()

    @override(Algorithm)
    def setup(self, config: Any) -> None:
        super().setup(config)
        self._completions_sampled = 0
        self.env_runner_group.sync_weights(
            from_worker_or_learner_group=self.learner_group, inference_only=True
        )

    @override(Algorithm)
    def training_step(self) -> None:
        cfg = self.config
        with self.metrics.log_time((TIMERS, ENV_RUNNER_SAMPLING_TIMER)):
            batch, kept_fraction = self._sample_groups()
        self._completions_sampled += len(batch[REWARDS])
        self._log_reward_metrics(batch, kept_fraction)
        if batch is None or len(batch[REWARDS]) == 0:
            return
        batch[ADVANTAGES] = group_advantages(
            torch.from_numpy(batch[REWARDS]),
            cfg.group_size,
            cfg.advantage_type,
            cfg.advantage_eps,
        ).numpy()
        batch.pop(WINDOW_IDS)
        num_rows = len(batch[REWARDS])
        per_learner = num_rows // max(1, cfg.num_learners)
        with self.metrics.log_time((TIMERS, LEARNER_UPDATE_TIMER)):
            learner_results = self.learner_group.update(
                batch=MultiAgentBatch(
                    {DEFAULT_MODULE_ID: SampleBatch(batch)}, env_steps=num_rows
                ),
                minibatch_size=min(cfg.minibatch_size or per_learner, per_learner),
                num_epochs=cfg.num_epochs,
                shuffle_batch_per_epoch=False,
                timesteps={NUM_ENV_STEPS_SAMPLED_LIFETIME: self._completions_sampled},
            )
        self.metrics.aggregate(learner_results, key=LEARNER_RESULTS)
        with self.metrics.log_time((TIMERS, SYNCH_WORKER_WEIGHTS_TIMER)):
            self.env_runner_group.sync_weights(
                from_worker_or_learner_group=self.learner_group, inference_only=True
            )

    def sample_groups_once(self, num_groups: int) -> dict[str, np.ndarray]:
        """``num_groups`` fresh groups, split over the env runners."""
        num_runners = self.env_runner_group.num_healthy_remote_workers()
        if num_runners == 0:
            results = [
                (
                    self.env_runner.sample(num_groups=num_groups),
                    self.env_runner.get_metrics(),
                )
            ]
        else:
            counts = np.diff(np.linspace(0, num_groups, num_runners + 1).round())
            results = self.env_runner_group.foreach_env_runner(
                func=[
                    lambda runner, n=int(n): (
                        runner.sample(num_groups=n),
                        runner.get_metrics(),
                    )
                    for n in counts
                ],
                local_env_runner=False,
            )
        self.metrics.aggregate([m for _, m in results], key=ENV_RUNNER_RESULTS)
        pad = self.env_runner.module.tokenizer.pad_token_id if self.env_runner else 0
        return concat_batches([b for b, _ in results], pad)

    def _sample_groups(self) -> tuple[dict[str, np.ndarray], float]:
        """The iteration's groups; with dynamic sampling, only informative ones."""
        cfg = self.config
        batch = self.sample_groups_once(cfg.prompts_per_iteration)
        if not cfg.dynamic_sampling:
            return batch, 1.0
        sampled, kept = 0, []
        pad = self.env_runner.module.tokenizer.pad_token_id if self.env_runner else 0
        for round_ in range(cfg.max_dynamic_sampling_rounds + 1):
            if round_ > 0:
                batch = self.sample_groups_once(cfg.prompts_per_iteration)
            sampled += cfg.prompts_per_iteration
            grouped = batch[REWARDS].reshape(-1, cfg.group_size)
            informative = np.flatnonzero(grouped.max(1) > grouped.min(1))
            kept.append(take_groups(batch, informative, cfg.group_size))
            if (
                sum(len(k[REWARDS]) for k in kept)
                >= cfg.prompts_per_iteration * cfg.group_size
            ):
                break
        merged = concat_batches(kept, pad)
        limit = cfg.prompts_per_iteration * cfg.group_size
        merged = {k: v[:limit] for k, v in merged.items()}
        return merged, len(merged[REWARDS]) / cfg.group_size / sampled

    def _log_reward_metrics(self, batch: dict[str, np.ndarray], kept: float) -> None:
        rewards = batch[REWARDS].astype(np.float64)
        if len(rewards):
            self.metrics.log_value("reward_mean", float(rewards.mean()), window=1)
            self.metrics.log_value("reward_std", float(rewards.std()), window=1)
            lengths = batch[COMPLETION_MASK].sum(axis=1)
            self.metrics.log_value(
                "completion_length_mean", float(lengths.mean()), window=1
            )
        self.metrics.log_value("dynamic_sampling_kept_fraction", kept, window=1)
        self.metrics.log_value(
            COMPLETIONS_SAMPLED_LIFETIME, self._completions_sampled, reduce="item"
        )

    @override(Algorithm)
    def get_state(
        self, components: Any = None, *, not_components: Any = None, **kwargs: Any
    ) -> dict[str, Any]:
        state = super().get_state(components, not_components=not_components, **kwargs)
        state[COMPLETIONS_SAMPLED_LIFETIME] = self._completions_sampled
        return state

    @override(Algorithm)
    def set_state(self, state: dict[str, Any]) -> None:
        super().set_state(state)
        if COMPLETIONS_SAMPLED_LIFETIME in state:
            self._completions_sampled = int(state[COMPLETIONS_SAMPLED_LIFETIME])
