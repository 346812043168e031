"""models.detectors."""
from .eianet import EIANet

__all__ = ['EIANet']
