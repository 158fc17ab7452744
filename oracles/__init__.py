"""gridmarket.oracles."""
