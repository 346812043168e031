"""models.dense_heads."""
