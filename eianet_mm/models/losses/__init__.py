"""models.losses."""
