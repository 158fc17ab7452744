"""TextForecast-v0 reset + step speed on one core, beside CartPole-v1 and the
issue's 20,000 steps/s bar.

    python benchmarks/text_forecast_env.py [--steps 20000] [--repeats 5] [--core 0]

The process is pinned to one core (``--core``). Each row times ``--steps``
episodes of ``reset()`` (a window drawn by ``self.np_random``) plus one
``step(completion)`` with a canned completion, after a warm-up that builds the
window cache; it reports the best and the median of ``--repeats`` runs. Rates are
per second of this process's CPU time (``time.process_time``), so that other
processes sharing the core do not count against it; on an idle core CPU time and
wall time agree. The
completions: ``canned``, a well-formed ``<answer>`` list of 10 closes (the common
case of a trained model); ``chatty``, a 700-character reasoning text with labelled
numbers that takes the general regex reader. The anchor is Gymnasium's CartPole-v1
(reset + one random-action step, through ``gym.make``), the standard reference for
per-step Python overhead, on the same core in the same run.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402

import gymnasium as gym  # noqa: E402

import gridmarket  # noqa: E402, F401
from gridmarket.envs.text_forecast.reward import (  # noqa: E402
    format_forecast,
    score_completion,
)

TARGET_STEPS_PER_S = 20_000
CANNED = format_forecast([150.0 + 0.25 * k for k in range(10)])
CHATTY = (
    "<think>The 10-day SMA sits below the close and RSI is near 56, so momentum is "
    "mildly positive; MACD is flat against its signal. The lag-1 correlation of "
    "daily changes is negative, which argues for some mean reversion after the "
    "last jump. I expect a small pullback over days 1-3, then a slow drift up as "
    "the trend of about 0.34 per day reasserts itself, ending slightly above the "
    "last close. Volatility has been around 1.2 a day.</think>\n"
    "<answer>Day 1: 157.10, Day 2: 156.80, Day 3: 156.95, Day 4: 157.30, "
    "Day 5: 157.60, Day 6: 157.85, Day 7: 158.10, Day 8: 158.30, Day 9: 158.55, "
    "Day 10: 158.80</answer>"
)


def episodes_per_second(env, action, steps: int) -> float:
    reset, step = env.reset, env.step
    start = time.process_time()
    for _ in range(steps):
        reset()
        step(action)
    return steps / (time.process_time() - start)


def cartpole_per_second(steps: int) -> float:
    env = gym.make("CartPole-v1")
    env.reset(seed=0)
    env.action_space.seed(0)
    actions = [int(env.action_space.sample()) for _ in range(steps)]
    reset, step = env.reset, env.step
    start = time.process_time()
    for a in actions:
        reset()
        step(a)
    return steps / (time.process_time() - start)


def score_per_second(completion: str, steps: int) -> float:
    targets = [150.0 + 0.3 * k for k in range(10)]
    start = time.process_time()
    for _ in range(steps):
        score_completion(completion, targets, 150.0, 1.2)
    return steps / (time.process_time() - start)


def measure(fn, repeats: int) -> tuple[float, float]:
    runs = [fn() for _ in range(repeats)]
    return max(runs), statistics.median(runs)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=20_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--core", type=int, default=0)
    args = parser.parse_args(argv)
    os.sched_setaffinity(0, {args.core})

    rows = []
    anchor_best, anchor_median = measure(
        lambda: cartpole_per_second(args.steps), args.repeats
    )
    for prompt_format in ("compact", "seed"):
        env = gym.make("TextForecast-v0", ticker="AAPL", split="train",
                       prompt_format=prompt_format)  # fmt: skip
        env.reset(seed=0)
        for name, completion in (("canned", CANNED), ("chatty", CHATTY)):
            env.step(completion)  # warm-up (also past the passive env checker)
            best, median = measure(
                lambda e=env, c=completion: episodes_per_second(e, c, args.steps),
                args.repeats,
            )
            rows.append((f"gym.make, {prompt_format} prompt, {name}", best, median))
    for name, completion in (("canned", CANNED), ("chatty", CHATTY)):
        best, median = measure(
            lambda c=completion: score_per_second(c, args.steps), args.repeats
        )
        rows.append((f"score_completion alone, {name}", best, median))

    print(
        f"one core (#{args.core}), {args.steps} episodes x {args.repeats} repeats, "
        f"per CPU-second; load average {os.getloadavg()[0]:.1f}\n"
    )
    print(
        "| contender | best eps/s | median eps/s | median / 20k bar | median / CartPole |"
    )
    print("|---|---:|---:|---:|---:|")
    print(f"| CartPole-v1 (anchor) | {anchor_best:,.0f} | {anchor_median:,.0f} | "
          f"{anchor_median / TARGET_STEPS_PER_S:.2f}x | 1.00x |")  # fmt: skip
    for name, best, median in rows:
        print(f"| {name} | {best:,.0f} | {median:,.0f} | "
              f"{median / TARGET_STEPS_PER_S:.2f}x | {median / anchor_median:.2f}x |")  # fmt: skip


if __name__ == "__main__":
    main()
