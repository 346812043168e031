"""Hooks."""
from .non_finite_loss_hook import StopOnNonFiniteLossHook
from .progress_hook import ProgressLineHook

__all__ = ['StopOnNonFiniteLossHook', 'ProgressLineHook']
