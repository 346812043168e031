"""models.detectors."""
