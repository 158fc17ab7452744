"""SFT lowers its loss; rejection sampling keeps the best eligible of N (no Ray)."""

import math

import gymnasium as gym
import numpy as np
import pytest
import torch

import gridmarket  # noqa: F401  (registers TextForecast-v0)
from gridmarket.algorithms.grpo.batch import COMPLETION_IDS, COMPLETION_MASK
from gridmarket.algorithms.grpo.rejection import best_of_n
from gridmarket.algorithms.grpo.sft import train_sft
from gridmarket.algorithms.grpo.torch.grpo_rl_module import GRPOTorchRLModule
from tests.algorithms.grpo.stand_in_env import StandInForecastEnv


def test_sft_lowers_its_loss(tiny_lm):
    torch.manual_seed(0)
    module = GRPOTorchRLModule(model_config={"model": tiny_lm})
    env = StandInForecastEnv()
    prompts = [env.prompt(i) for i in range(8)]
    completions = ["101.5 102.0 99.5"] * 8
    losses = train_sft(module, prompts, completions, epochs=6, lr=1e-2, batch_size=4)
    assert losses[-1] < 0.6 * losses[0], losses


def test_rejection_sampling_keeps_the_best_of_n(tiny_lm):
    module = GRPOTorchRLModule(model_config={"model": tiny_lm})
    env = StandInForecastEnv(num_windows=8)
    samples = best_of_n(
        module,
        env,
        [0, 3, 5],
        num_samples=6,
        max_new_tokens=8,
        generator=torch.Generator().manual_seed(0),
        prompts_per_batch=2,
        min_reward=-math.inf,  # every window keeps its best
    )
    kept = samples.kept
    assert samples.dropped == []
    assert [row["window_id"] for row in kept] == [0, 3, 5]
    for row in kept:
        assert len(row["rewards"]) == 6
        assert row["reward"] == max(row["rewards"])
        env.reset(options={"window_id": row["window_id"]})
        assert env.step(row["completion"])[1] == row["reward"]  # rescoring agrees
    spread = [max(r["rewards"]) - min(r["rewards"]) for r in kept]
    assert np.max(spread) > 0  # the N samples differed, so choosing mattered


class ScriptedModule:
    """Stands in for the LM: "generates" the given texts, in order."""

    def __init__(self, texts):
        self.texts = list(texts)
        self.used = 0

    def generate(self, prompts, *, group_size, **_):
        rows = len(prompts) * group_size
        ids = torch.arange(self.used, self.used + rows)[:, None]
        self.used += rows
        return {COMPLETION_IDS: ids, COMPLETION_MASK: torch.ones_like(ids)}

    def decode(self, ids, mask):
        return [self.texts[i] for i in ids[:, 0].tolist()]


def forecast_env():
    return gym.make(
        "gridmarket:TextForecast-v0",
        ticker="AAPL",
        split="train",
        window=8,
        prompt_format="compact",
    )


def answer(value, horizon):
    return "<answer>" + ", ".join([f"{value:.2f}"] * horizon) + "</answer>"


def test_rejection_drops_windows_without_a_format_valid_completion():
    env = forecast_env()
    h = env.unwrapped.horizon
    texts = [
        "the price goes up",  # window 0: one valid forecast among garbage
        answer(90.0, h),
        "<answer>1, 2</answer>",
        "no numbers",  # window 7: all invalid
        "<answer>nan</answer>",
        answer(-5.0, h),
    ]
    samples = best_of_n(
        ScriptedModule(texts), env, [0, 7], num_samples=3, max_new_tokens=8
    )
    assert samples.dropped == [7]
    [row] = samples.kept
    assert row["window_id"] == 0 and row["completion"] == answer(90.0, h)
    assert row["rewards"][0] == row["rewards"][2] == -10.0  # the floor
    assert row["reward"] > -10.0


def test_rejection_min_reward_threshold():
    env = forecast_env()
    h = env.unwrapped.horizon
    texts = [answer(90.0, h), answer(300.0, h), "garbage", "garbage"]
    scripted = ScriptedModule(texts * 4)
    run = {"num_samples": 2, "max_new_tokens": 8, "prompts_per_batch": 2}
    default = best_of_n(scripted, env, [0, 1], **run)
    rewards = default.kept[0]["rewards"]
    assert default.dropped == [1] and rewards[0] > rewards[1] > -10.0
    between = (rewards[0] + rewards[1]) / 2
    strict = best_of_n(scripted, env, [0, 1], min_reward=rewards[0] + 1e-6, **run)
    assert strict.kept == [] and strict.dropped == [0, 1]
    loose = best_of_n(scripted, env, [0, 1], min_reward=-math.inf, **run)
    assert [r["window_id"] for r in loose.kept] == [0, 1]
    assert loose.kept[1]["reward"] == -10.0  # kept only because asked to
    assert (
        best_of_n(
            scripted, env, [0], min_reward=between, num_samples=2, max_new_tokens=8
        ).kept[0]["reward"]
        == rewards[0]
    )


def test_nan_threshold_is_refused():
    from gridmarket.grpo_pipeline.config import PipelineConfig

    with pytest.raises(ValueError, match="nan"):
        PipelineConfig(model="m", out_dir="o", rs_min_reward=math.nan)
    with pytest.raises(ValueError, match="nan"):
        best_of_n(
            ScriptedModule([]),
            forecast_env(),
            [0],
            num_samples=1,
            max_new_tokens=8,
            min_reward=math.nan,
        )


def test_default_filter_needs_the_envs_format_entry():
    with pytest.raises(KeyError, match="format"):
        best_of_n(
            ScriptedModule(["1 2 3"]),
            StandInForecastEnv(),
            [0],
            num_samples=1,
            max_new_tokens=8,
        )


def test_rejection_stage_that_keeps_nothing_says_so_and_is_not_done(tmp_path, tiny_lm):
    """An untrained tiny GPT-2 writes no readable forecast: every window is
    dropped, the stage raises before it is marked done, so a rerun samples again."""
    from gridmarket.grpo_pipeline import run, stages
    from gridmarket.grpo_pipeline.cli import build_parser
    from gridmarket.grpo_pipeline.config import PipelineConfig

    args = build_parser().parse_args(["--model", "m", "--rs-min-reward=-2.5"])
    assert args.rs_min_reward == -2.5
    assert build_parser().parse_args(["--model", "m"]).rs_min_reward is None
    cfg = PipelineConfig(
        model=tiny_lm,
        out_dir=str(tmp_path),
        rs_num_samples=2,
        rs_max_windows=2,
        max_new_tokens=4,
    )
    stage_dir = tmp_path / "rejection_sampling"
    stage_dir.mkdir()
    with pytest.raises(stages.NoSamplesError, match="kept none of 2 windows"):
        stages.rejection_stage(cfg, tiny_lm, stage_dir, lambda *_: None)
    assert not run.stage_done(tmp_path, "rejection_sampling")
    assert not (stage_dir / stages.SAMPLES).exists()
