"""One bank's return when it deviates alone from what every other bank does, on
contagion_v0 (the measurement behind BENCHMARKS.md's "why selfish learners stay
where they start").

Every other bank plays a fixed action each step; bank 0 plays its own. Bank 0's
return and the mean bank's return, averaged over seeds with 95% t-intervals. If a
bank's best reply to "everyone trades" is to trade too, while everyone is better
off when nobody trades, learners that each maximize their own reward can stay in
the bad outcome (a coordination failure), whatever their algorithm.

    python benchmarks/contagion_deviation.py                      # normal, 30 banks
    python benchmarks/contagion_deviation.py --scenario asset_crash --seeds 16
"""

from __future__ import annotations

import argparse

import numpy as np
from scipy import stats

# (lend, hoard, sell, borrow) shares, see contagion_v0's Action Space
ACTIONS = {
    "nothing": (0.0, 0.0, 0.0, 0.0),
    "sell 0.1": (0.0, 0.0, 0.1, 0.0),
    "sell 0.5": (0.0, 0.0, 0.5, 0.0),
    "all 0.5": (0.5, 0.5, 0.5, 0.5),  # an untrained policy's mean action
}


def episode_returns(
    scenario: str, banks: int, steps: int, others: str, me: str, seed: int
) -> tuple[float, float]:
    """``(bank 0's return, the mean bank's return)`` of one episode."""
    from gridmarket.envs import contagion_v0

    env = contagion_v0.parallel_env(
        num_banks=banks, scenario=scenario, max_cycles=steps
    )
    env.reset(seed=seed)
    others_action = np.asarray(ACTIONS[others], dtype=np.float32)
    my_action = np.asarray(ACTIONS[me], dtype=np.float32)
    mine = total = 0.0
    while env.agents:
        actions = {
            agent: my_action if agent == "bank_0" else others_action
            for agent in env.agents
        }
        _, rewards, *_ = env.step(actions)
        mine += rewards.get("bank_0", 0.0)
        total += sum(rewards.values())
    return mine, total / banks


def interval(values: np.ndarray) -> str:
    half = stats.t.ppf(0.975, len(values) - 1) * stats.sem(values)
    return f"{values.mean():.3f} ± {half:.3f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scenario", default="normal")
    parser.add_argument("--banks", type=int, default=30)
    parser.add_argument("--steps", type=int, default=50, help="max_cycles")
    parser.add_argument("--seeds", type=int, default=8)
    args = parser.parse_args()
    print(
        f"{args.scenario}, {args.banks} banks, {args.steps} steps, "
        f"{args.seeds} seeds; mean ± 95% t-interval"
    )
    print("| every other bank | bank 0 | bank 0's return | mean bank's return |")
    print("|---|---|---:|---:|")
    for others in ACTIONS:
        for me in ACTIONS:
            runs = np.array(
                [
                    episode_returns(
                        args.scenario, args.banks, args.steps, others, me, seed
                    )
                    for seed in range(args.seeds)
                ]
            )
            print(
                f"| {others} | {me} | {interval(runs[:, 0])} | {interval(runs[:, 1])} |"
            )


if __name__ == "__main__":
    main()
