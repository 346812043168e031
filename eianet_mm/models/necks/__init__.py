"""models.necks."""
