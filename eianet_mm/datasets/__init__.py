"""Datasets, samplers and transforms, registered into mmdet's registries."""
from . import samplers, synthcars, transforms  # noqa: F401
