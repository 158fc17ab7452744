"""gridmarket.algorithms."""
