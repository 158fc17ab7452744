"""GRPO on TextForecast-v0: a causal LM learns to forecast AAPL's next closes.

The reward is TextForecast-v0's: format validity + normalized error + directional
accuracy (weights 1 each; an unparseable answer scores -10). ``--model`` is any
Hugging Face id or local path (``HF_HUB_OFFLINE=1`` respected); without it the
example builds a tiny GPT-2 (2 layers, width 64, tokenizer trained on the prompts)
so it runs offline anywhere, as a smoke run.

How to run
----------
    gridmarket train text_forecast_grpo --stop-iters 5             # tiny GPT-2
    gridmarket train text_forecast_grpo --model PATH --lora-r 8 --beta 0.04
    gridmarket train text_forecast_grpo --model PATH --num-env-runners 4 \\
        --num-learners 2 --address <head-ip>:6379

The staged recipe (GRPO -> rejection sampling -> SFT -> GRPO -> comparison) is
``gridmarket pipeline grpo --ticker AAPL --model PATH``.

Results to expect
-----------------
Not measured beyond smoke runs: the tiny GPT-2 starts from random weights and
mostly writes invalid answers (reward near -10); see BENCHMARKS.md for what the
pipeline measured.
"""

from __future__ import annotations

import sys
import tempfile

from gridmarket.algorithms.grpo import GRPOConfig
from gridmarket.experiment import Metric, run_experiment, tuned_example_parser

parser = tuned_example_parser(__doc__, default_iters=50)
parser.add_argument("--model", default=None, help="HF id or path (default: tiny GPT-2)")
parser.add_argument("--ticker", default="AAPL")
parser.add_argument("--lr", type=float, default=1e-5)
parser.add_argument("--beta", type=float, default=0.0)
parser.add_argument("--lora-r", type=int, default=0, help="0: full fine-tuning")
parser.add_argument("--group-size", type=int, default=8)
parser.add_argument("--prompts", type=int, default=8, help="prompts per iteration")
parser.add_argument("--max-new-tokens", type=int, default=64)

SUCCESS = Metric("reward_mean", -1.0, mode="max")
PROGRESS = ("num_completions_sampled_lifetime", "reward_mean", "completion_length_mean")
ENV_CONFIG = {"split": "train", "window": 20, "prompt_format": "compact"}


def tiny_model(ticker: str) -> str:
    import gymnasium as gym

    from gridmarket.algorithms.grpo.tiny_lm import build_tiny_gpt2

    env = gym.make("gridmarket:TextForecast-v0", ticker=ticker, **ENV_CONFIG)
    num = env.unwrapped.num_windows
    texts = [env.reset(options={"window_id": i})[0] for i in range(0, num, 4)]
    return build_tiny_gpt2(tempfile.mkdtemp(prefix="tiny_gpt2_"), texts)


def build_config(model: str, ticker: str = "AAPL", **training) -> GRPOConfig:
    defaults = {
        "lr": 1e-5,
        "group_size": 8,
        "prompts_per_iteration": 8,
        "max_new_tokens": 64,
        "max_prompt_length": 512,
    }
    return (
        GRPOConfig()
        .environment(
            "gridmarket:TextForecast-v0", env_config={"ticker": ticker, **ENV_CONFIG}
        )
        .training(hf_model=model, **(defaults | training))
    )


def main(argv: list[str] | None = None) -> int:
    args = parser.parse_args(argv)
    config = build_config(
        args.model or tiny_model(args.ticker),
        args.ticker,
        lr=args.lr,
        beta=args.beta,
        lora={"r": args.lora_r} if args.lora_r else None,
        group_size=args.group_size,
        prompts_per_iteration=args.prompts,
        max_new_tokens=args.max_new_tokens,
    )
    return run_experiment(
        config, args, name="text_forecast_grpo", success=SUCCESS, progress=PROGRESS
    )


if __name__ == "__main__":
    sys.exit(main())
