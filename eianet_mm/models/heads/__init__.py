"""models.heads."""
from .metric_head import MetricHead

__all__ = ['MetricHead']
