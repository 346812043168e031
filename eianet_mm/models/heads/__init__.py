"""models.heads."""
