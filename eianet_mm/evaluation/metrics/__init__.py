"""evaluation.metrics."""
