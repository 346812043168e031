"""datasets.samplers."""
