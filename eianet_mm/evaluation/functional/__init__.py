"""evaluation.functional."""
