"""Data samplers, registered into mmdet's DATA_SAMPLERS."""
from .pk_sampler import PKSampler

__all__ = ['PKSampler']
