"""datasets.synthcars."""
