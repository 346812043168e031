"""Hooks."""
from .non_finite_loss_hook import StopOnNonFiniteLossHook

__all__ = ['StopOnNonFiniteLossHook']
