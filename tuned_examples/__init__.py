"""gridmarket.tuned_examples."""
