"""SFT lowers its loss; rejection sampling keeps the best of N (no Ray)."""

import numpy as np
import torch

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
    kept = best_of_n(
        module,
        env,
        [0, 3, 5],
        num_samples=6,
        max_new_tokens=8,
        generator=torch.Generator().manual_seed(0),
        prompts_per_batch=2,
    )
    assert [row["window_id"] for row in kept] == [0, 3, 5]
    for row in kept:
        assert len(row["rewards"]) == 6
        assert row["reward"] == max(row["rewards"])
        env.reset(options={"window_id": row["window_id"]})
        assert env.step(row["completion"])[1] == row["reward"]  # rescoring agrees
    spread = [max(r["rewards"]) - min(r["rewards"]) for r in kept]
    assert np.max(spread) > 0  # the N samples differed, so choosing mattered
