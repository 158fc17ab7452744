"""``gridmarket pipeline grpo``: argument parsing for the staged GRPO recipe."""

from __future__ import annotations

import argparse

from gridmarket.grpo_pipeline.config import PipelineConfig
from gridmarket.grpo_pipeline.run import STAGES, run_pipeline


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="gridmarket pipeline grpo",
        description="GRPO -> rejection sampling -> SFT -> GRPO -> comparison on "
        "TextForecast-v0; rerun the same command to resume after a crash or kill.",
    )
    p.add_argument("--model", required=True, help="Hugging Face id or local path")
    p.add_argument("--gguf-file", default=None, help="GGUF file inside --model")
    p.add_argument("--ticker", default="AAPL")
    p.add_argument("--env", default="gridmarket:TextForecast-v0")
    p.add_argument("--window", type=int, default=None, help="history length (days)")
    p.add_argument("--horizon", type=int, default=None, help="closes to forecast")
    p.add_argument("--prompt-format", default=None, choices=["seed", "compact"])
    p.add_argument("--out", default="grpo_pipeline", help="output directory")
    p.add_argument(
        "--iterations", type=int, default=20, help="train() calls per GRPO stage"
    )
    p.add_argument("--group-size", type=int, default=8)
    p.add_argument("--prompts", type=int, default=8, help="prompts per iteration")
    p.add_argument("--max-new-tokens", type=int, default=64)
    p.add_argument("--max-prompt-length", type=int, default=512)
    p.add_argument("--lr", type=float, default=1e-5)
    p.add_argument("--beta", type=float, default=0.0)
    p.add_argument("--temperature", type=float, default=1.0)
    p.add_argument(
        "--lora-r", type=int, default=0, help="LoRA rank; 0 = full fine-tuning"
    )
    p.add_argument("--rs-samples", type=int, default=8, help="N of best-of-N")
    p.add_argument("--rs-windows", type=int, default=64)
    p.add_argument(
        "--rs-min-reward",
        type=float,
        default=None,
        help="rejection sampling keeps a window's best completion only if its "
        "reward is at least this (default: only format-valid completions; an "
        "invalid forecast scores the floor, -10); windows with none are dropped",
    )
    p.add_argument("--sft-epochs", type=int, default=2)
    p.add_argument("--sft-lr", type=float, default=1e-5)
    p.add_argument("--eval-windows", type=int, default=64)
    p.add_argument(
        "--baselines",
        default="persistence,drift",
        help="comma-separated naive forecasters ('' for none)",
    )
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--tracking-uri", default=None)
    p.add_argument("--stages", default=",".join(STAGES))
    return p


def main(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    env_config = {"ticker": args.ticker} if "TextForecast" in args.env else {}
    for key in ("window", "horizon", "prompt_format"):
        if getattr(args, key) is not None:
            env_config[key] = getattr(args, key)
    stages = tuple(s for s in args.stages.split(",") if s)
    unknown = set(stages) - set(STAGES)
    if unknown:
        raise SystemExit(f"--stages: unknown {sorted(unknown)}; allowed {STAGES}")
    cfg = PipelineConfig(
        model=args.model,
        gguf_file=args.gguf_file,
        out_dir=args.out,
        env=args.env,
        env_config=env_config,
        lora={"r": args.lora_r} if args.lora_r else None,
        seed=args.seed,
        grpo_iterations=args.iterations,
        group_size=args.group_size,
        prompts_per_iteration=args.prompts,
        max_new_tokens=args.max_new_tokens,
        max_prompt_length=args.max_prompt_length,
        lr=args.lr,
        beta=args.beta,
        temperature=args.temperature,
        rs_num_samples=args.rs_samples,
        rs_max_windows=args.rs_windows,
        rs_min_reward=args.rs_min_reward,
        sft_epochs=args.sft_epochs,
        sft_lr=args.sft_lr,
        eval_max_windows=args.eval_windows,
        baselines=tuple(b for b in args.baselines.split(",") if b),
        tracking_uri=args.tracking_uri,
    )
    results = run_pipeline(cfg, stages)
    if "comparison" in results:
        print(
            (
                __import__("pathlib").Path(cfg.out_dir) / "comparison" / "comparison.md"
            ).read_text()
        )
    return 0
