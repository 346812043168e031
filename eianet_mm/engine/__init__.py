"""Training-loop helpers (hooks), registered into mmdet's registries."""
from .hooks import StopOnNonFiniteLossHook

__all__ = ['StopOnNonFiniteLossHook']
