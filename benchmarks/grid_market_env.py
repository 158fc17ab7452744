"""GridMarket-v0 benchmark: native vector-env throughput and oracle prediction rate.

Run from the repository root:

    python benchmarks/grid_market_env.py            # full run (about a minute)
    python benchmarks/grid_market_env.py --quick    # smoke run

Measured side by side in one run, each with a ratio:

1. Vector env at batch 1024, horizon 12, uniformly random in-range actions (a
   pre-drawn pool, so the RNG is not timed): the native ``GridMarketVectorEnv`` vs
   Gymnasium's ``SyncVectorEnv`` over 1024 single ``GridMarketEnv`` (the anchor).
   A step is one ``step()`` call of the whole batch, including the autoreset step
   after each episode (13 calls per trajectory of 12 actions).
2. Oracle predictions/s: ``Oracle.predict`` vs the raw scikit-learn
   ``estimator.predict`` on the same float64 ndarray rows, at 16 and 4096 rows
   (target: within 2x, i.e. ratio >= 0.5). For reference, the raw estimator called
   on a 16-row pandas DataFrame, the original GRID call pattern.

The issue's anchor for the original GRID MLP oracle (measured elsewhere): about 2M
states/s at 4096 rows from numpy, about 50k/s at 16 rows from a DataFrame.
"""

from __future__ import annotations

import argparse
import os
import platform
import time
import warnings
from collections.abc import Callable

import gymnasium as gym
import numpy as np
import pandas as pd
import sklearn

import gridmarket  # noqa: F401  (registers GridMarket-v0)
from gridmarket.oracles import SCENARIOS, load_oracle

BATCH = 1024
HORIZON = 12


def rate(fn: Callable[[], int], *, min_seconds: float, repeats: int) -> float:
    """Median over ``repeats`` of (units done / seconds), each run >= min_seconds."""
    fn()  # warm-up
    rates = []
    for _ in range(repeats):
        done, start = 0, time.perf_counter()
        while (elapsed := time.perf_counter() - start) < min_seconds:
            done += fn()
        rates.append(done / elapsed)
    return float(np.median(rates))


def vector_env_rates(scenario: str, mode: str, args) -> dict[str, float]:
    kwargs = {"scenario": scenario, "horizon": HORIZON, "ood_mode": mode}
    pool = np.random.default_rng(0).uniform(-30, 30, (64, BATCH, 6)).astype(np.float32)
    native = gym.make_vec(
        "GridMarket-v0",
        num_envs=BATCH,
        vectorization_mode="vector_entry_point",
        **kwargs,
    )
    native.reset(seed=0)
    counter = {"i": 0}

    def native_chunk() -> int:
        for _ in range(HORIZON + 1):
            native.step(pool[counter["i"] % len(pool)])
            counter["i"] += 1
        return HORIZON + 1

    native_rate = rate(native_chunk, min_seconds=args.seconds, repeats=args.repeats)
    sync = gym.make_vec(
        "GridMarket-v0", num_envs=BATCH, vectorization_mode="sync", **kwargs
    )
    sync.reset(seed=0)

    def sync_chunk() -> int:
        for _ in range(HORIZON + 1):
            sync.step(pool[counter["i"] % len(pool)])
            counter["i"] += 1
        return HORIZON + 1

    sync_rate = rate(sync_chunk, min_seconds=args.seconds, repeats=1)
    return {"native": native_rate, "sync": sync_rate}


def oracle_rates(scenario: str, args) -> list[tuple[int, float, float, float | None]]:
    oracle = load_oracle(scenario)
    low, high = oracle.feature_range.T
    rows = []
    for n in (16, 4096):
        states = np.random.default_rng(n).uniform(low, high, (n, 6))
        ours = rate(
            lambda s=states: oracle.predict(s).shape[0],
            min_seconds=args.seconds,
            repeats=args.repeats,
        )
        raw = rate(
            lambda s=states: oracle.estimator.predict(s).shape[0],
            min_seconds=args.seconds,
            repeats=args.repeats,
        )
        frame_rate = None
        if n == 16:
            frame = pd.DataFrame(states, columns=list(oracle.feature_names))
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # fitted on arrays, called on a frame
                frame_rate = rate(
                    lambda f=frame: oracle.estimator.predict(f).shape[0],
                    min_seconds=args.seconds,
                    repeats=args.repeats,
                )
        rows.append((n, ours, raw, frame_rate))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="short smoke run")
    args = parser.parse_args()
    args.seconds, args.repeats = (0.2, 1) if args.quick else (1.0, 5)
    print(
        f"# GridMarket-v0 benchmark | python {platform.python_version()}, numpy "
        f"{np.__version__}, scikit-learn {sklearn.__version__}, gymnasium "
        f"{gym.__version__}, {os.cpu_count()} CPUs, {platform.processor() or platform.machine()}"
    )
    print(
        f"\n## Vector env, batch {BATCH}, horizon {HORIZON}, random in-range actions\n"
    )
    print(
        "| scenario | ood_mode | native steps/s | env-steps/s | trajectories/s | SyncVectorEnv steps/s | native / sync |"
    )
    print("|---|---|---:|---:|---:|---:|---:|")
    for scenario in SCENARIOS:
        for mode in ("clip", "penalty"):
            r = vector_env_rates(scenario, mode, args)
            trajectories = r["native"] * BATCH / (HORIZON + 1)
            print(
                f"| {scenario} | {mode} | {r['native']:,.0f} | {r['native'] * BATCH:,.0f} | "
                f"{trajectories:,.0f} | {r['sync']:,.1f} | {r['native'] / r['sync']:,.0f}x |"
            )
    print("\n## Oracle predictions/s (states/s), float64 ndarray rows\n")
    print(
        "| scenario | family | rows | Oracle.predict | raw estimator.predict | ratio (target >= 0.5) | raw, 16-row DataFrame |"
    )
    print("|---|---|---:|---:|---:|---:|---:|")
    for scenario in SCENARIOS:
        family = load_oracle(scenario).card["model"]["family"]
        for n, ours, raw, frame in oracle_rates(scenario, args):
            frame_txt = f"{frame:,.0f}" if frame is not None else "-"
            print(
                f"| {scenario} | {family} | {n} | {ours:,.0f} | {raw:,.0f} | "
                f"{ours / raw:.2f} | {frame_txt} |"
            )


if __name__ == "__main__":
    main()
