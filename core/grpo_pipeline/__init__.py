"""The seed's staged LLM recipe as one resumable command:
GRPO -> rejection sampling -> SFT -> GRPO -> comparison.

``gridmarket pipeline grpo --ticker AAPL --model PATH_OR_ID``
"""

from gridmarket.grpo_pipeline.config import PipelineConfig
from gridmarket.grpo_pipeline.run import STAGES, run_pipeline

__all__ = ["STAGES", "PipelineConfig", "run_pipeline"]
