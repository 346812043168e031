"""Hooks."""
from .metric_loss_warmup_hook import MetricLossWarmupHook
from .non_finite_loss_hook import StopOnNonFiniteLossHook
from .progress_hook import ProgressLineHook

__all__ = ['MetricLossWarmupHook', 'StopOnNonFiniteLossHook', 'ProgressLineHook']
