"""GRPO (ours, RLlib) against TRL 1.16 ``GRPOTrainer``, side by side in one run.

Same tiny GPT-2 (2 layers, 2 heads, width 64, vocabulary 512, tokenizer trained on
the prompts), same TextForecast-v0 prompts (AAPL train, compact, window 8) and
reward, 8 prompts x 8 completions per step, 32-token completions, fp32, lr 1e-5,
loss type "grpo" (per-sequence mean), clip 0.2, no gradient checkpointing, one
update per batch, 2 torch threads, CPU. Settings: beta=0; beta=0.04; LoRA r=8
(beta=0). Each side runs in its own subprocess, so peak RSS (ru_maxrss) is its own.
Ours runs the whole GRPO Algorithm (local env runner + local learner in the driver);
Ray's own daemons (raylet, GCS) are separate processes and not in its RSS.

    python benchmarks/grpo_vs_trl.py                 # all three settings
    python benchmarks/grpo_vs_trl.py --steps 5 --settings base
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

SETTINGS = {
    "base": {"beta": 0.0, "lora": None},
    "kl": {"beta": 0.04, "lora": None},
    "lora": {"beta": 0.0, "lora": 8},
}
ENV_CONFIG = {
    "ticker": "AAPL",
    "split": "train",
    "window": 8,
    "prompt_format": "compact",
}
PROMPTS, GROUP, TOKENS, LR = 8, 8, 32, 1e-5


def _env():
    import gymnasium as gym

    import gridmarket  # noqa: F401

    return gym.make("gridmarket:TextForecast-v0", **ENV_CONFIG)


def build_model(path: str) -> str:
    from gridmarket.algorithms.grpo.tiny_lm import build_tiny_gpt2

    env = _env()
    texts = [
        env.reset(options={"window_id": i})[0]
        for i in range(0, env.unwrapped.num_windows, 4)
    ]
    return build_tiny_gpt2(path, texts)


def run_ours(model: str, setting: dict, steps: int, warmup: int) -> dict:
    import ray

    from gridmarket.algorithms.grpo import GRPOConfig

    ray.init(
        address="local",  # never join another Ray cluster running on this machine
        num_cpus=2,
        object_store_memory=100 * 1024**2,
        include_dashboard=False,
        log_to_driver=False,
    )
    config = (
        GRPOConfig()
        .environment("gridmarket:TextForecast-v0", env_config=ENV_CONFIG)
        .training(
            hf_model=model,
            group_size=GROUP,
            prompts_per_iteration=PROMPTS,
            max_new_tokens=TOKENS,
            max_prompt_length=512,
            lr=LR,
            beta=setting["beta"],
            lora={"r": setting["lora"]} if setting["lora"] else None,
            loss_aggregation="sequence",
            clip_low=0.2,
            clip_high=0.2,
        )
        .debugging(seed=0)
    )
    algo = config.build_algo()
    try:
        for _ in range(warmup):
            algo.train()
        tokens, start = 0.0, time.perf_counter()
        for _ in range(steps):
            result = algo.train()
            tokens += result["completion_length_mean"] * PROMPTS * GROUP
        elapsed = time.perf_counter() - start
    finally:
        algo.stop()
        ray.shutdown()
    return {"seconds_per_step": elapsed / steps, "tokens_per_s": tokens / elapsed}


def run_trl(model: str, setting: dict, steps: int, warmup: int) -> dict:
    from datasets import Dataset
    from transformers import AutoTokenizer, TrainerCallback
    from trl import GRPOConfig as TRLConfig
    from trl import GRPOTrainer

    env = _env()
    ids = list(range(env.unwrapped.num_windows))
    prompts = [env.reset(options={"window_id": i})[0] for i in ids]
    dataset = Dataset.from_dict({"prompt": prompts, "window_id": ids})

    def reward(completions, window_id, **_):
        out = []
        for text, w in zip(completions, window_id, strict=True):
            env.reset(options={"window_id": int(w)})
            out.append(float(env.step(text)[1]))
        return out

    marks: list[float] = []
    lengths: list[float] = []

    class Clock(TrainerCallback):
        def on_step_end(self, args, state, control, **kw):
            marks.append(time.perf_counter())

        def on_log(self, args, state, control, logs=None, **kw):
            if logs and "completions/mean_length" in logs:
                lengths.append(float(logs["completions/mean_length"]))

    peft_config = None
    if setting["lora"]:
        from peft import LoraConfig

        r = setting["lora"]
        peft_config = LoraConfig(
            r=r,
            lora_alpha=2 * r,
            lora_dropout=0.0,
            target_modules="all-linear",
            task_type="CAUSAL_LM",
        )
    args = TRLConfig(
        output_dir=tempfile.mkdtemp(),
        per_device_train_batch_size=PROMPTS * GROUP,
        num_generations=GROUP,
        max_completion_length=TOKENS,
        learning_rate=LR,
        beta=setting["beta"],
        loss_type="grpo",
        bf16=False,
        fp16=False,
        gradient_checkpointing=False,
        use_cpu=True,
        max_steps=warmup + steps,
        logging_steps=1,
        report_to=[],
        save_strategy="no",
        seed=0,
        epsilon=0.2,
        num_iterations=1,
        weight_decay=0.0,
        max_grad_norm=1.0,
        disable_dropout=True,
        dataloader_num_workers=0,
    )
    tokenizer = AutoTokenizer.from_pretrained(model)
    tokenizer.padding_side = "left"
    trainer = GRPOTrainer(
        model=model,
        reward_funcs=reward,
        args=args,
        train_dataset=dataset,
        processing_class=tokenizer,
        peft_config=peft_config,
        callbacks=[Clock()],
    )
    trainer.train()
    elapsed = marks[-1] - marks[warmup - 1]
    tokens = sum(lengths[warmup:]) * PROMPTS * GROUP
    return {"seconds_per_step": elapsed / steps, "tokens_per_s": tokens / elapsed}


def worker(args: argparse.Namespace) -> None:
    import torch

    torch.set_num_threads(args.threads)
    setting = SETTINGS[args.setting]
    run = run_ours if args.side == "ours" else run_trl
    result = run(args.model, setting, args.steps, args.warmup)
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print("RESULT " + json.dumps(result))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--steps", type=int, default=10)
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--settings", default="base,kl,lora")
    p.add_argument("--side", choices=["ours", "trl"], help=argparse.SUPPRESS)
    p.add_argument("--setting", help=argparse.SUPPRESS)
    p.add_argument("--model", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.side:
        return worker(args)
    env = {
        **os.environ,
        "OMP_NUM_THREADS": str(args.threads),
        "RAY_AUTH_MODE": "disabled",
        "HF_HUB_OFFLINE": "1",
        "TOKENIZERS_PARALLELISM": "false",
    }
    with tempfile.TemporaryDirectory() as tmp:
        model = build_model(tmp)
        rows = []
        for name in args.settings.split(","):
            pair = {}
            for side in ("trl", "ours"):
                cmd = [
                    sys.executable,
                    __file__,
                    "--side",
                    side,
                    "--setting",
                    name,
                    "--model",
                    model,
                    "--steps",
                    str(args.steps),
                    "--warmup",
                    str(args.warmup),
                    "--threads",
                    str(args.threads),
                ]
                out = subprocess.run(cmd, env=env, capture_output=True, text=True)
                line = [
                    ln for ln in out.stdout.splitlines() if ln.startswith("RESULT ")
                ]
                if out.returncode or not line:
                    raise SystemExit(f"{side}/{name} failed:\n{out.stderr[-4000:]}")
                pair[side] = json.loads(line[0][len("RESULT ") :])
                print(name, side, pair[side], flush=True)
            rows.append((name, pair))
    print(
        "\n| setting | TRL tok/s | ours tok/s | ratio | TRL s/step | ours s/step | TRL peak RSS MB | ours peak RSS MB |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for name, pair in rows:
        t, o = pair["trl"], pair["ours"]
        print(
            f"| {name} | {t['tokens_per_s']:.0f} | {o['tokens_per_s']:.0f} | "
            f"{o['tokens_per_s'] / t['tokens_per_s']:.2f}x | {t['seconds_per_step']:.3f} | "
            f"{o['seconds_per_step']:.3f} | {t['peak_rss_mb']:.0f} | {o['peak_rss_mb']:.0f} |"
        )


if __name__ == "__main__":
    main()
