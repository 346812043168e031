"""Training-loop helpers (hooks), registered into mmdet's registries."""
from .hooks import MetricLossWarmupHook, StopOnNonFiniteLossHook

__all__ = ['MetricLossWarmupHook', 'StopOnNonFiniteLossHook']
