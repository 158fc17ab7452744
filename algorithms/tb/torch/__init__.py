"""Torch parts of trajectory balance: the RLModule, its policies and the learner."""
