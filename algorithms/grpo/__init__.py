"""Group-relative policy optimization (GRPO) for language models on text envs.

``from gridmarket.algorithms.grpo import GRPO, GRPOConfig``
"""

from gridmarket.algorithms.grpo.grpo import GRPO, GRPOConfig

__all__ = ["GRPO", "GRPOConfig"]
