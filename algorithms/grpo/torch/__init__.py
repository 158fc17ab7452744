"""Torch parts of GRPO: the RLModule wrapping a Hugging Face causal LM, sampling, the learner."""
