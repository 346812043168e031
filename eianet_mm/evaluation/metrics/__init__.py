"""mmengine metrics, registered in mmdet's ``METRICS``."""
from .reid_metric import ReIDMetric
from .verification_metric import VerificationMetric

__all__ = ['ReIDMetric', 'VerificationMetric']
