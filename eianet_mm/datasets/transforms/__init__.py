"""datasets.transforms."""
