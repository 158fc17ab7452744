"""Beta draws: gridmarket's seeded sampler vs torch's global-RNG Gamma sampler.

TB's GridMarket sampler draws one Beta variate per market variable and trajectory
each step (``[batch, 6]``). Issue 7 moved these draws from torch's global-RNG
Gamma sampler (which takes no ``torch.Generator``) to ``sample_beta``
(Marsaglia-Tsang from the runner's ``torch.Generator``, public ops). The anchor
is that sampler through its public API, ``torch.distributions.Gamma(...).sample()``
(argument validation off). This times both, side by side, at the plain loop's
width (16) and at TB's batched-rollout width (256), one thread.

Run:
    python benchmarks/beta_sampler.py [--calls 5000]
"""

from __future__ import annotations

import argparse
import time

import torch

from gridmarket.algorithms.tb.torch.random_variates import sample_beta

VARIABLES = 6  # GridMarket's market variables


def global_rng_beta(alpha: torch.Tensor, beta: torch.Tensor) -> torch.Tensor:
    """The anchor: Ga / (Ga + Gb) from torch's global-RNG Gamma sampler."""
    ones = torch.ones_like(alpha)
    ga = torch.distributions.Gamma(alpha, ones, validate_args=False).sample()
    gb = torch.distributions.Gamma(beta, ones, validate_args=False).sample()
    return ga / (ga + gb)


def microseconds_per_call(draw, calls: int) -> float:
    for _ in range(min(200, calls)):
        draw()
    start = time.perf_counter()
    for _ in range(calls):
        draw()
    return (time.perf_counter() - start) / calls * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=5000)
    args = parser.parse_args()
    torch.set_num_threads(1)
    generator = torch.Generator().manual_seed(0)
    print(f"torch {torch.__version__}, 1 thread, {args.calls} calls each")
    print(f"{'width':>6} {'torch Gamma us':>14} {'sample_beta us':>15} {'ratio':>7}")
    for width in (16, 256):
        shape_rng = torch.Generator().manual_seed(width)
        alpha = torch.rand(width, VARIABLES, generator=shape_rng) * 5 + 0.2
        beta = torch.rand(width, VARIABLES, generator=shape_rng) * 5 + 0.2
        anchor = microseconds_per_call(
            lambda a=alpha, b=beta: global_rng_beta(a, b), args.calls
        )
        ours = microseconds_per_call(
            lambda a=alpha, b=beta: sample_beta(a, b, generator), args.calls
        )
        print(f"{width:>6} {anchor:>14.1f} {ours:>15.1f} {ours / anchor:>6.1f}x")


if __name__ == "__main__":
    main()
